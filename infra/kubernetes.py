"""The in-cluster GPU stack on each cloud's cluster, fed from the same settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pulumi

from components.catalog import Cloud
from components.common.gpu import GpuPoolSpec, NodeTaint
from components.common.tags import kubernetes_labels
from components.kubernetes import (
    ChartVersions,
    ClusterAutoscalerSpec,
    GpuStack,
    GpuStackArgs,
    StorageClassSpec,
    TeamSpec,
    team_namespace,
)
from infra.settings import StackSettings
from infra.settings.model import TeamMember


def member_namespaces(
    stack: StackSettings, identity: Callable[[TeamMember], str | None]
) -> dict[str, list[str]]:
    """A member's identity on one cloud -> the team namespaces it works in (a person may be in several teams)."""
    found: dict[str, list[str]] = {}
    for team in stack.settings.teams:
        for member in team.members:
            who = identity(member)
            if who is not None:
                found.setdefault(who, []).append(team_namespace(team.name))
    return found


def build_gpu_stack(
    stack: StackSettings,
    cloud: Cloud,
    *,
    kubeconfig: pulumi.Input[str],
    pools: Sequence[GpuPoolSpec],
    tags: Mapping[str, str],
    taints: Callable[[GpuPoolSpec], Sequence[NodeTaint]],
    storage_class: StorageClassSpec,
    cluster_autoscaler: ClusterAutoscalerSpec | None = None,
) -> GpuStack:
    s = stack.settings
    charts = s.versions.charts
    # GKE signs members in with their Google identity, so Kubernetes RBAC binds the email; EKS and AKS
    # grant namespaces through their own IAM (the cluster components).
    rbac_users = (lambda t: [str(m.email) for m in t.members]) if cloud == "gcp" else (lambda t: [])
    return GpuStack(
        # The platform's prefix, whichever project registers it (the cluster stack's since the split).
        f"mlplat-{stack.stack}-{cloud}-gpu-stack",
        GpuStackArgs(
            cloud=cloud,
            kubeconfig=kubeconfig,
            pools=pools,
            teams=[TeamSpec(t.name, t.gpu_quota, rbac_users(t)) for t in s.teams],
            charts=ChartVersions(
                nvidia_device_plugin=charts.nvidia_device_plugin,
                gpu_operator=charts.gpu_operator,
                dcgm_exporter=charts.dcgm_exporter,
                kueue=charts.kueue,
                cluster_autoscaler=charts.cluster_autoscaler or "",
            ),
            labels=kubernetes_labels(tags),
            pool_taints={pool.name: list(taints(pool)) for pool in pools},
            storage_class=storage_class,
            cluster_autoscaler=cluster_autoscaler,
        ),
    )
