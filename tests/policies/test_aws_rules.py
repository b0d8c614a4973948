"""Each AWS rule called directly, with properties shaped exactly as the engine hands them to a rule.

Every non-compliant case starts from a compliant resource and changes one property.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from components.common.tags import REQUIRED_TAG_KEYS, platform_tags
from policies import aws
from policies.common import UNKNOWN, elements, entries, prop
from policies.pack import PACK_NAME, POLICIES

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies"

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"

TAGS = platform_tags(environment="dev", owner="ml-platform", cost_center="cc-ml-1234", stack="dev")
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

_REMOVE = object()


def changed(base: Mapping[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `base` with one property changed (or removed with `_REMOVE`)."""
    result = copy.deepcopy(dict(base))
    node: Any = result
    for key in path[:-1]:
        node = node[key]
    if value is _REMOVE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


def secret(value: Any) -> dict[str, Any]:
    """A secret in the engine's wire form."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def as_engine_sends(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Through a protobuf Struct, then deserialized and unknown-checked like the SDK's servicer does."""
    wire = struct_pb2.Struct()
    wire.update(dict(props))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(wire)))


OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::mlplat::{resource_type}::{name}"


class Recorder:
    def __init__(self) -> None:
        self.reports: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.reports.append((message, urn))


def check(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    provider: PolicyProviderResource | None = None,
) -> list[str]:
    """Messages `policy` reports for one resource."""
    args = ResourceValidationArgs(
        resource_type, as_engine_sends(props), urn_of(resource_type, "r"), "r", OPTIONS, provider
    )
    recorder = Recorder()
    assert policy.validate(args, recorder) is None
    return [message for message, _ in recorder.reports]


def stack_resource(resource_type: str, name: str, props: Mapping[str, Any]) -> PolicyResource:
    return PolicyResource(
        resource_type, as_engine_sends(props), urn_of(resource_type, name), name, OPTIONS, None, None, [], {}
    )


def link(dependent: PolicyResource, property_name: str, target: PolicyResource) -> PolicyResource:
    """Record that `dependent.<property_name>` was computed from `target`, as the engine does."""
    dependent.property_dependencies.setdefault(property_name, []).append(target)
    dependent.dependencies.append(target)
    return dependent


def check_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource]
) -> list[tuple[str, str | None]]:
    recorder = Recorder()
    assert policy.validate(StackValidationArgs(resources), recorder) is None
    return recorder.reports


# --- the pack --------------------------------------------------------------------------------------------


def test_pack_has_unique_kebab_case_rules_that_default_to_mandatory() -> None:
    names = [p.name for p in POLICIES]
    assert PACK_NAME == "mlplat-guardrails"
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) for name in names)
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in POLICIES)
    assert set(names) == {
        "s3-public-access-block-enabled",
        "s3-bucket-encrypted-with-kms",
        "s3-bucket-has-public-access-block",
        "s3-bucket-has-encryption",
        "s3-bucket-versioning-enabled",
        "s3-bucket-has-versioning",
        "s3-bucket-force-destroy-disabled",
        "vpc-flow-logs-enabled",
        "required-tags",
    }


RELAXED_IN_DEV = {
    "s3-bucket-versioning-enabled",
    "s3-bucket-has-versioning",
    "s3-bucket-force-destroy-disabled",
}


def test_dev_config_relaxes_only_versioning_and_force_destroy_to_advisory() -> None:
    config = json.loads((POLICY_DIR / "config" / "dev.json").read_text())
    assert config == dict.fromkeys(RELAXED_IN_DEV, "advisory")


def test_prod_config_keeps_everything_mandatory() -> None:
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    assert set(config.values()) <= {"mandatory"}
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
    assert check(aws.s3_public_access_block_enabled, BUCKET, {}) == []


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


def test_bucket_with_unknown_tags_does_not_crash_or_report() -> None:
    props = changed(BUCKET_OK, ("tags",), ENGINE_UNKNOWN)
    assert check(aws.required_tags, BUCKET, props) == []


def test_bucket_with_unknown_tag_value_counts_the_tag_as_present() -> None:
    props = changed(BUCKET_OK, ("tags", "owner"), ENGINE_UNKNOWN)
    assert check(aws.required_tags, BUCKET, props) == []


def test_bucket_tagged_by_provider_default_tags_passes() -> None:
    provider = PolicyProviderResource(
        "pulumi:providers:aws",
        as_engine_sends({"region": "us-east-1", "defaultTags": json.dumps({"tags": TAGS})}),
        "urn:pulumi:dev::mlplat::pulumi:providers:aws::aws",
        "aws",
    )
    props = changed(BUCKET_OK, ("tags",), _REMOVE)
    assert check(aws.required_tags, BUCKET, props, provider) == []


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
