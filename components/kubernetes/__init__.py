"""The in-cluster GPU stack, the same on EKS, GKE and AKS."""

from components.kubernetes.gpu_stack import (
    ChartVersions,
    ClusterAutoscalerSpec,
    GpuStack,
    GpuStackArgs,
    StorageClassSpec,
    TeamSpec,
    enablement_for,
    team_namespace,
)

__all__ = [
    "ChartVersions",
    "ClusterAutoscalerSpec",
    "GpuStack",
    "GpuStackArgs",
    "StorageClassSpec",
    "TeamSpec",
    "enablement_for",
    "team_namespace",
]
