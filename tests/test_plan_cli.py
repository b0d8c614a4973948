"""`mlplat plan` end to end, through the real command line, as CI and users run it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, mlplat, mlplat_process, set_path, stack_document, write_stack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_json_follows_the_report_contract(reports: dict[str, Any], stack: str) -> None:
    proc, report = reports[stack]
    assert proc.returncode == 0, proc.stderr
    assert set(report) >= {"project", "stack", "resources", "policy", "cost", "summary"}
    assert (report["project"], report["stack"]) == ("mlplat", stack)
    # The platform stack and its cluster stacks (README "Stacks"), each resource under its own stack's URN.
    assert report["stacks"] == [
        {"project": "mlplat", "stack": stack},
        *({"project": "mlplat-clusters", "stack": f"{stack}-{k}"} for k in ("eks", "gke", "aks")),
    ]
    prefixes = tuple(f"urn:pulumi:{s['stack']}::{s['project']}::" for s in report["stacks"])
    for r in report["resources"]:
        assert set(r) >= {"urn", "type", "name", "parent", "custom", "protect", "inputs"}
        assert r["urn"].startswith(prefixes)
    assert report["policy"]["pack"] == "mlplat-guardrails"
    for v in report["policy"]["violations"]:
        assert set(v) == {"policy", "level", "urn", "message"} and v["level"] in ("mandatory", "advisory")
    cost = report["cost"]
    assert cost["currency"] == "USD"
    assert cost["peakMonthly"] >= cost["idleMonthly"] > 0
    assert set(cost["byCloud"]["aws"]) == {"idleMonthly", "peakMonthly"}
    summary = report["summary"]
    assert summary["resources"] == len(report["resources"])
    assert summary["mandatoryViolations"] == sum(
        v["level"] == "mandatory" for v in report["policy"]["violations"]
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_repository_stacks_have_no_mandatory_violations(reports: dict[str, Any], stack: str) -> None:
    _, report = reports[stack]
    assert report["summary"]["mandatoryViolations"] == 0, report["policy"]["violations"]


def test_inputs_are_reported_in_camel_case_as_the_engine_sees_them(reports: dict[str, Any]) -> None:
    _, report = reports["dev"]
    pab = next(
        r
        for r in report["resources"]
        if r["type"] == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    )
    assert pab["inputs"]["blockPublicAcls"] is True
    assert "block_public_acls" not in pab["inputs"]


def test_every_resource_but_the_stack_and_default_providers_has_a_parent_in_the_plan(
    reports: dict[str, Any],
) -> None:
    _, report = reports["prod"]
    urns = {r["urn"] for r in report["resources"]}
    for r in report["resources"]:
        # The engine registers default providers without a parent (source_eval.go).
        if r["type"] == "pulumi:pulumi:Stack" or r["urn"].rpartition("::")[2].startswith("default_"):
            assert r["parent"] is None
        else:
            assert r["parent"] in urns, r["urn"]


def test_prod_data_is_protected_and_dev_data_is_not(reports: dict[str, Any]) -> None:
    def buckets(stack: str) -> list[dict[str, Any]]:
        return [r for r in reports[stack][1]["resources"] if r["type"] == "aws:s3/bucket:Bucket"]

    assert buckets("prod") and all(b["protect"] for b in buckets("prod"))
    assert buckets("dev") and not any(b["protect"] for b in buckets("dev"))


def test_prod_runs_a_nat_gateway_per_zone_and_dev_a_single_one(reports: dict[str, Any]) -> None:
    def nats(stack: str) -> int:
        return sum(r["type"] == "aws:ec2/natGateway:NatGateway" for r in reports[stack][1]["resources"])

    assert (nats("dev"), nats("prod")) == (1, 3)


def test_tree_output_reads_like_a_preview_with_a_summary() -> None:
    proc = mlplat("plan", "dev")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Previewing update (dev), offline:")
    assert " +   pulumi:pulumi:Stack" in out
    assert "├─ mlplat:aws:Network" in out
    assert "Policies:" in out and "mlplat-guardrails@v0.1.0" in out
    assert "Estimated monthly cost" in out
    assert "Resources:\n    + " in out and " to create" in out


def test_markdown_output_is_a_pr_comment_with_verdict_and_cost(reports: dict[str, Any]) -> None:
    proc = mlplat("plan", "prod", "--markdown")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("### `mlplat plan` on `mlplat/prod`:")
    assert "| Cloud | Idle / month | Peak / month |" in proc.stdout
    assert "<details><summary>Resources</summary>" in proc.stdout


def test_invalid_settings_exit_2_with_one_line_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    write_stack(tmp_path, "prod", set_path(stack_document("prod"), "mlplat:aws.gpuPools.1.maxNodes", -2))
    proc = mlplat_process("plan", "prod", "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "error: Pulumi.prod.yaml: mlplat:aws.gpuPools[1].maxNodes: input should be greater than or equal to 1, got -2"
    ]
    assert "Traceback" not in proc.stderr


def test_missing_stack_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    proc = mlplat("plan", "staging", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Pulumi.staging.yaml" in proc.stderr


def test_mandatory_violation_exits_1(tmp_path: Path) -> None:
    """A VPC without flow logs breaks a mandatory rule in prod: the plan must fail the build."""
    for name in ("Pulumi.yaml",):
        (tmp_path / name).write_text((ROOT / name).read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    write_stack(
        tmp_path,
        "prod",
        set_path(stack_document("prod"), "mlplat:aws.network", {"cidr": "10.20.0.0/16", "flowLogs": False}),
    )
    proc = mlplat("plan", "prod", "--json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [v["policy"] for v in report["policy"]["violations"] if v["level"] == "mandatory"] == [
        "vpc-flow-logs-enabled"
    ]


def test_usage_error_exits_2() -> None:
    proc = mlplat("plan", "dev", "--json", "--markdown")
    assert proc.returncode == 2
