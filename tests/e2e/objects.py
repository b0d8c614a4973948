"""The in-cluster objects a cluster gets, as manifests to send to the API server.

Today's source is the offline plan (`mlplat plan <stack> --json`): every `kubernetes:*` resource of the
cloud's cluster, its engine inputs taken as the manifest (the Kubernetes provider's inputs are the object's
own fields: apiVersion, kind, metadata, spec, ...). Helm releases (`kubernetes:helm.sh/v3:Release`,
`kubernetes:helm.sh/v4:Chart`) are left out: they need the charts' repositories, and Kueue itself is run
by tests/e2e/cluster.py. In the final design the cluster stack is deployed by `pulumi up` with the real
Kubernetes provider; a source with the same `manifests(cluster)` shape replaces this one then.
"""

from __future__ import annotations

from typing import Any, Protocol

from tests.jobpath.plan import Cluster

HELM = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")

# Cluster-scoped and referenced objects first, the way the provider orders them by dependency.
_ORDER = [
    "Namespace",
    "PriorityClass",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "ResourceQuota",
    "LimitRange",
    "Role",
    "RoleBinding",
    "ResourceFlavor",
    "ClusterQueue",
    "LocalQueue",
]


class ObjectSource(Protocol):
    def manifests(self, cluster: Cluster) -> list[dict[str, Any]]: ...


class PlannedObjects:
    """The cluster's Kubernetes objects from the offline plan, in dependency order."""

    def manifests(self, cluster: Cluster) -> list[dict[str, Any]]:
        found = [dict(o["inputs"]) for o in cluster.kube if o["type"] not in HELM]
        rank = {kind: i for i, kind in enumerate(_ORDER)}
        return sorted(found, key=lambda m: rank.get(m.get("kind", ""), len(_ORDER)))

    @staticmethod
    def left_out(cluster: Cluster) -> list[str]:
        return [f"{o['type']} {o['name']}" for o in cluster.kube if o["type"] in HELM]
