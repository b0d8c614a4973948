"""The constraints layer: every planned type is covered, the table is current, the report carries it."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from mlplat.engine.constraints import RULES, UNCONSTRAINED, Res, check, covered
from mlplat.engine.constraints.azure import budget_start_problems
from tests.conftest import ROOT

Reports = dict[str, tuple[subprocess.CompletedProcess[str], dict[str, Any]]]


def test_every_resource_type_in_the_dev_and_prod_plans_has_rules_or_an_explicit_no_constraint(
    reports: Reports,
) -> None:
    types = {r["type"] for _, report in reports.values() for r in report["resources"]}
    assert sorted(t for t in types if not covered(t)) == []


def test_no_type_is_both_constrained_and_declared_unconstrained() -> None:
    ruled = {t for rule in RULES for t in rule.types}
    assert sorted(ruled & set(UNCONSTRAINED)) == []


def test_every_rule_names_its_source_and_ids_are_unique() -> None:
    assert all(rule.source.strip() and rule.refuses.strip() for rule in RULES)
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))


def test_constraints_reference_is_current_and_lists_every_planned_type(reports: Reports) -> None:
    from mlplat.delivery.constraint_docs import render

    current = (ROOT / "docs" / "constraints.md").read_text()
    assert current == render(), "run `mlplat constraint-docs --write`"
    types = {r["type"] for _, report in reports.values() for r in report["resources"]}
    missing = sorted(
        t for t in types if not t.startswith(("mlplat:", "pulumi:pulumi:")) and f"| `{t}` |" not in current
    )
    assert missing == []


def test_the_plans_pass_the_constraints_and_the_report_keeps_its_contract(reports: Reports) -> None:
    for stack, (proc, report) in reports.items():
        assert proc.returncode == 0, (stack, proc.stderr[-2000:])
        assert {"project", "stack", "resources", "policy", "cost", "summary"} <= report.keys()
        assert report["constraints"]["rules"] == len(RULES)
        assert report["constraints"]["violations"] == []
        assert report["summary"]["constraintViolations"] == 0


def _res(token: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> Res:
    return Res(f"urn:pulumi:dev::mlplat::{token}::r", token, "r", "", True, inputs, outputs or {})


# Examples straight from the providers' naming pages (S3 bucket naming rules, Azure storage account
# names, Cloud KMS ids, GKE cluster names, Kubernetes namespaces).
@pytest.mark.parametrize(
    ("token", "inputs", "rule"),
    [
        ("aws:s3/bucket:Bucket", {"bucket": "My_Bucket"}, "aws-s3-bucket-name"),
        ("aws:s3/bucket:Bucket", {"bucket": "ab"}, "aws-s3-bucket-name"),
        ("aws:s3/bucket:Bucket", {"bucket": "xn--bucket"}, "aws-s3-bucket-name"),
        ("aws:iam/role:Role", {"name": "r" * 65}, "aws-iam-role-name"),
        ("aws:kms/alias:Alias", {"name": "alias/aws/ebs"}, "aws-kms-alias-name"),
        ("aws:eks/cluster:Cluster", {"name": "-cluster"}, "aws-eks-cluster-name"),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 45}, "aws-log-group-retention"),
        ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/8"}, "aws-vpc-cidr-size"),
        ("aws:ec2/securityGroup:SecurityGroup", {"name": "sg-nodes"}, "aws-security-group-name"),
        ("aws:sagemaker/domain:Domain", {"domainName": "ml_domain"}, "aws-sagemaker-domain-name"),
        ("aws:s3/bucket:Bucket", {"tags": {"aws:owner": "x"}}, "aws-tags"),
        ("aws:s3/bucket:Bucket", {"tags": {f"k{i}": "v" for i in range(51)}}, "aws-tags"),
        ("gcp:storage/bucket:Bucket", {"name": "google-data"}, "gcp-storage-bucket-name"),
        ("gcp:storage/bucket:Bucket", {"labels": {"Team": "ml"}}, "gcp-labels"),
        ("gcp:serviceaccount/account:Account", {"accountId": "svc"}, "gcp-service-account-name"),
        ("gcp:container/cluster:Cluster", {"name": "a" * 41}, "gcp-gke-cluster-name"),
        ("gcp:kms/keyRing:KeyRing", {"name": "ring"}, "gcp-kms-names-permanent"),
        ("azure-native:storage:StorageAccount", {"accountName": "st-data"}, "azure-storage-account-name"),
        ("azure-native:keyvault:Vault", {"vaultName": "kv--data"}, "azure-key-vault-name"),
        (
            "azure-native:containerservice:AgentPool",
            {"agentPoolName": "gpupoola100xyz"},
            "azure-aks-agent-pool-name",
        ),
        (
            "azure-native:authorization:RoleAssignment",
            {"roleAssignmentName": "reader"},
            "azure-role-assignment-name",
        ),
        ("kubernetes:core/v1:Namespace", {"metadata": {"name": "Team_A"}}, "kubernetes-object-names"),
        ("kubernetes:helm.sh/v3:Release", {"name": "r" * 54}, "helm-release-name"),
    ],
)
def test_a_value_the_provider_documents_as_invalid_is_refused(
    token: str, inputs: dict[str, Any], rule: str
) -> None:
    assert rule in {f.rule for f in check([_res(token, inputs)])}


@pytest.mark.parametrize(
    ("token", "inputs"),
    [
        ("aws:s3/bucket:Bucket", {"bucket": "my-bucket.logs", "tags": {"owner": "ml"}}),
        ("aws:iam/role:Role", {"name": "r" * 64}),
        ("aws:kms/alias:Alias", {"name": "alias/mlplat-dev-data"}),
        ("aws:eks/cluster:Cluster", {"name": "mlplat-dev"}),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 30}),
        ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.10.0.0/16"}),
        ("gcp:storage/bucket:Bucket", {"name": "mlplat-dev-data-3fa2b1", "labels": {"team": "ml"}}),
        ("gcp:serviceaccount/account:Account", {"accountId": "mlplat-dev-nodes"}),
        (
            "gcp:kms/keyRing:KeyRing",
            {"location": "us-central1"},
        ),
        ("azure-native:storage:StorageAccount", {"accountName": "stmlplatdev8f5969"}),
        ("azure-native:keyvault:Vault", {"vaultName": "kv-mlplat-dev-8f5969"}),
        ("azure-native:containerservice:AgentPool", {"agentPoolName": "gpua100"}),
        (
            "azure-native:authorization:RoleAssignment",
            {"roleAssignmentName": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
        ),
        ("kubernetes:core/v1:Namespace", {"metadata": {"name": "team-a", "labels": {"mlplat.io/team": "a"}}}),
    ],
)
def test_a_value_the_provider_documents_as_valid_passes(token: str, inputs: dict[str, Any]) -> None:
    assert check([_res(token, inputs)]) == []


def test_autonamed_physical_names_are_checked_from_what_the_provider_fills_in() -> None:
    found = check([_res("aws:iam/role:Role", {}, {"name": "r" * 70})])
    assert [f.rule for f in found] == ["aws-iam-role-name"]


def test_a_value_unknown_during_preview_is_skipped() -> None:
    assert check([_res("aws:s3/bucket:Bucket", {"bucket": "[unknown]"})]) == []


def test_azure_budget_start_date_must_be_this_month_or_later_and_within_a_year() -> None:
    import datetime as dt

    now = dt.date(2027, 3, 15)
    assert list(budget_start_problems(dt.date(2027, 3, 1), now)) == []
    assert list(budget_start_problems(dt.date(2028, 3, 1), now)) == []
    assert len(list(budget_start_problems(dt.date(2027, 2, 1), now))) == 1
    assert len(list(budget_start_problems(dt.date(2028, 4, 1), now))) == 1
    assert len(list(budget_start_problems(dt.date(2027, 3, 2), now))) == 1


def test_a_constraint_violation_names_resource_rule_and_source_and_the_plan_exits_1(tmp_path: Any) -> None:
    import json

    from tests.conftest import mlplat, set_path, stack_document, write_stack

    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    # Consumption API: a budget created now cannot start in a month already past.
    write_stack(tmp_path, "dev", set_path(stack_document("dev"), "mlplat:budget.startDate", "2026-11-01"))
    proc = mlplat("plan", "dev", "--json", "--cwd", str(tmp_path))
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    [found] = report["constraints"]["violations"]
    assert (found["rule"], found["type"], found["name"]) == (
        "azure-budget-time-period",
        "azure-native:consumption:Budget",
        "mlplat-dev-budget-budget",
    )
    assert "before the current month" in found["message"]
    assert found["source"].startswith("Azure Consumption REST API")
    assert report["summary"]["constraintViolations"] == 1 and report["summary"]["mandatoryViolations"] == 0


def test_a_grant_to_a_service_agent_waits_for_the_agent_to_be_created() -> None:
    # Google Cloud service agents such as gcp-sa-notebooks exist only once created (services identity create).
    member = "serviceAccount:service-123@gcp-sa-notebooks.iam.gserviceaccount.com"
    grant_token = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
    agent = Res(
        "urn:agent", "gcp:projects/serviceIdentity:ServiceIdentity", "agent", "", True, {}, {"member": member}
    )
    inputs = {"member": member, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "cryptoKeyId": "k"}
    alone = Res("urn:grant", grant_token, "grant", "", True, inputs)
    after = Res("urn:grant", grant_token, "grant", "", True, inputs, dependencies=("urn:agent",))
    assert [f.rule for f in check([alone])] == ["gcp-service-agent-exists"]
    assert check([agent, after]) == []
