"""`mlplat compliance STACK`: the plan's verdicts joined with the control map, per benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlplat.delivery.compliance import (
    FAILING,
    PASSING,
    failed_mandatory,
    measure,
    render_docs,
    render_markdown,
)
from policies.controls import IMPLEMENTED_BY
from tests.conftest import ROOT, mlplat, set_path, stack_document, write_stack

URN = "urn:pulumi:prod::mlplat::mlplat:aws:Network$aws:ec2/vpc:Vpc::mlplat-prod-vpc"


def report(*violations: tuple[str, str], types: tuple[str, ...] = ("aws:ec2/vpc:Vpc",)) -> dict[str, Any]:
    return {
        "resources": [{"type": t} for t in types],
        "policy": {
            "violations": [
                {"policy": p, "level": level, "urn": URN, "message": "no flow log"} for p, level in violations
            ]
        },
    }


def control(verdicts: list[Any], benchmark: str, cid: str) -> Any:
    b = next(b for b in verdicts if b.benchmark.key == benchmark)
    return next(c for c in b.controls if c.control.id == cid)


def test_a_control_fails_on_an_advisory_violation_of_its_rule_and_says_the_level() -> None:
    assert "vpc-flow-logs-enabled" in IMPLEMENTED_BY["aws-fsbp:EC2.6"]
    verdicts = measure(report(("vpc-flow-logs-enabled", "advisory")))
    ec2_6 = control(verdicts, "aws-fsbp", "EC2.6")
    assert ec2_6.state == FAILING and [v["level"] for v in ec2_6.violations] == ["advisory"]
    assert failed_mandatory(verdicts) == 0
    assert (
        "| advisory | `vpc-flow-logs-enabled` | `prod: aws:ec2/vpc:Vpc mlplat-prod-vpc` |"
        in render_markdown("prod", verdicts)
    )


def test_a_mandatory_violation_fails_the_control_and_the_command() -> None:
    verdicts = measure(report(("vpc-flow-logs-enabled", "mandatory")))
    assert failed_mandatory(verdicts) >= 1
    assert control(verdicts, "cis-eks", "2.1.1").state == PASSING


def test_a_benchmark_of_a_cloud_absent_from_the_plan_is_not_measured() -> None:
    verdicts = measure(report(("vpc-flow-logs-enabled", "mandatory"), types=("gcp:compute/network:Network",)))
    assert [b.benchmark.key for b in verdicts if b.measured] == ["cis-gke", "cis-gcp"]
    assert failed_mandatory(verdicts) == 0


def test_compliance_prod_passes_and_reports_every_benchmark_as_json() -> None:
    proc = mlplat("compliance", "prod", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [b["key"] for b in out["benchmarks"]] == [
        "cis-eks",
        "cis-gke",
        "cis-aks",
        "aws-fsbp",
        "cis-gcp",
        "mcsb",
    ]
    assert out["summary"]["failingMandatory"] == 0
    assert all(b["measured"] for b in out["benchmarks"])


def test_compliance_fails_a_control_broken_by_a_mandatory_rule(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    write_stack(
        tmp_path,
        "prod",
        set_path(stack_document("prod"), "mlplat:aws.network", {"cidr": "10.20.0.0/16", "flowLogs": False}),
    )
    proc = mlplat("compliance", "prod", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "FAIL EC2.6 VPC flow logging should be enabled in all VPCs" in proc.stdout
    assert "mandatory `vpc-flow-logs-enabled` on prod: aws:ec2/vpc:Vpc" in proc.stdout


def test_an_unknown_stack_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    proc = mlplat("compliance", "staging", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    assert "Pulumi.staging.yaml" in proc.stderr


def test_compliance_reference_is_current_with_the_map_and_the_prod_plan(
    reports: dict[str, tuple[Any, dict[str, Any]]],
) -> None:
    _, prod = reports["prod"]
    current = (ROOT / "docs" / "compliance.md").read_text()
    assert current == render_docs(prod), "run `mlplat compliance-docs --write`"
