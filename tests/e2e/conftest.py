"""A live control plane per cloud and stack (session-scoped, one at a time): started, given Kueue, the
cluster's planned objects and one Node per pool, and stopped by process group when the next one is needed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e import binaries
from tests.e2e.api import ApiError, Client, wait
from tests.e2e.cluster import ControlPlane
from tests.e2e.nodes import register
from tests.e2e.objects import PlannedObjects
from tests.jobpath.plan import Cluster, Pool, clusters

STACKS = ("dev", "prod")
CLOUDS = ("aws", "gcp", "azure")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


@dataclass
class Live:
    stack: str
    cloud: str
    cluster: Cluster
    plane: ControlPlane
    nodes: dict[str, Pool]
    refused: list[str] = field(default_factory=list)  # planned objects the API server refused, verbatim
    # (submission, the simulation's problems, the control plane's problems), for the comparison test
    verdicts: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.plane.client

    def teams(self) -> dict[str, int]:
        """Team namespace -> its GPU quota, as the plan creates them (tests/jobpath/test_job_path.py)."""
        found = {}
        for ns in self.cluster.objects("Namespace"):
            meta = ns.get("metadata") or {}
            if "mlplat.io/team" in (meta.get("labels") or {}):
                hard = [
                    (q.get("spec") or {}).get("hard", {}).get("requests.nvidia.com/gpu")
                    for q in self.cluster.in_namespace("ResourceQuota", meta["name"])
                ]
                found[meta["name"]] = int(next((h for h in hard if h is not None), 0))
        return found

    def nodes_of(self, pool: Pool) -> set[str]:
        return {name for name, p in self.nodes.items() if p.name == pool.name}


def _settle(live: Live) -> None:
    """What the controllers do before a team can submit: the `default` ServiceAccount in each namespace, each
    quota's usage, Kueue's ClusterQueue active."""
    client = live.client
    for ns in live.teams():
        wait(f"ServiceAccount {ns}/default", lambda ns=ns: client.get("v1", "ServiceAccount", "default", ns))
        wait(
            f"quota usage in {ns}",
            lambda ns=ns: all("used" in q.get("status", {}) for q in client.list("v1", "ResourceQuota", ns)),
        )


@pytest.fixture(
    scope="session", params=[(s, c) for s in STACKS for c in CLOUDS], ids=lambda p: f"{p[0]}-{p[1]}"
)
def live(
    request: pytest.FixtureRequest, reports: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    missing = binaries.missing()
    if missing:
        pytest.skip(f"not built yet (tools/e2e/build.sh): {', '.join(missing)}")
    stack, cloud = request.param
    cluster = clusters(reports[stack][1]).get(cloud)
    assert cluster is not None, f"{stack} plans no {cloud} cluster"
    plane = ControlPlane(cloud, tmp_path_factory.mktemp(f"{stack}-{cloud}"))
    plane.start()
    try:
        refused = []
        for manifest in PlannedObjects().manifests(cluster):
            try:
                plane.client.apply(manifest)
            except (ApiError, KeyError) as e:
                refused.append(str(e))
        live = Live(stack, cloud, cluster, plane, register(plane.client, cluster), refused)
        _settle(live)
        yield live
    finally:
        plane.stop()
