"""One stack's life under the real engine, run once per stack and shared by the tests that judge it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from tests.e2e.engine import Engine, Run, start

POLICY = ("--policy-pack", "policies")


@cache
def _engine(stack: str, tmp: Path) -> Engine:
    engine = start(tmp)
    init = engine.init_stack(stack)
    assert init.returncode == 0, init.describe()
    return engine


def engine_for(stack: str, factory: pytest.TempPathFactory) -> Engine:
    return _engine(stack, factory.mktemp(f"engine-{stack}"))


def lifecycle(engine: Engine, stack: str) -> dict[str, Run]:
    """preview (with the pack) -> up -> preview --expect-no-changes -> [unprotect] -> destroy -> up.

    Prod protects its data stores and clusters; an operator tearing it down first runs
    `pulumi state unprotect --all --yes`, and so does this lifecycle before `destroy`.
    """
    config = str(engine.policy_config(stack))
    policy = (*POLICY, "--policy-pack-config", config)
    runs: dict[str, Run] = {}
    runs["preview"] = engine.run("preview", *policy, "--json", stack=stack, events=True)
    runs["up"] = engine.run("up", "--yes", "--skip-preview", *policy, stack=stack, events=True)
    runs["preview-again"] = engine.run("preview", "--expect-no-changes", *policy, stack=stack, events=True)
    if stack == "prod":
        runs["unprotect"] = engine.run("state", "unprotect", "--all", "--yes", stack=stack)
    runs["destroy"] = engine.run("destroy", "--yes", "--skip-preview", stack=stack, events=True)
    runs["up-again"] = engine.run("up", "--yes", "--skip-preview", *policy, stack=stack, events=True)
    summary = {
        step: {
            "exit": run.returncode,
            "seconds": round(run.seconds),
            "stderr_tail": run.stderr.splitlines()[-15:],
        }
        for step, run in runs.items()
    }
    (engine.root / "lifecycle.json").write_text(json.dumps(summary, indent=2))
    print(f"{stack} lifecycle ({engine.root / 'lifecycle.json'}):\n{json.dumps(summary, indent=2)}")
    return runs
