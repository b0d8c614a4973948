"""The real pack, launched as the engine launches it and driven over pulumirpc.Analyzer.

Each `run_policy_pack` call starts a pack process (~0.5 s), so the reports are module-scoped.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

from components.common.tags import platform_tags
from mlplat.engine.analyzer import (
    PolicyConfigError,
    PolicyPackError,
    PolicyReport,
    Violation,
    run_policy_pack,
)
from mlplat.engine.recording import RecordedResource
from policies.pack import POLICIES

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
DEV_CONFIG = PACK_DIR / "config" / "dev.json"
PROD_CONFIG = PACK_DIR / "config" / "prod.json"

PROJECT = "mlplat"
STACK = "dev"
STACK_TYPE = "pulumi:pulumi:Stack"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::{STACK_TYPE}::{PROJECT}-{STACK}"
COMPONENT_TYPE = "mlplat:aws:SecureBucket"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
DENY_INSECURE_TRANSPORT = {
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
}
PROVIDER_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:aws::aws"

TAGS = platform_tags(environment="dev", owner="ml-platform", cost_center="cc-ml-1234", stack=STACK)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-aaaa-bbbb-cccc-111122223333"


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(values)
    return result


def child_urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{COMPONENT_TYPE}${resource_type}::{name}"


def record(
    resource_type: str,
    name: str,
    inputs: dict[str, Any],
    *,
    urn: str,
    parent: str = STACK_URN,
    custom: bool = True,
    property_dependencies: dict[str, list[str]] | None = None,
    protect: bool = False,
) -> RecordedResource:
    deps = property_dependencies or {}
    return RecordedResource(
        urn=urn,
        type=resource_type,
        name=name,
        parent=parent,
        custom=custom,
        protect=protect,
        retain_on_delete=False,
        provider=f"{PROVIDER_URN}::provider-id" if custom else "",
        inputs=struct(inputs),
        dependencies=sorted({u for urns in deps.values() for u in urns}),
        property_dependencies=deps,
    )


def platform() -> list[RecordedResource]:
    """The stack and an explicit aws provider whose default tags tag every resource."""
    return [
        record(STACK_TYPE, f"{PROJECT}-{STACK}", {}, urn=STACK_URN, parent="", custom=False),
        RecordedResource(
            urn=PROVIDER_URN,
            type="pulumi:providers:aws",
            name="aws",
            parent=STACK_URN,
            custom=True,
            protect=False,
            retain_on_delete=False,
            provider="",
            # The SDK sends object-valued provider inputs as JSON strings.
            inputs=struct({"region": "us-east-1", "defaultTags": json.dumps({"tags": TAGS})}),
        ),
    ]


def bucket_set(
    name: str,
    *,
    pab: dict[str, Any] | None = None,
    sse_key: Any = KEY_ARN,
    versioning_status: str = "Enabled",
) -> list[RecordedResource]:
    """A SecureBucket component with its bucket and the three companions wired through `bucket`."""
    component_urn = f"urn:pulumi:{STACK}::{PROJECT}::{COMPONENT_TYPE}::{name}"
    bucket_urn = child_urn(BUCKET, name)
    linked = {"bucket": [bucket_urn]}
    pab_inputs = {
        "bucket": f"{name}-abc",
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
        **(pab or {}),
    }
    sse_rule = {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": sse_key},
        "bucketKeyEnabled": True,
    }
    return [
        record(COMPONENT_TYPE, name, {}, urn=component_urn, custom=False),
        record(
            BUCKET,
            name,
            {"bucketPrefix": f"{name}-", "forceDestroy": False},
            urn=bucket_urn,
            parent=component_urn,
            protect=True,  # a prod data bucket (aws-data-stores-protected)
        ),
        record(
            PAB,
            f"{name}-pab",
            pab_inputs,
            urn=child_urn(PAB, f"{name}-pab"),
            parent=component_urn,
            property_dependencies=linked,
        ),
        record(
            SSE,
            f"{name}-sse",
            {"bucket": f"{name}-abc", "rules": [sse_rule]},
            urn=child_urn(SSE, f"{name}-sse"),
            parent=component_urn,
            property_dependencies=linked,
        ),
        record(
            VERSIONING,
            f"{name}-versioning",
            {"bucket": f"{name}-abc", "versioningConfiguration": {"status": versioning_status}},
            urn=child_urn(VERSIONING, f"{name}-versioning"),
            parent=component_urn,
            property_dependencies=linked,
        ),
        *(
            # Stack rules read state: a preview's outputs echo the inputs (what the TLS rule reads).
            dataclasses.replace(companion, outputs=companion.inputs)
            for companion in (
                record(
                    kind,
                    f"{name}-{suffix}",
                    {"bucket": f"{name}-abc", **inputs},
                    urn=child_urn(kind, f"{name}-{suffix}"),
                    parent=component_urn,
                    property_dependencies=linked,
                )
                for kind, suffix, inputs in (
                    (LIFECYCLE, "lifecycle", {"rules": [{"id": "expire", "status": "Enabled"}]}),
                    (OWNERSHIP, "ownership", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}),
                    (BUCKET_POLICY, "policy", {"policy": json.dumps(DENY_INSECURE_TRANSPORT)}),
                    (
                        BUCKET_LOGGING,
                        "logging",
                        {"targetBucket": "access-logs-abc", "targetPrefix": f"{name}/"},
                    ),
                )
            )
        ),
    ]


def mixed_stack() -> list[RecordedResource]:
    """A compliant "models" set, a "data" set with a bad PAB and suspended versioning, and a lone bucket."""
    orphan_urn = f"urn:pulumi:{STACK}::{PROJECT}::{BUCKET}::orphan"
    return [
        *platform(),
        *bucket_set("models", sse_key={SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": KEY_ARN}),
        # blockPublicAcls is unknown during preview: the known bad flag must still be reported.
        *bucket_set(
            "data",
            pab={"blockPublicAcls": ENGINE_UNKNOWN, "blockPublicPolicy": False},
            versioning_status="Suspended",
        ),
        record(BUCKET, "orphan", {"bucketPrefix": "orphan-"}, urn=orphan_urn),
    ]


# What `mlplat plan` hands the budget rules with the stack's config: an estimate within budget.
WITHIN_BUDGET = {"idleMonthly": 100.0, "peakMonthly": 200.0, "budgetMonthly": 1000.0, "peakFactor": 3.0}


def run(resources: list[RecordedResource], config_file: Path | None) -> PolicyReport:
    return run_policy_pack(
        resources,
        pack_dir=PACK_DIR,
        stack=STACK,
        project=PROJECT,
        config_file=config_file,
        plan_config=dict.fromkeys(
            ("cost-idle-within-budget", "cost-peak-within-budget-factor"), WITHIN_BUDGET
        ),
    )


@pytest.fixture(scope="module")
def compliant_report() -> PolicyReport:
    return run([*platform(), *bucket_set("models")], PROD_CONFIG)


@pytest.fixture(scope="module")
def dev_report() -> PolicyReport:
    return run(mixed_stack(), DEV_CONFIG)


@pytest.fixture(scope="module")
def prod_report() -> PolicyReport:
    return run(mixed_stack(), PROD_CONFIG)


def of_policy(report: PolicyReport, policy: str) -> list[Violation]:
    return [v for v in report.violations if v.policy == policy]


def test_compliant_bucket_set_has_no_violations(compliant_report: PolicyReport) -> None:
    assert compliant_report.violations == []
    assert (compliant_report.pack, compliant_report.version) == ("mlplat-guardrails", "0.1.0")


def test_public_access_block_with_one_flag_off_is_mandatory_violation(prod_report: PolicyReport) -> None:
    assert of_policy(prod_report, "s3-public-access-block-enabled") == [
        Violation(
            policy="s3-public-access-block-enabled",
            level="mandatory",
            urn=child_urn(PAB, "data-pab"),
            message="blockPublicPolicy is false; all four flags must be true (unset means false).",
        )
    ]


def test_versioning_rule_is_advisory_with_dev_config(dev_report: PolicyReport) -> None:
    [violation] = of_policy(dev_report, "s3-bucket-versioning-enabled")
    assert (violation.level, violation.urn) == ("advisory", child_urn(VERSIONING, "data-versioning"))
    assert violation.message == 'versioningConfiguration.status is "Suspended", expected "Enabled".'


def test_versioning_rule_is_mandatory_with_prod_config(prod_report: PolicyReport) -> None:
    [violation] = of_policy(prod_report, "s3-bucket-versioning-enabled")
    assert (violation.level, violation.urn) == ("mandatory", child_urn(VERSIONING, "data-versioning"))


def test_dev_config_does_not_relax_public_access_rules(dev_report: PolicyReport) -> None:
    assert [v.level for v in of_policy(dev_report, "s3-public-access-block-enabled")] == ["mandatory"]
    assert [v.level for v in of_policy(dev_report, "s3-bucket-has-public-access-block")] == ["mandatory"]


def test_report_lists_each_policy_with_its_effective_level(
    dev_report: PolicyReport, prod_report: PolicyReport
) -> None:
    dev_levels = dict(dev_report.policies)
    assert dev_levels["s3-bucket-has-versioning"] == "advisory"
    assert dev_levels["required-tags"] == "mandatory"
    # In prod everything is mandatory except the rules whose default is advisory by design.
    advisory_by_design = {"cost-peak-within-budget-factor", "azure-vnet-flow-logs"}
    prod_levels = dict(prod_report.policies)
    assert {n for n, level in prod_levels.items() if level != "mandatory"} == advisory_by_design
    assert [name for name, _ in prod_report.policies] == sorted(name for name, _ in prod_report.policies)


def test_stack_rule_violations_name_the_bucket_missing_its_companions(prod_report: PolicyReport) -> None:
    orphan_urn = f"urn:pulumi:{STACK}::{PROJECT}::{BUCKET}::orphan"
    for policy in (
        "s3-bucket-has-public-access-block",
        "s3-bucket-has-encryption",
        "s3-bucket-has-versioning",
    ):
        assert [(v.urn, v.level) for v in of_policy(prod_report, policy)] == [(orphan_urn, "mandatory")]


def test_compliant_set_next_to_bad_ones_stays_clean_and_unknowns_raise_no_preview_warning(
    prod_report: PolicyReport,
) -> None:
    assert not [v for v in prod_report.violations if "models" in v.urn]
    assert not [v for v in prod_report.violations if "during preview" in v.message]


def test_violations_are_sorted_mandatory_first(prod_report: PolicyReport, dev_report: PolicyReport) -> None:
    for report in (prod_report, dev_report):
        keys = [(v.level != "mandatory", v.policy, v.urn, v.message) for v in report.violations]
        assert keys == sorted(keys)


def test_a_config_entry_for_a_policy_the_pack_lacks_is_ignored_as_the_cli_does(tmp_path: Path) -> None:
    config = tmp_path / "old.json"
    config.write_text(json.dumps({"a-rule-this-pack-dropped": "advisory"}))
    assert run([*platform(), *bucket_set("models")], config).violations == []


def test_the_repository_policy_configs_name_only_policies_of_the_pack() -> None:
    names = {p.name for p in POLICIES}
    files = sorted((ROOT / "policies" / "config").glob("*.json"))
    assert files
    for path in files:
        assert set(json.loads(path.read_text())) - names - {"all"} == set(), path.name


def test_config_that_breaks_a_policys_schema_is_refused_before_any_analysis(tmp_path: Path) -> None:
    config = tmp_path / "bad-value.json"
    config.write_text(json.dumps({"eks-gpu-node-group-capped": {"maxGpusPerPool": "lots"}}))
    with pytest.raises(
        PolicyConfigError,
        match=r"bad-value\.json: validating policy config for mlplat-guardrails: "
        r"eks-gpu-node-group-capped\.maxGpusPerPool: 'lots' is not of type 'integer'",
    ):
        run([], config)


def test_invalid_enforcement_level_in_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "bad-level.json"
    config.write_text(json.dumps({"required-tags": {"enforcementLevel": "warn"}}))
    with pytest.raises(PolicyConfigError, match="required-tags: 'warn' is not a valid enforcement level"):
        run([], config)


def test_pack_that_fails_to_load_reports_its_exit_status_and_stderr(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('rules failed to import')\n")
    with pytest.raises(
        PolicyPackError, match=r"(?s)exited with status 1 before reporting its port.*rules failed"
    ):
        run_policy_pack([], pack_dir=tmp_path, stack=STACK, project=PROJECT, config_file=None)


def test_the_resource_options_a_program_sets_reach_the_rules_as_the_engine_sends_them(tmp_path: Path) -> None:
    """ignoreChanges, deleteBeforeReplace, aliases, customTimeouts and additionalSecretOutputs, as a rule sees them."""
    import pulumi

    from mlplat.engine.program import run_in_mock_engine

    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "def show(args, report):\n"
        "    if args.resource_type != 'test:index:Thing':\n"
        "        return\n"
        "    o = args.opts\n"
        "    t = o.custom_timeouts\n"
        "    report(repr((sorted(o.ignore_changes), o.delete_before_replace, list(o.aliases),\n"
        "                 (t.create_seconds, t.update_seconds, t.delete_seconds), list(o.additional_secret_outputs))))\n"
        "PolicyPack('options', [ResourceValidationPolicy('show', 'show options', show)], EnforcementLevel.ADVISORY)\n"
    )

    def body() -> None:
        pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {"size": 1},
            opts=pulumi.ResourceOptions(
                ignore_changes=["size", "tags"],
                delete_before_replace=True,
                aliases=[
                    "urn:pulumi:dev::mlplat::test:index:Thing::old-thing",
                    pulumi.Alias(name="older-thing"),
                ],
                custom_timeouts=pulumi.CustomTimeouts(create="1h30m", delete="90s"),
                additional_secret_outputs=["password"],
            ),
        )

    run = run_in_mock_engine(body, stack="dev", config={})
    report = run_policy_pack(run.resources, pack_dir=tmp_path, stack="dev", project=PROJECT, config_file=None)

    assert [v.message for v in report.violations] == [
        repr(
            (
                ["size", "tags"],
                True,
                [
                    "urn:pulumi:dev::mlplat::test:index:Thing::old-thing",
                    "urn:pulumi:dev::mlplat::test:index:Thing::older-thing",
                ],
                (5400.0, 0.0, 90.0),
                ["password"],
            )
        )
    ]


def test_every_registration_is_analysed_and_the_stack_rules_see_outputs_as_in_the_engine(
    tmp_path: Path,
) -> None:
    """Analyze meets the stack and components too (with inputs); AnalyzeStack sees each resource's outputs."""
    import pulumi

    from mlplat.engine.program import run_in_mock_engine

    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy\n"
        "def seen(args, report):\n"
        "    report('analyzed ' + args.resource_type)\n"
        "def state(args, report):\n"
        "    for r in args.resources:\n"
        "        if r.resource_type == 'test:index:Box':\n"
        "            report('outputs ' + repr(sorted(r.props.items())), r.urn)\n"
        "PolicyPack('seen', [ResourceValidationPolicy('seen', 'seen', seen), StackValidationPolicy('state', 'state', state)],"
        " EnforcementLevel.ADVISORY)\n"
    )

    def body() -> None:
        box = pulumi.ComponentResource("test:index:Box", "box")
        pulumi.CustomResource(
            "test:index:Thing", "thing", {"size": 1}, opts=pulumi.ResourceOptions(parent=box)
        )
        box.register_outputs({"answer": 42})

    run = run_in_mock_engine(body, stack="dev", config={})
    report = run_policy_pack(run.resources, pack_dir=tmp_path, stack="dev", project=PROJECT, config_file=None)

    analyzed = {v.message for v in report.violations if v.policy == "seen"}
    assert analyzed == {
        "analyzed pulumi:pulumi:Stack",
        "analyzed test:index:Box",
        "analyzed test:index:Thing",
        "analyzed pulumi:providers:test",  # the default provider the engine registers for Thing
    }
    assert [v.message for v in report.violations if v.policy == "state"] == ["outputs [('answer', 42.0)]"]
