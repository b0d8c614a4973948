"""One environment's life under the real engine, run once and shared by the tests that judge it.

An environment is the platform stack (`mlplat`, at the project root) and, once the project has
`clusters/Pulumi.yaml`, each of its cluster stacks (`mlplat-clusters`, `clusters/Pulumi.<env>-*.yaml`),
which read the platform through `StackReference("organization/mlplat/<env>")`, so they share the
platform's backend (a `file://` backend's organization is `organization`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from tests.e2e.engine import Engine, Run, start

CLUSTERS = "clusters"


@cache
def _engine(stack: str, tmp: Path) -> Engine:
    engine = start(tmp)
    init = engine.init_stack(stack)
    assert init.returncode == 0, init.describe()
    return engine


def engine_for(stack: str, factory: pytest.TempPathFactory) -> Engine:
    return _engine(stack, factory.mktemp(f"engine-{stack}"))


def policy_args(engine: Engine, stack: str) -> tuple[str, ...]:
    """The pack by absolute path (`--cwd` moves the CLI into the project it runs) and the plan's config."""
    return (
        "--policy-pack",
        str(engine.project / "policies"),
        "--policy-pack-config",
        str(engine.policy_config(stack)),
    )


def cluster_stacks(engine: Engine, env: str) -> list[str]:
    directory = engine.project / CLUSTERS
    if not (directory / "Pulumi.yaml").exists():
        return []
    return sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in directory.glob(f"Pulumi.{env}-*.yaml")
    )


def lifecycle(engine: Engine, stack: str) -> dict[str, Run]:
    """platform: preview (with the pack) -> up -> preview --expect-no-changes; then each cluster stack:
    init -> preview -> up; then each cluster stack destroy; then platform [unprotect] -> destroy -> up.

    Prod protects its data stores and clusters; an operator tearing it down first runs
    `pulumi state unprotect --all --yes`, and so does this lifecycle before `destroy`.
    """
    policy = policy_args(engine, stack)
    runs: dict[str, Run] = {}
    runs["preview"] = engine.run("preview", *policy, "--json", stack=stack, events=True)
    runs["up"] = engine.run("up", "--yes", "--skip-preview", *policy, stack=stack, events=True)
    runs["preview-again"] = engine.run("preview", "--expect-no-changes", *policy, stack=stack, events=True)
    clusters = cluster_stacks(engine, stack)
    for cluster in clusters:
        runs[f"{cluster}:init"] = engine.init_stack(cluster, project=CLUSTERS)
        runs[f"{cluster}:preview"] = engine.run(
            "preview", *policy, stack=cluster, events=True, project=CLUSTERS
        )
        runs[f"{cluster}:up"] = engine.run(
            "up", "--yes", "--skip-preview", *policy, stack=cluster, events=True, project=CLUSTERS
        )
    for cluster in clusters:
        if stack == "prod":
            runs[f"{cluster}:unprotect"] = engine.run(
                "state", "unprotect", "--all", "--yes", stack=cluster, project=CLUSTERS
            )
        runs[f"{cluster}:destroy"] = engine.run(
            "destroy", "--yes", "--skip-preview", stack=cluster, events=True, project=CLUSTERS
        )
    if stack == "prod":
        runs["unprotect"] = engine.run("state", "unprotect", "--all", "--yes", stack=stack)
    runs["export-up"] = engine.run("stack", "export", stack=stack)
    runs["destroy"] = engine.run("destroy", "--yes", "--skip-preview", stack=stack, events=True)
    runs["export-destroyed"] = engine.run("stack", "export", stack=stack)
    runs["up-again"] = engine.run("up", "--yes", "--skip-preview", *policy, stack=stack, events=True)
    runs["export-up-again"] = engine.run("stack", "export", stack=stack)
    summary = {
        step: {
            "exit": run.returncode,
            "seconds": round(run.seconds),
            "stderr_tail": run.stderr.splitlines()[-15:],
            "diagnostics": errors(run),
        }
        for step, run in runs.items()
    }
    (engine.root / "lifecycle.json").write_text(json.dumps(summary, indent=2))
    print(f"{stack} lifecycle ({engine.root / 'lifecycle.json'}):\n{json.dumps(summary, indent=2)}")
    return runs


def errors(run: Run) -> list[str]:
    """The engine's error diagnostics of a run (from its event log), each `<urn>: <message>`."""
    found = []
    for event in run.events:
        diagnostic = event.get("diagnosticEvent")
        if diagnostic and diagnostic.get("severity") == "error":
            found.append(f"{diagnostic.get('urn', '')}: {diagnostic['message'].strip()}")
    return found


def state_urns(run: Run) -> set[str]:
    """The URNs of a `pulumi stack export` (the stack's checkpoint), default providers and the stack left out."""
    assert run.returncode == 0, run.describe()
    resources = (run.json().get("deployment") or {}).get("resources") or []
    return {
        r["urn"]
        for r in resources
        if not r["type"].startswith("pulumi:providers:") and r["type"] != "pulumi:pulumi:Stack"
    }


def policy_violations(run: Run, level: str) -> list[str]:
    """`<policy>: <urn>` for each policy event of `level` in a run's event log."""
    return [
        f"{e['policyEvent'].get('policyName')}: {e['policyEvent'].get('resourceUrn', '')}"
        for e in run.events
        if e.get("policyEvent") and e["policyEvent"].get("enforcementLevel") == level
    ]
