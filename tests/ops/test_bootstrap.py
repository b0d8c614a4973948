"""`bootstrap_state_backend` against moto: creates the backend, and never deletes or weakens anything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.s3.models import s3_backends

from mlplat.ops.bootstrap import (
    BootstrapError,
    StateBackend,
    bootstrap_state_backend,
    check_bucket_name,
    normalize_alias,
)
from tests.ops.conftest import ACCOUNT, REGION, CallLog, client, new_client

pytestmark = pytest.mark.usefixtures("aws")

BUCKET = "acme-pulumi-state"
ALIAS = "alias/acme-pulumi-state"
S3_READS = (
    "get_bucket_versioning",
    "get_bucket_encryption",
    "get_public_access_block",
    "get_bucket_ownership_controls",
    "get_bucket_policy",
    "get_bucket_lifecycle_configuration",
    "get_bucket_tagging",
    "get_bucket_location",
    "get_bucket_acl",
)


def run(fix: bool = False, *, bucket: str = BUCKET, region: str = REGION, alias: str = ALIAS) -> StateBackend:
    return bootstrap_state_backend(
        client("s3", region), client("kms", region), bucket=bucket, region=region, alias=alias, fix=fix
    )


def statuses(backend: StateBackend) -> dict[str, str]:
    return {c.subject: c.status for c in backend.checks}


def configuration(bucket: str = BUCKET) -> dict[str, Any]:
    """Everything bootstrap could change: the bucket's settings, its objects, and every KMS key and alias."""
    s3, kms = client("s3"), client("kms")
    snapshot: dict[str, Any] = {}
    for read in S3_READS:
        try:
            response = getattr(s3, read)(Bucket=bucket)
            response.pop("ResponseMetadata", None)
            snapshot[read] = response
        except ClientError as error:
            snapshot[read] = error.response["Error"]["Code"]
    snapshot["objects"] = objects(bucket)
    snapshot["aliases"] = kms.list_aliases()["Aliases"]
    snapshot["keys"] = {
        k["KeyId"]: {
            "metadata": kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"],
            "rotation": kms.get_key_rotation_status(KeyId=k["KeyId"])["KeyRotationEnabled"],
            "policy": kms.get_key_policy(KeyId=k["KeyId"], PolicyName="default")["Policy"],
        }
        for k in kms.list_keys()["Keys"]
    }
    return snapshot


def objects(bucket: str = BUCKET) -> list[tuple[str, str, bytes]]:
    """Every version of every object, read from moto's store: moto ignores policy conditions, so through
    the API the TLS-only policy would deny every object call."""
    store = s3_backends[ACCOUNT]["global"].get_bucket(bucket).keys
    return sorted((name, v.version_id, v.value) for name, versions in store.lists() for v in versions)


def weak_bucket(*, with_objects: bool = True) -> None:
    """A bucket someone made by hand: SSE-S3, versioning suspended, blocks half off, ACLs on, no policy."""
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET, ObjectOwnership="ObjectWriter")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    if with_objects:
        for body in (b"v1", b"v2"):
            s3.put_object(Bucket=BUCKET, Key=".pulumi/stacks/mlplat/dev.json", Body=body)
        s3.put_object(Bucket=BUCKET, Key="notes.txt", Body=b"keep me")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )


WEAKENED = ("public access block", "object ownership", "versioning", "encryption", "TLS-only policy")


# --- a new account -----------------------------------------------------------------------------------


def test_new_bucket_is_private_versioned_kms_encrypted_and_tls_only() -> None:
    backend = run()

    assert set(statuses(backend).values()) == {"created"}
    s3 = client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": backend.key_arn,
    }
    assert rule["BucketKeyEnabled"] is True
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    conditions = [s["Condition"] for s in statements if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": "1.2"}} in conditions
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_new_key_rotates_and_is_reachable_through_its_alias() -> None:
    backend = run()

    kms = client("kms")
    key = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert key["Arn"] == backend.key_arn
    assert (key["KeySpec"], key["KeyUsage"], key["KeyState"]) == (
        "SYMMETRIC_DEFAULT",
        "ENCRYPT_DECRYPT",
        "Enabled",
    )
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_bucket_outside_us_east_1_is_created_in_its_region() -> None:
    run(bucket="acme-state-eu", region="eu-west-1")

    assert client("s3").get_bucket_location(Bucket="acme-state-eu")["LocationConstraint"] == "eu-west-1"


def test_bootstrap_prints_pulumis_documented_login_and_secrets_provider_urls() -> None:
    backend = run()

    assert backend.pulumi_commands(["dev", "prod"]) == [
        f"pulumi login 's3://{BUCKET}?region={REGION}&awssdk=v2'",
        f"pulumi stack init dev --secrets-provider 'awskms://{ALIAS}?region={REGION}'",
        f"pulumi stack init prod --secrets-provider 'awskms://{ALIAS}?region={REGION}'",
    ]


# --- idempotence -------------------------------------------------------------------------------------


def test_second_run_changes_nothing() -> None:
    run()
    before = configuration()
    s3, kms = new_client("s3"), new_client("kms")
    log = CallLog(s3, kms)

    again = bootstrap_state_backend(s3, kms, bucket=BUCKET, region=REGION, alias=ALIAS)

    assert set(statuses(again).values()) == {"ok"}
    assert again.changed == []
    assert log.writes == []
    assert configuration() == before


def test_second_run_with_fix_changes_nothing_either() -> None:
    run()
    before = configuration()

    assert set(statuses(run(fix=True)).values()) == {"ok"}
    assert configuration() == before


# --- an existing, weaker bucket ----------------------------------------------------------------------


def test_weaker_existing_bucket_is_reported_and_left_alone_without_fix() -> None:
    weak_bucket()
    before = configuration()

    backend = run()

    assert {c.subject for c in backend.weaker} == set(WEAKENED)
    assert statuses(backend)["bucket"] == "ok"
    reported = {c.subject: c.detail for c in backend.weaker}
    assert "suspended" in reported["versioning"]
    assert "AES256" in reported["encryption"]
    assert "BlockPublicPolicy, RestrictPublicBuckets off" in reported["public access block"]
    assert "ObjectWriter" in reported["object ownership"]
    after = configuration()
    assert {k: v for k, v in after.items() if k not in ("aliases", "keys")} == {
        k: v for k, v in before.items() if k not in ("aliases", "keys")
    }


def test_fix_strengthens_a_weaker_bucket_to_the_baseline() -> None:
    weak_bucket()

    fixed = run(fix=True)

    assert {c.subject for c in fixed.checks if c.status == "fixed"} == set(WEAKENED)
    assert fixed.weaker == []
    assert set(statuses(run()).values()) <= {"ok", "advice"}


def test_existing_bucket_keeps_every_object_and_version_with_and_without_fix() -> None:
    weak_bucket()
    stored = objects()
    assert len(stored) == 3

    run()
    assert objects() == stored
    run(fix=True)
    assert objects() == stored


def test_fix_only_configures_the_bucket_and_never_calls_an_object_or_delete_api() -> None:
    weak_bucket()
    s3, kms = new_client("s3"), new_client("kms")
    log = CallLog(s3, kms)

    bootstrap_state_backend(s3, kms, bucket=BUCKET, region=REGION, alias=ALIAS, fix=True)

    assert sorted(c for c in log.writes if c.startswith("s3.")) == [
        "s3.PutBucketEncryption",
        "s3.PutBucketOwnershipControls",
        "s3.PutBucketPolicy",
        "s3.PutBucketVersioning",
        "s3.PutPublicAccessBlock",
    ]


def test_fix_adds_the_tls_statements_and_keeps_every_existing_policy_statement() -> None:
    weak_bucket(with_objects=False)
    reader = {
        "Sid": "ReadForAnalytics",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    client("s3").put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [reader]})
    )

    run(fix=True)

    statements = json.loads(client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statements[0] == reader
    assert {s["Sid"] for s in statements} == {"ReadForAnalytics", "DenyInsecureTransport", "DenyOutdatedTls"}


def test_bucket_encrypted_with_another_kms_key_keeps_that_key_when_the_bucket_key_is_turned_on() -> None:
    other = client("kms").create_key()["KeyMetadata"]["Arn"]
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other}}
            ]
        },
    )

    assert statuses(run())["encryption"] == "weaker"
    assert statuses(run(fix=True))["encryption"] == "fixed"

    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == other
    assert rule["BucketKeyEnabled"] is True
    assert statuses(run())["encryption"] == "ok"


def test_existing_bucket_without_noncurrent_expiry_gets_advice_not_a_rule_even_with_fix() -> None:
    weak_bucket(with_objects=False)

    backend = run(fix=True)

    lifecycle = next(c for c in backend.checks if c.subject == "lifecycle")
    assert lifecycle.status == "advice"
    assert "deletes objects" in lifecycle.detail
    with pytest.raises(ClientError, match="NoSuchLifecycleConfiguration"):
        client("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)


# --- an existing key ---------------------------------------------------------------------------------


def test_existing_key_without_rotation_is_reported_and_rotated_only_with_fix() -> None:
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key)

    assert statuses(run())["key rotation"] == "weaker"
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False

    assert statuses(run(fix=True))["key rotation"] == "fixed"
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_alias_of_a_disabled_key_is_refused_before_the_bucket_is_created() -> None:
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key)
    kms.disable_key(KeyId=key)

    with pytest.raises(BootstrapError, match="Disabled; choose another --kms-alias"):
        run()
    assert client("s3").list_buckets()["Buckets"] == []


# --- buckets that cannot serve -----------------------------------------------------------------------


def test_bucket_in_another_region_is_refused_with_the_region_to_use() -> None:
    client("s3", "eu-west-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    with pytest.raises(BootstrapError, match="is in eu-west-1, not us-east-1; pass --region eu-west-1"):
        run()
    assert client("kms").list_keys()["Keys"] == []


def test_bucket_owned_by_another_account_is_refused_before_a_key_is_created() -> None:
    s3 = new_client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error(
            "head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403
        )
        with pytest.raises(BootstrapError, match="choose another --bucket"):
            bootstrap_state_backend(s3, client("kms"), bucket=BUCKET, region=REGION, alias=ALIAS)
    assert client("kms").list_keys()["Keys"] == []


@pytest.mark.parametrize("name", ["ab", "Acme-State", "acme.state", "-acme", "xn--acme", "acme-s3alias"])
def test_invalid_bucket_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="bucket name"):
        check_bucket_name(name)


def test_aliases_gain_their_prefix_and_aws_reserved_ones_are_refused() -> None:
    assert normalize_alias("state") == "alias/state"
    assert normalize_alias("alias/state") == "alias/state"
    with pytest.raises(ValueError, match="reserved"):
        normalize_alias("alias/aws/s3")
