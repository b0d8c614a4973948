"""The in-cluster GPU stack, the same on EKS, GKE and AKS."""

from components.kubernetes.gpu_stack import ChartVersions, GpuStack, GpuStackArgs, TeamSpec, enablement_for

__all__ = ["ChartVersions", "GpuStack", "GpuStackArgs", "TeamSpec", "enablement_for"]
