"""The release model: prod takes only dev's commit, automatic deploys never go back, comments fit GitHub,
and both stacks encrypt secrets with the key the bootstrap creates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from infra.settings import load_settings
from mlplat.delivery.comment import GITHUB_COMMENT_LIMIT, fit
from mlplat.delivery.release import (
    Git,
    ReleaseRefused,
    check,
    check_settings_change,
    environments,
    pick,
    stacks,
)
from mlplat.engine.stackfile import load_stack_config
from mlplat.ops.bootstrap import default_alias
from tests.conftest import ROOT, mlplat

A, B, C, X = "a" * 40, "b" * 40, "c" * 40, "f" * 40  # main: A <- B <- C; X is on another branch
ORDER = ["dev", "prod"]


def history(a: str, b: str) -> bool:
    if X in (a, b):
        return a == b
    order = [A, B, C]
    return order.index(a) <= order.index(b)


def repo(**tags: str) -> Git:
    return Git({f"deployed/{k}": v for k, v in tags.items()}.get, history, C)


def test_environments_are_the_root_stack_files_dev_first_prod_last(tmp_path: Path) -> None:
    for env in ("prod", "staging", "dev"):
        (tmp_path / f"Pulumi.{env}.yaml").write_text("config: {}\n")
    assert environments(tmp_path) == ["dev", "staging", "prod"]
    assert environments(ROOT) == ORDER


def test_prod_picks_the_commit_dev_runs() -> None:
    assert pick("prod", ORDER, repo(dev=B), C) == B
    assert pick("dev", ORDER, repo(dev=B), C) == C


def test_prod_deploys_the_commit_dev_runs() -> None:
    assert "may deploy" in check("prod", B, ORDER, repo(dev=B, prod=A))


def test_prod_may_still_deploy_what_dev_ran_after_dev_moved_on() -> None:
    # The reviewers approved B; dev deployed C meanwhile. B is still in dev's history.
    assert "may deploy" in check("prod", B, ORDER, repo(dev=C, prod=A))


def test_prod_refuses_a_commit_dev_has_not_run() -> None:
    with pytest.raises(ReleaseRefused, match=r"only what dev ran \(deployed/dev = bbbbbbbbbbbb\)"):
        check("prod", C, ORDER, repo(dev=B))


def test_prod_refuses_before_dev_ever_deployed() -> None:
    with pytest.raises(ReleaseRefused, match="deployed/dev does not exist"):
        check("prod", A, ORDER, repo())
    with pytest.raises(ReleaseRefused, match="deployed/dev does not exist"):
        pick("prod", ORDER, repo(), C)


def test_a_dev_marker_moved_off_main_is_not_trusted() -> None:
    with pytest.raises(ReleaseRefused, match=r"deployed/dev \(ffffffffffff\) is not on main"):
        pick("prod", ORDER, repo(dev=X), C)
    with pytest.raises(ReleaseRefused, match="not on main"):
        check("prod", X, ORDER, repo(dev=X))


def test_a_commit_off_main_never_deploys() -> None:
    with pytest.raises(ReleaseRefused, match=r"the commit .* is not on main"):
        check("dev", X, ORDER, repo(dev=A))


def test_a_rerun_of_an_old_run_does_not_take_dev_backwards() -> None:
    with pytest.raises(ReleaseRefused, match="revert on main"):
        check("dev", A, ORDER, repo(dev=C))


def test_no_environment_goes_back_even_by_hand() -> None:
    with pytest.raises(ReleaseRefused, match="older than what prod runs"):
        check("prod", A, ORDER, repo(dev=C, prod=B))


def test_redeploying_the_same_commit_is_allowed() -> None:
    assert "may deploy" in check("dev", C, ORDER, repo(dev=C))


DEV_RUNS = "config:\n  mlplat:versions:\n    kueue: 0.14.2\n"


def test_a_pull_request_may_move_prods_versions_to_what_dev_runs() -> None:
    base = "config:\n  mlplat:versions:\n    kueue: 0.13.4\n"
    assert "what dev runs" in check_settings_change("prod", "dev", base, DEV_RUNS, DEV_RUNS)


def test_a_pull_request_may_not_move_prods_versions_past_what_dev_runs() -> None:
    base = "config:\n  mlplat:versions:\n    kueue: 0.13.4\n"
    head = "config:\n  mlplat:versions:\n    kueue: 0.15.0\n"
    with pytest.raises(ReleaseRefused, match="mlplat:versions to values dev does not run"):
        check_settings_change("prod", "dev", base, head, DEV_RUNS)


def test_prods_own_settings_are_not_promotions() -> None:
    base = "config:\n  mlplat:owner: a\n  mlplat:versions:\n    kueue: 0.13.4\n"
    head = "config:\n  mlplat:owner: b\n  mlplat:versions:\n    kueue: 0.13.4\n"
    assert "unchanged" in check_settings_change("prod", "dev", base, head, DEV_RUNS)


@pytest.mark.parametrize("env", ORDER)
def test_an_environment_is_its_platform_stack_then_one_stack_per_cluster(env: str) -> None:
    proc = mlplat("release", "stacks", env, "--cwd", str(ROOT))
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert [(r[0], r[2], r[5]) for r in rows] == [
        (env, ".", "ubuntu-latest"),
        (f"{env}-eks", "clusters", f"codebuild-mlplat-{env}-deploy-${{{{"),
        (f"{env}-gke", "clusters", "ubuntu-latest"),
        (f"{env}-aks", "clusters", f"mlplat-{env}-azure-deploy"),
    ]
    out = mlplat("release", "stacks", env, "--github-output", "--cwd", str(ROOT)).stdout
    assert f'stacks=["{env}", "{env}-eks", "{env}-gke", "{env}-aks"]' in out


def test_every_stack_has_its_own_deployer_and_github_environment() -> None:
    config = load_stack_config(ROOT, "prod")
    found = stacks(load_settings("prod", config.config, config.secret_keys))
    assert [(s.deploy_environment, s.deployer) for s in found] == [
        ("prod", "mlplat-prod-deployer"),
        ("prod-eks", "mlplat-prod-eks-deployer"),
        ("prod-gke", "mlplat-prod-gke-deployer"),
        ("prod-aks", "mlplat-prod-aks-deployer"),
    ]
    assert {(s.preview_environment, s.previewer) for s in found} == {
        ("preview-prod", "mlplat-prod-previewer")
    }


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
    provider = document["secretsprovider"]
    # The key follows the cloud that holds the state (README "One-time setup"): gcpkms:// and
    # azurekeyvault:// are as valid as awskms:// (Pulumi docs, "Secrets providers").
    assert provider.split("://")[0] in ("awskms", "gcpkms", "azurekeyvault"), provider
    if provider.startswith("awskms://"):
        # Pulumi's awskms provider URL: awskms://<key id, ARN or alias>?region=<region>.
        region = document["config"]["aws:region"]
        assert provider == f"awskms://{default_alias(stack)}?region={region}"


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
