"""The AWS part of the platform: keys, network and buckets (the AWS issue adds SageMaker, EKS, budget)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.aws import KmsKey, KmsKeyArgs, Network, NetworkArgs, SecureBucket, SecureBucketArgs
from components.common.naming import physical_name
from infra.settings import StackSettings
from infra.settings.model import AwsSettings


def build_aws(stack: StackSettings, aws: AwsSettings, tags: Mapping[str, str]) -> None:
    profile = stack.settings.resolved
    region = stack.providers.aws_region
    assert region is not None, "checked by the settings loader"
    prefix = f"{pulumi.get_project()}-{stack.stack}"

    def key(purpose: str, *, services: tuple[str, ...] = (), cloudwatch_logs: bool = False) -> KmsKey:
        return KmsKey(
            f"{prefix}-{purpose}",
            KmsKeyArgs(
                purpose=purpose,
                alias=f"alias/{prefix}-{purpose}",
                region=region,
                tags=tags,
                service_principals=services,
                allow_cloudwatch_logs=cloudwatch_logs,
                deletion_protection=profile.deletion_protection,
            ),
        )

    logs_key = key("logs", cloudwatch_logs=True)
    # S3 server access log delivery writes into a KMS-encrypted target bucket with this key.
    data_key = key("data", services=("logging.s3.amazonaws.com",))

    zones = aws.network.availability_zones or [f"{region}{z}" for z in "abc"[: profile.az_count]]
    network = Network(
        f"{prefix}-net",
        NetworkArgs(
            cidr=str(aws.network.cidr),
            availability_zones=zones,
            nat_strategy=profile.nat_strategy,
            region=region,
            tags=tags,
            flow_logs=aws.network.flow_logs,
            flow_log_retention_days=profile.log_retention_days,
            flow_log_kms_key_arn=logs_key.arn,
        ),
    )

    access_logs = None
    if profile.access_logging:
        access_logs = SecureBucket(
            f"{prefix}-access-logs",
            SecureBucketArgs(
                bucket_prefix=physical_name("s3-bucket-prefix", prefix, "access-logs") + "-",
                kms_key_arn=data_key.arn,
                tags=tags,
                versioning=profile.bucket_versioning,
                force_destroy=profile.force_destroy,
                deletion_protection=profile.deletion_protection,
                accepts_access_logs=True,
            ),
        )
    buckets = {
        purpose: SecureBucket(
            f"{prefix}-{purpose}",
            SecureBucketArgs(
                bucket_prefix=physical_name("s3-bucket-prefix", prefix, purpose) + "-",
                kms_key_arn=data_key.arn,
                tags=tags,
                versioning=profile.bucket_versioning,
                force_destroy=profile.force_destroy,
                deletion_protection=profile.deletion_protection,
                access_log_bucket=access_logs.bucket_name if access_logs else None,
            ),
        )
        for purpose in aws.buckets
    }

    pulumi.export("awsVpcId", network.vpc_id)
    pulumi.export("awsPrivateSubnetIds", network.private_subnet_ids)
    pulumi.export("awsPublicSubnetIds", network.public_subnet_ids)
    pulumi.export("awsBuckets", {purpose: b.bucket_name for purpose, b in buckets.items()})
    pulumi.export("awsKmsKeys", {"data": data_key.arn, "logs": logs_key.arn})
