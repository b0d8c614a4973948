"""dev and prod under the real engine: the platform stack's preview with the policy pack, up, no-change
preview, destroy, up; and each cluster stack (`clusters/`, project mlplat-clusters) between them.

Cloud resources are served by the stand-in plugins (mlplat/engine/standin); the Kubernetes resources, which
live in the cluster stacks since the split, by the real Kubernetes provider. No cluster answers here (the
kubeconfigs the platform exports name clusters the stand-ins made up, signed in through `aws`, `kubelogin`
and `gke-gcloud-auth-plugin`, none of which exist here) and there is no network (Helm charts are fetched
from their OCI registries during the preview), so a cluster stack's preview and up are expected to stop
there. The cluster tests assert that they stop for THOSE reasons only: the StackReference to the platform,
the program and the pack must all work, and every error the engine reports must be one of the recorded ones.
"""

from __future__ import annotations

import pytest

from tests.e2e.engine import Run
from tests.e2e.lifecycle import engine_for, errors, lifecycle, policy_violations, state_urns


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
    assert state_urns(runs["export-up"]), "the first up left nothing in the stack's state"
    assert state_urns(runs["export-destroyed"]) == set()


def test_up_after_destroy_rebuilds_the_same_resources(runs: dict[str, Run]) -> None:
    assert runs["up-again"].returncode == 0, runs["up-again"].describe()
    assert state_urns(runs["export-up-again"]) == state_urns(runs["export-up"])


# What the real engine and the real Kubernetes provider (4.25.0 installed as 4.34.2) say with no cluster and
# no network, recorded from `make e2e` (README "make e2e"):
NO_CLUSTER = (
    "configured Kubernetes cluster is unreachable: unable to load schema information from the API server",
    'failed to perform "FetchReference" on source',  # the Helm chart, from its OCI registry
    "is not a valid chart repository or cannot be reached",  # the Helm chart, from its HTTP repository
    "failed to run remediation: context canceled",  # the pack, stopped with the run
    "failed to run policy: context canceled",  # likewise, when it was analysing a resource
    "Resource monitor has terminated, shutting down",  # the program, stopped with the run
    ": preview failed",
    ": update failed",
)


def _clusters(runs: dict[str, Run]) -> list[str]:
    return sorted({step.split(":", 1)[0] for step in runs if ":" in step})


def test_every_cluster_stack_is_initialised_and_destroyed(runs: dict[str, Run]) -> None:
    for cluster in _clusters(runs):
        for step in ("init", "destroy"):
            run = runs[f"{cluster}:{step}"]
            assert run.returncode == 0, run.describe()


@pytest.mark.parametrize("step", ["preview", "up"])
def test_cluster_stacks_stop_only_where_no_cluster_answers(runs: dict[str, Run], step: str) -> None:
    for cluster in _clusters(runs):
        run = runs[f"{cluster}:{step}"]
        unexpected = [e for e in errors(run) if not any(known in e for known in NO_CLUSTER)]
        assert not unexpected, f"{cluster} {step}: {unexpected}"
        # A mandatory violation would also end in "preview failed": the pack must have found none.
        assert policy_violations(run, "mandatory") == [], f"{cluster} {step}"
        # The StackReference to the platform was read before anything stopped.
        assert any(
            (e.get("resOutputsEvent") or e.get("resourcePreEvent") or {}).get("metadata", {}).get("type")
            == "pulumi:pulumi:StackReference"
            for e in run.events
        ), f"{cluster} {step}: no StackReference step"
        if run.returncode != 0:
            assert errors(run), run.describe()  # a failure the engine explained


def test_the_environment_has_its_cluster_stacks(runs: dict[str, Run]) -> None:
    assert _clusters(runs), "no clusters/Pulumi.<env>-*.yaml stack ran"
