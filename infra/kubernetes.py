"""The in-cluster GPU stack on each cloud's cluster, fed from the same settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from components.catalog import Cloud
from components.common.gpu import GpuPoolSpec
from components.common.tags import kubernetes_labels
from components.kubernetes import ChartVersions, GpuStack, GpuStackArgs, TeamSpec
from infra.settings import StackSettings


def build_gpu_stack(
    stack: StackSettings,
    cloud: Cloud,
    *,
    kubeconfig: pulumi.Input[str],
    pools: Sequence[GpuPoolSpec],
    tags: Mapping[str, str],
    depends_on: Sequence[pulumi.Resource],
) -> GpuStack:
    s = stack.settings
    charts = s.versions.charts
    return GpuStack(
        f"{pulumi.get_project()}-{stack.stack}-{cloud}-gpu-stack",
        GpuStackArgs(
            cloud=cloud,
            kubeconfig=kubeconfig,
            pools=pools,
            teams=[TeamSpec(t.name, t.gpu_quota, [str(m) for m in t.members]) for t in s.teams],
            charts=ChartVersions(
                nvidia_device_plugin=charts.nvidia_device_plugin,
                gpu_operator=charts.gpu_operator,
                dcgm_exporter=charts.dcgm_exporter,
                kueue=charts.kueue,
            ),
            labels=kubernetes_labels(tags),
        ),
        # Installing into a cluster needs its nodes: wait for the cluster and its pools.
        opts=pulumi.ResourceOptions(depends_on=list(depends_on)),
    )
