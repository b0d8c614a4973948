"""The release model: prod takes only dev's commit, automatic deploys never go back, comments fit GitHub,
and both stacks encrypt secrets with the key the bootstrap creates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mlplat.delivery.comment import GITHUB_COMMENT_LIMIT, fit
from mlplat.delivery.release import ReleaseRefused, check
from mlplat.ops.bootstrap import DEFAULT_ALIAS
from tests.conftest import ROOT, mlplat

A, B, C = "a" * 40, "b" * 40, "c" * 40  # history A <- B <- C


def history(a: str, b: str) -> bool:
    order = [A, B, C]
    return order.index(a) <= order.index(b)


def markers(**tags: str) -> dict[str, str]:
    return {f"deployed/{k}": v for k, v in tags.items()}


def test_prod_deploys_the_commit_dev_runs() -> None:
    assert "may deploy" in check("prod", B, "push", markers(dev=B, prod=A).get, history)


def test_prod_refuses_any_other_commit_even_a_newer_one() -> None:
    with pytest.raises(ReleaseRefused, match=r"only the commit dev runs \(deployed/dev = bbbbbbbbbbbb\)"):
        check("prod", C, "workflow_dispatch", markers(dev=B).get, history)


def test_prod_refuses_before_dev_ever_deployed() -> None:
    with pytest.raises(ReleaseRefused, match="deployed/dev does not exist"):
        check("prod", A, "push", {}.get, history)


def test_a_rerun_of_an_old_run_does_not_take_dev_backwards() -> None:
    with pytest.raises(ReleaseRefused, match="never goes back"):
        check("dev", A, "push", markers(dev=C).get, history)


def test_a_manual_deploy_of_an_older_commit_rolls_dev_back() -> None:
    assert "may deploy" in check("dev", A, "workflow_dispatch", markers(dev=C).get, history)


def test_redeploying_the_same_commit_is_allowed() -> None:
    assert "may deploy" in check("dev", C, "push", markers(dev=C).get, history)


def test_a_comment_that_fits_is_unchanged() -> None:
    body = "<!-- mlplat-plan -->\n" + "x" * 1000
    assert fit(body, "https://example.invalid/run") == body


def test_a_long_comment_is_cut_below_githubs_limit_with_fences_closed_and_a_pointer() -> None:
    # GitHub's REST API refuses issue comment bodies over 65536 characters.
    body = "<!-- mlplat-plan -->\n```\n" + "resource line\n" * 10_000 + "```\n"
    fitted = fit(body, "https://github.com/acme/mlplat/actions/runs/1")
    assert len(fitted) <= 65_536 == GITHUB_COMMENT_LIMIT
    assert fitted.count("```") % 2 == 0
    assert "job summary: https://github.com/acme/mlplat/actions/runs/1" in fitted
    assert fitted.startswith("<!-- mlplat-plan -->")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_name_the_secrets_provider_the_bootstrap_creates(stack: str) -> None:
    document = YAML(typ="safe").load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    region = document["config"]["aws:region"]
    # Pulumi's awskms provider URL: awskms://<key id, ARN or alias>?region=<region>.
    assert document["secretsprovider"] == f"awskms://{DEFAULT_ALIAS}?region={region}"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def test_promote_copies_the_versions_dev_runs_not_the_working_tree(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    for folder in ("infra", "policies", "clusters"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    git(tmp_path, "init", "-q")
    git(
        tmp_path,
        "-c",
        "user.email=t@example.com",
        "-c",
        "user.name=t",
        "add",
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
    )
    dev = tmp_path / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("      kueue: 0.13.4\n", "      kueue: 0.14.2\n"))
    git(tmp_path, "add", "Pulumi.dev.yaml")
    git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "dev runs 0.14.2")
    git(tmp_path, "tag", "deployed/dev")
    # A later change dev does not run yet: promotion must not carry it.
    dev.write_text(dev.read_text().replace("      kueue: 0.14.2\n", "      kueue: 0.15.0\n"))
    proc = mlplat("promote", "dev", "prod", "--cwd", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "+      kueue: 0.14.2" in proc.stdout and "0.15.0" not in proc.stdout
    assert "as dev runs it (deployed/dev)" in proc.stderr
