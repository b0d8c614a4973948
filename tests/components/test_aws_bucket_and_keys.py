"""Secure buckets and KMS keys: private, encrypted, TLS-only, protected where it matters."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

from components.aws import KmsKey, KmsKeyArgs, SecureBucket, SecureBucketArgs
from tests.plans import Plan, record

TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
KEY = "arn:aws:kms:us-east-1:123456789012:key/data"


@cache  # one plan per distinct bucket: tests only read it
def bucket(
    *, versioning: bool = True, protect: bool = False, force_destroy: bool = False, logs_to: str | None = None
) -> Plan:
    return record(
        lambda: SecureBucket(
            "data",
            SecureBucketArgs(
                bucket_prefix="mlplat-prod-data-",
                kms_key_arn=KEY,
                tags=TAGS,
                versioning=versioning,
                force_destroy=force_destroy,
                deletion_protection=protect,
                access_log_bucket=logs_to,
            ),
        )
    )


def test_bucket_blocks_every_kind_of_public_access() -> None:
    pab = bucket().one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [pab.inputs[f] for f in flags] == [True, True, True, True]


def test_bucket_is_encrypted_with_the_customer_key_and_a_bucket_key() -> None:
    (rule,) = (
        bucket()
        .one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        .inputs["rules"]
    )
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert rule["bucketKeyEnabled"] is True


def test_bucket_disables_acls_through_enforced_ownership() -> None:
    ownership = bucket().one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_policy_denies_requests_without_tls_1_2() -> None:
    policy = json.loads(bucket().one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert by_sid["DenyOutdatedTls"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_versioning_follows_the_argument() -> None:
    def status(plan: Plan) -> str:
        return plan.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"][
            "status"
        ]

    assert status(bucket(versioning=True)) == "Enabled"
    assert status(bucket(versioning=False)) == "Suspended"


def test_noncurrent_versions_expire() -> None:
    (rule,) = bucket().one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30


def test_protected_bucket_is_protected_and_retained_and_never_force_destroyed() -> None:
    b = bucket(protect=True).one("aws:s3/bucket:Bucket")
    assert (b.protect, b.retain_on_delete, b.inputs["forceDestroy"]) == (True, True, False)


def test_dev_bucket_may_be_force_destroyed_and_is_not_protected() -> None:
    b = bucket(force_destroy=True).one("aws:s3/bucket:Bucket")
    assert (b.protect, b.inputs["forceDestroy"]) == (False, True)


def test_access_logging_goes_to_the_log_bucket_when_given() -> None:
    assert bucket().of_type("aws:s3/bucketLogging:BucketLogging") == []
    logging = bucket(logs_to="mlplat-prod-access-logs-abc").one("aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetBucket"] == "mlplat-prod-access-logs-abc"


BASE_KEY = KmsKeyArgs(purpose="logs", alias="alias/mlplat-prod-logs", region="us-east-1", tags=TAGS)


def key(args: KmsKeyArgs = BASE_KEY) -> Plan:
    return record(lambda: KmsKey("logs", args))


def test_key_rotates_and_has_an_alias() -> None:
    plan = key()
    k = plan.one("aws:kms/key:Key")
    assert k.inputs["enableKeyRotation"] is True
    assert k.inputs["rotationPeriodInDays"] == 365
    assert plan.one("aws:kms/alias:Alias").inputs["name"] == "alias/mlplat-prod-logs"


def test_key_policy_lets_cloudwatch_logs_use_the_key_only_for_this_account() -> None:
    policy = json.loads(
        key(replace(BASE_KEY, allow_cloudwatch_logs=True)).one("aws:kms/key:Key").inputs["policy"]
    )
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncrypt")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert (
        logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        == "arn:aws:logs:us-east-1:123456789012:*"
    )


def test_key_policy_grants_nothing_to_services_unless_asked() -> None:
    policy = json.loads(key().one("aws:kms/key:Key").inputs["policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["AccountAdministers"]


def test_key_policy_lets_named_services_encrypt_for_this_account() -> None:
    policy = json.loads(
        key(replace(BASE_KEY, service_principals=("budgets.amazonaws.com",)))
        .one("aws:kms/key:Key")
        .inputs["policy"]
    )
    grant = next(s for s in policy["Statement"] if s["Sid"] == "ServicesEncrypt")
    assert grant["Principal"] == {"Service": ["budgets.amazonaws.com"]}
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_protected_key_is_protected() -> None:
    assert key(replace(BASE_KEY, deletion_protection=True)).one("aws:kms/key:Key").protect is True


def test_volume_key_lets_auto_scaling_launch_nodes_with_encrypted_volumes() -> None:
    policy = json.loads(
        key(replace(BASE_KEY, allow_autoscaling_volumes=True)).one("aws:kms/key:Key").inputs["policy"]
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert by_sid["AutoScalingUsesKeyForVolumes"]["Principal"] == {"AWS": role}
    assert "kms:GenerateDataKey*" in by_sid["AutoScalingUsesKeyForVolumes"]["Action"]
    grants = by_sid["AutoScalingGrantsForAttachedVolumes"]
    assert grants["Action"] == ["kms:CreateGrant"]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
