"""The GPU pool as every cloud's cluster component receives it: one shape, one taint, one label set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

# Every GPU pool is tainted so only pods that ask for GPUs (and tolerate the taint) land there.
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = (
    "NoSchedule"  # Kubernetes spelling; EKS writes NO_SCHEDULE, GKE NO_SCHEDULE, AKS NoSchedule
)
POOL_LABEL = "mlplat.io/gpu-pool"
ACCELERATOR_LABEL = "mlplat.io/accelerator"

DriverStrategy = Literal["cloud-managed", "gpu-operator"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


@dataclass(frozen=True)
class NodeTaint:
    """A taint on a pool's nodes, in Kubernetes spelling; what pods and daemons there must tolerate."""

    key: str
    value: str
    effect: TaintEffect

    def toleration(self) -> dict[str, str]:
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}


GPU_TAINT = NodeTaint(GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT)


@dataclass(frozen=True)
class GpuPoolSpec:
    """A GPU pool resolved for one cloud: the settings shape plus the catalog's machine for it."""

    name: str
    accelerator: str
    instance_type: str
    gpus_per_node: int
    vcpus: int
    memory_gib: float
    min_nodes: int
    max_nodes: int
    spot: bool
    disk_size_gb: int
    driver_strategy: DriverStrategy
    labels: Mapping[str, str] = field(default_factory=dict)
    zones: Sequence[str] | None = None
    accelerator_type: str | None = None  # GCP guest accelerator type, e.g. nvidia-tesla-t4

    @property
    def node_labels(self) -> dict[str, str]:
        """The user's labels plus the platform's; the platform's win."""
        return {**self.labels, POOL_LABEL: self.name, ACCELERATOR_LABEL: self.accelerator}

    @property
    def max_gpus(self) -> int:
        return self.max_nodes * self.gpus_per_node
