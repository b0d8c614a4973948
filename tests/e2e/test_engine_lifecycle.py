"""dev and prod under the real engine: preview with the policy pack, up, no-change preview, destroy, up.

Cloud resources are served by the stand-in plugins (mlplat/engine/standin); the Kubernetes resources by
the real Kubernetes provider, which needs a reachable API server: while the program creates them in the
platform stack, `up` is expected to stop at the first in-cluster resource, and these tests record the
engine's error text rather than hide it.
"""

from __future__ import annotations

import pytest

from tests.e2e.engine import Run
from tests.e2e.lifecycle import engine_for, lifecycle


@pytest.fixture(scope="module", params=["dev", "prod"])
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    stack = request.param
    return lifecycle(engine_for(stack, tmp_path_factory), stack)


def test_preview_with_the_policy_pack_passes(runs: dict[str, Run]) -> None:
    assert runs["preview"].returncode == 0, runs["preview"].describe()


def test_preview_json_lists_every_step(runs: dict[str, Run]) -> None:
    steps = runs["preview"].json()["steps"]
    assert steps and all(step["op"] == "create" for step in steps)


def test_up_deploys_the_stack(runs: dict[str, Run]) -> None:
    assert runs["up"].returncode == 0, runs["up"].describe()


def test_second_preview_changes_nothing(runs: dict[str, Run]) -> None:
    assert runs["preview-again"].returncode == 0, runs["preview-again"].describe()


def test_destroy_removes_everything(runs: dict[str, Run]) -> None:
    if "unprotect" in runs:
        assert runs["unprotect"].returncode == 0, runs["unprotect"].describe()
    assert runs["destroy"].returncode == 0, runs["destroy"].describe()


def test_up_after_destroy_rebuilds(runs: dict[str, Run]) -> None:
    assert runs["up-again"].returncode == 0, runs["up-again"].describe()
