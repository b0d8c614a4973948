"""`mlplat bootstrap aws` in process, against moto: what it prints and its exit statuses."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from mlplat.app import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from tests.conftest import ROOT
from tests.ops.conftest import client, invoke, one_line_error, write_project

pytestmark = pytest.mark.usefixtures("aws")

T4 = {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}


def test_bootstrap_exits_0_and_prints_the_pulumi_lines_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, [T4])
    monkeypatch.chdir(tmp_path)

    result = invoke(
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
    )

    assert result.exit_code == EXIT_OK, result.output
    assert "pulumi login 's3://acme-pulumi-state?region=us-east-1&awssdk=v2'" in result.stdout
    assert (
        "pulumi stack init dev --secrets-provider 'awskms://alias/mlplat-dev-state?region=us-east-1'"
        in result.stdout
    )
    assert (
        "16 change(s) made." in result.stdout
    )  # 9 backend, Auto Scaling role, OIDC provider, 2 policies, 3 roles


def test_bootstrap_rerun_reports_nothing_to_change() -> None:
    args = (
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
        "--kms-alias",
        "state",
    )
    invoke(*args)

    result = invoke(*args)

    assert result.exit_code == EXIT_OK
    assert "Nothing to change." in result.stdout
    assert "awskms://alias/state?region=us-east-1" in result.stdout


def test_bootstrap_exits_1_on_a_weaker_existing_bucket_and_0_once_fixed() -> None:
    client("s3").create_bucket(Bucket="acme-pulumi-state")  # no encryption, versioning, blocks or policy
    args = (
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
    )

    weaker = invoke(*args)
    fixed = invoke(*args, "--fix")

    assert weaker.exit_code == EXIT_FAILED
    assert "Rerun with --fix" in weaker.stdout
    assert "pulumi login" not in weaker.stdout
    assert fixed.exit_code == EXIT_OK, fixed.output
    assert "pulumi login" in fixed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--bucket", "Acme_State", "--region", "us-east-1"), "bucket name 'Acme_State'"),
        (("--bucket", "acme-state", "--region", "useast1"), "is not an AWS region name"),
        (("--bucket", "acme-state", "--region", "us-east-1", "--kms-alias", "aws/s3"), "reserved"),
    ],
)
def test_bootstrap_usage_mistakes_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = invoke("bootstrap", "aws", "--env", "dev", "--github-repo", "acme/mlplat", *args)

    assert result.exit_code == EXIT_USAGE
    assert message in one_line_error(result)


def test_bootstrap_refuses_a_bucket_in_another_region_with_exit_2() -> None:
    client("s3", "eu-west-1").create_bucket(
        Bucket="acme-pulumi-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    result = invoke(
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
    )

    assert result.exit_code == EXIT_USAGE
    assert "pass --region eu-west-1" in one_line_error(result)


# --- the README's walk-through -----------------------------------------------------------------------


def test_readme_first_time_setup_shows_exactly_the_lines_the_bootstrap_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[
        readme.index("## First-time setup of a new AWS account") : readme.index("## Settings reference")
    ]
    lines = [line.strip() for line in section.splitlines()]
    command = next(line for line in lines if line.startswith(".venv/bin/mlplat bootstrap aws"))
    shown = [line for line in lines if line.startswith(("pulumi login", "pulumi stack init"))]
    write_project(tmp_path, [T4])
    monkeypatch.chdir(tmp_path)

    result = invoke(*shlex.split(command)[1:])

    assert result.exit_code == EXIT_OK, result.output
    printed = [line.strip() for line in result.stdout.splitlines()]
    assert shown and all(line in printed for line in shown), (shown, result.stdout)


def test_bootstrap_creates_the_auto_scaling_service_linked_role_once() -> None:
    args = (
        "bootstrap",
        "aws",
        "--env",
        "dev",
        "--github-repo",
        "acme/mlplat",
        "--bucket",
        "acme-pulumi-state",
        "--region",
        "us-east-1",
    )

    first = invoke(*args)
    again = invoke(*args)

    role = client("iam").get_role(RoleName="AWSServiceRoleForAutoScaling")["Role"]
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert "created  Auto Scaling service-linked role" in first.stdout
    assert again.exit_code == EXIT_OK and "Nothing to change." in again.stdout
