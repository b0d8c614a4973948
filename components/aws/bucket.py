"""An S3 bucket that is private, KMS-encrypted, TLS-only and versioned where it matters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_prefix: str  # the provider appends a random suffix; see components.common.naming
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    versioning: bool
    force_destroy: bool = False
    deletion_protection: bool = False
    noncurrent_version_days: int = 30
    access_log_bucket: pulumi.Input[str] | None = None  # target bucket for server access logs
    accepts_access_logs: bool = False  # this bucket is the target: let S3 log delivery write to it


class SecureBucket(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:aws:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Deleting a prod bucket must be a deliberate two-step change, in Pulumi and in S3.
        self.bucket = aws.s3.Bucket(
            name,
            aws.s3.BucketArgs(
                bucket_prefix=args.bucket_prefix,
                force_destroy=args.force_destroy,
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.deletion_protection, retain_on_delete=args.deletion_protection
            ),
        )
        bucket = self.bucket.id
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            aws.s3.BucketOwnershipControlsArgs(
                bucket=bucket,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            ),
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            aws.s3.BucketPublicAccessBlockArgs(
                bucket=bucket,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
            ),
            opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            aws.s3.BucketServerSideEncryptionConfigurationInitArgs(
                bucket=bucket,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                        ),
                        bucket_key_enabled=True,
                    )
                ],
            ),
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            aws.s3.BucketVersioningInitArgs(
                bucket=bucket,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled" if args.versioning else "Suspended"
                ),
            ),
            opts=child,
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            aws.s3.BucketLifecycleConfigurationArgs(
                bucket=bucket,
                rules=[
                    aws.s3.BucketLifecycleConfigurationRuleArgs(
                        id="expire-noncurrent-versions",
                        status="Enabled",
                        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=args.noncurrent_version_days
                        ),
                        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=7
                        ),
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        arn = self.bucket.arn
        objects = pulumi.Output.concat(arn, "/*")
        statements = [
            iam.statement(
                sid="DenyInsecureTransport",
                effect="Deny",
                principals="*",
                actions=["s3:*"],
                resources=[arn, objects],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            ),
            iam.statement(
                sid="DenyOutdatedTls",
                effect="Deny",
                principals="*",
                actions=["s3:*"],
                resources=[arn, objects],
                conditions={"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            ),
        ]
        if args.accepts_access_logs:
            account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
            statements.append(
                iam.statement(
                    sid="AllowServerAccessLogDelivery",
                    principals={"Service": "logging.s3.amazonaws.com"},
                    actions=["s3:PutObject"],
                    resources=objects,
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                )
            )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            aws.s3.BucketPolicyArgs(
                bucket=bucket,
                policy=iam.document(*statements),
            ),
            # S3 refuses bucket policies until the public access block is in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        self.logging: aws.s3.BucketLogging | None = None
        if args.access_log_bucket is not None:
            self.logging = aws.s3.BucketLogging(
                f"{name}-logging",
                aws.s3.BucketLoggingInitArgs(
                    bucket=bucket,
                    target_bucket=args.access_log_bucket,
                    target_prefix=pulumi.Output.concat(self.bucket.bucket, "/"),
                ),
                opts=child,
            )
        self.bucket_name = self.bucket.bucket
        self.arn = arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})
