"""Rules at the `remediate` level fix what they flag, and the offline engine deploys the fixed inputs.

The engine (pulumi/pulumi `pkg/resource/deploy/step_generator.go`) calls Remediate on every resource
before Analyze, replaces the inputs with each remediation's properties, then analyses and deploys
those; a rule set to `remediate` that has no remediation is reported as mandatory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pytest
from google.protobuf.json_format import MessageToDict
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.deserialize import serialize_properties

from mlplat.engine.analyzer import run_policy_pack
from mlplat.engine.cost import CostEstimate
from mlplat.engine.program import run_in_mock_engine
from mlplat.engine.report import build_report, render_markdown, render_tree
from policies.common import REMEDIATIONS, judged_types, resource_rule, with_remediation
from policies.pack import POLICIES
from tests.policies.harness import OPTIONS, as_engine_sends, check, urn_of

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# One resource each remediation must fix, and the value its document gives as the safe one.
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # S3 Block Public Access: all four settings true block every public ACL and policy.
    "s3-public-access-block-enabled": (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"bucket": "data", "blockPublicAcls": False, "restrictPublicBuckets": True},
        {
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    ),
    "s3-bucket-force-destroy-disabled": (
        "aws:s3/bucket:Bucket",
        {"forceDestroy": True},
        {"forceDestroy": False},
    ),
    # KMS: automatic rotation of a symmetric key is `enableKeyRotation: true`.
    "kms-key-rotation-enabled": ("aws:kms/key:Key", {"description": "k"}, {"enableKeyRotation": True}),
    "eks-cluster-deletion-protection": (
        "aws:eks/cluster:Cluster",
        {"name": "c"},
        {"deletionProtection": True},
    ),
    "gcs-bucket-uniform-access": (
        "gcp:storage/bucket:Bucket",
        {"location": "US", "uniformBucketLevelAccess": False},
        {"uniformBucketLevelAccess": True},
    ),
    # Cloud Storage: public access prevention "enforced" (the other value, "inherited", allows public grants).
    "gcs-bucket-public-access-prevention": (
        "gcp:storage/bucket:Bucket",
        {"location": "US", "publicAccessPrevention": "inherited"},
        {"publicAccessPrevention": "enforced"},
    ),
    "gcs-bucket-force-destroy-disabled": (
        "gcp:storage/bucket:Bucket",
        {"location": "US", "forceDestroy": True},
        {"forceDestroy": False},
    ),
    "gke-deletion-protection": (
        "gcp:container/cluster:Cluster",
        {"location": "us-central1", "deletionProtection": False},
        {"deletionProtection": True},
    ),
}
BY_NAME = {p.name: p for p in POLICIES}


def _remediate(policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any]) -> Any:
    args = ResourceValidationArgs(
        resource_type, as_engine_sends(props), urn_of(resource_type, "r"), "r", OPTIONS, None, {}
    )
    result = policy.remediate(args)
    return None if result is None else serialize_properties(cast(Mapping[str, Any], result))


def test_every_remediation_has_a_case_and_every_case_a_remediation() -> None:
    assert REMEDIATIONS, "the pack remediates nothing"
    assert sorted(CASES) == sorted(REMEDIATIONS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_remediation_fixes_what_its_rule_flags_and_nothing_else(name: str) -> None:
    policy = BY_NAME[name]
    assert isinstance(policy, ResourceValidationPolicy)
    resource_type, props, safe = CASES[name]
    assert check(policy, resource_type, props), "the case must violate the rule first"

    fixed = _remediate(policy, resource_type, {**props, "other": ENGINE_UNKNOWN})

    assert fixed == {**props, "other": ENGINE_UNKNOWN, **safe}  # unknowns elsewhere pass through unknown
    assert check(policy, resource_type, {k: v for k, v in fixed.items() if k != "other"}) == []
    # A resource the rule accepts is left as the program wrote it.
    assert _remediate(policy, resource_type, {**props, **safe}) is None


def _program() -> None:
    bucket = aws.s3.Bucket("data", aws.s3.BucketArgs(force_destroy=True))
    aws.s3.BucketPublicAccessBlock(
        "data-pab",
        aws.s3.BucketPublicAccessBlockArgs(bucket=bucket.id, block_public_acls=False),
        opts=pulumi.ResourceOptions(parent=bucket),
    )
    aws.sns.Topic(
        "alerts", name="alerts"
    )  # no KMS key: violates sns-topic-encrypted-with-kms, which cannot remediate


@pytest.fixture(scope="module")
def run() -> Any:
    return run_in_mock_engine(_program, stack="dev", config={"aws:region": "us-east-1"}, preview=True)


def _judge(run: Any, tmp_path: Path, level: str) -> Any:
    config = tmp_path / f"{level}.json"
    names = (
        "s3-bucket-force-destroy-disabled",
        "s3-public-access-block-enabled",
        "sns-topic-encrypted-with-kms",
    )
    config.write_text(json.dumps(dict.fromkeys(names, level)))
    return run_policy_pack(
        run.resources, pack_dir=PACK_DIR, stack="dev", project="mlplat", config_file=config
    )


def test_at_remediate_the_engine_deploys_the_fixed_inputs_and_reports_the_change(
    run: Any, tmp_path: Path
) -> None:
    report = _judge(run, tmp_path, "remediate")
    by_type = {r.type: r for r in run.resources}
    bucket = by_type["aws:s3/bucket:Bucket"]
    pab = by_type["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]

    flagged = {(v.policy, v.urn, v.level) for v in report.violations}
    assert ("s3-bucket-force-destroy-disabled", bucket.urn, "mandatory") not in flagged
    assert ("s3-public-access-block-enabled", pab.urn, "mandatory") not in flagged
    # Set to remediate without a remediation: reported as mandatory, as the engine does.
    topic = by_type["aws:sns/topic:Topic"]
    assert ("sns-topic-encrypted-with-kms", topic.urn, "mandatory") in flagged
    assert MessageToDict(report.inputs(bucket))["forceDestroy"] is False
    assert MessageToDict(bucket.inputs)["forceDestroy"] is True  # the program's record is left as it was

    plan = build_report(
        project="mlplat",
        stack="dev",
        resources=run.resources,
        policy=report,
        cost=CostEstimate("USD"),
        outputs={},
    )
    remediations = {(m["policy"], m["urn"]): m["changes"] for m in plan["policy"]["remediations"]}
    assert remediations[("s3-bucket-force-destroy-disabled", bucket.urn)] == {
        "forceDestroy": {"before": True, "after": False}
    }
    assert remediations[("s3-public-access-block-enabled", pab.urn)]["blockPublicAcls"] == {
        "before": False,
        "after": True,
    }
    shown = {r["urn"]: r["inputs"] for r in plan["resources"]}
    assert shown[bucket.urn]["forceDestroy"] is False
    # What a reviewer reads: the terminal tree and the pull-request comment name each change.
    assert "[remediated]  s3-bucket-force-destroy-disabled  (aws:s3:Bucket: data)" in render_tree(plan)
    assert "forceDestroy: True => False" in render_tree(plan)
    assert (
        "| remediated | `s3-bucket-force-destroy-disabled` | `data` | `forceDestroy`: True → False |"
        in render_markdown(plan)
    )


def test_at_mandatory_nothing_is_remediated_and_the_rule_blocks(run: Any, tmp_path: Path) -> None:
    report = _judge(run, tmp_path, "mandatory")
    bucket = next(r for r in run.resources if r.type == "aws:s3/bucket:Bucket")
    assert report.remediations == []
    assert ("s3-bucket-force-destroy-disabled", bucket.urn, "mandatory") in {
        (v.policy, v.urn, v.level) for v in report.violations
    }
    assert MessageToDict(report.inputs(bucket))["forceDestroy"] is True


def test_a_rule_made_remediable_keeps_its_identity_and_fixes_only_what_it_flags() -> None:
    schema = PolicyConfigSchema(properties={"allowOpen": {"type": "boolean"}})
    rule = resource_rule(
        "remediation-test-rule",
        "Buckets must not be open.",
        ["aws:s3/bucket:Bucket"],
        lambda args: ["open is true"] if args.props.get("open") is True else [],
        schema,
    )
    fixed = with_remediation(rule, {"open": False, "note": "closed by policy"})
    try:
        assert (fixed.name, fixed.description) == ("remediation-test-rule", "Buckets must not be open.")
        assert fixed.enforcement_level == EnforcementLevel.MANDATORY
        assert fixed.config_schema is schema  # the pack's config for the rule is still accepted
        assert judged_types(fixed) == frozenset({"aws:s3/bucket:Bucket"})
        assert REMEDIATIONS["remediation-test-rule"] == {"open": False, "note": "closed by policy"}
        bucket = "aws:s3/bucket:Bucket"
        assert check(fixed, bucket, {"open": True}) == ["open is true."]
        assert _remediate(fixed, bucket, {"open": True, "size": 1}) == {
            "open": False,
            "note": "closed by policy",
            "size": 1,
        }
        assert _remediate(fixed, bucket, {"open": False}) is None
        # Another type is not the rule's: nothing to fix.
        assert _remediate(fixed, "aws:s3/bucketV2:BucketV2", {"open": True}) is None
    finally:
        REMEDIATIONS.pop("remediation-test-rule", None)


def test_a_rule_that_meets_every_resource_stays_so_when_made_remediable() -> None:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.props.get("open") is True:
            report_violation("open is true.", None)

    rule = ResourceValidationPolicy("remediation-any-type", "Nothing may be open.", validate)
    fixed = with_remediation(rule, {"open": False})
    try:
        assert judged_types(fixed) is None  # as the SDK calls it: for every resource
        for resource_type in ("aws:s3/bucket:Bucket", "gcp:storage/bucket:Bucket"):
            assert check(fixed, resource_type, {"open": True}) == ["open is true."]
            assert _remediate(fixed, resource_type, {"open": True}) == {"open": False}
            assert _remediate(fixed, resource_type, {"open": False}) is None
    finally:
        REMEDIATIONS.pop("remediation-any-type", None)
