"""The AWS rules driven exactly as the engine drives them: the pack in a subprocess, over the Analyzer protocol.

The plans are the repository's dev and prod stacks (AWS part), recorded under the mocks.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2

from mlplat.engine.analyzer import PolicyReport, run_policy_pack
from mlplat.engine.recording import RecordedResource
from policies import aws
from tests.components.aws_stacks import repository_plan

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
AWS_RULES = {p.name for p in aws.POLICIES}
RELAXED_IN_DEV = {
    "aws-data-stores-protected",
    "eks-cluster-deletion-protection",
    "eks-cluster-endpoint-private",
    "s3-bucket-access-logging",
    "s3-bucket-force-destroy-disabled",
    "s3-bucket-versioning-enabled",
    "sagemaker-domain-retains-home-storage",
}


def analyze(resources: list[RecordedResource], stack: str, config: str) -> PolicyReport:
    return run_policy_pack(
        resources, pack_dir=PACK_DIR, stack=stack, project="mlplat", config_file=PACK_DIR / "config" / config
    )


def aws_violations(report: PolicyReport) -> list[tuple[str, str, str]]:
    return sorted(
        (v.policy, v.level, v.urn.rsplit("::", 1)[-1]) for v in report.violations if v.policy in AWS_RULES
    )


def with_inputs(resource: RecordedResource, change: dict[str, Any]) -> RecordedResource:
    inputs = json_format.MessageToDict(resource.inputs)
    inputs.update(change)
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return replace(resource, inputs=struct)


def tampered_dev() -> list[RecordedResource]:
    """Dev with its GPU pool moved to on-demand, its taint dropped, and the ASG's taint template tag gone."""
    resources = []
    for r in repository_plan("dev").run.resources:
        if r.name == "mlplat-dev-eks-gpu-t4-ng":
            r = with_inputs(r, {"capacityType": "ON_DEMAND", "taints": []})
        if r.name.endswith("-asg-node-template-taint-nvidia-com-gpu"):
            continue
        resources.append(r)
    return resources


@pytest.fixture(scope="module")
def prod_report() -> PolicyReport:
    return analyze(repository_plan("prod").run.resources, "prod", "prod.json")


@pytest.fixture(scope="module")
def dev_report() -> PolicyReport:
    return analyze(repository_plan("dev").run.resources, "dev", "dev.json")


@pytest.fixture(scope="module")
def tampered_dev_report() -> PolicyReport:
    return analyze(tampered_dev(), "dev", "dev.json")


def test_prod_aws_plan_passes_every_aws_rule_at_prod_strictness(prod_report: PolicyReport) -> None:
    assert aws_violations(prod_report) == []
    levels = dict(prod_report.policies)
    assert {levels[name] for name in AWS_RULES} == {"mandatory"}


def test_dev_aws_plan_breaks_only_what_dev_relaxes_and_only_as_advisories(dev_report: PolicyReport) -> None:
    found = aws_violations(dev_report)
    assert {policy for policy, _, _ in found} == RELAXED_IN_DEV
    assert {level for _, level, _ in found} == {"advisory"}


def test_on_demand_gpu_pool_in_dev_is_a_mandatory_violation(tampered_dev_report: PolicyReport) -> None:
    assert ("eks-gpu-node-group-capacity-type", "mandatory", "mlplat-dev-eks-gpu-t4-ng") in aws_violations(
        tampered_dev_report
    )


def test_untainted_gpu_pool_is_a_mandatory_violation_in_any_stack(tampered_dev_report: PolicyReport) -> None:
    found = aws_violations(tampered_dev_report)
    assert ("eks-gpu-node-group-tainted", "mandatory", "mlplat-dev-eks-gpu-t4-ng") in found


def test_missing_autoscaler_taint_tag_is_reported_on_the_node_group_by_the_stack_rule(
    tampered_dev_report: PolicyReport,
) -> None:
    [violation] = [
        v for v in tampered_dev_report.violations if v.policy == "eks-gpu-node-group-scales-from-zero"
    ]
    assert violation.level == "mandatory"
    assert violation.urn.endswith("::mlplat-dev-eks-gpu-t4-ng")
    assert "node-template/taint/nvidia.com/gpu" in violation.message


def test_the_same_on_demand_pool_passes_the_capacity_rule_in_prod() -> None:
    report = analyze(tampered_dev(), "dev", "prod.json")
    assert not [v for v in report.violations if v.policy == "eks-gpu-node-group-capacity-type"]
