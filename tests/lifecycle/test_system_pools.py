"""Prod's system pools keep two nodes across zones on every cloud (the profile's systemNodeMinNodes).

CoreDNS, the cluster autoscaler, Kueue and the GPU operator's controllers run on the system pool; with one
node, a node or zone lost stops all of them at once. Dev keeps one node (README "Profiles").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle.plans import document, plan_document


def system_floors(resources: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """cloud -> (minimum nodes, zones the pool spans) of each system pool, from the plan's inputs."""
    found: dict[str, tuple[int, int]] = {}
    for r in resources.values():
        i = r["inputs"]
        if r["type"] == "aws:eks/nodeGroup:NodeGroup" and r["name"].endswith("-eks-system-ng"):
            found["aws"] = (i["scalingConfig"]["minSize"], len(i["subnetIds"]))
        elif r["type"] == "gcp:container/nodePool:NodePool" and r["name"].endswith("-gke-system"):
            cluster = next(c for c in resources.values() if c["type"] == "gcp:container/cluster:Cluster")
            zones = len(cluster["inputs"].get("nodeLocations") or []) or (
                1 if cluster["inputs"]["location"].count("-") == 2 else 3
            )
            found["gcp"] = (i["autoscaling"]["totalMinNodeCount"], zones)
        elif r["type"] == "azure-native:containerservice:ManagedCluster":
            pool = next(p for p in i["agentPoolProfiles"] if p["mode"] == "System")
            found["azure"] = (pool["minCount"], len(pool.get("availabilityZones") or []))
    return found


@pytest.mark.parametrize(("stack", "floor"), [("prod", 2), ("dev", 1)])
def test_system_pools_keep_the_profiles_floor(stack: str, floor: int, tmp_path: Path) -> None:
    floors = system_floors(plan_document(tmp_path, stack, document(stack, {})))
    assert {cloud: nodes for cloud, (nodes, _) in floors.items()} == dict.fromkeys(
        ("aws", "gcp", "azure"), floor
    )
    if stack == "prod":
        assert all(zones >= 2 for _, zones in floors.values()), floors
