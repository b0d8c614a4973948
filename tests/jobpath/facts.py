"""What the clouds and the charts do on their own, as their documents say: the job-path check's only
knowledge besides the plan. Nothing here is read from the program; a fact that changes upstream is
changed here, with its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Cloud = Literal["aws", "gcp", "azure"]
GPU = "nvidia.com/gpu"
CRITICAL_PRIORITY_CLASSES = ("system-node-critical", "system-cluster-critical")


@dataclass(frozen=True)
class Shape:
    vcpus: float
    memory_gib: float
    gpus: int


# Per node, from each cloud's instance-type pages (EC2 accelerated computing instances; Compute Engine
# GPU machine types and general-purpose machine families; Azure NC T4 v3, NVads A10 v5, NDasrA100 v4,
# Dv5/Ddsv5 size pages). A type missing here fails the check: add it with its page, do not guess.
INSTANCE_SHAPES: dict[str, Shape] = {
    "m6i.large": Shape(2, 8, 0),
    "g4dn.xlarge": Shape(4, 16, 1),
    "g4dn.12xlarge": Shape(48, 192, 4),
    "g5.xlarge": Shape(4, 16, 1),
    "g5.12xlarge": Shape(48, 192, 4),
    "g6.xlarge": Shape(4, 16, 1),
    "p4d.24xlarge": Shape(96, 1152, 8),
    "e2-standard-2": Shape(2, 8, 0),
    "e2-standard-4": Shape(4, 16, 0),
    "n1-standard-4": Shape(4, 15, 0),  # GPUs attach as guest accelerators; their count is in the plan
    "n1-standard-16": Shape(16, 60, 0),
    "g2-standard-4": Shape(4, 16, 0),
    "a2-highgpu-1g": Shape(12, 85, 0),
    "a2-highgpu-8g": Shape(96, 680, 0),
    "Standard_D4ds_v5": Shape(4, 16, 0),
    "Standard_D4as_v5": Shape(4, 16, 0),
    "Standard_NC4as_T4_v3": Shape(4, 28, 1),
    "Standard_NV36ads_A10_v5": Shape(36, 440, 1),
    "Standard_NC24ads_A100_v4": Shape(24, 220, 1),
    "Standard_ND96asr_v4": Shape(96, 900, 8),
}


def cloud_taints(cloud: Cloud, *, gpu: bool, spot: bool) -> list[dict[str, str]]:
    """Taints the cloud puts on a pool's nodes whether or not the pool declares them.

    - AKS: every Spot node carries `kubernetes.azure.com/scalesetpriority=spot:NoSchedule`
      (learn.microsoft.com/azure/aks/spot-node-pool, "Spot node pool limitations").
    - GKE: GPU nodes carry `nvidia.com/gpu=present:NoSchedule` when the cluster has non-GPU pools
      (cloud.google.com/kubernetes-engine/docs/how-to/gpus, "Restrict scheduling with taints"); Spot
      nodes are only labelled (cloud.google.com/kubernetes-engine/docs/concepts/spot-vms).
    - EKS managed node groups add no taint of their own, Spot or not
      (docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html).
    """
    taints = []
    if cloud == "azure" and spot:
        taints.append(
            {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"}
        )
    if cloud == "gcp" and gpu:
        taints.append({"key": GPU, "value": "present", "effect": "NoSchedule"})
    return taints


def cloud_labels(cloud: Cloud, *, pool_name: str, spot: bool, system: bool) -> dict[str, str]:
    """Labels the cloud puts on a pool's nodes (besides the pool's own), from the same documents:
    EKS `eks.amazonaws.com/nodegroup` and `eks.amazonaws.com/capacityType`; GKE
    `cloud.google.com/gke-nodepool` and `cloud.google.com/gke-spot`; AKS `kubernetes.azure.com/agentpool`,
    `kubernetes.azure.com/mode` and `kubernetes.azure.com/scalesetpriority`."""
    if cloud == "aws":
        return {
            "eks.amazonaws.com/nodegroup": pool_name,
            "eks.amazonaws.com/capacityType": "SPOT" if spot else "ON_DEMAND",
        }
    if cloud == "gcp":
        return {
            "cloud.google.com/gke-nodepool": pool_name,
            **({"cloud.google.com/gke-spot": "true"} if spot else {}),
        }
    labels = {
        "kubernetes.azure.com/agentpool": pool_name,
        "kubernetes.azure.com/mode": "system" if system else "user",
    }
    if spot:
        labels["kubernetes.azure.com/scalesetpriority"] = "spot"
    return labels


def tolerations_the_cloud_adds(cloud: Cloud, names_gpu: bool) -> list[dict[str, str]]:
    """GKE and EKS run the ExtendedResourceToleration admission plugin: a pod whose requests name `nvidia.com/gpu`
    (at any quantity, 0 included) tolerates the `nvidia.com/gpu` taint without saying so (cloud.google.com/kubernetes-engine/docs/how-to/gpus;
    docs.aws.amazon.com/eks/latest/userguide/platform-versions.html lists it for every 1.30+ platform version;
    kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#extendedresourcetoleration). AKS
    does not (learn.microsoft.com/azure/aks/faq; github.com/Azure/AKS/issues/1449). tests/e2e/cluster.py
    runs each cloud's API server with the same plugins."""
    if cloud in ("gcp", "aws") and names_gpu:
        return [{"key": GPU, "operator": "Exists"}]
    return []


def limits_critical_priority(cloud: Cloud) -> bool:
    """GKE configures the ResourceQuota admission plugin to admit pods of the `system-node-critical` and
    `system-cluster-critical` classes only in a namespace holding a ResourceQuota scoped to them
    (kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default;
    GKE ships `gcp-critical-pods` in kube-system for its own pods). EKS and AKS do not."""
    return cloud == "gcp"


@dataclass(frozen=True)
class Workload:
    """One pod template a chart renders, and where its values put scheduling knobs (dotted paths)."""

    name: str
    daemon: bool  # a DaemonSet that must run on every GPU node; otherwise a controller
    tolerations: str
    default_tolerations: list[dict[str, Any]]
    priority: str | None
    default_priority: str | None
    node_selector: str | None = None
    affinity: str | None = None
    default_affinity_labels: list[dict[str, str]] = field(default_factory=list)  # any-of required labels
    enabled: str | None = None  # values path that turns the workload off (default on)


# Chart defaults, read from each chart's values.yaml and templates at the versions the stacks pin.
CHARTS: dict[str, list[Workload]] = {
    # NVIDIA/k8s-device-plugin v0.17.1 deployments/helm/nvidia-device-plugin/values.yaml
    "nvidia-device-plugin": [
        Workload(
            "device-plugin",
            daemon=True,
            tolerations="tolerations",
            default_tolerations=[
                {"key": "CriticalAddonsOnly", "operator": "Exists"},
                {"key": GPU, "operator": "Exists", "effect": "NoSchedule"},
            ],
            priority="priorityClassName",
            default_priority="system-node-critical",
            node_selector="nodeSelector",
            affinity="affinity",
            default_affinity_labels=[
                {"feature.node.kubernetes.io/pci-10de.present": "true"},
                {"feature.node.kubernetes.io/cpu-model.vendor_id": "NVIDIA"},
                {"nvidia.com/gpu.present": "true"},
            ],
        )
    ],
    # NVIDIA/dcgm-exporter 4.1.1 deployment/values.yaml (tolerations []); templates/daemonset.yaml
    # defaults priorityClassName to system-node-critical.
    "dcgm-exporter": [
        Workload(
            "dcgm-exporter",
            daemon=True,
            tolerations="tolerations",
            default_tolerations=[],
            priority="priorityClassName",
            default_priority="system-node-critical",
            node_selector="nodeSelector",
            affinity="affinity",
        )
    ],
    # NVIDIA/gpu-operator v25.3.0 deployments/gpu-operator/values.yaml
    "gpu-operator": [
        Workload(
            "gpu-operator",
            daemon=False,
            tolerations="operator.tolerations",
            default_tolerations=[
                {
                    "key": "node-role.kubernetes.io/master",
                    "operator": "Equal",
                    "value": "",
                    "effect": "NoSchedule",
                },
                {
                    "key": "node-role.kubernetes.io/control-plane",
                    "operator": "Equal",
                    "value": "",
                    "effect": "NoSchedule",
                },
            ],
            priority="operator.priorityClassName",
            default_priority="system-node-critical",
        ),
        Workload(
            "operands",
            daemon=True,
            tolerations="daemonsets.tolerations",
            default_tolerations=[{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
            priority="daemonsets.priorityClassName",
            default_priority="system-node-critical",
        ),
        Workload(
            "node-feature-discovery-worker",
            daemon=True,
            tolerations="node-feature-discovery.worker.tolerations",
            default_tolerations=[
                {
                    "key": "node-role.kubernetes.io/master",
                    "operator": "Equal",
                    "value": "",
                    "effect": "NoSchedule",
                },
                {
                    "key": "node-role.kubernetes.io/control-plane",
                    "operator": "Equal",
                    "value": "",
                    "effect": "NoSchedule",
                },
                {"key": GPU, "operator": "Exists", "effect": "NoSchedule"},
            ],
            priority="node-feature-discovery.priorityClassName",
            default_priority="system-node-critical",
        ),
        Workload(
            "node-feature-discovery-master",
            daemon=False,
            tolerations="node-feature-discovery.master.tolerations",
            default_tolerations=[],
            priority="node-feature-discovery.priorityClassName",
            default_priority="system-node-critical",
        ),
    ],
    # kubernetes-sigs/kueue v0.13.4 charts/kueue/values.yaml
    "kueue": [
        Workload(
            "kueue-controller-manager",
            daemon=False,
            tolerations="controllerManager.tolerations",
            default_tolerations=[],
            priority="controllerManager.manager.priorityClassName",
            default_priority=None,
            node_selector="controllerManager.nodeSelector",
        )
    ],
    # kubernetes/autoscaler cluster-autoscaler-9.47.0 charts/cluster-autoscaler/values.yaml
    "cluster-autoscaler": [
        Workload(
            "cluster-autoscaler",
            daemon=False,
            tolerations="tolerations",
            default_tolerations=[],
            priority="priorityClassName",
            default_priority="system-cluster-critical",
            node_selector="nodeSelector",
        )
    ],
}


def chart_key(chart: str) -> str:
    """`oci://registry.k8s.io/kueue/charts/kueue` -> `kueue`."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def value_at(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


@dataclass(frozen=True)
class Allocatable:
    cpu_millis: int
    memory_mib: int
    gpus: int
    pods: int


def allocatable(cloud: Cloud, shape: Shape, gpus: int) -> Allocatable:
    """What a node of `shape` offers pods once the cloud's reservations are taken off.

    - CPU, on all three: 6% of the first core, 1% of the second, 0.5% of the third and fourth, 0.25% of every
      core above four (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes "CPU reservations";
      the EKS AMI's bootstrap computes the same, github.com/awslabs/amazon-eks-ami templates/al2023
      kubelet-config; AKS's per-core table is within 20m of it, learn.microsoft.com/azure/aks/node-resource-reservations).
    - Memory: GKE 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above
      (same GKE page); EKS 255 MiB + 11 MiB per pod (the AMI's bootstrap); AKS min(20 MB x max pods + 50 MB,
      25% of memory) (the AKS page, Kubernetes 1.29+). Every cloud keeps 100 MiB more for hard eviction.
    - Max pods: 110, the Kubernetes default and the upper bound of each cloud's default, so the EKS and AKS
      memory reservations here are at their largest (allocatable at its smallest).
    """
    pods = 110
    cores = shape.vcpus
    millis = 60 + (10 if cores > 1 else 0) + 5 * max(0, min(cores, 4) - 2) + 2.5 * max(0, cores - 4)
    total_mib = int(shape.memory_gib * 1024)
    if cloud == "gcp":
        reserved, left = 0.0, float(total_mib)
        for size, share in ((4096, 0.25), (4096, 0.20), (8192, 0.10), (114688, 0.06), (float("inf"), 0.02)):
            step = min(left, size)
            reserved += step * share
            left -= step
            if left <= 0:
                break
    elif cloud == "aws":
        reserved = 255 + 11 * pods
    else:
        reserved = min((20 * pods + 50) * 1000**2 / 1024**2, total_mib * 0.25)
    return Allocatable(
        cpu_millis=int(cores * 1000 - millis),
        memory_mib=int(total_mib - reserved - 100),
        gpus=gpus,
        pods=pods,
    )
