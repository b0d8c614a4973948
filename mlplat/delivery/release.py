"""The release model the deploy workflow and `mlplat promote` share.

- Each stack has a marker, the git tag `deployed/<stack>`, moved only after a successful `pulumi up` of
  that stack, so it always names the commit (code and settings) the stack runs.
- Prod deploys exactly the commit dev runs (`deployed/dev`), never another.
- An automatic deploy never goes backwards: a commit older than the stack's marker (a re-run of an old
  workflow run) is refused; going back is a manual deploy of that commit.
- A stack deploys in parts, one per place its cluster APIs can be reached from (see `parts`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra.settings.model import StackSettings

PROMOTION_ORDER = ("dev", "prod")
MANUAL_EVENT = "workflow_dispatch"


def marker(stack: str) -> str:
    return f"deployed/{stack}"


def source_of(stack: str) -> str | None:
    """The stack whose deployed commit this one takes (prod takes dev's); None for the first stack."""
    i = PROMOTION_ORDER.index(stack) if stack in PROMOTION_ORDER else -1
    return PROMOTION_ORDER[i - 1] if i > 0 else None


class ReleaseRefused(RuntimeError):
    pass


def check(
    stack: str,
    commit: str,
    event: str,
    markers: Callable[[str], str | None],
    is_ancestor: Callable[[str, str], bool],
) -> str:
    """Why `commit` may deploy to `stack`, or ReleaseRefused saying why not.

    `markers(tag)` is the commit a tag names (None when absent); `is_ancestor(a, b)` is
    `git merge-base --is-ancestor a b`.
    """
    source = source_of(stack)
    if source is not None:
        ran = markers(marker(source))
        if ran is None:
            raise ReleaseRefused(
                f"{stack} deploys only what {source} runs, and {marker(source)} does not exist yet"
            )
        if ran != commit:
            raise ReleaseRefused(
                f"{stack} deploys only the commit {source} runs ({marker(source)} = {ran[:12]}), not {commit[:12]}"
            )
    own = markers(marker(stack))
    if own is not None and own != commit and is_ancestor(commit, own) and event != MANUAL_EVENT:
        raise ReleaseRefused(
            f"{commit[:12]} is older than what {stack} runs ({marker(stack)} = {own[:12]}); "
            "an automatic deploy never goes back (deploy it by hand to roll back)"
        )
    return f"{commit[:12]} may deploy to {stack}"


def git_markers(repo: Path) -> Callable[[str], str | None]:
    def resolve(tag: str) -> str | None:
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() or None

    return resolve


def git_is_ancestor(repo: Path) -> Callable[[str, str], bool]:
    def ancestor(a: str, b: str) -> bool:
        proc = subprocess.run(["git", "merge-base", "--is-ancestor", a, b], cwd=repo, check=False)
        return proc.returncode == 0

    return ancestor


# --- where each part of a stack deploys from ----------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One `pulumi up` of a stack, run where it reaches the cluster APIs it touches."""

    name: str  # "platform", "aws-cluster", "azure-cluster" (the deploy workflow's job names)
    flags: tuple[str, ...]  # --target/--exclude flags of `pulumi preview`/`pulumi up`


# Clouds whose in-cluster layer needs a runner inside the platform network; GKE's DNS endpoint is
# reachable (IAM-authorized) from the hosted runner that deploys the platform part.
RUNNER_CLOUDS = ("aws", "azure")


def _layer_glob(project: str, stack: str, cloud: str) -> str:
    # The in-cluster layer's component is `<project>-<stack>-<cloud>-gpu-stack` (infra/kubernetes.py);
    # `**` matches its children's URNs too (Pulumi docs, "Targeted updates": wildcards in URNs).
    return f"urn:pulumi:{stack}::{project}::**{project}-{stack}-{cloud}-gpu-stack**"


def parts(project: str, settings: StackSettings) -> list[Part]:
    """The platform part first, then one part per cloud whose in-cluster layer a private runner deploys."""
    s, stack = settings.settings, settings.stack
    clusters: list[str] = []
    for cloud in RUNNER_CLOUDS:
        section = getattr(s, cloud)
        if section is None or not section.kubernetes.enabled or not section.gpu_pools:
            continue
        if section.kubernetes.deploy_runner is None:
            raise ReleaseRefused(
                f"Pulumi.{stack}.yaml: mlplat:{cloud}.kubernetes.deployRunner: required to deploy the "
                f"in-cluster layer: GitHub-hosted runners cannot reach the {cloud} cluster's API"
            )
        clusters.append(cloud)
    excluded = tuple(f for cloud in clusters for f in ("--exclude", _layer_glob(project, stack, cloud)))
    platform = Part("platform", (*excluded, "--exclude-dependents") if excluded else ())
    return [
        platform,
        *(Part(f"{cloud}-cluster", ("--target", _layer_glob(project, stack, cloud))) for cloud in clusters),
    ]
