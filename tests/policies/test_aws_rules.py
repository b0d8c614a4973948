"""Each AWS rule called directly, with properties shaped exactly as the engine hands them to a rule.

Every non-compliant case starts from a compliant resource and changes one property.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policies import aws
from policies.common import UNKNOWN, elements, entries, prop
from policies.pack import PACK_NAME, POLICIES
from tests.policies.harness import REMOVE as _REMOVE
from tests.policies.harness import (
    as_engine_sends,
    changed,
    check,
    check_stack,
    link,
    secret,
    stack_resource,
    urn_of,
)

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
SUBNET = "aws:ec2/subnet:Subnet"

# The platform's tag set, as DESIGN.md ("Components") names it; not the program's constant under test.
REQUIRED_TAG_KEYS = ("environment", "owner", "cost-center", "managed-by", "stack")
TAGS = {
    "environment": "dev",
    "owner": "ml-platform",
    "cost-center": "cc-ml-1234",
    "managed-by": "pulumi",
    "stack": "dev",
}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-aaaa-bbbb-cccc-111122223333"

BUCKET_OK: dict[str, Any] = {"bucketPrefix": "mlplat-dev-data-", "forceDestroy": False, "tags": TAGS}
PAB_OK: dict[str, Any] = {
    "bucket": "mlplat-dev-data-abc",
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
SSE_OK: dict[str, Any] = {
    "bucket": "mlplat-dev-data-abc",
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN},
            "bucketKeyEnabled": True,
        }
    ],
}
VERSIONING_OK: dict[str, Any] = {
    "bucket": "mlplat-dev-data-abc",
    "versioningConfiguration": {"status": "Enabled"},
}
VPC_OK: dict[str, Any] = {"cidrBlock": "10.10.0.0/16", "enableDnsHostnames": True, "tags": TAGS}
FLOW_LOG_OK: dict[str, Any] = {
    "vpcId": "vpc-0123",
    "trafficType": "ALL",
    "logDestinationType": "cloud-watch-logs",
    "tags": TAGS,
}

# --- the pack --------------------------------------------------------------------------------------------


AWS_RULES = {
    "s3-public-access-block-enabled",
    "s3-bucket-denies-insecure-transport",
    "s3-bucket-access-logging",
    "s3-bucket-has-lifecycle",
    "s3-bucket-has-ownership-controls",
    "s3-bucket-acls-disabled",
    "s3-bucket-policy-no-cross-account-admin",
    "ec2-subnet-no-public-ip-on-launch",
    "iam-policy-no-decrypt-on-all-keys",
    "kms-key-policy-not-public",
    "ec2-default-security-group-closed",
    "codebuild-project-hardened",
    "s3-bucket-encrypted-with-kms",
    "s3-bucket-has-public-access-block",
    "s3-bucket-has-encryption",
    "s3-bucket-versioning-enabled",
    "s3-bucket-has-versioning",
    "s3-bucket-force-destroy-disabled",
    "vpc-flow-logs-enabled",
    "vpc-endpoint-private-dns",
    "security-group-no-public-ingress",
    "kms-key-rotation-enabled",
    "cloudwatch-log-group-encrypted-with-retention",
    "iam-policy-no-admin-wildcards",
    "iam-no-broad-managed-policies",
    "iam-oidc-provider-audience",
    "sagemaker-domain-vpc-only",
    "sagemaker-domain-encrypted-with-kms",
    "sagemaker-domain-security-groups",
    "sagemaker-domain-idle-shutdown",
    "sagemaker-domain-docker-access-disabled",
    "sagemaker-domain-retains-home-storage",
    "sagemaker-user-profile-keeps-domain-hardening",
    "sagemaker-domain-has-private-endpoints",
    "eks-cluster-endpoint-restricted",
    "eks-cluster-endpoint-private",
    "eks-cluster-secrets-encrypted",
    "eks-cluster-control-plane-logging",
    "eks-cluster-access-entries",
    "eks-cluster-deletion-protection",
    "eks-cluster-logs-retained",
    "eks-cluster-has-admin-access",
    "eks-cluster-has-core-addons",
    "eks-node-group-hardened",
    "ec2-launch-template-hardened",
    "eks-gpu-node-group-tainted",
    "eks-gpu-node-group-scales-to-zero",
    "eks-gpu-node-group-capped",
    "eks-gpu-node-group-capacity-type",
    "eks-gpu-node-group-scales-from-zero",
    "sns-topic-encrypted-with-kms",
    "sns-topic-policy-not-public",
    "aws-budget-alerts",
    "aws-stack-has-budget",
    "required-tags",
    "aws-data-stores-protected",
}


def test_pack_has_unique_kebab_case_rules_and_aws_rules_default_to_mandatory() -> None:
    names = [p.name for p in POLICIES]
    assert PACK_NAME == "mlplat-guardrails"
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) for name in names)
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in aws.POLICIES)
    assert {p.name for p in aws.POLICIES} == AWS_RULES
    assert set(names) >= AWS_RULES


RELAXED_IN_DEV = {
    "s3-bucket-versioning-enabled",
    "s3-bucket-has-versioning",
    "s3-bucket-force-destroy-disabled",
    "s3-bucket-access-logging",  # dev keeps one bucket and no log bucket
    "sagemaker-domain-retains-home-storage",
    "eks-cluster-endpoint-private",
    "eks-cluster-deletion-protection",
    "aws-data-stores-protected",
}


def test_dev_config_relaxes_only_protection_versioning_and_endpoint_privacy_and_requires_spot_gpus() -> None:
    config = json.loads((POLICY_DIR / "config" / "dev.json").read_text())
    aws_entries = {name: level for name, level in config.items() if name in AWS_RULES}
    assert aws_entries == {
        **dict.fromkeys(RELAXED_IN_DEV, "advisory"),
        "eks-gpu-node-group-capacity-type": {"enforcementLevel": "mandatory", "requireSpot": True},
    }


def test_prod_config_names_every_rule_dev_relaxes_as_mandatory() -> None:
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    assert {name: config.get(name) for name in RELAXED_IN_DEV} == dict.fromkeys(RELAXED_IN_DEV, "mandatory")


def test_prod_config_keeps_everything_mandatory() -> None:
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    assert config, "prod.json names no rule"
    # An entry without a level (config properties only) changes no level.
    levels = {v if isinstance(v, str) else v.get("enforcementLevel") for v in config.values()} - {None}
    assert levels == {"mandatory"}
    assert set(config) <= {p.name for p in POLICIES}


# --- common helpers --------------------------------------------------------------------------------------


def test_prop_reads_nested_values_and_defaults_unset_or_null() -> None:
    props = as_engine_sends({"a": {"b": [{"c": 1}]}, "n": None})
    assert prop(props, "a", "b", 0, "c") == 1
    assert prop(props, "a", "missing", default="dflt") == "dflt"
    assert prop(props, "a", "b", 5, "c", default=0) == 0
    assert prop(props, "n", default=False) is False


def test_helpers_turn_unknowns_into_the_unknown_marker_with_or_without_the_sdk_proxy() -> None:
    raw = {"flag": ENGINE_UNKNOWN, "list": [1, ENGINE_UNKNOWN], "tags": {"owner": ENGINE_UNKNOWN}}
    for props in (raw, as_engine_sends(raw)):
        assert prop(props, "flag") is UNKNOWN
        assert prop(props, "flag", "deeper") is UNKNOWN
        assert elements(props, "list") == [1, UNKNOWN]
        assert entries(props, "tags") == {"owner": UNKNOWN}


# --- s3-public-access-block-enabled ----------------------------------------------------------------------


def test_public_access_block_with_all_four_flags_true_passes() -> None:
    assert check(aws.s3_public_access_block_enabled, PAB, PAB_OK) == []


@pytest.mark.parametrize(
    "flag", ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
)
def test_public_access_block_with_one_flag_off_is_violation(flag: str) -> None:
    assert check(aws.s3_public_access_block_enabled, PAB, changed(PAB_OK, (flag,), False)) == [
        f"{flag} is false; all four flags must be true (unset means false)."
    ]


def test_public_access_block_with_flag_unset_is_violation_because_the_provider_default_is_false() -> None:
    assert check(
        aws.s3_public_access_block_enabled, PAB, changed(PAB_OK, ("ignorePublicAcls",), _REMOVE)
    ) == ["ignorePublicAcls is unset; all four flags must be true (unset means false)."]


def test_public_access_block_with_unknown_flag_still_reports_the_known_bad_flag() -> None:
    props = changed(changed(PAB_OK, ("blockPublicAcls",), ENGINE_UNKNOWN), ("blockPublicPolicy",), False)
    assert check(aws.s3_public_access_block_enabled, PAB, props) == [
        "blockPublicPolicy is false; all four flags must be true (unset means false)."
    ]


def test_public_access_block_with_only_an_unknown_flag_does_not_crash_or_report() -> None:
    props = changed(PAB_OK, ("restrictPublicBuckets",), ENGINE_UNKNOWN)
    assert check(aws.s3_public_access_block_enabled, PAB, props) == []


def test_public_access_block_rule_ignores_other_resource_types() -> None:
    assert check(aws.s3_public_access_block_enabled, PAB, {"bucket": "b"}) != []  # all four flags unset
    assert check(aws.s3_public_access_block_enabled, BUCKET, {"bucket": "b"}) == []


# --- s3-bucket-encrypted-with-kms ------------------------------------------------------------------------

SSE_DEFAULT = ("rules", 0, "applyServerSideEncryptionByDefault")


@pytest.mark.parametrize("algorithm", ["aws:kms", "aws:kms:dsse"])
def test_bucket_encryption_with_kms_key_and_bucket_key_passes(algorithm: str) -> None:
    props = changed(SSE_OK, (*SSE_DEFAULT, "sseAlgorithm"), algorithm)
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == []


def test_bucket_encryption_with_aes256_is_violation() -> None:
    props = changed(SSE_OK, (*SSE_DEFAULT, "sseAlgorithm"), "AES256")
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == [
        'rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is "AES256", expected aws:kms or aws:kms:dsse.'
    ]


def test_bucket_encryption_without_kms_key_id_is_violation_because_aws_managed_key_is_used() -> None:
    props = changed(SSE_OK, (*SSE_DEFAULT, "kmsMasterKeyId"), _REMOVE)
    [message] = check(aws.s3_bucket_encrypted_with_kms, SSE, props)
    assert message.startswith("rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is unset")


@pytest.mark.parametrize(("value", "shown"), [(False, "false"), (_REMOVE, "unset")])
def test_bucket_encryption_without_bucket_key_is_violation(value: object, shown: str) -> None:
    props = changed(SSE_OK, ("rules", 0, "bucketKeyEnabled"), value)
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == [
        f"rules[0].bucketKeyEnabled is {shown}, expected true."
    ]


def test_bucket_encryption_without_rules_is_violation() -> None:
    props = changed(SSE_OK, ("rules",), [])
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == [
        "no encryption rule is set, so S3 uses SSE-S3 (AES256) without a KMS key."
    ]


def test_bucket_encryption_with_unknown_key_id_does_not_crash_or_report() -> None:
    props = changed(SSE_OK, (*SSE_DEFAULT, "kmsMasterKeyId"), ENGINE_UNKNOWN)
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == []


def test_bucket_encryption_with_unknown_rules_does_not_crash_or_report() -> None:
    props = changed(SSE_OK, ("rules",), ENGINE_UNKNOWN)
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == []


def test_bucket_encryption_with_secret_key_id_is_judged_by_its_value() -> None:
    props = changed(SSE_OK, (*SSE_DEFAULT, "kmsMasterKeyId"), secret(KEY_ARN))
    assert check(aws.s3_bucket_encrypted_with_kms, SSE, props) == []
    empty = changed(SSE_OK, (*SSE_DEFAULT, "kmsMasterKeyId"), secret(""))
    assert len(check(aws.s3_bucket_encrypted_with_kms, SSE, empty)) == 1


# --- s3-bucket-versioning-enabled ------------------------------------------------------------------------


def test_bucket_versioning_enabled_passes() -> None:
    assert check(aws.s3_bucket_versioning_enabled, VERSIONING, VERSIONING_OK) == []


def test_bucket_versioning_suspended_is_violation() -> None:
    props = changed(VERSIONING_OK, ("versioningConfiguration", "status"), "Suspended")
    assert check(aws.s3_bucket_versioning_enabled, VERSIONING, props) == [
        'versioningConfiguration.status is "Suspended", expected "Enabled".'
    ]


def test_bucket_versioning_without_configuration_is_violation() -> None:
    props = changed(VERSIONING_OK, ("versioningConfiguration",), _REMOVE)
    assert check(aws.s3_bucket_versioning_enabled, VERSIONING, props) == [
        'versioningConfiguration.status is unset, expected "Enabled".'
    ]


def test_bucket_versioning_with_unknown_status_does_not_crash_or_report() -> None:
    props = changed(VERSIONING_OK, ("versioningConfiguration", "status"), ENGINE_UNKNOWN)
    assert check(aws.s3_bucket_versioning_enabled, VERSIONING, props) == []


# --- s3-bucket-force-destroy-disabled --------------------------------------------------------------------


def test_bucket_with_force_destroy_false_passes() -> None:
    assert check(aws.s3_bucket_force_destroy_disabled, BUCKET, BUCKET_OK) == []


def test_bucket_with_force_destroy_unset_passes_because_the_provider_default_is_false() -> None:
    props = changed(BUCKET_OK, ("forceDestroy",), _REMOVE)
    assert check(aws.s3_bucket_force_destroy_disabled, BUCKET, props) == []


def test_bucket_with_force_destroy_true_is_violation() -> None:
    props = changed(BUCKET_OK, ("forceDestroy",), True)
    assert check(aws.s3_bucket_force_destroy_disabled, BUCKET, props) == [
        "forceDestroy is true, so destroying the stack deletes every object in the bucket."
    ]


def test_bucket_with_unknown_force_destroy_does_not_crash_or_report() -> None:
    props = changed(BUCKET_OK, ("forceDestroy",), ENGINE_UNKNOWN)
    assert check(aws.s3_bucket_force_destroy_disabled, BUCKET, props) == []


# --- required-tags ---------------------------------------------------------------------------------------


def test_bucket_with_all_platform_tags_passes() -> None:
    assert check(aws.required_tags, BUCKET, BUCKET_OK) == []


@pytest.mark.parametrize("key", REQUIRED_TAG_KEYS)
def test_bucket_missing_one_platform_tag_is_violation(key: str) -> None:
    props = changed(BUCKET_OK, ("tags", key), _REMOVE)
    assert check(aws.required_tags, BUCKET, props) == [f"missing tags: {key}."]


def test_bucket_with_empty_owner_tag_is_violation() -> None:
    props = changed(BUCKET_OK, ("tags", "owner"), "")
    assert check(aws.required_tags, BUCKET, props) == ["missing tags: owner."]


def test_bucket_managed_by_another_tool_is_violation() -> None:
    props = changed(BUCKET_OK, ("tags", "managed-by"), "terraform")
    assert check(aws.required_tags, BUCKET, props) == ['tag managed-by is "terraform", expected "pulumi".']


def test_taggable_type_without_tags_is_violation_listing_every_key() -> None:
    props = changed(VPC_OK, ("tags",), _REMOVE)
    assert check(aws.required_tags, VPC, props) == [f"missing tags: {', '.join(REQUIRED_TAG_KEYS)}."]


def test_other_aws_type_with_incomplete_tags_is_violation() -> None:
    props = {"domainName": "ml", "tags": changed(TAGS, ("cost-center",), _REMOVE)}
    assert check(aws.required_tags, "aws:sagemaker/domain:Domain", props) == ["missing tags: cost-center."]


def test_untaggable_aws_type_without_tags_passes() -> None:
    assert check(aws.required_tags, PAB, PAB_OK) == []


def test_non_aws_resource_is_ignored_by_required_tags() -> None:
    assert check(aws.required_tags, "gcp:storage/bucket:Bucket", {"labels": {}}) == []
    assert check(aws.required_tags, BUCKET, {"labels": {}}) != []


def test_bucket_with_unknown_tags_does_not_crash_or_report() -> None:
    props = changed(BUCKET_OK, ("tags",), ENGINE_UNKNOWN)
    assert check(aws.required_tags, BUCKET, props) == []


def test_bucket_with_unknown_tag_value_counts_the_tag_as_present() -> None:
    props = changed(BUCKET_OK, ("tags", "owner"), ENGINE_UNKNOWN)
    assert check(aws.required_tags, BUCKET, props) == []


def _aws_provider(default_tags: dict[str, str]) -> PolicyProviderResource:
    return PolicyProviderResource(
        "pulumi:providers:aws",
        as_engine_sends({"region": "us-east-1", "defaultTags": json.dumps({"tags": default_tags})}),
        "urn:pulumi:dev::mlplat::pulumi:providers:aws::aws",
        "aws",
    )


def test_bucket_tagged_by_provider_default_tags_passes() -> None:
    props = changed(BUCKET_OK, ("tags",), _REMOVE)
    assert check(aws.required_tags, BUCKET, props, provider=_aws_provider(TAGS)) == []
    partial = _aws_provider(changed(TAGS, ("owner",), _REMOVE))
    assert check(aws.required_tags, BUCKET, props, provider=partial) == ["missing tags: owner."]


def test_bucket_tagged_through_tags_all_passes() -> None:
    props = changed(changed(BUCKET_OK, ("tags",), _REMOVE), ("tagsAll",), TAGS)
    assert check(aws.required_tags, BUCKET, props) == []


# --- stack rules: every bucket has its companions --------------------------------------------------------

COMPANIONS = [
    pytest.param(aws.s3_bucket_has_public_access_block, PAB, PAB_OK, "BucketPublicAccessBlock", id="pab"),
    pytest.param(
        aws.s3_bucket_has_encryption, SSE, SSE_OK, "BucketServerSideEncryptionConfiguration", id="sse"
    ),
    pytest.param(
        aws.s3_bucket_has_versioning, VERSIONING, VERSIONING_OK, "BucketVersioning", id="versioning"
    ),
    pytest.param(
        aws.s3_bucket_has_lifecycle,
        LIFECYCLE,
        {"rules": [{"id": "expire-noncurrent-versions", "status": "Enabled"}]},
        "BucketLifecycleConfiguration",
        id="lifecycle",
    ),
    pytest.param(
        aws.s3_bucket_has_ownership_controls,
        OWNERSHIP,
        {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        "BucketOwnershipControls",
        id="ownership-controls",
    ),
]


@pytest.mark.parametrize(("policy", "companion_type", "companion_props", "noun"), COMPANIONS)
def test_bucket_with_companion_linked_by_property_dependency_passes(
    policy: StackValidationPolicy, companion_type: str, companion_props: dict[str, Any], noun: str
) -> None:
    bucket = stack_resource(BUCKET, "data", BUCKET_OK)
    companion = link(stack_resource(companion_type, "data-x", companion_props), "bucket", bucket)
    assert check_stack(policy, [bucket, companion]) == []


@pytest.mark.parametrize(("policy", "companion_type", "companion_props", "noun"), COMPANIONS)
def test_bucket_without_companion_is_violation_on_the_bucket(
    policy: StackValidationPolicy, companion_type: str, companion_props: dict[str, Any], noun: str
) -> None:
    bucket = stack_resource(BUCKET, "data", BUCKET_OK)
    other = stack_resource(BUCKET, "logs", BUCKET_OK)
    companion = link(stack_resource(companion_type, "logs-x", companion_props), "bucket", other)
    assert check_stack(policy, [bucket, other, companion]) == [
        (f"bucket data has no {noun} whose bucket input comes from it.", urn_of(BUCKET, "data"))
    ]


@pytest.mark.parametrize(("policy", "companion_type", "companion_props", "noun"), COMPANIONS)
def test_companion_naming_the_bucket_without_a_property_dependency_does_not_count(
    policy: StackValidationPolicy, companion_type: str, companion_props: dict[str, Any], noun: str
) -> None:
    bucket = stack_resource(BUCKET, "data", BUCKET_OK)
    # Same bucket name in the input, but only a plain dependency: not the data flow the rule requires.
    companion = stack_resource(companion_type, "data-x", companion_props)
    companion.dependencies.append(bucket)
    assert [urn for _, urn in check_stack(policy, [bucket, companion])] == [urn_of(BUCKET, "data")]


# --- s3-bucket-denies-insecure-transport, s3-bucket-access-logging ------------------------------------------

# The statement AWS documents for S3.5 (docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-5).
DENY_INSECURE = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["s3:*"],
    "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
BUCKET_POLICY_OK: dict[str, Any] = {
    "policy": json.dumps({"Version": "2012-10-17", "Statement": [DENY_INSECURE]})
}


def test_bucket_whose_policy_denies_insecure_transport_passes() -> None:
    bucket = stack_resource(BUCKET, "data", BUCKET_OK)
    policy = link(stack_resource(BUCKET_POLICY, "data-policy", BUCKET_POLICY_OK), "bucket", bucket)
    assert check_stack(aws.s3_bucket_denies_insecure_transport, [bucket, policy]) == []


def test_bucket_whose_policy_allows_plain_http_is_violation() -> None:
    bucket = stack_resource(BUCKET, "data", BUCKET_OK)
    allowing = {
        "policy": json.dumps(
            {"Statement": [{**DENY_INSECURE, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
        )
    }
    policy = link(stack_resource(BUCKET_POLICY, "data-policy", allowing), "bucket", bucket)
    assert check_stack(aws.s3_bucket_denies_insecure_transport, [bucket, policy]) == [
        (
            "bucket data has no BucketPolicy (whose bucket input comes from it) denying s3:* to everyone when "
            '"aws:SecureTransport" is "false", so it accepts plain HTTP.',
            urn_of(BUCKET, "data"),
        )
    ]


def test_data_bucket_logging_to_the_log_bucket_passes_and_the_log_bucket_needs_no_log() -> None:
    data, logs = stack_resource(BUCKET, "data", BUCKET_OK), stack_resource(BUCKET, "logs", BUCKET_OK)
    logging = link(
        link(stack_resource(BUCKET_LOGGING, "data-logging", {}), "bucket", data), "targetBucket", logs
    )
    assert check_stack(aws.s3_bucket_access_logging, [data, logs, logging]) == []


def test_bucket_without_access_logging_is_violation() -> None:
    data = stack_resource(BUCKET, "data", BUCKET_OK)
    assert check_stack(aws.s3_bucket_access_logging, [data]) == [
        (
            "bucket data has no BucketLogging whose bucket input comes from it, so nobody can tell who read or "
            "changed its objects.",
            urn_of(BUCKET, "data"),
        )
    ]


# --- vpc-flow-logs-enabled -------------------------------------------------------------------------------


def test_vpc_with_linked_flow_log_for_all_traffic_passes() -> None:
    vpc = stack_resource(VPC, "main", VPC_OK)
    flow_log = link(stack_resource(FLOW_LOG, "main-flow", FLOW_LOG_OK), "vpcId", vpc)
    assert check_stack(aws.vpc_flow_logs_enabled, [vpc, flow_log]) == []


def test_vpc_without_flow_log_is_violation_on_the_vpc() -> None:
    vpc = stack_resource(VPC, "main", VPC_OK)
    assert check_stack(aws.vpc_flow_logs_enabled, [vpc]) == [
        ("VPC main has no FlowLog whose vpcId input comes from it.", urn_of(VPC, "main"))
    ]


def test_vpc_with_flow_log_for_rejected_traffic_only_is_violation() -> None:
    vpc = stack_resource(VPC, "main", VPC_OK)
    flow_log = link(
        stack_resource(FLOW_LOG, "main-flow", changed(FLOW_LOG_OK, ("trafficType",), "REJECT")), "vpcId", vpc
    )
    assert check_stack(aws.vpc_flow_logs_enabled, [vpc, flow_log]) == [
        ('VPC main flow logs do not capture trafficType "ALL" (main-flow: "REJECT").', urn_of(VPC, "main"))
    ]


def test_flow_log_linked_through_another_property_does_not_count() -> None:
    vpc = stack_resource(VPC, "main", VPC_OK)
    flow_log = link(stack_resource(FLOW_LOG, "main-flow", FLOW_LOG_OK), "subnetId", vpc)
    assert [urn for _, urn in check_stack(aws.vpc_flow_logs_enabled, [vpc, flow_log])] == [
        urn_of(VPC, "main")
    ]


def test_vpc_flow_log_with_unknown_traffic_type_does_not_crash_or_report() -> None:
    vpc = stack_resource(VPC, "main", VPC_OK)
    flow_log = link(
        stack_resource(FLOW_LOG, "main-flow", changed(FLOW_LOG_OK, ("trafficType",), ENGINE_UNKNOWN)),
        "vpcId",
        vpc,
    )
    assert check_stack(aws.vpc_flow_logs_enabled, [vpc, flow_log]) == []


# --- the platform's resources, compliant, as the engine sees them ----------------------------------------

KEY2 = "arn:aws:kms:us-east-1:123456789012:key/9f8e7d6c-aaaa-bbbb-cccc-444455556666"
ROLE_ARN = "arn:aws:iam::123456789012:role/mlplat-prod-sagemaker-execution"

VPCE_OK: dict[str, Any] = {
    "vpcId": "vpc-0123",
    "serviceName": "com.amazonaws.us-east-1.sts",
    "vpcEndpointType": "Interface",
    "privateDnsEnabled": True,
    "subnetIds": ["subnet-a", "subnet-b"],
    "securityGroupIds": ["sg-endpoints"],
    "tags": TAGS,
}
SG_OK: dict[str, Any] = {
    "vpcId": "vpc-0123",
    "description": "endpoints",
    "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.20.0.0/16"]}],
    "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
    "tags": TAGS,
}
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
# A bucket that sets versioning and encryption inline (pulumi-aws Bucket `versioning` and
# `serverSideEncryptionConfiguration.rule`, deprecated in favour of the separate resources but still accepted).
BUCKET_INLINE_OK: dict[str, Any] = {
    **BUCKET_OK,
    "versioning": {"enabled": True},
    "serverSideEncryptionConfiguration": {"rule": SSE_OK["rules"][0]},
}
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_RULE_OK: dict[str, Any] = {
    "securityGroupId": "sg-1",
    "type": "ingress",
    "protocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrBlocks": ["10.20.0.0/16"],
}
KMS_KEY_OK: dict[str, Any] = {
    "enableKeyRotation": True,
    "rotationPeriodInDays": 365,
    "policy": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    ),
    "tags": TAGS,
}
OWNERSHIP_OK: dict[str, Any] = {"bucket": "data", "rule": {"objectOwnership": "BucketOwnerEnforced"}}
SUBNET_OK: dict[str, Any] = {"vpcId": "vpc-1", "cidrBlock": "10.10.0.0/20", "mapPublicIpOnLaunch": False}
LOG_DELIVERY_POLICY_OK: dict[str, Any] = {
    "bucket": "logs",
    "policy": json.dumps(
        {
            "Statement": [
                {
                    "Sid": "AllowServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::logs/*",
                }
            ]
        }
    ),
}
LOG_GROUP_OK: dict[str, Any] = {
    "name": "/aws/eks/mlplat-prod/cluster",
    "retentionInDays": 365,
    "kmsKeyId": KEY_ARN,
    "tags": TAGS,
}
ROLE_POLICY_OK: dict[str, Any] = {
    "role": "mlplat-prod-sagemaker-execution",
    "policy": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"},
                {"Sid": "Deny", "Effect": "Deny", "Action": "sagemaker:*", "Resource": "*"},
                {"Sid": "Read", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"},
            ],
        }
    ),
}
ATTACHMENT_OK: dict[str, Any] = {
    "role": "node",
    "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
}
OIDC_OK: dict[str, Any] = {
    "url": "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
    "clientIdLists": ["sts.amazonaws.com"],
    "tags": TAGS,
}
IDLE = {
    "appLifecycleManagement": {"idleSettings": {"lifecycleManagement": "ENABLED", "idleTimeoutInMinutes": 60}}
}
DOMAIN_OK: dict[str, Any] = {
    "domainName": "mlplat-prod",
    "authMode": "IAM",
    "appNetworkAccessType": "VpcOnly",
    "vpcId": "vpc-0123",
    "subnetIds": ["subnet-a"],
    "kmsKeyId": KEY_ARN,
    "defaultUserSettings": {
        "executionRole": ROLE_ARN,
        "securityGroups": ["sg-studio"],
        "jupyterLabAppSettings": IDLE,
    },
    "defaultSpaceSettings": {
        "executionRole": ROLE_ARN,
        "securityGroups": ["sg-studio"],
        "jupyterLabAppSettings": IDLE,
    },
    "domainSettings": {"dockerSettings": {"enableDockerAccess": "DISABLED"}},
    "retentionPolicy": {"homeEfsFileSystem": "Retain"},
    "tags": TAGS,
}
PROFILE_OK: dict[str, Any] = {
    "domainId": "d-0123",
    "userProfileName": "alice",
    "userSettings": {"executionRole": ROLE_ARN, "securityGroups": ["sg-studio"]},
    "tags": TAGS,
}
CLUSTER_OK: dict[str, Any] = {
    "name": "mlplat-prod",
    "roleArn": "arn:aws:iam::123456789012:role/cluster",
    "version": "1.33",
    "vpcConfig": {"subnetIds": ["subnet-a"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "encryptionConfig": {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]},
    "enabledClusterLogTypes": ["api", "audit", "authenticator"],
    "deletionProtection": True,
    "tags": TAGS,
}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
GPU_GROUP_OK: dict[str, Any] = {
    "clusterName": "mlplat-prod",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/node",
    "subnetIds": ["subnet-a"],
    "instanceTypes": ["g5.xlarge"],
    "amiType": "AL2023_x86_64_NVIDIA",
    "capacityType": "SPOT",
    "scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": 0},
    "launchTemplate": {"id": "lt-0123", "version": "1"},
    "labels": {"mlplat.io/gpu-pool": "a10g", "nvidia.com/gpu.present": "true"},
    "taints": [GPU_TAINT],
    "tags": TAGS,
}
CPU_GROUP = changed(
    changed(changed(GPU_GROUP_OK, ("instanceTypes",), ["m6i.large"]), ("amiType",), "AL2023_x86_64_STANDARD"),
    ("labels",),
    {},
)
LAUNCH_TEMPLATE_OK: dict[str, Any] = {
    "namePrefix": "gpu-",
    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 100, "volumeType": "gp3", "encrypted": "true", "kmsKeyId": KEY_ARN},
        }
    ],
    "tags": TAGS,
}
TOPIC_OK: dict[str, Any] = {"namePrefix": "mlplat-prod-monthly-", "kmsMasterKeyId": KEY_ARN, "tags": TAGS}
TOPIC_POLICY_OK: dict[str, Any] = {
    "arn": "arn:aws:sns:us-east-1:123456789012:alerts",
    "policy": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "BudgetsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "budgets.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": "*",
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    ),
}


def _notification(kind: str, threshold: int) -> dict[str, Any]:
    return {
        "notificationType": kind,
        "comparisonOperator": "GREATER_THAN",
        "threshold": threshold,
        "thresholdType": "PERCENTAGE",
        "subscriberEmailAddresses": ["ml-platform@example.com"],
        "subscriberSnsTopicArns": ["arn:aws:sns:us-east-1:123456789012:alerts"],
    }


BUDGET_OK: dict[str, Any] = {
    "name": "mlplat-prod-monthly",
    "budgetType": "COST",
    "timeUnit": "MONTHLY",
    "limitAmount": "6000.00",
    "limitUnit": "USD",
    "costFilters": [{"name": "TagKeyValue", "values": ["user:environment$prod"]}],
    "notifications": [_notification("ACTUAL", t) for t in (50, 80, 100)] + [_notification("FORECASTED", 100)],
    "tags": TAGS,
}

VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
KMS_KEY = "aws:kms/key:Key"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
DEFAULT_SG_OK = {"vpcId": "vpc-1", "ingress": [], "egress": []}
CODEBUILD = "aws:codebuild/project:Project"
CODEBUILD_OK = {
    "name": "deploy",
    "environment": {
        "computeType": "BUILD_GENERAL1_SMALL",
        "type": "LINUX_CONTAINER",
        "image": "aws/codebuild/standard:7.0",
    },
    "source": {"type": "GITHUB", "location": "https://github.com/acme/mlplat"},
    "logsConfig": {"cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/deploy"}},
}
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
DOMAIN = "aws:sagemaker/domain:Domain"
PROFILE = "aws:sagemaker/userProfile:UserProfile"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
BUDGET_TYPE = "aws:budgets/budget:Budget"
ASG_TAG = "aws:autoscaling/tag:Tag"

COMPLIANT = [
    pytest.param(aws.ec2_default_security_group_closed, DEFAULT_SG, DEFAULT_SG_OK, id="default-sg-closed"),
    pytest.param(
        aws.ec2_default_security_group_closed, DEFAULT_SG, {"vpcId": "vpc-1"}, id="default-sg-rules-unset"
    ),
    pytest.param(aws.codebuild_project_hardened, CODEBUILD, CODEBUILD_OK, id="codebuild-hardened"),
    pytest.param(aws.vpc_endpoint_private_dns, VPCE, VPCE_OK, id="vpc-endpoint-private-dns"),
    pytest.param(aws.security_group_no_public_ingress, SG, SG_OK, id="security-group-no-public-ingress"),
    pytest.param(aws.security_group_no_public_ingress, SG_RULE, SG_RULE_OK, id="security-group-rule"),
    pytest.param(aws.s3_bucket_versioning_enabled, BUCKET, BUCKET_INLINE_OK, id="bucket-inline-versioning"),
    pytest.param(aws.s3_bucket_encrypted_with_kms, BUCKET, BUCKET_INLINE_OK, id="bucket-inline-encryption"),
    pytest.param(aws.kms_key_rotation_enabled, KMS_KEY, KMS_KEY_OK, id="kms-key-rotation-enabled"),
    pytest.param(aws.kms_key_policy_not_public, KMS_KEY, KMS_KEY_OK, id="kms-key-policy-not-public"),
    pytest.param(aws.s3_bucket_acls_disabled, OWNERSHIP, OWNERSHIP_OK, id="s3-bucket-acls-disabled"),
    pytest.param(
        aws.s3_bucket_policy_no_cross_account_admin,
        BUCKET_POLICY,
        LOG_DELIVERY_POLICY_OK,
        id="s3-policy-grants",
    ),
    pytest.param(aws.ec2_subnet_no_public_ip_on_launch, SUBNET, SUBNET_OK, id="subnet-private"),
    pytest.param(aws.iam_policy_no_decrypt_on_all_keys, ROLE_POLICY, ROLE_POLICY_OK, id="iam-no-decrypt-all"),
    pytest.param(aws.cloudwatch_log_group_encrypted_with_retention, LOG_GROUP, LOG_GROUP_OK, id="log-group"),
    pytest.param(aws.iam_policy_no_admin_wildcards, ROLE_POLICY, ROLE_POLICY_OK, id="iam-policy-no-admin"),
    pytest.param(aws.iam_no_broad_managed_policies, ATTACHMENT, ATTACHMENT_OK, id="iam-no-broad-managed"),
    pytest.param(aws.iam_oidc_provider_audience, OIDC, OIDC_OK, id="iam-oidc-provider-audience"),
    pytest.param(aws.sagemaker_domain_vpc_only, DOMAIN, DOMAIN_OK, id="sagemaker-domain-vpc-only"),
    pytest.param(aws.sagemaker_domain_encrypted_with_kms, DOMAIN, DOMAIN_OK, id="sagemaker-domain-kms"),
    pytest.param(aws.sagemaker_domain_security_groups, DOMAIN, DOMAIN_OK, id="sagemaker-domain-sgs"),
    pytest.param(aws.sagemaker_domain_idle_shutdown, DOMAIN, DOMAIN_OK, id="sagemaker-domain-idle"),
    pytest.param(
        aws.sagemaker_domain_docker_access_disabled, DOMAIN, DOMAIN_OK, id="sagemaker-domain-docker"
    ),
    pytest.param(aws.sagemaker_domain_retains_home_storage, DOMAIN, DOMAIN_OK, id="sagemaker-domain-retain"),
    pytest.param(aws.sagemaker_user_profile_keeps_domain_hardening, PROFILE, PROFILE_OK, id="user-profile"),
    pytest.param(aws.eks_cluster_endpoint_restricted, CLUSTER, CLUSTER_OK, id="eks-endpoint-restricted"),
    pytest.param(aws.eks_cluster_endpoint_private, CLUSTER, CLUSTER_OK, id="eks-endpoint-private"),
    pytest.param(aws.eks_cluster_secrets_encrypted, CLUSTER, CLUSTER_OK, id="eks-secrets"),
    pytest.param(aws.eks_cluster_control_plane_logging, CLUSTER, CLUSTER_OK, id="eks-logging"),
    pytest.param(aws.eks_cluster_access_entries, CLUSTER, CLUSTER_OK, id="eks-access-entries"),
    pytest.param(aws.eks_cluster_deletion_protection, CLUSTER, CLUSTER_OK, id="eks-deletion-protection"),
    pytest.param(aws.eks_node_group_hardened, NODE_GROUP, GPU_GROUP_OK, id="eks-node-group-hardened"),
    pytest.param(aws.ec2_launch_template_hardened, LAUNCH_TEMPLATE, LAUNCH_TEMPLATE_OK, id="launch-template"),
    pytest.param(aws.eks_gpu_node_group_tainted, NODE_GROUP, GPU_GROUP_OK, id="gpu-tainted"),
    pytest.param(aws.eks_gpu_node_group_scales_to_zero, NODE_GROUP, GPU_GROUP_OK, id="gpu-scales-to-zero"),
    pytest.param(aws.eks_gpu_node_group_capped, NODE_GROUP, GPU_GROUP_OK, id="gpu-capped"),
    pytest.param(aws.eks_gpu_node_group_capacity_type, NODE_GROUP, GPU_GROUP_OK, id="gpu-capacity-type"),
    pytest.param(aws.sns_topic_encrypted_with_kms, TOPIC, TOPIC_OK, id="sns-topic-kms"),
    pytest.param(aws.sns_topic_policy_not_public, TOPIC_POLICY, TOPIC_POLICY_OK, id="sns-topic-policy"),
    pytest.param(aws.aws_budget_alerts, BUDGET_TYPE, BUDGET_OK, id="aws-budget-alerts"),
]


@pytest.mark.parametrize(("policy", "resource_type", "props"), COMPLIANT)
def test_platform_resource_as_the_components_build_it_passes(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any]
) -> None:
    assert check(policy, resource_type, props, config={"requireSpot": True}) == []


# Each case changes one property of a compliant resource; the message says what is wrong and why.
VIOLATIONS = [
    pytest.param(
        aws.kms_key_policy_not_public,
        KMS_KEY,
        changed(
            KMS_KEY_OK,
            ("policy",),
            json.dumps(
                {
                    "Statement": [
                        {
                            "Sid": "Anyone",
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "kms:Decrypt",
                            "Resource": "*",
                        }
                    ]
                }
            ),
        ),
        "Anyone allow anyone without a condition to use the key.",
        id="kms-key-policy-public",
    ),
    pytest.param(
        aws.s3_bucket_acls_disabled,
        OWNERSHIP,
        changed(OWNERSHIP_OK, ("rule", "objectOwnership"), "ObjectWriter"),
        'rule.objectOwnership is "ObjectWriter", expected "BucketOwnerEnforced" (ACLs disabled).',
        id="s3-bucket-acls-enabled",
    ),
    pytest.param(
        aws.s3_bucket_policy_no_cross_account_admin,
        BUCKET_POLICY,
        changed(
            LOG_DELIVERY_POLICY_OK,
            ("policy",),
            json.dumps(
                {
                    "Statement": [
                        {
                            "Sid": "Partner",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                            "Action": ["s3:GetObject", "s3:PutBucketPolicy"],
                            "Resource": "*",
                        }
                    ]
                }
            ),
        ),
        "Partner allows s3:PutBucketPolicy to AWS principals; grant policy, ACL and encryption changes through "
        "IAM only.",
        id="s3-policy-lets-another-account-rewrite-it",
    ),
    pytest.param(
        aws.ec2_subnet_no_public_ip_on_launch,
        SUBNET,
        changed(SUBNET_OK, ("mapPublicIpOnLaunch",), True),
        "mapPublicIpOnLaunch is true, so every instance launched here gets a public IP.",
        id="subnet-assigns-public-ips",
    ),
    pytest.param(
        aws.iam_policy_no_decrypt_on_all_keys,
        ROLE_POLICY,
        changed(
            ROLE_POLICY_OK,
            ("policy",),
            json.dumps(
                {
                    "Statement": [
                        {
                            "Sid": "Keys",
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:DescribeKey"],
                            "Resource": "*",
                        }
                    ]
                }
            ),
        ),
        "Keys allows kms:Decrypt on every KMS key; name the keys the workload uses.",
        id="iam-decrypt-on-every-key",
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(LAUNCH_TEMPLATE_OK, ("networkInterfaces",), [{"associatePublicIpAddress": "true"}]),
        'networkInterfaces[0].associatePublicIpAddress is "true", expected unset.',
        id="launch-template-public-ip",
    ),
    pytest.param(
        aws.ec2_default_security_group_closed,
        DEFAULT_SG,
        changed(DEFAULT_SG_OK, ("ingress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "the VPC's default security group keeps ingress rules; anything launched without a group would get "
        "them (AWS FSBP EC2.2).",
        id="default-sg-self-ingress",
    ),
    pytest.param(
        aws.codebuild_project_hardened,
        CODEBUILD,
        changed(
            CODEBUILD_OK,
            ("environment", "environmentVariables"),
            [{"name": "STAGE", "value": "prod"}, {"name": "AWS_SECRET_ACCESS_KEY", "value": "abc"}],
        ),
        "environment.environmentVariables[1] holds AWS_SECRET_ACCESS_KEY in clear text; use the runner's role.",
        id="codebuild-access-key-in-clear-text",
    ),
    pytest.param(
        aws.codebuild_project_hardened,
        CODEBUILD,
        changed(CODEBUILD_OK, ("environment", "privilegedMode"), True),
        "environment.privilegedMode is true (root on the build host's Docker daemon).",
        id="codebuild-privileged",
    ),
    pytest.param(
        aws.codebuild_project_hardened,
        CODEBUILD,
        changed(CODEBUILD_OK, ("logsConfig", "cloudwatchLogs", "status"), "DISABLED"),
        "logsConfig sends build logs nowhere (CloudWatch and S3 both DISABLED).",
        id="codebuild-no-logs",
    ),
    pytest.param(
        aws.codebuild_project_hardened,
        CODEBUILD,
        changed(
            changed(
                CODEBUILD_OK, ("logsConfig", "s3Logs"), {"status": "ENABLED", "encryptionDisabled": True}
            ),
            ("source", "location"),
            "https://user:token@bitbucket.org/acme/mlplat",
        ),
        "logsConfig.s3Logs.encryptionDisabled is true; source.location carries credentials before its host.",
        id="codebuild-s3-logs-clear-and-credentials-in-url",
    ),
    # the bucket's inline blocks
    pytest.param(
        aws.s3_bucket_versioning_enabled,
        BUCKET,
        changed(BUCKET_INLINE_OK, ("versioning", "enabled"), False),
        "versioning.enabled is false, expected true (unset means false).",
        id="bucket-inline-versioning-off",
    ),
    pytest.param(
        aws.s3_bucket_encrypted_with_kms,
        BUCKET,
        changed(
            BUCKET_INLINE_OK,
            (
                "serverSideEncryptionConfiguration",
                "rule",
                "applyServerSideEncryptionByDefault",
                "sseAlgorithm",
            ),
            "AES256",
        ),
        'serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm is "AES256", '
        "expected aws:kms or aws:kms:dsse.",
        id="bucket-inline-encryption-aes256",
    ),
    # network
    pytest.param(
        aws.vpc_endpoint_private_dns,
        VPCE,
        changed(VPCE_OK, ("privateDnsEnabled",), _REMOVE),
        "privateDnsEnabled is unset, so SDKs keep calling the public endpoint.",
        id="endpoint-private-dns-unset",
    ),
    pytest.param(
        aws.vpc_endpoint_private_dns,
        VPCE,
        changed(VPCE_OK, ("securityGroupIds",), []),
        "securityGroupIds is empty, so the VPC's default security group (no rules) applies.",
        id="endpoint-without-security-group",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG,
        changed(SG_OK, ("ingress", 0, "cidrBlocks"), ["10.20.0.0/16", "0.0.0.0/0"]),
        "ingress[0] allows 0.0.0.0/0 on ports 443-443; allow the VPC, a security group or a named network instead.",
        id="security-group-open-to-the-internet",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG,
        changed(SG_OK, ("ingress", 0, "ipv6CidrBlocks"), ["::/0"]),
        "ingress[0] allows ::/0 on ports 443-443; allow the VPC, a security group or a named network instead.",
        id="security-group-open-to-ipv6",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        INGRESS_RULE,
        {
            "securityGroupId": "sg-1",
            "cidrIpv4": "0.0.0.0/0",
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
        },
        "the rule allows 0.0.0.0/0; allow a narrower source instead.",
        id="standalone-ingress-rule-open",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG_RULE,
        changed(SG_RULE_OK, ("cidrBlocks",), ["10.20.0.0/16", "0.0.0.0/0"]),
        "the ingress rule allows 0.0.0.0/0; allow a narrower source instead.",
        id="security-group-rule-open",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG_RULE,
        changed(SG_RULE_OK, ("ipv6CidrBlocks",), ["::/0"]),
        "the ingress rule allows ::/0; allow a narrower source instead.",
        id="security-group-rule-open-to-ipv6",
    ),
    # keys and logs
    pytest.param(
        aws.kms_key_rotation_enabled,
        KMS_KEY,
        changed(KMS_KEY_OK, ("enableKeyRotation",), _REMOVE),
        "enableKeyRotation is unset, expected true (unset means false).",
        id="key-rotation-unset",
    ),
    pytest.param(
        aws.cloudwatch_log_group_encrypted_with_retention,
        LOG_GROUP,
        changed(LOG_GROUP_OK, ("kmsKeyId",), _REMOVE),
        "kmsKeyId is unset, so logs are encrypted only with a CloudWatch-owned key.",
        id="log-group-without-key",
    ),
    pytest.param(
        aws.cloudwatch_log_group_encrypted_with_retention,
        LOG_GROUP,
        changed(LOG_GROUP_OK, ("retentionInDays",), _REMOVE),
        "retentionInDays is unset, so logs never expire.",
        id="log-group-never-expires",
    ),
    # IAM
    pytest.param(
        aws.iam_policy_no_admin_wildcards,
        ROLE_POLICY,
        {
            "role": "r",
            "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        },
        "Statement[0] allows s3:* on every resource; name the actions and resources the workload needs.",
        id="role-policy-service-wildcard",
    ),
    pytest.param(
        aws.iam_policy_no_admin_wildcards,
        "aws:iam/policy:Policy",
        {
            "policy": json.dumps(
                {"Statement": {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": ["*"]}}
            )
        },
        "All allows * on every resource; name the actions and resources the workload needs.",
        id="managed-policy-admin",
    ),
    pytest.param(
        aws.iam_no_broad_managed_policies,
        ATTACHMENT,
        changed(ATTACHMENT_OK, ("policyArn",), "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"),
        "attaches the AWS managed policy AmazonSageMakerFullAccess; grant a least-privilege policy scoped to the "
        "platform's buckets, keys and services instead.",
        id="sagemaker-full-access",
    ),
    pytest.param(
        aws.iam_oidc_provider_audience,
        OIDC,
        changed(OIDC_OK, ("clientIdLists",), ["sts.amazonaws.com", "my-app"]),
        'clientIdLists must be exactly sts.amazonaws.com for IRSA (other audiences: "my-app").',
        id="oidc-extra-audience",
    ),
    # SageMaker
    pytest.param(
        aws.sagemaker_domain_vpc_only,
        DOMAIN,
        changed(DOMAIN_OK, ("appNetworkAccessType",), _REMOVE),
        'appNetworkAccessType is "PublicInternetOnly", expected "VpcOnly".',
        id="domain-public-internet-by-default",
    ),
    pytest.param(
        aws.sagemaker_domain_encrypted_with_kms,
        DOMAIN,
        changed(DOMAIN_OK, ("kmsKeyId",), _REMOVE),
        "kmsKeyId is unset, so home EFS and space volumes use an AWS-managed key.",
        id="domain-without-key",
    ),
    pytest.param(
        aws.sagemaker_domain_security_groups,
        DOMAIN,
        changed(DOMAIN_OK, ("defaultSpaceSettings", "securityGroups"), _REMOVE),
        "defaultSpaceSettings.securityGroups is empty; Studio apps and shared spaces each read their own "
        "setting, and without it they run in no platform security group.",
        id="domain-space-without-security-group",
    ),
    pytest.param(
        aws.sagemaker_domain_idle_shutdown,
        DOMAIN,
        changed(DOMAIN_OK, ("defaultUserSettings", "jupyterLabAppSettings"), _REMOVE),
        'defaultUserSettings.jupyterLabAppSettings idle shutdown is "DISABLED"; idle JupyterLab apps keep '
        "billing until someone stops them.",
        id="domain-without-idle-shutdown",
    ),
    pytest.param(
        aws.sagemaker_domain_docker_access_disabled,
        DOMAIN,
        changed(DOMAIN_OK, ("domainSettings", "dockerSettings", "enableDockerAccess"), "ENABLED"),
        'domainSettings.dockerSettings.enableDockerAccess is "ENABLED"; Docker in Studio lets users build and '
        "run arbitrary images with the execution role.",
        id="domain-docker-on",
    ),
    pytest.param(
        aws.sagemaker_domain_retains_home_storage,
        DOMAIN,
        changed(DOMAIN_OK, ("retentionPolicy", "homeEfsFileSystem"), "Delete"),
        'retentionPolicy.homeEfsFileSystem is "Delete", so deleting the domain deletes every user\'s home '
        "directory.",
        id="domain-deletes-home",
    ),
    pytest.param(
        aws.sagemaker_user_profile_keeps_domain_hardening,
        PROFILE,
        changed(PROFILE_OK, ("userSettings", "securityGroups"), []),
        "userSettings.securityGroups overrides the domain's with an empty list.",
        id="profile-drops-security-groups",
    ),
    pytest.param(
        aws.sagemaker_user_profile_keeps_domain_hardening,
        PROFILE,
        changed(
            PROFILE_OK,
            ("userSettings", "jupyterLabAppSettings"),
            {"appLifecycleManagement": {"idleSettings": {"lifecycleManagement": "DISABLED"}}},
        ),
        "userSettings turns JupyterLab idle shutdown off.",
        id="profile-disables-idle-shutdown",
    ),
    # EKS
    pytest.param(
        aws.eks_cluster_endpoint_restricted,
        CLUSTER,
        changed(CLUSTER_OK, ("vpcConfig", "endpointPublicAccess"), True),
        "the public endpoint is open to 0.0.0.0/0 (unset); list the networks that need it.",
        id="public-endpoint-without-allow-list",
    ),
    pytest.param(
        aws.eks_cluster_endpoint_restricted,
        CLUSTER,
        changed(CLUSTER_OK, ("vpcConfig",), {"subnetIds": ["subnet-a"], "publicAccessCidrs": ["0.0.0.0/0"]}),
        "vpcConfig.endpointPrivateAccess is unset, so nodes reach the API over the internet; the public endpoint "
        "is open to 0.0.0.0/0; list the networks that need it.",
        id="provider-default-endpoints",
    ),
    pytest.param(
        aws.eks_cluster_endpoint_private,
        CLUSTER,
        changed(CLUSTER_OK, ("vpcConfig", "endpointPublicAccess"), _REMOVE),
        "vpcConfig.endpointPublicAccess is unset (unset means true); the API should be reachable only from "
        "inside the VPC.",
        id="endpoint-public-by-default",
    ),
    pytest.param(
        aws.eks_cluster_secrets_encrypted,
        CLUSTER,
        changed(CLUSTER_OK, ("encryptionConfig",), _REMOVE),
        "encryptionConfig is unset, so Kubernetes secrets are not envelope-encrypted with KMS.",
        id="secrets-not-encrypted",
    ),
    pytest.param(
        aws.eks_cluster_secrets_encrypted,
        CLUSTER,
        changed(CLUSTER_OK, ("encryptionConfig", "resources"), []),
        "encryptionConfig.resources is [], expected to include secrets.",
        id="encryption-without-secrets",
    ),
    pytest.param(
        aws.eks_cluster_control_plane_logging,
        CLUSTER,
        changed(CLUSTER_OK, ("enabledClusterLogTypes",), ["api"]),
        "enabledClusterLogTypes lacks audit, authenticator; who did what to the cluster is lost.",
        id="no-audit-logs",
    ),
    pytest.param(
        aws.eks_cluster_access_entries,
        CLUSTER,
        changed(CLUSTER_OK, ("accessConfig",), _REMOVE),
        'accessConfig.authenticationMode is "CONFIG_MAP", expected "API" (access entries only); '
        "accessConfig.bootstrapClusterCreatorAdminPermissions is not false, so the creator gets an admin entry "
        "no preview shows.",
        id="config-map-auth-by-default",
    ),
    pytest.param(
        aws.eks_cluster_deletion_protection,
        CLUSTER,
        changed(CLUSTER_OK, ("deletionProtection",), _REMOVE),
        "deletionProtection is unset, expected true (unset means false).",
        id="cluster-unprotected",
    ),
    pytest.param(
        aws.eks_node_group_hardened,
        NODE_GROUP,
        changed(CPU_GROUP, ("launchTemplate",), _REMOVE),
        "launchTemplate is unset, so nodes get EKS's default template (IMDS hop limit 2, no CMK).",
        id="node-group-without-launch-template",
    ),
    pytest.param(
        aws.eks_node_group_hardened,
        NODE_GROUP,
        changed(GPU_GROUP_OK, ("remoteAccess",), {"ec2SshKey": "ops"}),
        "remoteAccess opens SSH to the nodes; use SSM or kubectl debug instead.",
        id="node-group-with-ssh",
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(LAUNCH_TEMPLATE_OK, ("metadataOptions",), _REMOVE),
        'metadataOptions.httpTokens is "optional", expected "required" (IMDSv2 only); '
        "metadataOptions.httpPutResponseHopLimit is unset, expected 1 so pods cannot borrow the node's credentials.",
        id="imdsv1-allowed",
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(LAUNCH_TEMPLATE_OK, ("metadataOptions", "httpPutResponseHopLimit"), 2),
        "metadataOptions.httpPutResponseHopLimit is 2, expected 1 so pods cannot borrow the node's credentials.",
        id="imds-hop-limit-2",
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(
            LAUNCH_TEMPLATE_OK, ("blockDeviceMappings", 0, "ebs"), {"volumeType": "gp2", "volumeSize": 100}
        ),
        "blockDeviceMappings[0].ebs.encrypted is unset, expected true; blockDeviceMappings[0].ebs.kmsKeyId is "
        'unset, so the volume uses the AWS-managed EBS key; blockDeviceMappings[0].ebs.volumeType is "gp2", '
        'expected "gp3".',
        id="unencrypted-gp2-root",
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(LAUNCH_TEMPLATE_OK, ("blockDeviceMappings",), []),
        "blockDeviceMappings is empty, so the root volume takes the AMI's unencrypted default.",
        id="no-block-devices",
    ),
    # GPU node groups
    pytest.param(
        aws.eks_gpu_node_group_tainted,
        NODE_GROUP,
        changed(GPU_GROUP_OK, ("taints",), []),
        "GPU node group has no nvidia.com/gpu:NO_SCHEDULE taint, so any pod can land on (and keep alive) a GPU "
        "node.",
        id="gpu-untainted",
    ),
    pytest.param(
        aws.eks_gpu_node_group_tainted,
        NODE_GROUP,
        changed(GPU_GROUP_OK, ("taints", 0, "effect"), "PREFER_NO_SCHEDULE"),
        "GPU node group has no nvidia.com/gpu:NO_SCHEDULE taint, so any pod can land on (and keep alive) a GPU "
        "node.",
        id="gpu-soft-taint",
    ),
    pytest.param(
        aws.eks_gpu_node_group_scales_to_zero,
        NODE_GROUP,
        changed(GPU_GROUP_OK, ("scalingConfig", "minSize"), 1),
        "scalingConfig.minSize is 1; GPU nodes should scale to zero when idle (minSize 0).",
        id="gpu-warm-node",
    ),
    pytest.param(
        aws.eks_gpu_node_group_capped,
        NODE_GROUP,
        changed(changed(GPU_GROUP_OK, ("instanceTypes",), ["p4d.24xlarge"]), ("scalingConfig", "maxSize"), 9),
        "scalingConfig.maxSize 9 x 8 GPUs per node = 72 GPUs, above the cap of 64 per pool (policy config "
        "maxGpusPerPool).",
        id="gpu-pool-too-big",
    ),
    pytest.param(
        aws.eks_gpu_node_group_capacity_type,
        NODE_GROUP,
        changed(GPU_GROUP_OK, ("capacityType",), _REMOVE),
        'capacityType is "ON_DEMAND" (unset means ON_DEMAND); this stack runs GPU pools on "SPOT".',
        id="gpu-on-demand-where-spot-is-required",
    ),
    # budget and alerts
    pytest.param(
        aws.sns_topic_encrypted_with_kms,
        TOPIC,
        changed(TOPIC_OK, ("kmsMasterKeyId",), _REMOVE),
        "kmsMasterKeyId is unset, so messages are stored unencrypted.",
        id="topic-unencrypted",
    ),
    pytest.param(
        aws.sns_topic_encrypted_with_kms,
        TOPIC,
        changed(TOPIC_OK, ("kmsMasterKeyId",), "alias/aws/sns"),
        "kmsMasterKeyId is the AWS-managed alias/aws/sns key, whose policy no service such as Budgets can be "
        "allowed to use; use the platform's key.",
        id="topic-aws-managed-key",
    ),
    pytest.param(
        aws.sns_topic_policy_not_public,
        TOPIC_POLICY,
        {
            "arn": "arn:aws:sns:us-east-1:123456789012:alerts",
            "policy": json.dumps(
                {
                    "Statement": [
                        {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:*"}
                    ]
                }
            ),
        },
        "Open allow anyone without a condition; name the principals.",
        id="topic-policy-public",
    ),
    pytest.param(
        aws.aws_budget_alerts,
        BUDGET_TYPE,
        changed(BUDGET_OK, ("costFilters", 0, "values"), ["environment$prod"]),
        'cost filter TagKeyValue "environment$prod" lacks the user: prefix, so the budget matches nothing and '
        "shows $0.",
        id="budget-tag-filter-without-user-prefix",
    ),
    pytest.param(
        aws.aws_budget_alerts,
        BUDGET_TYPE,
        changed(BUDGET_OK, ("notifications",), [_notification("ACTUAL", 100)]),
        "no FORECASTED notification.",
        id="budget-without-forecast-alert",
    ),
    pytest.param(
        aws.aws_budget_alerts,
        BUDGET_TYPE,
        changed(
            changed(BUDGET_OK, ("notifications", 0, "subscriberEmailAddresses"), []),
            ("notifications", 0, "subscriberSnsTopicArns"),
            _REMOVE,
        ),
        "notifications[0] has no subscriber.",
        id="budget-alert-to-nobody",
    ),
    # values written out, not only unset ones
    pytest.param(
        aws.eks_cluster_endpoint_private,
        CLUSTER,
        changed(CLUSTER_OK, ("vpcConfig", "endpointPublicAccess"), True),
        "vpcConfig.endpointPublicAccess is true (unset means true); the API should be reachable only from inside "
        "the VPC.",
        id="eks-endpoint-public-explicitly",
    ),
    pytest.param(
        aws.eks_cluster_deletion_protection,
        CLUSTER,
        changed(CLUSTER_OK, ("deletionProtection",), False),
        "deletionProtection is false, expected true (unset means false).",
        id="cluster-protection-switched-off",
    ),
    pytest.param(
        aws.cloudwatch_log_group_encrypted_with_retention,
        LOG_GROUP,
        changed(changed(LOG_GROUP_OK, ("kmsKeyId",), _REMOVE), ("retentionInDays",), _REMOVE),
        "kmsKeyId is unset, so logs are encrypted only with a CloudWatch-owned key; retentionInDays is unset, so "
        "logs never expire.",
        id="log-group-without-key-or-expiry",
    ),
    pytest.param(
        aws.iam_oidc_provider_audience,
        OIDC,
        changed(OIDC_OK, ("clientIdLists",), []),
        "clientIdLists must be exactly sts.amazonaws.com for IRSA (other audiences: none).",
        id="oidc-without-audience",
    ),
    pytest.param(
        aws.iam_oidc_provider_audience,
        OIDC,
        changed(OIDC_OK, ("clientIdLists",), ["my-app", "other-app"]),
        'clientIdLists must be exactly sts.amazonaws.com for IRSA (other audiences: "my-app", "other-app").',
        id="oidc-with-two-foreign-audiences",
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "props", "message"), VIOLATIONS)
def test_one_insecure_change_is_reported_with_what_and_why(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any], message: str
) -> None:
    assert check(policy, resource_type, props, config={"requireSpot": True}) == [message]


@pytest.mark.parametrize(("policy", "resource_type", "props", "message"), VIOLATIONS)
def test_rule_ignores_every_other_resource_type(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any], message: str
) -> None:
    # The same properties violate under the rule's own type, so only the type filter can keep this silent.
    assert check(policy, resource_type, props, config={"requireSpot": True}) == [message]
    other = BUCKET if resource_type != BUCKET else VPC
    assert check(policy, other, props, config={"requireSpot": True}) == []


# Each value unknown during preview, with its twin: a known bad value at the same path, which must report.
UNKNOWN_CASES = [
    pytest.param(
        aws.vpc_endpoint_private_dns, VPCE, VPCE_OK, ("privateDnsEnabled",), False, id="endpoint-dns"
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG,
        SG_OK,
        ("ingress", 0, "cidrBlocks"),
        ["0.0.0.0/0"],
        id="sg-cidrs",
    ),
    pytest.param(
        aws.kms_key_rotation_enabled, KMS_KEY, KMS_KEY_OK, ("enableKeyRotation",), False, id="key-rotation"
    ),
    pytest.param(
        aws.cloudwatch_log_group_encrypted_with_retention,
        LOG_GROUP,
        LOG_GROUP_OK,
        ("kmsKeyId",),
        _REMOVE,
        id="log-key",
    ),
    pytest.param(
        aws.iam_policy_no_admin_wildcards,
        ROLE_POLICY,
        ROLE_POLICY_OK,
        ("policy",),
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        id="iam-policy",
    ),
    pytest.param(
        aws.iam_no_broad_managed_policies,
        ATTACHMENT,
        ATTACHMENT_OK,
        ("policyArn",),
        "arn:aws:iam::aws:policy/AdministratorAccess",
        id="attachment",
    ),
    pytest.param(aws.iam_oidc_provider_audience, OIDC, OIDC_OK, ("clientIdLists",), ["my-app"], id="oidc"),
    pytest.param(
        aws.sagemaker_domain_vpc_only,
        DOMAIN,
        DOMAIN_OK,
        ("appNetworkAccessType",),
        "PublicInternetOnly",
        id="domain-vpc",
    ),
    pytest.param(
        aws.sagemaker_domain_encrypted_with_kms, DOMAIN, DOMAIN_OK, ("kmsKeyId",), _REMOVE, id="domain-key"
    ),
    pytest.param(
        aws.sagemaker_domain_security_groups,
        DOMAIN,
        DOMAIN_OK,
        ("defaultUserSettings", "securityGroups"),
        [],
        id="domain-sgs",
    ),
    pytest.param(
        aws.sagemaker_domain_idle_shutdown,
        DOMAIN,
        DOMAIN_OK,
        ("defaultSpaceSettings",),
        {"executionRole": ROLE_ARN},
        id="domain-idle",
    ),
    pytest.param(
        aws.sagemaker_domain_docker_access_disabled,
        DOMAIN,
        DOMAIN_OK,
        ("domainSettings",),
        {"dockerSettings": {"enableDockerAccess": "ENABLED"}},
        id="docker",
    ),
    pytest.param(
        aws.sagemaker_domain_retains_home_storage,
        DOMAIN,
        DOMAIN_OK,
        ("retentionPolicy",),
        {"homeEfsFileSystem": "Delete"},
        id="domain-retain",
    ),
    pytest.param(
        aws.sagemaker_user_profile_keeps_domain_hardening,
        PROFILE,
        PROFILE_OK,
        ("userSettings",),
        {"executionRole": ROLE_ARN, "securityGroups": []},
        id="profile",
    ),
    pytest.param(
        aws.eks_cluster_endpoint_restricted,
        CLUSTER,
        CLUSTER_OK,
        ("vpcConfig",),
        {"subnetIds": ["subnet-a"], "endpointPublicAccess": True},
        id="eks-vpc",
    ),
    pytest.param(
        aws.eks_cluster_endpoint_private,
        CLUSTER,
        CLUSTER_OK,
        ("vpcConfig", "endpointPublicAccess"),
        True,
        id="eks-public",
    ),
    pytest.param(
        aws.eks_cluster_secrets_encrypted,
        CLUSTER,
        CLUSTER_OK,
        ("encryptionConfig",),
        _REMOVE,
        id="eks-secrets",
    ),
    pytest.param(
        aws.eks_cluster_control_plane_logging,
        CLUSTER,
        CLUSTER_OK,
        ("enabledClusterLogTypes",),
        [],
        id="eks-logs",
    ),
    pytest.param(
        aws.eks_cluster_access_entries, CLUSTER, CLUSTER_OK, ("accessConfig",), _REMOVE, id="eks-access"
    ),
    pytest.param(
        aws.eks_cluster_deletion_protection,
        CLUSTER,
        CLUSTER_OK,
        ("deletionProtection",),
        False,
        id="eks-protect",
    ),
    pytest.param(
        aws.eks_node_group_hardened, NODE_GROUP, GPU_GROUP_OK, ("launchTemplate",), _REMOVE, id="node-lt"
    ),
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        LAUNCH_TEMPLATE_OK,
        ("blockDeviceMappings",),
        [],
        id="lt-ebs",
    ),
    pytest.param(aws.eks_gpu_node_group_tainted, NODE_GROUP, GPU_GROUP_OK, ("taints",), [], id="gpu-taints"),
    pytest.param(
        aws.eks_gpu_node_group_scales_to_zero,
        NODE_GROUP,
        GPU_GROUP_OK,
        ("scalingConfig",),
        {"minSize": 1, "maxSize": 4, "desiredSize": 1},
        id="gpu-min",
    ),
    pytest.param(
        aws.eks_gpu_node_group_capped,
        NODE_GROUP,
        GPU_GROUP_OK,
        ("scalingConfig",),
        {"minSize": 0, "maxSize": 65, "desiredSize": 0},
        id="gpu-max",
    ),
    pytest.param(
        aws.eks_gpu_node_group_capacity_type,
        NODE_GROUP,
        GPU_GROUP_OK,
        ("capacityType",),
        "ON_DEMAND",
        id="gpu-capacity",
    ),
    pytest.param(
        aws.sns_topic_encrypted_with_kms, TOPIC, TOPIC_OK, ("kmsMasterKeyId",), _REMOVE, id="topic-key"
    ),
    pytest.param(
        aws.sns_topic_policy_not_public,
        TOPIC_POLICY,
        TOPIC_POLICY_OK,
        ("policy",),
        json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish"}]}),
        id="topic-policy",
    ),
    pytest.param(aws.aws_budget_alerts, BUDGET_TYPE, BUDGET_OK, ("notifications",), [], id="budget"),
]


@pytest.mark.parametrize(("policy", "resource_type", "props", "path", "bad"), UNKNOWN_CASES)
def test_value_unknown_during_preview_neither_crashes_nor_reports(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: dict[str, Any],
    path: tuple[str | int, ...],
    bad: object,
) -> None:
    config = {"requireSpot": True}
    assert check(policy, resource_type, changed(props, path, ENGINE_UNKNOWN), config=config) == []
    assert len(check(policy, resource_type, changed(props, path, bad), config=config)) == 1


def test_unknown_value_does_not_hide_a_known_bad_one_on_the_same_cluster() -> None:
    props = changed(
        changed(CLUSTER_OK, ("accessConfig", "authenticationMode"), ENGINE_UNKNOWN),
        ("accessConfig", "bootstrapClusterCreatorAdminPermissions"),
        True,
    )
    [message] = check(aws.eks_cluster_access_entries, CLUSTER, props)
    assert message.startswith("accessConfig.bootstrapClusterCreatorAdminPermissions is not false")


def test_cpu_node_groups_are_not_held_to_the_gpu_rules() -> None:
    def warm_untainted_on_demand(group: dict[str, Any]) -> dict[str, Any]:
        warm = changed(changed(group, ("taints",), []), ("scalingConfig", "minSize"), 2)
        return changed(changed(warm, ("scalingConfig", "maxSize"), 65), ("capacityType",), "ON_DEMAND")

    config = {"requireSpot": True}
    for policy in (
        aws.eks_gpu_node_group_tainted,
        aws.eks_gpu_node_group_scales_to_zero,
        aws.eks_gpu_node_group_capped,
        aws.eks_gpu_node_group_capacity_type,
    ):
        assert check(policy, NODE_GROUP, warm_untainted_on_demand(CPU_GROUP), config=config) == []
        # The same changes on a GPU group break each rule, so only the GPU test keeps CPU groups out.
        assert len(check(policy, NODE_GROUP, warm_untainted_on_demand(GPU_GROUP_OK), config=config)) == 1


def test_gpu_node_group_is_recognised_by_gpu_operator_label_even_on_a_standard_ami() -> None:
    unknown_instance = changed(
        changed(GPU_GROUP_OK, ("instanceTypes",), ["g7.future"]), ("amiType",), "AL2023_x86_64_STANDARD"
    )
    untainted = changed(unknown_instance, ("taints",), [])
    assert check(aws.eks_gpu_node_group_tainted, NODE_GROUP, untainted) != []


def test_on_demand_gpu_pools_pass_where_spot_is_not_required() -> None:
    on_demand = changed(GPU_GROUP_OK, ("capacityType",), "ON_DEMAND")
    assert check(aws.eks_gpu_node_group_capacity_type, NODE_GROUP, on_demand) == []
    assert (
        check(aws.eks_gpu_node_group_capacity_type, NODE_GROUP, on_demand, config={"requireSpot": False})
        == []
    )
    spot_required = {"requireSpot": True}
    assert len(check(aws.eks_gpu_node_group_capacity_type, NODE_GROUP, on_demand, config=spot_required)) == 1


def test_gpu_cap_follows_the_policy_config() -> None:
    assert check(aws.eks_gpu_node_group_capped, NODE_GROUP, GPU_GROUP_OK, config={"maxGpusPerPool": 4}) == []
    assert check(aws.eks_gpu_node_group_capped, NODE_GROUP, GPU_GROUP_OK, config={"maxGpusPerPool": 3}) == [
        "scalingConfig.maxSize 4 x 1 GPUs per node = 4 GPUs, above the cap of 3 per pool (policy config "
        "maxGpusPerPool)."
    ]


def test_gateway_endpoints_have_no_dns_or_security_group_to_check() -> None:
    gateway = {"vpcId": "vpc-0123", "serviceName": "com.amazonaws.us-east-1.s3", "vpcEndpointType": "Gateway"}
    assert check(aws.vpc_endpoint_private_dns, VPCE, gateway) == []
    interface = changed(gateway, ("vpcEndpointType",), "Interface")
    assert len(check(aws.vpc_endpoint_private_dns, VPCE, interface)) == 1


def test_security_group_referencing_itself_or_a_prefix_list_is_not_public() -> None:
    props = changed(
        SG_OK, ("ingress",), [{"protocol": "tcp", "fromPort": 2049, "toPort": 2049, "self": True}]
    )
    assert check(aws.security_group_no_public_ingress, SG, props) == []
    also_open = changed(props, ("ingress", 0, "cidrBlocks"), ["0.0.0.0/0"])
    assert len(check(aws.security_group_no_public_ingress, SG, also_open)) == 1


# DESIGN.md ("Components"): data stores and clusters in prod are protected with Pulumi `protect`, as on GCP and Azure.
PROTECTED_IN_PROD = [
    (BUCKET, BUCKET_OK),
    ("aws:s3/bucketV2:BucketV2", BUCKET_OK),
    (KMS_KEY, KMS_KEY_OK),
    (CLUSTER, CLUSTER_OK),
    (DOMAIN, DOMAIN_OK),
]


@pytest.mark.parametrize(("resource_type", "props"), PROTECTED_IN_PROD)
def test_unprotected_data_store_is_a_violation_and_protected_one_passes(
    resource_type: str, props: dict[str, Any]
) -> None:
    assert check(aws.aws_data_stores_protected, resource_type, props, protect=True) == []
    assert check(aws.aws_data_stores_protected, resource_type, props, protect=False) == [
        "the resource is not protected (Pulumi protect), so `pulumi destroy` would delete it and its data."
    ]


def test_resources_that_hold_no_data_need_no_protect() -> None:
    assert check(aws.aws_data_stores_protected, SG, SG_OK, protect=False) == []
    assert check(aws.aws_data_stores_protected, VPC, VPC_OK, protect=False) == []


def test_bucket_without_inline_blocks_leaves_versioning_and_encryption_to_their_own_resources() -> None:
    assert check(aws.s3_bucket_versioning_enabled, BUCKET, BUCKET_OK) == []
    assert check(aws.s3_bucket_encrypted_with_kms, BUCKET, BUCKET_OK) == []


def test_security_group_rule_open_for_egress_is_not_public_ingress() -> None:
    # aws.ec2.SecurityGroupRule: `type` is "ingress" (inbound) or "egress" (outbound), per the resource's docs.
    egress = changed(changed(SG_RULE_OK, ("type",), "egress"), ("cidrBlocks",), ["0.0.0.0/0"])
    assert check(aws.security_group_no_public_ingress, SG_RULE, egress) == []
    assert (
        len(check(aws.security_group_no_public_ingress, SG_RULE, changed(egress, ("type",), "ingress"))) == 1
    )


def test_explicit_deny_and_scoped_wildcards_are_not_admin_grants() -> None:
    assert check(aws.iam_policy_no_admin_wildcards, ROLE_POLICY, ROLE_POLICY_OK) == []
    document = json.loads(ROLE_POLICY_OK["policy"])
    document["Statement"][1]["Effect"] = "Allow"
    allowed = changed(ROLE_POLICY_OK, ("policy",), json.dumps(document))
    assert check(aws.iam_policy_no_admin_wildcards, ROLE_POLICY, allowed) == [
        "Deny allows sagemaker:* on every resource; name the actions and resources the workload needs."
    ]


def test_asymmetric_keys_are_not_asked_to_rotate() -> None:
    props = changed(
        changed(KMS_KEY_OK, ("enableKeyRotation",), _REMOVE), ("customerMasterKeySpec",), "RSA_2048"
    )
    assert check(aws.kms_key_rotation_enabled, KMS_KEY, props) == []
    symmetric = changed(props, ("customerMasterKeySpec",), "SYMMETRIC_DEFAULT")
    assert len(check(aws.kms_key_rotation_enabled, KMS_KEY, symmetric)) == 1


def test_user_profile_that_inherits_the_domain_settings_passes() -> None:
    assert (
        check(
            aws.sagemaker_user_profile_keeps_domain_hardening,
            PROFILE,
            changed(PROFILE_OK, ("userSettings",), _REMOVE),
        )
        == []
    )
    no_groups = changed(PROFILE_OK, ("userSettings", "securityGroups"), [])
    assert len(check(aws.sagemaker_user_profile_keeps_domain_hardening, PROFILE, no_groups)) == 1


# --- stack rules spanning resources ----------------------------------------------------------------------


def test_stack_running_aws_compute_with_a_budget_passes() -> None:
    resources = [stack_resource(CLUSTER, "c", CLUSTER_OK), stack_resource(BUDGET_TYPE, "budget", BUDGET_OK)]
    assert check_stack(aws.aws_stack_has_budget, resources) == []


def test_stack_running_aws_compute_without_a_budget_is_violation() -> None:
    resources = [stack_resource(CLUSTER, "c", CLUSTER_OK), stack_resource(NODE_GROUP, "gpu", GPU_GROUP_OK)]
    assert check_stack(aws.aws_stack_has_budget, resources) == [
        (
            "the stack runs AWS compute (Cluster, NodeGroup) but no COST budget (aws.budgets.Budget) watches it.",
            None,
        )
    ]


def test_usage_budget_does_not_count_as_a_cost_budget() -> None:
    usage = changed(BUDGET_OK, ("budgetType",), "USAGE")
    resources = [stack_resource(CLUSTER, "c", CLUSTER_OK), stack_resource(BUDGET_TYPE, "budget", usage)]
    assert len(check_stack(aws.aws_stack_has_budget, resources)) == 1


def test_stack_without_aws_compute_needs_no_aws_budget() -> None:
    resources = [
        stack_resource(BUCKET, "data", BUCKET_OK),
        stack_resource("gcp:container/cluster:Cluster", "g", {}),
    ]
    assert check_stack(aws.aws_stack_has_budget, resources) == []


def _template_tags(group: PolicyResource, tags: dict[str, str]) -> list[PolicyResource]:
    return [
        link(
            stack_resource(
                ASG_TAG, f"tag-{i}", {"autoscalingGroupName": "eks-asg", "tag": {"key": k, "value": v}}
            ),
            "autoscalingGroupName",
            group,
        )
        for i, (k, v) in enumerate(tags.items())
    ]


CA_TAGS = {
    "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "present:NoSchedule",
    "k8s.io/cluster-autoscaler/node-template/label/mlplat.io/gpu-pool": "a10g",
    "k8s.io/cluster-autoscaler/node-template/label/nvidia.com/gpu.present": "true",
}


def test_gpu_group_from_zero_with_node_template_tags_on_its_asg_passes() -> None:
    group = stack_resource(NODE_GROUP, "gpu", GPU_GROUP_OK)
    assert (
        check_stack(aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, CA_TAGS)]) == []
    )


def test_gpu_group_from_zero_without_the_taint_template_tag_is_violation() -> None:
    group = stack_resource(NODE_GROUP, "gpu", GPU_GROUP_OK)
    tags = {k: v for k, v in CA_TAGS.items() if "/taint/" not in k}
    [(message, urn)] = check_stack(
        aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, tags)]
    )
    assert urn == urn_of(NODE_GROUP, "gpu")
    assert (
        "lacks the cluster autoscaler tags k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"
        in message
    )


def test_node_template_tags_on_another_groups_asg_do_not_count() -> None:
    group = stack_resource(NODE_GROUP, "gpu", GPU_GROUP_OK)
    other = stack_resource(NODE_GROUP, "other", CPU_GROUP)
    assert [
        u
        for _, u in check_stack(
            aws.eks_gpu_node_group_scales_from_zero, [group, other, *_template_tags(other, CA_TAGS)]
        )
    ] == [urn_of(NODE_GROUP, "gpu")]


def test_cluster_with_its_control_plane_log_group_in_the_stack_passes() -> None:
    resources = [stack_resource(CLUSTER, "c", CLUSTER_OK), stack_resource(LOG_GROUP, "logs", LOG_GROUP_OK)]
    assert check_stack(aws.eks_cluster_logs_retained, resources) == []


def test_cluster_without_control_plane_logging_needs_no_log_group_and_each_cluster_is_judged() -> None:
    quiet = stack_resource(CLUSTER, "quiet", changed(CLUSTER_OK, ("enabledClusterLogTypes",), []))
    loud = stack_resource(CLUSTER, "c", CLUSTER_OK)
    assert [urn for _, urn in check_stack(aws.eks_cluster_logs_retained, [quiet, loud])] == [
        urn_of(CLUSTER, "c")
    ]


def test_cluster_whose_log_group_eks_would_create_itself_is_violation() -> None:
    other = changed(LOG_GROUP_OK, ("name",), "/aws/eks/another/cluster")
    resources = [stack_resource(CLUSTER, "c", CLUSTER_OK), stack_resource(LOG_GROUP, "logs", other)]
    assert check_stack(aws.eks_cluster_logs_retained, resources) == [
        (
            "cluster mlplat-prod logs to /aws/eks/mlplat-prod/cluster, but the stack does not create it, so EKS "
            "creates it without retention or a KMS key.",
            urn_of(CLUSTER, "c"),
        )
    ]


STUDIO_SERVICES = {
    "sagemaker-api": "com.amazonaws.us-east-1.sagemaker.api",
    "sagemaker-runtime": "com.amazonaws.us-east-1.sagemaker.runtime",
    "studio": "aws.sagemaker.us-east-1.studio",
    "sts": "com.amazonaws.us-east-1.sts",
    "logs": "com.amazonaws.us-east-1.logs",
}


def _studio_vpc(services: dict[str, str], *, link_domain: bool = True) -> list[PolicyResource]:
    vpc = stack_resource(VPC, "vpc", VPC_OK)
    domain = stack_resource(DOMAIN, "domain", DOMAIN_OK)
    if link_domain:
        link(domain, "vpcId", vpc)
    endpoints = [
        link(stack_resource(VPCE, name, changed(VPCE_OK, ("serviceName",), service)), "vpcId", vpc)
        for name, service in services.items()
    ]
    return [vpc, domain, *endpoints]


def test_vpc_only_domain_with_every_studio_endpoint_in_its_vpc_passes() -> None:
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, _studio_vpc(STUDIO_SERVICES)) == []


def test_vpc_only_domain_missing_the_sts_endpoint_is_violation() -> None:
    services = {k: v for k, v in STUDIO_SERVICES.items() if k != "sts"}
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, _studio_vpc(services)) == [
        (
            "VpcOnly domain domain has no interface endpoint with private DNS in its VPC for sts; Studio and its "
            "jobs hang or fail without them.",
            urn_of(DOMAIN, "domain"),
        )
    ]


def test_endpoint_without_private_dns_does_not_count_for_the_domain() -> None:
    resources = _studio_vpc(STUDIO_SERVICES)
    logs = next(r for r in resources if r.name == "logs")
    resources[resources.index(logs)] = link(
        stack_resource(
            VPCE,
            "logs",
            changed(
                changed(VPCE_OK, ("serviceName",), STUDIO_SERVICES["logs"]), ("privateDnsEnabled",), False
            ),
        ),
        "vpcId",
        resources[0],
    )
    [(message, _)] = check_stack(aws.sagemaker_domain_has_private_endpoints, resources)
    assert "for logs;" in message


def _with_nat(resources: list[PolicyResource], connectivity: str = "public") -> list[PolicyResource]:
    vpc = resources[0]
    subnet = link(
        stack_resource("aws:ec2/subnet:Subnet", "public-a", {"cidrBlock": "10.10.0.0/20"}), "vpcId", vpc
    )
    nat = link(
        stack_resource("aws:ec2/natGateway:NatGateway", "nat", {"connectivityType": connectivity}),
        "subnetId",
        subnet,
    )
    return [*resources, subnet, nat]


def test_vpc_only_domain_whose_vpc_has_a_nat_gateway_needs_no_endpoints() -> None:
    # Studio in VpcOnly mode reaches SageMaker through interface endpoints or a NAT gateway (SageMaker docs).
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, _with_nat(_studio_vpc({}))) == []


def test_a_private_nat_gateway_does_not_stand_in_for_the_endpoints() -> None:
    resources = _with_nat(_studio_vpc({}), connectivity="private")
    [(message, _)] = check_stack(aws.sagemaker_domain_has_private_endpoints, resources)
    assert "sagemaker.api, sagemaker.runtime, studio, sts, logs" in message


def test_domain_in_a_vpc_outside_the_stack_is_not_judged() -> None:
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, _studio_vpc({}, link_domain=False)) == []
    assert len(check_stack(aws.sagemaker_domain_has_private_endpoints, _studio_vpc({}))) == 1


ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ADDON = "aws:eks/addon:Addon"
ADMIN_OK: dict[str, Any] = {
    "clusterName": "mlplat-prod",
    "principalArn": "arn:aws:iam::123456789012:role/ml-platform-admins",
    "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
    "accessScope": {"type": "cluster"},
}
SKIPS_SELF_MANAGED = changed(CLUSTER_OK, ("bootstrapSelfManagedAddons",), False)


def test_cluster_without_creator_admin_but_with_an_admin_entry_passes() -> None:
    cluster = stack_resource(CLUSTER, "c", CLUSTER_OK)
    admin = link(stack_resource(ASSOCIATION, "admin", ADMIN_OK), "clusterName", cluster)
    assert check_stack(aws.eks_cluster_has_admin_access, [cluster, admin]) == []


def test_cluster_nobody_can_administer_is_violation() -> None:
    cluster = stack_resource(CLUSTER, "c", CLUSTER_OK)
    view = changed(ADMIN_OK, ("policyArn",), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
    viewer = link(stack_resource(ASSOCIATION, "viewer", view), "clusterName", cluster)
    assert check_stack(aws.eks_cluster_has_admin_access, [cluster, viewer]) == [
        (
            "cluster c has no creator admin and no AccessPolicyAssociation of "
            "AmazonEKSClusterAdminPolicy whose clusterName comes from it, so nobody can administer it.",
            urn_of(CLUSTER, "c"),
        )
    ]


def test_admin_entry_naming_the_cluster_without_a_property_dependency_does_not_count() -> None:
    cluster = stack_resource(CLUSTER, "c", CLUSTER_OK)
    admin = stack_resource(ASSOCIATION, "admin", ADMIN_OK)
    assert [u for _, u in check_stack(aws.eks_cluster_has_admin_access, [cluster, admin])] == [
        urn_of(CLUSTER, "c")
    ]


def _addons(cluster: PolicyResource, names: list[str]) -> list[PolicyResource]:
    return [
        link(
            stack_resource(ADDON, n, {"clusterName": "mlplat-prod", "addonName": n, "tags": TAGS}),
            "clusterName",
            cluster,
        )
        for n in names
    ]


def test_cluster_skipping_self_managed_addons_with_managed_core_addons_passes() -> None:
    cluster = stack_resource(CLUSTER, "c", SKIPS_SELF_MANAGED)
    resources = [cluster, *_addons(cluster, ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"])]
    assert check_stack(aws.eks_cluster_has_core_addons, resources) == []


def test_cluster_skipping_self_managed_addons_without_coredns_is_violation() -> None:
    cluster = stack_resource(CLUSTER, "c", SKIPS_SELF_MANAGED)
    assert check_stack(
        aws.eks_cluster_has_core_addons, [cluster, *_addons(cluster, ["vpc-cni", "kube-proxy"])]
    ) == [
        (
            "cluster c skips the self-managed add-ons but has no managed coredns (aws.eks.Addon whose "
            "clusterName comes from it); its nodes never become Ready.",
            urn_of(CLUSTER, "c"),
        )
    ]


def test_each_cluster_skipping_self_managed_addons_is_judged_even_with_no_addon_at_all() -> None:
    fine = stack_resource(CLUSTER, "fine", CLUSTER_OK)
    bare = stack_resource(CLUSTER, "bare", SKIPS_SELF_MANAGED)
    assert check_stack(aws.eks_cluster_has_core_addons, [fine, bare]) == [
        (
            "cluster bare skips the self-managed add-ons but has no managed vpc-cni, kube-proxy, coredns "
            "(aws.eks.Addon whose clusterName comes from it); its nodes never become Ready.",
            urn_of(CLUSTER, "bare"),
        )
    ]


def test_cluster_with_eks_installed_addons_needs_no_managed_ones() -> None:
    assert check_stack(aws.eks_cluster_has_core_addons, [stack_resource(CLUSTER, "c", CLUSTER_OK)]) == []


NEW_TAGGABLE = [
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:sagemaker/domain:Domain",
    "aws:sagemaker/userProfile:UserProfile",
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig",
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:eks/addon:Addon",
    "aws:eks/accessEntry:AccessEntry",
    "aws:sns/topic:Topic",
    "aws:budgets/budget:Budget",
]


@pytest.mark.parametrize("resource_type", NEW_TAGGABLE)
def test_platform_resource_with_the_platform_tags_passes_required_tags(resource_type: str) -> None:
    assert check(aws.required_tags, resource_type, {"tags": TAGS}) == []


@pytest.mark.parametrize("resource_type", NEW_TAGGABLE)
def test_platform_resource_without_tags_is_violation_of_required_tags(resource_type: str) -> None:
    assert check(aws.required_tags, resource_type, {"name": "r"}) == [
        f"missing tags: {', '.join(REQUIRED_TAG_KEYS)}."
    ]


# --- every case can fail ---------------------------------------------------------------------------------

# Rules judged by the dedicated tests above, each with at least one passing and one violating case there.
JUDGED_BY_OWN_TESTS = {
    "aws-data-stores-protected": ("test_unprotected_data_store_is_a_violation_and_protected_one_passes",),
    "s3-public-access-block-enabled": ("test_public_access_block_with_one_flag_off_is_violation",),
    "s3-bucket-force-destroy-disabled": ("test_bucket_with_force_destroy_true_is_violation",),
    "required-tags": ("test_bucket_missing_one_platform_tag_is_violation",),
    "s3-bucket-has-public-access-block": ("test_bucket_without_companion_is_violation_on_the_bucket",),
    "s3-bucket-has-encryption": ("test_bucket_without_companion_is_violation_on_the_bucket",),
    "s3-bucket-has-versioning": ("test_bucket_without_companion_is_violation_on_the_bucket",),
    "vpc-flow-logs-enabled": ("test_vpc_without_flow_log_is_violation_on_the_vpc",),
    "s3-bucket-has-lifecycle": ("test_bucket_without_companion_is_violation_on_the_bucket",),
    "s3-bucket-has-ownership-controls": ("test_bucket_without_companion_is_violation_on_the_bucket",),
    "s3-bucket-denies-insecure-transport": ("test_bucket_whose_policy_allows_plain_http_is_violation",),
    "s3-bucket-access-logging": ("test_bucket_without_access_logging_is_violation",),
    "sagemaker-domain-has-private-endpoints": ("test_vpc_only_domain_missing_the_sts_endpoint_is_violation",),
    "eks-cluster-logs-retained": ("test_cluster_whose_log_group_eks_would_create_itself_is_violation",),
    "eks-cluster-has-admin-access": ("test_cluster_nobody_can_administer_is_violation",),
    "eks-cluster-has-core-addons": (
        "test_cluster_skipping_self_managed_addons_without_coredns_is_violation",
    ),
    "eks-gpu-node-group-scales-from-zero": (
        "test_gpu_group_from_zero_without_the_taint_template_tag_is_violation",
    ),
    "aws-stack-has-budget": ("test_stack_running_aws_compute_without_a_budget_is_violation",),
}


def _rule_and_type(case: Any) -> tuple[str, str]:
    return case.values[0].name, case.values[1]


def test_every_compliant_case_has_a_violating_twin_of_the_same_rule_and_type() -> None:
    """A compliant case alone passes against a rule that does nothing; its twin is what can fail."""
    compliant = {_rule_and_type(case) for case in COMPLIANT}
    violating = {_rule_and_type(case) for case in VIOLATIONS}
    assert compliant, "no compliant cases collected"
    assert compliant - violating == set()


def test_every_aws_rule_has_compliant_and_violating_cases() -> None:
    tested_here = {_rule_and_type(case)[0] for case in [*COMPLIANT, *VIOLATIONS]}
    assert tested_here.isdisjoint(JUDGED_BY_OWN_TESTS)
    assert tested_here | set(JUDGED_BY_OWN_TESTS) == {p.name for p in aws.POLICIES}
    missing = [name for names in JUDGED_BY_OWN_TESTS.values() for name in names if name not in globals()]
    assert missing == []


# The cluster autoscaler reads a node group's shape at zero nodes from its Auto Scaling group's tags:
# k8s.io/cluster-autoscaler/node-template/label/<key> = <value> and .../taint/<key> = <value>:<effect>, with
# the Kubernetes effect names (kubernetes/autoscaler, cluster-autoscaler/cloudprovider/aws/README.md,
# "Auto-Discovery Setup"); EKS spells taint effects NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE (EKS API Taint).
TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
EVERY_EFFECT_GROUP = changed(
    changed(
        GPU_GROUP_OK,
        ("taints",),
        [
            GPU_TAINT,
            {"key": "dedicated", "value": "ml", "effect": "NO_EXECUTE"},
            {"key": "spot", "effect": "PREFER_NO_SCHEDULE"},
        ],
    ),
    ("labels",),
    {"mlplat.io/gpu-pool": "a10g"},
)
EVERY_EFFECT_TAGS = {
    f"{TEMPLATE}/taint/nvidia.com/gpu": "present:NoSchedule",
    f"{TEMPLATE}/taint/dedicated": "ml:NoExecute",
    f"{TEMPLATE}/taint/spot": ":PreferNoSchedule",
    f"{TEMPLATE}/label/mlplat.io/gpu-pool": "a10g",
}


def test_node_template_tags_follow_the_autoscaler_format_for_every_taint_effect_and_label() -> None:
    group = stack_resource(NODE_GROUP, "gpu", EVERY_EFFECT_GROUP)
    assert (
        check_stack(
            aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, EVERY_EFFECT_TAGS)]
        )
        == []
    )
    for key in EVERY_EFFECT_TAGS:
        wrong = {**EVERY_EFFECT_TAGS, key: "other"}
        group = stack_resource(NODE_GROUP, "gpu", EVERY_EFFECT_GROUP)
        assert [
            u
            for _, u in check_stack(
                aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, wrong)]
            )
        ] == [urn_of(NODE_GROUP, "gpu")], key


def test_gpu_group_from_zero_without_any_tag_lists_every_missing_one_and_cpu_or_warm_groups_need_none() -> (
    None
):
    cpu = stack_resource(NODE_GROUP, "cpu", changed(CPU_GROUP, ("taints",), []))
    warm = stack_resource(NODE_GROUP, "warm", changed(GPU_GROUP_OK, ("scalingConfig", "minSize"), 1))
    group = stack_resource(NODE_GROUP, "gpu", EVERY_EFFECT_GROUP)
    assert check_stack(aws.eks_gpu_node_group_scales_from_zero, [cpu, warm, group]) == [
        (
            "GPU node group gpu scales from zero, but its Auto Scaling group lacks the cluster autoscaler tags "
            f"{', '.join(sorted(EVERY_EFFECT_TAGS))} (aws.autoscaling.Tag whose autoscalingGroupName comes from the "
            "node group); the autoscaler cannot tell a pending GPU pod fits it.",
            urn_of(NODE_GROUP, "gpu"),
        )
    ]


def test_taints_or_labels_not_known_yet_ask_only_for_the_tags_that_are_known() -> None:
    labels_only = {k: v for k, v in EVERY_EFFECT_TAGS.items() if "/label/" in k}
    taints_only = {k: v for k, v in EVERY_EFFECT_TAGS.items() if "/taint/" in k}
    for path, tags in ((("taints",), labels_only), (("labels",), taints_only)):
        group = stack_resource(NODE_GROUP, "gpu", changed(EVERY_EFFECT_GROUP, path, ENGINE_UNKNOWN))
        assert (
            check_stack(aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, tags)]) == []
        )
        group = stack_resource(NODE_GROUP, "gpu", changed(EVERY_EFFECT_GROUP, path, ENGINE_UNKNOWN))
        assert len(check_stack(aws.eks_gpu_node_group_scales_from_zero, [group])) == 1


def test_public_access_block_names_every_flag_that_is_off_or_unset() -> None:
    props = changed(changed(PAB_OK, ("blockPublicAcls",), False), ("restrictPublicBuckets",), _REMOVE)
    assert check(aws.s3_public_access_block_enabled, PAB, props) == [
        "blockPublicAcls is false, restrictPublicBuckets is unset; all four flags must be true (unset means false)."
    ]


# AWS Budgets: a notification reaches subscribers by EMAIL or SNS (docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Subscriber.html);
# a TagKeyValue cost filter value is "user:<key>$<value>" for user tags, "aws:<key>$<value>" for AWS-generated ones
# (docs.aws.amazon.com/cost-management/latest/userguide/budgets-create-filters.html).
_EMAIL_ONLY = {**_notification("FORECASTED", 100), "subscriberSnsTopicArns": []}
_NO_SUBSCRIBER = {**_EMAIL_ONLY, "subscriberEmailAddresses": []}
BUDGET_CASES = [
    ("email-only", ("notifications", 3), _EMAIL_ONLY, []),
    ("sns-only", ("notifications", 3), {**_NO_SUBSCRIBER, "subscriberSnsTopicArns": ["arn:aws:sns:us-east-1:123456789012:alerts"]}, []),
    ("no-subscriber", ("notifications", 3), _NO_SUBSCRIBER, ["notifications[3] has no subscriber"]),
    ("emails-known-later", ("notifications", 3), {**_NO_SUBSCRIBER, "subscriberEmailAddresses": ENGINE_UNKNOWN}, []),
    ("topics-known-later", ("notifications", 3), {**_NO_SUBSCRIBER, "subscriberSnsTopicArns": ENGINE_UNKNOWN}, []),
    ("aws-generated-tag", ("costFilters",), [{"name": "TagKeyValue", "values": ["aws:createdBy$ci"]}], []),
    (
        "untagged-filter-after-another-filter",
        ("costFilters",),
        [{"name": "Service", "values": ["Amazon Elastic Compute Cloud - Compute"]}, {"name": "TagKeyValue", "values": ["environment$prod"]}],
        ['cost filter TagKeyValue "environment$prod" lacks the user: prefix, so the budget matches nothing and shows $0'],
    ),
    (
        "every-problem-at-once",
        ("notifications",),
        [_NO_SUBSCRIBER],
        ["no ACTUAL notification", "notifications[0] has no subscriber"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "messages"), [c[1:] for c in BUDGET_CASES], ids=[c[0] for c in BUDGET_CASES]
)
def test_a_budget_filters_on_tags_it_can_match_and_alerts_someone(
    path: tuple[str | int, ...], value: Any, messages: list[str]
) -> None:
    found = check(aws.aws_budget_alerts, BUDGET_TYPE, changed(BUDGET_OK, path, value))
    assert found == ([] if not messages else ["; ".join(messages) + "."])


# NVIDIA AMI types (docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html, amiType) mark a GPU group
# even when the instance type is not in the catalog; such a group counts as one GPU per node.
@pytest.mark.parametrize("ami", ["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"])
def test_an_nvidia_ami_marks_a_gpu_group_of_an_unknown_instance_type(ami: str) -> None:
    group = changed(
        changed(changed(GPU_GROUP_OK, ("instanceTypes",), ["g7.future"]), ("labels",), {}), ("amiType",), ami
    )
    assert check(aws.eks_gpu_node_group_capped, NODE_GROUP, group, config={"maxGpusPerPool": 3}) == [
        "scalingConfig.maxSize 4 x 1 GPUs per node = 4 GPUs, above the cap of 3 per pool (policy config "
        "maxGpusPerPool)."
    ]
    standard = changed(group, ("amiType",), "AL2023_x86_64_STANDARD")
    assert check(aws.eks_gpu_node_group_capped, NODE_GROUP, standard, config={"maxGpusPerPool": 3}) == []


def test_a_nat_gateway_without_a_connectivity_type_is_public() -> None:
    # ConnectivityType defaults to public (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNatGateway.html).
    resources = _with_nat(_studio_vpc({}))
    nat = resources[-1]
    unset = link(
        stack_resource("aws:ec2/natGateway:NatGateway", "nat", {}),
        "subnetId",
        nat.property_dependencies["subnetId"][0],
    )
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, [*resources[:-1], unset]) == []


def test_a_nat_gateway_or_subnet_whose_links_are_not_recorded_stands_in_for_nothing() -> None:
    resources = _studio_vpc({})
    loose_subnet = stack_resource("aws:ec2/subnet:Subnet", "public-a", {"cidrBlock": "10.10.0.0/20"})
    on_loose_subnet = link(
        stack_resource("aws:ec2/natGateway:NatGateway", "nat", {}), "subnetId", loose_subnet
    )
    unlinked = stack_resource("aws:ec2/natGateway:NatGateway", "nat2", {})
    reports = check_stack(
        aws.sagemaker_domain_has_private_endpoints, [*resources, loose_subnet, on_loose_subnet, unlinked]
    )
    assert len(reports) == 1


def test_a_public_nat_gateway_counts_after_a_private_one() -> None:
    resources = _with_nat(_studio_vpc({}), connectivity="private")
    subnet = resources[-2]
    public = link(
        stack_resource("aws:ec2/natGateway:NatGateway", "nat-public", {"connectivityType": "public"}),
        "subnetId",
        subnet,
    )
    assert check_stack(aws.sagemaker_domain_has_private_endpoints, [*resources, public]) == []


# EKS envelope encryption: encryptionConfig.resources must list "secrets" and provider.keyArn names the KMS key
# (docs.aws.amazon.com/eks/latest/APIReference/API_EncryptionConfig.html).
SECRETS_CASES = [
    ("no-key", {"resources": ["secrets"], "provider": {}}, ["encryptionConfig.provider.keyArn is unset"]),
    ("empty-key", {"resources": ["secrets"], "provider": {"keyArn": ""}}, ["encryptionConfig.provider.keyArn is unset"]),
    ("key-known-later", {"resources": ["secrets"], "provider": {"keyArn": ENGINE_UNKNOWN}}, []),
    ("neither", {"resources": ["configmaps"], "provider": {}}, ["encryptionConfig.resources is ['configmaps'], expected to include secrets", "encryptionConfig.provider.keyArn is unset"]),
    ("resources-known-later", {"resources": ENGINE_UNKNOWN, "provider": {"keyArn": KEY_ARN}}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "messages"), [c[1:] for c in SECRETS_CASES], ids=[c[0] for c in SECRETS_CASES]
)
def test_eks_secrets_are_encrypted_with_a_named_kms_key(config: dict[str, Any], messages: list[str]) -> None:
    found = check(
        aws.eks_cluster_secrets_encrypted, CLUSTER, changed(CLUSTER_OK, ("encryptionConfig",), config)
    )
    assert found == ([] if not messages else ["; ".join(messages) + "."])


def test_every_open_ingress_is_reported_with_all_its_open_sources() -> None:
    # 0.0.0.0/0 and ::/0 are every IPv4 and IPv6 address (docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
    dual = {
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlocks": ["0.0.0.0/0"],
        "ipv6CidrBlocks": ["::/0"],
    }
    group = changed(
        SG_OK,
        ("ingress",),
        [ENGINE_UNKNOWN, SG_OK["ingress"][0], dual, {**dual, "fromPort": 80, "toPort": 80}],
    )
    assert check(aws.security_group_no_public_ingress, SG, group) == [
        "ingress[2] allows 0.0.0.0/0, ::/0 on ports 22-22; allow the VPC, a security group or a named network instead.",
        "ingress[3] allows 0.0.0.0/0, ::/0 on ports 80-80; allow the VPC, a security group or a named network instead.",
    ]
    rule = {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22}
    assert check(aws.security_group_no_public_ingress, INGRESS_RULE, rule) == [
        "the rule allows ::/0; allow a narrower source instead."
    ]
    both = {**rule, "cidrIpv4": "0.0.0.0/0"}
    assert check(aws.security_group_no_public_ingress, INGRESS_RULE, both) == [
        "the rule allows 0.0.0.0/0, ::/0; allow a narrower source instead."
    ]


# Interface endpoints resolve the service's public name privately only with privateDnsEnabled, and take security
# groups; gateway endpoints (the default type) have neither (docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html).
def test_an_interface_endpoint_reports_every_problem_and_a_gateway_endpoint_none() -> None:
    bare = changed(changed(VPCE_OK, ("privateDnsEnabled",), False), ("securityGroupIds",), [])
    assert check(aws.vpc_endpoint_private_dns, VPCE, bare) == [
        "privateDnsEnabled is false, so SDKs keep calling the public endpoint; securityGroupIds is empty, so the "
        "VPC's default security group (no rules) applies."
    ]
    gateway = changed(bare, ("vpcEndpointType",), _REMOVE)
    assert check(aws.vpc_endpoint_private_dns, VPCE, gateway) == []


def test_every_vpc_is_judged_after_one_without_flow_logs() -> None:
    # trafficType ALL captures accepted and rejected traffic (docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html).
    bare, main = stack_resource(VPC, "bare", VPC_OK), stack_resource(VPC, "main", VPC_OK)
    accepted = link(
        stack_resource(FLOW_LOG, "main-flow", changed(FLOW_LOG_OK, ("trafficType",), "ACCEPT")), "vpcId", main
    )
    assert check_stack(aws.vpc_flow_logs_enabled, [bare, main, accepted]) == [
        ("VPC bare has no FlowLog whose vpcId input comes from it.", bare.urn),
        ('VPC main flow logs do not capture trafficType "ALL" (main-flow: "ACCEPT").', main.urn),
    ]


# --- messages as the user reads them: values written out, several problems at once ----------------------

_DENY_ALL = {"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}
_SCOPED = {"Sid": "Scoped", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"}
_ADMIN = {"Sid": "Admin", "Effect": "Allow", "Action": ["iam:*", "*"], "Resource": "*"}
_NO_KEY_RULE = {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}
_DISABLED_IDLE = {"appLifecycleManagement": {"idleSettings": {"lifecycleManagement": "DISABLED"}}}
_OPEN_TO_ALL = {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}

EXACT_MESSAGES = [
    # enableKeyRotation is a boolean (pulumi-aws kms.Key); false is shown as written, not as "unset".
    pytest.param(
        aws.kms_key_rotation_enabled,
        KMS_KEY,
        changed(KMS_KEY_OK, ("enableKeyRotation",), False),
        ["enableKeyRotation is false, expected true (unset means false)."],
        id="key-rotation-switched-off",
    ),
    pytest.param(
        aws.eks_cluster_endpoint_restricted,
        CLUSTER,
        changed(CLUSTER_OK, ("vpcConfig", "endpointPrivateAccess"), False),
        ["vpcConfig.endpointPrivateAccess is false, so nodes reach the API over the internet."],
        id="eks-private-endpoint-switched-off",
    ),
    # A dual-stack (IPv6) cluster's public endpoint takes ::/0 besides 0.0.0.0/0 (EKS API VpcConfigRequest.publicAccessCidrs).
    pytest.param(
        aws.eks_cluster_endpoint_restricted,
        CLUSTER,
        changed(
            changed(CLUSTER_OK, ("vpcConfig", "endpointPublicAccess"), True),
            ("vpcConfig", "publicAccessCidrs"),
            ["0.0.0.0/0", "::/0"],
        ),
        ["the public endpoint is open to 0.0.0.0/0, ::/0; list the networks that need it."],
        id="eks-public-endpoint-open-to-both-families",
    ),
    # LaunchTemplate ebs.encrypted is a string, "true" or "false" (pulumi-aws ec2 LaunchTemplateBlockDeviceMappingEbs).
    pytest.param(
        aws.ec2_launch_template_hardened,
        LAUNCH_TEMPLATE,
        changed(LAUNCH_TEMPLATE_OK, ("blockDeviceMappings", 0, "ebs", "encrypted"), "false"),
        ['blockDeviceMappings[0].ebs.encrypted is "false", expected true.'],
        id="launch-template-volume-unencrypted",
    ),
    pytest.param(
        aws.sagemaker_domain_security_groups,
        DOMAIN,
        changed(
            changed(DOMAIN_OK, ("defaultUserSettings", "securityGroups"), []),
            ("defaultSpaceSettings", "securityGroups"),
            _REMOVE,
        ),
        [
            "defaultUserSettings.securityGroups and defaultSpaceSettings.securityGroups are empty; Studio apps and "
            "shared spaces each read their own setting, and without it they run in no platform security group."
        ],
        id="domain-without-any-security-group",
    ),
    # IdleSettings.IdleTimeoutInMinutes is how long an idle app runs before shutdown (SageMaker API IdleSettings).
    pytest.param(
        aws.sagemaker_domain_idle_shutdown,
        DOMAIN,
        changed(
            DOMAIN_OK,
            ("defaultUserSettings", "jupyterLabAppSettings"),
            {"appLifecycleManagement": {"idleSettings": {"lifecycleManagement": "ENABLED"}}},
        ),
        [
            "defaultUserSettings.jupyterLabAppSettings has no idleTimeoutInMinutes; idle JupyterLab apps keep "
            "billing until someone stops them."
        ],
        id="domain-idle-shutdown-without-timeout",
    ),
    pytest.param(
        aws.sagemaker_domain_idle_shutdown,
        DOMAIN,
        changed(
            changed(DOMAIN_OK, ("defaultUserSettings", "jupyterLabAppSettings"), _DISABLED_IDLE),
            ("defaultSpaceSettings", "jupyterLabAppSettings"),
            _DISABLED_IDLE,
        ),
        [
            'defaultUserSettings.jupyterLabAppSettings idle shutdown is "DISABLED"; '
            'defaultSpaceSettings.jupyterLabAppSettings idle shutdown is "DISABLED"; idle JupyterLab apps keep '
            "billing until someone stops them."
        ],
        id="domain-idle-shutdown-off-for-users-and-spaces",
    ),
    # Without kmsMasterKeyId, SSE-KMS uses the AWS managed key aws/s3 (S3 API ServerSideEncryptionByDefault).
    pytest.param(
        aws.s3_bucket_encrypted_with_kms,
        SSE,
        changed(SSE_OK, ("rules", 0), _NO_KEY_RULE),
        [
            "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is unset, so the AWS-managed aws/s3 key is "
            "used instead of the platform's KMS key."
        ],
        id="bucket-encryption-with-the-aws-managed-key",
    ),
    pytest.param(
        aws.s3_bucket_encrypted_with_kms,
        SSE,
        changed(SSE_OK, ("rules",), [ENGINE_UNKNOWN, {**_NO_KEY_RULE, "bucketKeyEnabled": False}]),
        [
            "rules[1].applyServerSideEncryptionByDefault.kmsMasterKeyId is unset, so the AWS-managed aws/s3 key is "
            "used instead of the platform's KMS key; rules[1].bucketKeyEnabled is false, expected true."
        ],
        id="bucket-encryption-rule-after-an-unknown-one",
    ),
    pytest.param(
        aws.s3_bucket_encrypted_with_kms,
        BUCKET,
        changed(
            BUCKET_INLINE_OK,
            ("serverSideEncryptionConfiguration", "rule"),
            {"applyServerSideEncryptionByDefault": {}},
        ),
        [
            "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm is unset, "
            "expected aws:kms or aws:kms:dsse; serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault"
            ".kmsMasterKeyId is unset, so the AWS-managed aws/s3 key is used instead of the platform's KMS key; "
            "serverSideEncryptionConfiguration.rule.bucketKeyEnabled is unset, expected true."
        ],
        id="bucket-inline-encryption-without-anything",
    ),
    # IAM evaluates every statement; a Deny or a scoped Allow before an admin grant does not cancel it
    # (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
    pytest.param(
        aws.iam_policy_no_admin_wildcards,
        ROLE_POLICY,
        {"role": "r", "policy": json.dumps({"Statement": [_DENY_ALL, _SCOPED, _ADMIN]})},
        ["Admin allows iam:*, * on every resource; name the actions and resources the workload needs."],
        id="admin-grant-after-deny-and-scoped-statements",
    ),
    pytest.param(
        aws.iam_policy_no_admin_wildcards,
        ROLE_POLICY,
        {
            "role": "r",
            "policy": json.dumps({"Statement": [{**_ADMIN, "Action": "s3:*"}, {**_ADMIN, "Sid": ""}]}),
        },
        [
            "Admin allows s3:* on every resource; Statement[1] allows iam:*, * on every resource; name the actions "
            "and resources the workload needs."
        ],
        id="two-admin-grants",
    ),
    pytest.param(
        aws.eks_node_group_hardened,
        NODE_GROUP,
        changed(changed(CPU_GROUP, ("launchTemplate",), _REMOVE), ("remoteAccess",), {"ec2SshKey": "ops"}),
        [
            "launchTemplate is unset, so nodes get EKS's default template (IMDS hop limit 2, no CMK); remoteAccess "
            "opens SSH to the nodes; use SSM or kubectl debug instead."
        ],
        id="node-group-default-template-and-ssh",
    ),
    pytest.param(
        aws.sagemaker_user_profile_keeps_domain_hardening,
        PROFILE,
        changed(
            changed(PROFILE_OK, ("userSettings", "securityGroups"), []),
            ("userSettings", "jupyterLabAppSettings"),
            _DISABLED_IDLE,
        ),
        [
            "userSettings.securityGroups overrides the domain's with an empty list; userSettings turns JupyterLab "
            "idle shutdown off."
        ],
        id="profile-drops-security-groups-and-idle-shutdown",
    ),
    pytest.param(
        aws.security_group_no_public_ingress,
        SG_RULE,
        changed(changed(SG_RULE_OK, ("cidrBlocks",), ["0.0.0.0/0"]), ("ipv6CidrBlocks",), ["::/0"]),
        ["the ingress rule allows 0.0.0.0/0, ::/0; allow a narrower source instead."],
        id="security-group-rule-open-to-both-families",
    ),
    # A Condition limits who an Allow to Principal "*" applies to (IAM JSON policy elements: Condition).
    pytest.param(
        aws.sns_topic_policy_not_public,
        TOPIC_POLICY,
        {
            "arn": "arn:aws:sns:us-east-1:123456789012:alerts",
            "policy": json.dumps(
                {
                    "Statement": [
                        {**_OPEN_TO_ALL, "Sid": "Anyone"},
                        {
                            **_OPEN_TO_ALL,
                            "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                        },
                        {**_OPEN_TO_ALL, "Principal": {"AWS": ["*"]}},
                    ]
                }
            ),
        },
        ["Anyone, Statement[2] allow anyone without a condition; name the principals."],
        id="topic-policy-public-twice-and-once-conditioned",
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "props", "messages"), EXACT_MESSAGES)
def test_message_names_each_problem_as_written(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any], messages: list[str]
) -> None:
    assert check(policy, resource_type, props) == messages


# Each property left unset takes the provider's or service's default, which is the compliant value.
PROVIDER_DEFAULTS_THAT_PASS = [
    # Studio has no Docker access until an admin sets EnableDockerAccess (docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-local.html).
    pytest.param(aws.sagemaker_domain_docker_access_disabled, DOMAIN, ("domainSettings",), id="docker-unset"),
    # homeEfsFileSystem defaults to Retain (pulumi-aws sagemaker DomainRetentionPolicy).
    pytest.param(
        aws.sagemaker_domain_retains_home_storage, DOMAIN, ("retentionPolicy",), id="retention-unset"
    ),
]


@pytest.mark.parametrize(("policy", "resource_type", "path"), PROVIDER_DEFAULTS_THAT_PASS)
def test_property_left_to_its_safe_provider_default_passes(
    policy: ResourceValidationPolicy, resource_type: str, path: tuple[str, ...]
) -> None:
    assert check(policy, resource_type, changed(DOMAIN_OK, path, _REMOVE)) == []


def test_launch_template_volume_after_unknown_ones_is_still_judged() -> None:
    bad = {"deviceName": "/dev/xvdb", "ebs": {"volumeType": "gp3", "encrypted": "true"}}
    for first in (ENGINE_UNKNOWN, {"deviceName": "/dev/xvda", "ebs": ENGINE_UNKNOWN}):
        props = changed(LAUNCH_TEMPLATE_OK, ("blockDeviceMappings",), [first, bad])
        assert check(aws.ec2_launch_template_hardened, LAUNCH_TEMPLATE, props) == [
            "blockDeviceMappings[1].ebs.kmsKeyId is unset, so the volume uses the AWS-managed EBS key."
        ]


@pytest.mark.parametrize("document", ["null", "5", "[]", "not json"])
def test_policy_text_that_is_not_a_json_object_is_left_to_iam(document: str) -> None:
    # IAM rejects a policy that is not a JSON object (IAM JSON policy grammar); the rule neither reports nor crashes.
    assert check(aws.iam_policy_no_admin_wildcards, ROLE_POLICY, {"role": "r", "policy": document}) == []
    assert check(aws.sns_topic_policy_not_public, TOPIC_POLICY, {"arn": "a", "policy": document}) == []


# --- required-tags on types outside the taggable list ----------------------------------------------------

ECR_REPOSITORY = "aws:ecr/repository:Repository"


def test_any_aws_resource_that_carries_tags_is_held_to_the_platform_tags() -> None:
    props = {"name": "models", "tags": changed(TAGS, ("owner",), _REMOVE)}
    assert check(aws.required_tags, ECR_REPOSITORY, props) == ["missing tags: owner."]
    assert check(aws.required_tags, ECR_REPOSITORY, {"name": "models"}) == []


def test_empty_managed_by_tag_is_reported_once_as_missing() -> None:
    props = changed(BUCKET_OK, ("tags", "managed-by"), "")
    assert check(aws.required_tags, BUCKET, props) == ["missing tags: managed-by."]


def test_missing_tags_and_foreign_manager_are_reported_together() -> None:
    props = changed(changed(BUCKET_OK, ("tags", "owner"), _REMOVE), ("tags", "managed-by"), "terraform")
    assert check(aws.required_tags, BUCKET, props) == [
        'missing tags: owner; tag managed-by is "terraform", expected "pulumi".'
    ]


# --- stack rules judge every resource, whatever comes before it ------------------------------------------


def test_each_vpc_is_judged_after_a_compliant_one_and_every_flow_log_is_named() -> None:
    good, main = stack_resource(VPC, "good", VPC_OK), stack_resource(VPC, "main", VPC_OK)
    logs = [
        link(stack_resource(FLOW_LOG, "good-flow", FLOW_LOG_OK), "vpcId", good),
        *(
            link(
                stack_resource(FLOW_LOG, f"main-{t.lower()}", changed(FLOW_LOG_OK, ("trafficType",), t)),
                "vpcId",
                main,
            )
            for t in ("ACCEPT", "REJECT")
        ),
    ]
    assert check_stack(aws.vpc_flow_logs_enabled, [good, main, *logs]) == [
        (
            'VPC main flow logs do not capture trafficType "ALL" (main-accept: "ACCEPT", main-reject: "REJECT").',
            main.urn,
        )
    ]


def test_cluster_with_unset_creator_admin_flag_needs_no_admin_entry() -> None:
    # bootstrapClusterCreatorAdminPermissions defaults to true (pulumi-aws eks ClusterAccessConfig).
    unset = changed(CLUSTER_OK, ("accessConfig", "bootstrapClusterCreatorAdminPermissions"), _REMOVE)
    assert check_stack(aws.eks_cluster_has_admin_access, [stack_resource(CLUSTER, "c", unset)]) == []


def test_each_cluster_is_judged_for_an_admin_after_one_that_has_one() -> None:
    creator = stack_resource(
        CLUSTER,
        "creator",
        changed(CLUSTER_OK, ("accessConfig", "bootstrapClusterCreatorAdminPermissions"), True),
    )
    entry = stack_resource(CLUSTER, "entry", CLUSTER_OK)
    admin = link(stack_resource(ASSOCIATION, "admin", ADMIN_OK), "clusterName", entry)
    nobody = stack_resource(CLUSTER, "nobody", CLUSTER_OK)
    found = check_stack(aws.eks_cluster_has_admin_access, [creator, entry, admin, nobody])
    assert [urn for _, urn in found] == [urn_of(CLUSTER, "nobody")]


def test_each_cluster_is_judged_for_core_addons_after_one_whose_addons_are_not_known_yet() -> None:
    pending = stack_resource(CLUSTER, "pending", SKIPS_SELF_MANAGED)
    later = link(
        stack_resource(ADDON, "later", {"clusterName": "mlplat-prod", "addonName": ENGINE_UNKNOWN}),
        "clusterName",
        pending,
    )
    bare = stack_resource(CLUSTER, "bare", SKIPS_SELF_MANAGED)
    found = check_stack(aws.eks_cluster_has_core_addons, [pending, later, bare])
    assert [urn for _, urn in found] == [urn_of(CLUSTER, "bare")]


def test_cluster_log_group_is_not_asked_for_while_its_name_or_log_types_are_unknown() -> None:
    for path in (("name",), ("enabledClusterLogTypes",)):
        cluster = stack_resource(CLUSTER, "c", changed(CLUSTER_OK, path, ENGINE_UNKNOWN))
        assert check_stack(aws.eks_cluster_logs_retained, [cluster]) == []


def test_gpu_taint_whose_effect_is_not_known_yet_asks_for_no_template_tag() -> None:
    taints = [GPU_TAINT, {"key": "dedicated", "value": "ml", "effect": ENGINE_UNKNOWN}]
    group = stack_resource(NODE_GROUP, "gpu", changed(GPU_GROUP_OK, ("taints",), taints))
    assert (
        check_stack(aws.eks_gpu_node_group_scales_from_zero, [group, *_template_tags(group, CA_TAGS)]) == []
    )


def _studio_domain(suffix: str, services: dict[str, str], **domain: Any) -> list[PolicyResource]:
    """A VPC with a domain and interface endpoints, its resource names ending in `suffix`."""
    vpc = stack_resource(VPC, f"vpc-{suffix}", VPC_OK)
    props = {**DOMAIN_OK, **domain}
    endpoints = [
        link(stack_resource(VPCE, f"{name}-{suffix}", {**VPCE_OK, "serviceName": service}), "vpcId", vpc)
        for name, service in services.items()
    ]
    return [vpc, link(stack_resource(DOMAIN, f"domain-{suffix}", props), "vpcId", vpc), *endpoints]


def test_each_vpc_only_domain_is_judged_after_one_that_needs_no_endpoints() -> None:
    public = _studio_domain("public", {}, appNetworkAccessType="PublicInternetOnly")
    outside = _studio_domain("outside", {})
    outside[1] = stack_resource(DOMAIN, "domain-outside", DOMAIN_OK)  # its VPC is not linked
    natted = _with_nat(_studio_domain("nat", {}))
    pending = _studio_domain("pending", {"sts": ENGINE_UNKNOWN})
    bare = _studio_domain("bare", {})
    for first in (public, outside, natted, pending):
        found = check_stack(aws.sagemaker_domain_has_private_endpoints, [*first, *bare])
        assert [urn for _, urn in found] == [urn_of(DOMAIN, "domain-bare")]


def test_endpoint_with_private_dns_unset_does_not_count_for_the_domain() -> None:
    # privateDnsEnabled defaults to false (pulumi-aws ec2 VpcEndpoint), so clients resolve the public name.
    resources = _studio_domain("a", STUDIO_SERVICES)
    sts = next(r for r in resources if r.name == "sts-a")
    resources[resources.index(sts)] = link(
        stack_resource(
            VPCE,
            "sts-a",
            changed(
                changed(VPCE_OK, ("privateDnsEnabled",), _REMOVE), ("serviceName",), STUDIO_SERVICES["sts"]
            ),
        ),
        "vpcId",
        resources[0],
    )
    [(message, _)] = check_stack(aws.sagemaker_domain_has_private_endpoints, resources)
    assert "in its VPC for sts;" in message


def test_open_ingress_whose_port_is_not_known_yet_is_reported_without_calling_the_port_unset() -> None:
    group = changed(
        changed(SG_OK, ("ingress", 0, "cidrBlocks"), ["0.0.0.0/0"]),
        ("ingress", 0, "fromPort"),
        ENGINE_UNKNOWN,
    )
    assert check(aws.security_group_no_public_ingress, SG, group) == [
        "ingress[0] allows 0.0.0.0/0 on ports <unknown>-443; allow the VPC, a security group or a named network "
        "instead."
    ]
