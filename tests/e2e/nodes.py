"""One Node per node pool of a planned cluster, registered through the API as a kubelet would register it:
the pool's labels and taints (the cloud's own included, tests/jobpath/plan.py and facts.py), status Ready,
capacity and allocatable from the cloud's reservations (facts.allocatable). No kubelet runs; the scheduler
binds pods to these nodes and nothing runs them."""

from __future__ import annotations

import datetime
import json
from typing import Any

from tests.e2e.api import Client
from tests.jobpath.facts import GPU, allocatable
from tests.jobpath.plan import Cluster, Pool


def node_name(pool: Pool) -> str:
    """EKS node group name prefixes end in `-`; a node name is a DNS subdomain."""
    return f"{pool.name.lower().replace('_', '-').strip('-')}-0"


# The AWS provider names a node group created from `nodeGroupNamePrefix` as the prefix plus a 26-character
# unique id (terraform-plugin-sdk helper/id.PrefixedUniqueId); EKS labels its nodes with that full name.
_PREFIXED_ID = "20260101000000000000000001"


def _labels(pool: Pool) -> dict[str, str]:
    labels = dict(pool.labels)
    group = labels.get("eks.amazonaws.com/nodegroup")
    if group and group.endswith("-"):
        labels["eks.amazonaws.com/nodegroup"] = group + _PREFIXED_ID
    return labels


def manifest(cluster: Cluster, pool: Pool) -> dict[str, Any]:
    name = node_name(pool)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **_labels(pool),
            },
        },
        "spec": {"taints": pool.taints} if pool.taints else {},
    }


def status(cluster: Cluster, pool: Pool) -> dict[str, Any]:
    a = allocatable(cluster.cloud, pool.shape, pool.gpus)
    resources = {"cpu": f"{a.cpu_millis}m", "memory": f"{a.memory_mib}Mi", "pods": str(a.pods)}
    capacity = {
        "cpu": str(pool.shape.vcpus),
        "memory": f"{int(pool.shape.memory_gib * 1024)}Mi",
        "pods": str(a.pods),
    }
    if pool.gpus:
        resources[GPU] = capacity[GPU] = str(pool.gpus)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "capacity": capacity,
        "allocatable": resources,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "registered by tests/e2e (no kubelet)",
                "lastHeartbeatTime": now,
                "lastTransitionTime": now,
            }
        ],
    }


def register(client: Client, cluster: Cluster) -> dict[str, Pool]:
    """Node name -> its pool."""
    registered = {}
    for pool in cluster.pools:
        node = manifest(cluster, pool)
        client.create(node)
        client.patch_status("v1", "Node", node["metadata"]["name"], status(cluster, pool))
        # The TaintNodesByCondition admission plugin taints every new Node `node.kubernetes.io/not-ready:NoSchedule`;
        # the node lifecycle controller lifts it once the node reports Ready. That controller is not run here
        # (cluster.py), so the lift is done here, leaving exactly the pool's taints.
        client.request(
            "PATCH",
            client.path("v1", "Node", name=node["metadata"]["name"]),
            "lift the not-ready taint",
            data=json.dumps({"spec": {"taints": pool.taints or None}}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        registered[node["metadata"]["name"]] = pool
    return registered
