"""GPU enablement, metrics, queues and team quotas on one cluster.

- GPU enablement per driver strategy and cloud: the NVIDIA device plugin where the node image or
  the cloud installs the driver (EKS NVIDIA AMIs, AKS), nothing on GKE (it runs its own device
  plugin), or the GPU operator with its driver and toolkit turned off where the image ships them.
- GPU metrics: DCGM exporter (the operator's, when the operator is installed).
- Queues and quotas: Kueue, a ResourceFlavor per GPU pool, one ClusterQueue whose GPU quota is
  what the pools can ever hold, and per team a namespace, a GPU ResourceQuota, a LimitRange and
  a LocalQueue. Kueue objects depend on the Kueue release, so its CRDs exist first.
- PriorityClasses for training and inference.
Every daemon tolerates the GPU pools' taint. Chart versions come from `mlplat:versions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.common.gpu import (
    ACCELERATOR_LABEL,
    GPU_TAINT_EFFECT,
    GPU_TAINT_KEY,
    GPU_TAINT_VALUE,
    POOL_LABEL,
    GpuPoolSpec,
)

Cloud = Literal["aws", "gcp", "azure"]

DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
DCGM_EXPORTER_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
GPU_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia"
KUEUE_CHART = "oci://registry.k8s.io/kueue/charts/kueue"
KUEUE_API = "kueue.x-k8s.io/v1beta1"
GPU_RESOURCE = "nvidia.com/gpu"
CLUSTER_QUEUE = "gpu"
TEAM_LABEL = "mlplat.io/team"

# Tolerate the pools' taint and run only where a GPU pool put its accelerator label.
GPU_TOLERATION = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": GPU_TAINT_EFFECT}
GPU_NODE_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]
        }
    }
}


@dataclass(frozen=True)
class ChartVersions:
    nvidia_device_plugin: str
    gpu_operator: str
    dcgm_exporter: str
    kueue: str


@dataclass(frozen=True)
class TeamSpec:
    name: str
    gpu_quota: int
    members: Sequence[str] = ()


@dataclass(frozen=True)
class Enablement:
    """What GPU software the cluster needs on top of what the cloud already does."""

    device_plugin: bool
    operator: bool
    operator_driver: bool  # the operator installs the driver (the image does not ship one)
    operator_toolkit: bool
    standalone_dcgm: bool


def enablement_for(cloud: Cloud, pools: Sequence[GpuPoolSpec]) -> Enablement:
    """One strategy per cluster: the operator manages every GPU node when any pool asks for it."""
    if any(p.driver_strategy == "gpu-operator" for p in pools):
        # EKS NVIDIA AMIs ship driver and toolkit; GKE and AKS skip their driver for this strategy.
        ships_driver = cloud == "aws"
        return Enablement(False, True, not ships_driver, not ships_driver, False)
    # GKE installs the driver and runs its own device plugin; EKS AMIs and AKS install only the driver.
    return Enablement(
        device_plugin=cloud != "gcp",
        operator=False,
        operator_driver=False,
        operator_toolkit=False,
        standalone_dcgm=True,
    )


@dataclass(frozen=True)
class GpuStackArgs:
    cloud: Cloud
    kubeconfig: pulumi.Input[str]
    pools: Sequence[GpuPoolSpec]
    teams: Sequence[TeamSpec]
    charts: ChartVersions
    labels: Mapping[str, str]  # platform labels, already valid as Kubernetes label values


class GpuStack(pulumi.ComponentResource):
    cluster_queue: pulumi.Output[str]
    team_namespaces: pulumi.Output[list[str]]

    def __init__(self, name: str, args: GpuStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:kubernetes:GpuStack", name, None, opts)
        self._name, self._args = name, args
        self.provider = k8s.Provider(
            f"{name}-k8s",
            k8s.ProviderArgs(kubeconfig=pulumi.Output.secret(args.kubeconfig), enable_server_side_apply=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._opts = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.enablement = enablement_for(args.cloud, args.pools)
        self.releases: dict[str, k8s.helm.v3.Release] = {}
        self._gpu_software()
        self._priority_classes()
        kueue = self._release(
            "kueue",
            chart=KUEUE_CHART,
            version=args.charts.kueue,
            namespace="kueue-system",
            values={"controllerManager": {"replicas": 2}},
        )
        queue = self._queues(kueue)
        namespaces = [self._team(team, queue) for team in args.teams]
        self.cluster_queue = pulumi.Output.from_input(CLUSTER_QUEUE)
        self.team_namespaces = pulumi.Output.all(*[ns.metadata.name for ns in namespaces])
        self.register_outputs({"cluster_queue": self.cluster_queue, "team_namespaces": self.team_namespaces})

    def _release(
        self,
        key: str,
        *,
        chart: str,
        version: str,
        namespace: str,
        values: dict[str, Any],
        repo: str | None = None,
    ) -> k8s.helm.v3.Release:
        release = k8s.helm.v3.Release(
            f"{self._name}-{key}",
            k8s.helm.v3.ReleaseArgs(
                name=key,
                chart=chart,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo) if repo else None,
                namespace=namespace,
                create_namespace=True,
                atomic=True,
                cleanup_on_fail=True,
                values=values,
            ),
            opts=self._opts,
        )
        self.releases[key] = release
        return release

    def _gpu_software(self) -> None:
        charts, e = self._args.charts, self.enablement
        daemon = {"tolerations": [GPU_TOLERATION], "affinity": GPU_NODE_AFFINITY}
        if e.device_plugin:
            self._release(
                "nvidia-device-plugin",
                chart="nvidia-device-plugin",
                version=charts.nvidia_device_plugin,
                repo=DEVICE_PLUGIN_REPO,
                namespace="gpu-system",
                values={**daemon, "priorityClassName": "system-node-critical"},
            )
        if e.operator:
            self._release(
                "gpu-operator",
                chart="gpu-operator",
                version=charts.gpu_operator,
                repo=GPU_OPERATOR_REPO,
                namespace="gpu-operator",
                values={
                    "driver": {"enabled": e.operator_driver},
                    "toolkit": {"enabled": e.operator_toolkit},
                    "dcgmExporter": {"enabled": True},
                    "daemonsets": {
                        "tolerations": [GPU_TOLERATION],
                        "priorityClassName": "system-node-critical",
                    },
                    "node-feature-discovery": {"worker": {"tolerations": [GPU_TOLERATION]}},
                },
            )
        if e.standalone_dcgm:
            self._release(
                "dcgm-exporter",
                chart="dcgm-exporter",
                version=charts.dcgm_exporter,
                repo=DCGM_EXPORTER_REPO,
                namespace="gpu-system",
                values={**daemon, "serviceMonitor": {"enabled": False}},
            )

    def _priority_classes(self) -> None:
        for key, value, description in (
            ("inference", 100000, "Serving: preempts training when GPUs run short."),
            ("training", 10000, "Batch training: runs when inference leaves room."),
        ):
            k8s.scheduling.v1.PriorityClass(
                f"{self._name}-{key}",
                k8s.scheduling.v1.PriorityClassInitArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=f"mlplat-{key}", labels=dict(self._args.labels)),
                    value=value,
                    preemption_policy="PreemptLowerPriority",
                    global_default=False,
                    description=description,
                ),
                opts=self._opts,
            )

    def _queues(self, kueue: k8s.helm.v3.Release) -> k8s.apiextensions.CustomResource:
        # Kueue's CRDs come with its release: every Kueue object waits for it.
        after_kueue = pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=[kueue]))
        flavors = []
        for pool in self._args.pools:
            flavors.append(
                k8s.apiextensions.CustomResource(
                    f"{self._name}-flavor-{pool.name}",
                    api_version=KUEUE_API,
                    kind="ResourceFlavor",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=pool.name, labels=dict(self._args.labels)),
                    spec={
                        "nodeLabels": {POOL_LABEL: pool.name},
                        "tolerations": [
                            {
                                "key": GPU_TAINT_KEY,
                                "operator": "Equal",
                                "value": GPU_TAINT_VALUE,
                                "effect": GPU_TAINT_EFFECT,
                            }
                        ],
                    },
                    opts=after_kueue,
                )
            )
        queue = k8s.apiextensions.CustomResource(
            f"{self._name}-cluster-queue",
            api_version=KUEUE_API,
            kind="ClusterQueue",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_QUEUE, labels=dict(self._args.labels)),
            spec={
                "namespaceSelector": {"matchExpressions": [{"key": TEAM_LABEL, "operator": "Exists"}]},
                "queueingStrategy": "BestEffortFIFO",
                "preemption": {"withinClusterQueue": "LowerPriority"},
                "resourceGroups": [
                    {
                        "coveredResources": [GPU_RESOURCE, "cpu", "memory"],
                        "flavors": [
                            {
                                "name": pool.name,
                                "resources": [
                                    {"name": GPU_RESOURCE, "nominalQuota": pool.max_gpus},
                                    {"name": "cpu", "nominalQuota": pool.vcpus * pool.max_nodes},
                                    {
                                        "name": "memory",
                                        "nominalQuota": f"{int(pool.memory_gib * pool.max_nodes)}Gi",
                                    },
                                ],
                            }
                            for pool in self._args.pools
                        ],
                    }
                ],
            },
            opts=pulumi.ResourceOptions.merge(after_kueue, pulumi.ResourceOptions(depends_on=flavors)),
        )
        return queue

    def _team(self, team: TeamSpec, queue: k8s.apiextensions.CustomResource) -> k8s.core.v1.Namespace:
        labels = {**self._args.labels, TEAM_LABEL: team.name}
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-team-{team.name}",
            k8s.core.v1.NamespaceInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"team-{team.name}", labels=labels)
            ),
            opts=self._opts,
        )
        ns = namespace.metadata.name
        max_per_node = max((p.gpus_per_node for p in self._args.pools), default=0)
        k8s.core.v1.ResourceQuota(
            f"{self._name}-team-{team.name}-gpu-quota",
            k8s.core.v1.ResourceQuotaInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name="gpu", namespace=ns, labels=labels),
                spec=k8s.core.v1.ResourceQuotaSpecArgs(
                    hard={f"requests.{GPU_RESOURCE}": str(team.gpu_quota)}
                ),
            ),
            opts=self._opts,
        )
        k8s.core.v1.LimitRange(
            f"{self._name}-team-{team.name}-limits",
            k8s.core.v1.LimitRangeInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name="defaults", namespace=ns, labels=labels),
                spec=k8s.core.v1.LimitRangeSpecArgs(
                    limits=[
                        k8s.core.v1.LimitRangeItemArgs(
                            type="Container",
                            default_request={"cpu": "500m", "memory": "1Gi"},
                            default={"cpu": "2", "memory": "8Gi"},
                            max={GPU_RESOURCE: str(max_per_node)},
                        )
                    ]
                ),
            ),
            opts=self._opts,
        )
        k8s.apiextensions.CustomResource(
            f"{self._name}-team-{team.name}-queue",
            api_version=KUEUE_API,
            kind="LocalQueue",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="gpu", namespace=ns, labels=labels),
            spec={"clusterQueue": CLUSTER_QUEUE},
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=[queue])),
        )
        return namespace
