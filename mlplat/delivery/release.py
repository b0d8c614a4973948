"""The release model the deploy workflow, the drift and destroy workflows and `mlplat promote` share.

- An environment (`dev`, `prod`: every `Pulumi.<env>.yaml` at the repository root) is a set of whole
  stacks: the platform stack `<env>` (project `mlplat`, the repository root) and one cluster stack per
  cluster, `<env>-eks`, `<env>-gke`, `<env>-aks` (project `mlplat-clusters`, in `clusters/`). Every
  `pulumi preview`/`up` covers one whole stack; none uses `--target` or `--exclude`.
- Each environment has a marker, the git tag `deployed/<env>`, moved only after every stack of the
  environment deployed, so it names the commit (code and settings) the environment runs.
- An environment after the first deploys only a commit its source environment ran: prod picks the commit
  `deployed/dev` names, and when it deploys, that commit must still be in dev's history.
- No environment goes backwards: a commit older than its own marker is refused, by hand too. Going back is
  a revert on `main`, which flows through dev and then prod like any change.
- Markers are trusted only on `main`'s history (a tag moved by hand to another branch is refused).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.settings.model import StackSettings

FIRST, LAST = "dev", "prod"
CLUSTERS_DIR = "clusters"
PLATFORM_PROJECT, CLUSTER_PROJECT = "mlplat", "mlplat-clusters"


def environments(project_dir: Path) -> list[str]:
    """Every `Pulumi.<env>.yaml` at the root, in promotion order: dev first, prod last, others between."""
    names = [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml")]
    return sorted(names, key=lambda n: (n != FIRST, n == LAST, n))


def marker(environment: str) -> str:
    return f"deployed/{environment}"


def source_of(environment: str, order: list[str]) -> str | None:
    """The environment whose deployed commit this one takes (prod takes dev's); None for the first."""
    i = order.index(environment) if environment in order else -1
    return order[i - 1] if i > 0 else None


class ReleaseRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class Git:
    """What the release decision asks of the repository."""

    resolve: Callable[[str], str | None]  # a tag's commit, None when absent
    is_ancestor: Callable[[str, str], bool]  # `git merge-base --is-ancestor a b` (a == b counts)
    main: str  # the commit `main` is at (origin/main, fetched by the job that decides)


def _on_main(git: Git, commit: str, what: str) -> None:
    if not git.is_ancestor(commit, git.main):
        raise ReleaseRefused(f"{what} ({commit[:12]}) is not on main's history")


def pick(environment: str, order: list[str], git: Git, head: str) -> str:
    """The commit an environment deploys now: the first takes `head` (the pushed commit, or main's head by
    hand), every other the commit its source environment runs."""
    source = source_of(environment, order)
    if source is None:
        return head
    ran = git.resolve(marker(source))
    if ran is None:
        raise ReleaseRefused(
            f"{environment} deploys only what {source} runs, and {marker(source)} does not exist yet"
        )
    _on_main(git, ran, marker(source))
    return ran


def check(environment: str, commit: str, order: list[str], git: Git) -> str:
    """Why `commit` may deploy to `environment` now, or ReleaseRefused saying why not. The job that runs
    `pulumi up` calls it again (a re-run re-checks against the tags as they are then)."""
    _on_main(git, commit, "the commit")
    source = source_of(environment, order)
    if source is not None:
        ran = git.resolve(marker(source))
        if ran is None:
            raise ReleaseRefused(
                f"{environment} deploys only what {source} ran, and {marker(source)} does not exist yet"
            )
        _on_main(git, ran, marker(source))
        if not git.is_ancestor(commit, ran):
            raise ReleaseRefused(
                f"{environment} deploys only what {source} ran ({marker(source)} = {ran[:12]}); "
                f"{commit[:12]} is not in its history"
            )
    own = git.resolve(marker(environment))
    if own is not None:
        _on_main(git, own, marker(environment))
        if not git.is_ancestor(own, commit):
            raise ReleaseRefused(
                f"{commit[:12]} is older than what {environment} runs ({marker(environment)} = {own[:12]}); "
                "no deploy goes back: roll back with a revert on main"
            )
    return f"{commit[:12]} may deploy to {environment}"


def git_repo(repo: Path, main: str = "origin/main") -> Git:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)

    def resolve(tag: str) -> str | None:
        return run("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}").stdout.strip() or None

    head = run("rev-parse", "--verify", "--quiet", f"{main}^{{commit}}").stdout.strip()
    if not head:
        raise ReleaseRefused(f"{main} not found (fetch it first: actions/checkout with fetch-depth: 0)")
    return Git(resolve, lambda a, b: run("merge-base", "--is-ancestor", a, b).returncode == 0, head)


# --- the stacks of an environment, where each deploys and as whom ----------------------------------------


@dataclass(frozen=True)
class Stack:
    """One whole stack: what `pulumi --cwd <cwd> --stack <name>` deploys, the runner that reaches what it
    touches, and the GitHub environment whose OIDC subject its deployer trusts."""

    name: str  # dev, dev-eks, ...
    environment: str  # dev
    kind: str  # platform, eks, gke, aks (the deploy workflow's job names)
    cwd: str  # "." or "clusters"
    runner: str  # runs-on label (a GitHub expression for the CodeBuild runner)

    @property
    def project(self) -> str:
        return PLATFORM_PROJECT if self.kind == "platform" else CLUSTER_PROJECT

    @property
    def deploy_environment(self) -> str:
        """GitHub environment of the deploy job (required reviewers and the deployer's secrets live here)."""
        return self.name

    @property
    def preview_environment(self) -> str:
        return f"preview-{self.environment}"

    @property
    def deployer(self) -> str:
        """The AWS role, GCP service account and Entra application of the deploy job (one name on each cloud)."""
        return f"mlplat-{self.name}-deployer"

    @property
    def previewer(self) -> str:
        return f"mlplat-{self.environment}-previewer"


# The cluster stack of each cloud; EKS and AKS in-cluster objects answer only runners inside their networks,
# GKE's through the IAM-authorized DNS endpoint from a hosted runner.
CLUSTER_KIND = {"aws": "eks", "gcp": "gke", "azure": "aks"}
HOSTED = "ubuntu-latest"


def codebuild_runner(environment: str) -> str:
    # The CodeBuild project components/aws/deploy_runner.py creates (`mlplat-<env>-deploy`), one build per job.
    return f"codebuild-{PLATFORM_PROJECT}-{environment}-deploy-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"


def azure_runner(environment: str) -> str:
    # The GitHub-hosted larger runner whose network configuration is the environment's runner subnet.
    return f"{PLATFORM_PROJECT}-{environment}-azure-deploy"


def stacks(settings: StackSettings) -> list[Stack]:
    """The environment's stacks in deploy order: the platform, then one per enabled cluster."""
    s, env = settings.settings, settings.stack
    found = [Stack(env, env, "platform", ".", HOSTED)]
    for cloud, kind in CLUSTER_KIND.items():
        section = getattr(s, cloud)
        if section is None or not section.kubernetes.enabled:
            continue
        if kind != "gke" and section.kubernetes.deploy_runner is None:
            raise ReleaseRefused(
                f"Pulumi.{env}.yaml: mlplat:{cloud}.kubernetes.deployRunner: required to deploy {env}-{kind}: "
                f"GitHub-hosted runners cannot reach the {kind.upper()} API"
            )
        runner = {"eks": codebuild_runner(env), "gke": HOSTED, "aks": azure_runner(env)}[kind]
        found.append(Stack(f"{env}-{kind}", env, kind, CLUSTERS_DIR, runner))
    return found


# --- a pull request's change to a later environment's settings -------------------------------------------


def check_settings_change(
    environment: str, source: str, base_text: str, head_text: str, source_ran: str
) -> str:
    """A pull request may move a promotable setting (`mlplat:versions`) of a later environment only to the
    value its source environment runs (`source_ran`: the source's stack file at its marker); anything else
    reaches that environment without having run anywhere first. Its own settings (people, sizes, budget)
    are its own, judged by its strict policies in the plan and by its reviewers."""
    from ruamel.yaml import YAML

    from infra.settings import NAMESPACE
    from infra.settings.model import promotable_keys

    def config(text: str) -> dict[str, object]:
        return (YAML(typ="safe").load(text) or {}).get("config") or {}

    def value(cfg: dict[str, object], key: str) -> object:
        return cfg.get(f"{NAMESPACE}:{key}", cfg.get(key))

    base, head, ran = config(base_text), config(head_text), config(source_ran)
    refused = [
        key
        for key in promotable_keys()
        if value(head, key) != value(base, key) and value(head, key) != value(ran, key)
    ]
    if refused:
        keys = ", ".join(f"{NAMESPACE}:{k}" for k in refused)
        raise ReleaseRefused(
            f"Pulumi.{environment}.yaml changes {keys} to values {source} does not run ({marker(source)}); "
            f"change Pulumi.{source}.yaml first, then promote (`mlplat promote {source} {environment}`)"
        )
    return f"Pulumi.{environment}.yaml: promotable settings are unchanged or what {source} runs"
