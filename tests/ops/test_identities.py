"""`mlplat bootstrap aws --env E --github-repo R`: the OIDC trust and one role per job, against moto."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import Result

from mlplat.app import EXIT_OK, EXIT_USAGE
from mlplat.ops.identities import MAX_SESSION_SECONDS
from tests.conftest import ROOT
from tests.ops.conftest import ACCOUNT, client, invoke, one_line_error

pytestmark = pytest.mark.usefixtures("aws")

REPO = "acme/mlplat"
ISSUER = "token.actions.githubusercontent.com"  # GitHub's OIDC issuer (GitHub Actions OIDC docs)
ROLES = {
    "preview-dev": "mlplat-dev-previewer",
    "dev": "mlplat-dev-deployer",
    "dev-eks": "mlplat-dev-eks-deployer",
}


def bootstrap(*extra: str, env: str = "dev", repo: str = REPO) -> Result:
    return invoke(
        "bootstrap", "aws", "--env", env, "--bucket", "acme-pulumi-state", "--region", "us-east-1",
        "--github-repo", repo, *extra,
    )  # fmt: skip


def document(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else value  # type: ignore[return-value]


def inline(role: str) -> dict:
    return document(client("iam").get_role_policy(RoleName=role, PolicyName="pipeline")["PolicyDocument"])


def statements(role: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in inline(role)["Statement"]}


def test_each_job_gets_a_role_trusted_for_its_own_github_environment_only() -> None:
    result = bootstrap()

    assert result.exit_code == EXIT_OK, result.output
    for environment, role in ROLES.items():
        trust = document(client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])
        (statement,) = trust["Statement"]
        assert statement["Principal"]["Federated"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
        assert statement["Condition"]["StringEquals"] == {
            f"{ISSUER}:aud": "sts.amazonaws.com",
            f"{ISSUER}:sub": f"repo:{REPO}:environment:{environment}",
        }


def test_no_role_holds_an_aws_managed_policy() -> None:
    bootstrap()

    for role in ROLES.values():
        attached = client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        assert all(f":{ACCOUNT}:policy/mlplat-dev-" in p["PolicyArn"] for p in attached), attached


def test_the_previewer_reads_metadata_and_decrypts_only_its_environments_key() -> None:
    bootstrap()
    held = statements("mlplat-dev-previewer")
    actions = {a for s in held.values() for a in s["Action"]}

    assert not actions & {"s3:GetObject"} - set(held["ReadState"]["Action"]) - set(held["OwnLocks"]["Action"])
    assert not any(a.startswith(("secretsmanager:Get", "ssm:GetParameter")) for a in actions)
    assert held["StackSecrets"]["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    key = client("kms").describe_key(KeyId="alias/mlplat-dev-state")["KeyMetadata"]["Arn"]
    assert held["StackSecrets"]["Resource"] == key
    assert all(r.startswith("arn:aws:s3:::acme-pulumi-state/.pulumi/") for r in held["ReadState"]["Resource"])
    # A self-managed backend locks organization/<project>/<stack> (pulumi pkg/backend/diy/lock.go).
    assert held["OwnLocks"]["Resource"] == [
        "arn:aws:s3:::acme-pulumi-state/.pulumi/locks/organization/mlplat/dev/*"
    ]
    assert "WriteOwnState" not in held


def test_the_deployer_changes_only_its_environments_names_and_tags() -> None:
    bootstrap()
    held = statements("mlplat-dev-deployer")

    for sid, statement in held.items():
        if statement["Effect"] == "Deny" or sid == "CodeconnectionsByName":  # used, never changed
            continue
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        scoped = all("mlplat-dev" in r or r.startswith("arn:aws:kms:") for r in resources) or (
            "Condition" in statement
        )
        assert scoped, f"{sid} is not held to dev: {statement}"
    assert held["Ec2TaggedForEnvironment"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/environment": "dev"}
    }
    assert held["Ec2CreateTaggedForEnvironment"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/environment": "dev"}
    }
    assert "ReadOnlyAccess" not in json.dumps(held) and "PowerUserAccess" not in json.dumps(held)


def test_the_deployer_makes_roles_only_under_its_prefix_and_within_the_boundary() -> None:
    bootstrap()
    held = statements("mlplat-dev-deployer")
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/mlplat-dev-boundary"

    bounded = held["IamOwnRolesWithinBoundary"]
    assert "iam:CreateRole" in bounded["Action"] and "iam:PutRolePolicy" in bounded["Action"]
    assert bounded["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/mlplat-dev-*"
    assert bounded["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    assert held["IamPassOwnRoles"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/mlplat-dev-*"
    assert (
        f"arn:aws:iam::{ACCOUNT}:role/mlplat-dev-deployer" in held["KeepPipelineRolesAndBoundary"]["Resource"]
    )
    limits = document(
        client("iam").get_policy_version(PolicyArn=boundary, VersionId="v1")["PolicyVersion"]["Document"]
    )
    denied = {a for s in limits["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert {"iam:Create*", "iam:Put*", "iam:Attach*"} <= denied


def test_the_cluster_deployer_describes_its_cluster_and_writes_its_own_stack_only() -> None:
    bootstrap()
    held = statements("mlplat-dev-eks-deployer")

    assert held["OwnCluster"] == {
        "Sid": "OwnCluster",
        "Effect": "Allow",
        "Action": ["eks:DescribeCluster"],
        "Resource": "arn:aws:eks:us-east-1:123456789012:cluster/mlplat-dev",
    }
    assert all("mlplat-clusters/dev-eks" in r for r in held["WriteOwnState"]["Resource"])


def test_every_inline_policy_fits_the_role_quota() -> None:
    bootstrap()

    for role in ROLES.values():  # IAM and AWS STS quotas: 10,240 characters of inline policy per role
        assert len(json.dumps(inline(role), separators=(",", ":"))) < 10_240


def test_every_role_allows_the_session_length_the_workflows_ask_for() -> None:
    bootstrap()
    action = (ROOT / ".github" / "actions" / "cloud-login" / "action.yml").read_text()

    assert f"role-duration-seconds: {MAX_SESSION_SECONDS}" in action
    for role in ROLES.values():
        assert client("iam").get_role(RoleName=role)["Role"]["MaxSessionDuration"] == MAX_SESSION_SECONDS


def test_the_printed_secrets_are_the_ones_the_workflows_read() -> None:
    result = bootstrap()
    workflows = " ".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    read = set(re.findall(r"secrets\.(AWS_[A-Z_]+)", workflows))

    printed = {line.split()[1] for line in result.stdout.splitlines() if re.match(r"\s+\S+\s+AWS_", line)}
    assert printed == read == {"AWS_ROLE_ARN", "AWS_REGION"}
    for environment, role in ROLES.items():
        assert re.search(
            rf"{environment}\s+AWS_ROLE_ARN\s+arn:aws:iam::{ACCOUNT}:role/{role}\b", result.stdout
        )


def test_a_rerun_reports_ok_and_changes_nothing() -> None:
    bootstrap()

    again = bootstrap()

    assert again.exit_code == EXIT_OK, again.output
    assert "Nothing to change." in again.stdout
    assert "created" not in again.stdout and "fixed" not in again.stdout


def test_dry_run_prints_the_plan_and_creates_nothing() -> None:
    result = bootstrap("--dry-run")

    assert result.exit_code == EXIT_OK, result.output
    assert re.search(r"planned\s+role mlplat-dev-deployer", result.stdout)
    assert "nothing was changed" in result.stdout
    assert client("iam").list_roles()["Roles"] == []
    assert client("s3").list_buckets()["Buckets"] == []


def test_a_role_of_the_old_design_is_brought_to_the_table() -> None:
    bootstrap()
    old = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    client("iam").put_role_policy(
        RoleName="mlplat-dev-previewer", PolicyName="pipeline", PolicyDocument=json.dumps(old)
    )

    again = bootstrap()

    assert re.search(r"fixed\s+role mlplat-dev-previewer", again.stdout)
    assert "ReadMetadata" in json.dumps(inline("mlplat-dev-previewer"))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("repo", "acme", "is not owner/name"),
        ("repo", "acme/mlplat/extra", "is not owner/name"),
        ("env", "Dev", "environment 'Dev'"),
        ("env", "dev-1", "environment 'dev-1'"),
    ],
)
def test_bad_input_stops_with_one_line_and_creates_nothing(option: str, value: str, message: str) -> None:
    result = bootstrap(**{option: value})  # type: ignore[arg-type]

    assert result.exit_code == EXIT_USAGE
    assert message in one_line_error(result)
    assert client("iam").list_roles()["Roles"] == []
    assert client("s3").list_buckets()["Buckets"] == []


def test_two_environments_share_one_account_and_one_github_provider(tmp_path: Path) -> None:
    assert bootstrap().exit_code == EXIT_OK
    prod = bootstrap(env="prod")

    assert prod.exit_code == EXIT_OK, prod.output
    assert re.search(r"ok\s+GitHub OIDC provider", prod.stdout)
    assert "Resource" in json.dumps(statements("mlplat-prod-deployer"))
    assert "mlplat-dev" not in json.dumps(inline("mlplat-prod-deployer"))
