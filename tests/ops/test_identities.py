"""`mlplat bootstrap aws --github-repo`: the pipeline's OIDC provider and per-job roles, against moto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from mlplat.app import EXIT_FAILED, EXIT_OK
from mlplat.ops.identities import MAX_SESSION_SECONDS, ensure_identities
from tests.ops.conftest import ACCOUNT, client, invoke, write_project


@pytest.fixture(autouse=True)
def managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto knows AWS managed policies (ReadOnlyAccess, PowerUserAccess) only when asked to load them."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


pytestmark = pytest.mark.usefixtures("managed_policies", "aws")

REPO = "acme/mlplat"
ISSUER = "token.actions.githubusercontent.com"  # GitHub's OIDC issuer (GitHub Actions OIDC docs)
T4 = {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}


def bootstrap(*extra: str) -> Result:
    return invoke(
        "bootstrap",
        "aws",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
        "--github-repo",
        REPO,
        *extra,
    )


def trust(role: str) -> dict:
    document = client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def subjects(role: str) -> list[str]:
    (statement,) = trust(role)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
    assert statement["Condition"]["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
    sub = statement["Condition"]["StringEquals"][f"{ISSUER}:sub"]
    return sub if isinstance(sub, list) else [sub]


def test_bootstrap_creates_the_github_oidc_provider_and_one_role_per_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, [T4])
    monkeypatch.chdir(tmp_path)
    result = bootstrap()
    assert result.exit_code == EXIT_OK, result.output
    providers = client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"]
    # Each identity is trusted for its own jobs' subjects only (`repo:<owner>/<repo>:environment:<name>`).
    assert subjects("mlplat-pipeline-previewer") == [
        f"repo:{REPO}:pull_request",
        f"repo:{REPO}:environment:preview",
    ]
    assert subjects("mlplat-pipeline-deployer-dev") == [f"repo:{REPO}:environment:dev"]
    assert subjects("mlplat-pipeline-deployer-prod") == [f"repo:{REPO}:environment:prod"]
    assert (
        f"AWS_DEPLOY_ROLE_ARN (secret of environment prod): arn:aws:iam::{ACCOUNT}:role/mlplat-pipeline-deployer-prod"
        in result.stdout
    )
    assert "`mlplat bootstrap gcp` and `mlplat bootstrap azure`" in result.stdout


def test_every_pipeline_role_allows_the_session_length_the_workflows_ask_for() -> None:
    assert bootstrap().exit_code == EXIT_OK
    for role in ("previewer", "deployer-dev", "deployer-prod"):
        assert (
            client("iam").get_role(RoleName=f"mlplat-pipeline-{role}")["Role"]["MaxSessionDuration"]
            == MAX_SESSION_SECONDS
        )


def test_the_previewer_reads_everything_and_may_decrypt_state_but_write_only_lock_files() -> None:
    assert bootstrap().exit_code == EXIT_OK
    iam = client("iam")
    attached = iam.list_attached_role_policies(RoleName="mlplat-pipeline-previewer")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    document = iam.get_role_policy(RoleName="mlplat-pipeline-previewer", PolicyName="pipeline")[
        "PolicyDocument"
    ]
    document = json.loads(document) if isinstance(document, str) else document
    writes = [s for s in document["Statement"] if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in writes] == ["arn:aws:s3:::acme-pulumi-state/.pulumi/locks/*"]
    key = next(s for s in document["Statement"] if s["Sid"] == "StateKey")
    assert "kms:Decrypt" in key["Action"] and "kms:Encrypt" not in key["Action"]
    key_arn = client("kms").describe_key(KeyId="alias/mlplat-pulumi-state")["KeyMetadata"]["Arn"]
    assert key["Resource"] == key_arn


def test_a_deployer_manages_iam_only_for_its_own_stack() -> None:
    assert bootstrap().exit_code == EXIT_OK
    document = client("iam").get_role_policy(RoleName="mlplat-pipeline-deployer-dev", PolicyName="pipeline")[
        "PolicyDocument"
    ]
    document = json.loads(document) if isinstance(document, str) else document
    own = next(s for s in document["Statement"] if s["Sid"] == "OwnRolesAndPolicies")
    assert all(
        ":role/mlplat-dev-" in r or ":policy/mlplat-dev-" in r or ":instance-profile/mlplat-dev-" in r
        for r in own["Resource"]
    )


def test_rerun_changes_nothing_and_a_widened_trust_is_reported_not_silently_kept() -> None:
    assert bootstrap().exit_code == EXIT_OK
    again = bootstrap()
    assert again.exit_code == EXIT_OK and "Nothing to change." in again.stdout
    iam = client("iam")
    wide = trust("mlplat-pipeline-deployer-prod")
    wide["Statement"][0]["Condition"]["StringEquals"][f"{ISSUER}:sub"] = [
        f"repo:{REPO}:ref:refs/heads/feature"
    ]
    iam.update_assume_role_policy(RoleName="mlplat-pipeline-deployer-prod", PolicyDocument=json.dumps(wide))
    weaker = bootstrap()
    assert weaker.exit_code == EXIT_FAILED
    assert "role mlplat-pipeline-deployer-prod" in weaker.stdout and "trust policy" in weaker.stdout
    assert bootstrap("--fix").exit_code == EXIT_OK
    assert subjects("mlplat-pipeline-deployer-prod") == [f"repo:{REPO}:environment:prod"]


def test_ensure_identities_is_usable_without_the_command() -> None:
    iam = client("iam")
    made = ensure_identities(
        iam, repo=REPO, bucket="b", key_arn="arn:aws:kms:us-east-1:123456789012:key/k", account=ACCOUNT
    )
    assert sorted(made.roles) == [
        "mlplat-pipeline-deployer-dev",
        "mlplat-pipeline-deployer-prod",
        "mlplat-pipeline-previewer",
    ]
