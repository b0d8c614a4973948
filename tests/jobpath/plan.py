"""A cluster as the plan records it: its node pools (with what the cloud adds to them), its cloud
resources and the Kubernetes objects registered into it. Read from the report's resources only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.jobpath.facts import INSTANCE_SHAPES, Cloud, Shape, cloud_labels, cloud_taints

_EFFECT = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}
CLUSTER_TYPES: dict[Cloud, str] = {
    "aws": "aws:eks/cluster:Cluster",
    "gcp": "gcp:container/cluster:Cluster",
    "azure": "azure-native:containerservice:ManagedCluster",
}
_PREFIX: dict[Cloud, str] = {"aws": "aws:", "gcp": "gcp:", "azure": "azure-native:"}


@dataclass
class Pool:
    name: str
    labels: dict[str, str]
    taints: list[dict[str, str]]  # declared and cloud-added, in Kubernetes spelling
    spot: bool
    shape: Shape
    gpus: int
    min_nodes: int
    max_nodes: int
    cloud_autoscaled: bool  # GKE's and AKS's own autoscaler manages it
    driver: str  # "image" (the node image ships it), "cloud" (the cloud installs it) or "none"
    os: str
    inputs: dict[str, Any]
    asg_tags: dict[str, str] = field(default_factory=dict)  # EKS: the Auto Scaling group's own tags

    @property
    def gpu(self) -> bool:
        return self.gpus > 0


@dataclass
class Cluster:
    cloud: Cloud
    stack: str
    name: str
    inputs: dict[str, Any]
    pools: list[Pool]
    cloud_resources: list[dict[str, Any]]
    kube: list[dict[str, Any]]  # Kubernetes objects: {"type", "name", "inputs"}

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Kubernetes objects by kind (`LimitRange`, `ResourceFlavor`, `Release`, ...)."""
        return [o["inputs"] for o in self.kube if o["type"].rsplit(":", 1)[-1] == kind]

    def in_namespace(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        return [o for o in self.objects(kind) if (o.get("metadata") or {}).get("namespace") == namespace]

    def named(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.objects(kind) if (o.get("metadata") or {}).get("name") == name), None)

    def of_type(self, token: str) -> list[dict[str, Any]]:
        return [r["inputs"] for r in self.cloud_resources if r["type"] == token]

    def typed(self, token: str) -> Iterator[dict[str, Any]]:
        yield from (r for r in self.cloud_resources if r["type"] == token)

    @property
    def gpu_pools(self) -> list[Pool]:
        return [p for p in self.pools if p.gpu]


def _shape(instance: str) -> Shape:
    if instance not in INSTANCE_SHAPES:
        raise AssertionError(f"instance type {instance} is not in tests/jobpath/facts.py INSTANCE_SHAPES")
    return INSTANCE_SHAPES[instance]


def _aws_pools(resources: list[dict[str, Any]]) -> list[Pool]:
    pools = []
    for r in resources:
        if r["type"] != "aws:eks/nodeGroup:NodeGroup":
            continue
        i = r["inputs"]
        shape = _shape(i["instanceTypes"][0])
        spot = i.get("capacityType") == "SPOT"
        name = i.get("nodeGroupName") or i.get("nodeGroupNamePrefix") or r["name"]
        asg_tags = {
            t["inputs"]["tag"]["key"]: t["inputs"]["tag"]["value"]
            for t in resources
            if t["type"] == "aws:autoscaling/tag:Tag" and t["parent"] == r["parent"]
        }
        declared = [{**t, "effect": _EFFECT[t["effect"]]} for t in i.get("taints") or []]
        pools.append(
            Pool(
                name=name,
                labels={
                    **(i.get("labels") or {}),
                    **cloud_labels("aws", pool_name=name, spot=spot, system=False),
                },
                taints=declared + cloud_taints("aws", gpu=shape.gpus > 0, spot=spot),
                spot=spot,
                shape=shape,
                gpus=shape.gpus,
                min_nodes=i["scalingConfig"]["minSize"],
                max_nodes=i["scalingConfig"]["maxSize"],
                cloud_autoscaled=False,
                driver="image" if "NVIDIA" in i.get("amiType", "") else "none",
                os=i.get("amiType", ""),
                inputs=i,
                asg_tags=asg_tags,
            )
        )
    return pools


def _gcp_pools(resources: list[dict[str, Any]]) -> list[Pool]:
    pools = []
    for r in resources:
        if r["type"] != "gcp:container/nodePool:NodePool":
            continue
        i = r["inputs"]
        config = i.get("nodeConfig") or {}
        accelerators = config.get("guestAccelerators") or []
        gpus = sum(int(a.get("count", 0)) for a in accelerators)
        spot = bool(config.get("spot") or config.get("preemptible"))
        scaling = i.get("autoscaling") or {}
        install = {
            ((a.get("gpuDriverInstallationConfig") or {}).get("gpuDriverVersion") or "INSTALLATION_DISABLED")
            for a in accelerators
        }
        declared = [{**t, "effect": _EFFECT[t["effect"]]} for t in config.get("taints") or []]
        added = [t for t in cloud_taints("gcp", gpu=gpus > 0, spot=spot) if t not in declared]
        pools.append(
            Pool(
                name=i["name"],
                labels={
                    **(config.get("labels") or {}),
                    **cloud_labels("gcp", pool_name=i["name"], spot=spot, system=False),
                },
                taints=declared + added,
                spot=spot,
                shape=_shape(config["machineType"]),
                gpus=gpus,
                min_nodes=scaling.get(
                    "totalMinNodeCount", scaling.get("minNodeCount", i.get("nodeCount", 0))
                ),
                max_nodes=scaling.get(
                    "totalMaxNodeCount", scaling.get("maxNodeCount", i.get("nodeCount", 0))
                ),
                cloud_autoscaled=bool(scaling),
                driver="cloud" if install & {"DEFAULT", "LATEST"} else "none",
                os=config.get("imageType", "COS_CONTAINERD"),
                inputs=i,
            )
        )
    return pools


def _azure_pool(i: dict[str, Any], name: str) -> Pool:
    shape = _shape(i["vmSize"])
    spot = i.get("scaleSetPriority") == "Spot"
    declared = []
    for text in i.get("nodeTaints") or []:
        key_value, effect = text.rsplit(":", 1)
        key, _, value = key_value.partition("=")
        declared.append({"key": key, "value": value, "effect": effect})
    added = [t for t in cloud_taints("azure", gpu=shape.gpus > 0, spot=spot) if t not in declared]
    system = i.get("mode") == "System"
    # AKS installs the NVIDIA driver on GPU pools unless gpuProfile.driver is None
    # (learn.microsoft.com/azure/aks/gpu-cluster, "Skip GPU driver installation").
    driver = (i.get("gpuProfile") or {}).get("driver", "Install")
    return Pool(
        name=name,
        labels={
            **(i.get("nodeLabels") or {}),
            **cloud_labels("azure", pool_name=name, spot=spot, system=system),
        },
        taints=declared + added,
        spot=spot,
        shape=shape,
        gpus=shape.gpus,
        min_nodes=i.get("minCount", i.get("count", 0)) if i.get("enableAutoScaling") else i.get("count", 0),
        max_nodes=i.get("maxCount", i.get("count", 0)) if i.get("enableAutoScaling") else i.get("count", 0),
        cloud_autoscaled=bool(i.get("enableAutoScaling")),
        driver="cloud" if driver == "Install" and shape.gpus else "none",
        os=i.get("osSKU", "Ubuntu"),
        inputs=i,
    )


def _azure_pools(resources: list[dict[str, Any]]) -> list[Pool]:
    pools = []
    for r in resources:
        if r["type"] == CLUSTER_TYPES["azure"]:
            pools += [_azure_pool(p, p["name"]) for p in r["inputs"].get("agentPoolProfiles") or []]
        elif r["type"] == "azure-native:containerservice:AgentPool":
            pools.append(_azure_pool(r["inputs"], r["inputs"]["agentPoolName"]))
    return pools


def _cloud_of(urn: str, by_urn: dict[str, dict[str, Any]]) -> Cloud | None:
    """The cloud whose section built a Kubernetes object: the nearest ancestor named after a cloud."""
    seen = by_urn.get(urn)
    while seen is not None:
        for cloud in ("aws", "gcp", "azure"):
            if f"-{cloud}-" in f"{seen['name']}-":
                return cloud
        seen = by_urn.get(seen["parent"] or "")
    return None


def clusters(report: dict[str, Any]) -> dict[Cloud, Cluster]:
    resources: list[dict[str, Any]] = report["resources"]
    by_urn = {r["urn"]: r for r in resources}
    found: dict[Cloud, Cluster] = {}
    readers = {"aws": _aws_pools, "gcp": _gcp_pools, "azure": _azure_pools}
    for cloud, token in CLUSTER_TYPES.items():
        cluster = next((r for r in resources if r["type"] == token), None)
        if cluster is None:
            continue
        own = [r for r in resources if r["type"].startswith(_PREFIX[cloud])]
        kube = [
            {"type": r["type"], "name": r["name"], "inputs": r["inputs"]}
            for r in resources
            if r["type"].startswith("kubernetes:") and _cloud_of(r["urn"], by_urn) == cloud
        ]
        inputs = cluster["inputs"]
        name = inputs.get("name") or inputs.get("resourceName") or cluster["name"]
        found[cloud] = Cluster(cloud, report["stack"], name, inputs, readers[cloud](own), own, kube)
    return found
