"""GPU enablement, metrics, queues and team quotas on one cluster.

- GPU enablement per driver strategy and cloud: the NVIDIA device plugin where the node image or
  the cloud installs the driver (EKS NVIDIA AMIs, AKS), nothing on GKE (it runs its own device
  plugin), or the GPU operator with its driver and toolkit turned off where the image ships them.
- GPU metrics: DCGM exporter (the operator's, when the operator is installed).
- Queues and quotas: Kueue, a ResourceFlavor per GPU pool, and per team a ClusterQueue (all in one
  cohort) holding the team's GPU quota, a namespace, a GPU ResourceQuota, a LimitRange and a
  LocalQueue. Kueue objects depend on the Kueue release, so its CRDs exist first.
- PriorityClasses for training and inference; in the namespaces whose daemons run at a
  `system-*-critical` priority, a ResourceQuota scoped to those classes (GKE admits such pods nowhere
  else but kube-system).
- A default StorageClass that encrypts volumes with the platform's key.
- On EKS, the Kubernetes cluster autoscaler (GKE and AKS run their own).
Every daemon tolerates every taint the GPU pools' nodes carry, the cloud's own included, and every
controller runs on the system pool. Chart versions come from `mlplat:versions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.common.gpu import ACCELERATOR_LABEL, GPU_TAINT, POOL_LABEL, GpuPoolSpec, NodeTaint

Cloud = Literal["aws", "gcp", "azure"]

DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
DCGM_EXPORTER_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
GPU_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia"
KUEUE_CHART = "oci://registry.k8s.io/kueue/charts/kueue"
CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
KUEUE_API = "kueue.x-k8s.io/v1beta1"
GPU_RESOURCE = "nvidia.com/gpu"
LOCAL_QUEUE = "gpu"
# Every team's ClusterQueue joins this cohort; see `_cluster_queue` for what they share.
COHORT = "mlplat"
TEAM_LABEL = "mlplat.io/team"
GPU_SYSTEM_NAMESPACE = "gpu-system"
GPU_OPERATOR_NAMESPACE = "gpu-operator"
# Daemons that must keep running on their node use the node-critical class; GKE admits it outside
# kube-system only in a namespace with a ResourceQuota scoped to it
# (kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default).
CRITICAL_PRIORITY_CLASSES = ("system-node-critical", "system-cluster-critical")
CRITICAL_PODS_QUOTA = "1000"  # a scope to admit the classes, not a limit anyone reaches
DEFAULT_STORAGE_CLASS = "storageclass.kubernetes.io/is-default-class"
# Kubernetes RBAC for team members where the cloud's identities are Kubernetes users (GKE).
MEMBER_CLUSTER_ROLE = "edit"
# Pod Security admission: refuse what baseline forbids, warn and audit what restricted would
# (kubernetes.io/docs/concepts/security/pod-security-admission).
POD_SECURITY_LABELS = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}
# Where pods get their cloud credentials, to be let through a default-deny egress policy: the GKE metadata
# server (cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#restrictions) and the EKS Pod
# Identity agent (docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html); AKS pods use a token file.
CREDENTIAL_ENDPOINTS: dict[str, list[tuple[str, int]]] = {
    "gcp": [("169.254.169.254/32", 80), ("169.254.169.252/32", 988)],
    "aws": [("169.254.170.23/32", 80)],
    "azure": [],
}


def team_namespace(team: str) -> str:
    """The namespace a team works in; cloud-side grants (EKS access policies, AKS roles) scope to it."""
    return f"team-{team}"


def team_cluster_queue(team: str) -> str:
    """The team's ClusterQueue: cluster-scoped, named like its namespace."""
    return f"team-{team}"


# Run only where a GPU pool put its accelerator label.
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
    cluster_autoscaler: str = ""  # needed only where the stack installs the autoscaler (EKS)


@dataclass(frozen=True)
class TeamSpec:
    name: str
    gpu_quota: int
    # Kubernetes user names bound to `edit` in the team namespace (GKE: Google identities); clouds that
    # grant namespace access through their own IAM (EKS access policies, AKS Azure RBAC) leave it empty.
    members: Sequence[str] = ()


@dataclass(frozen=True)
class StorageClassSpec:
    """The cluster's default StorageClass: its CSI provisioner and the parameters that name the key."""

    provisioner: str
    parameters: Mapping[str, pulumi.Input[str]]
    name: str = "encrypted"


@dataclass(frozen=True)
class ClusterAutoscalerSpec:
    """The Kubernetes cluster autoscaler for EKS; its AWS identity comes from a Pod Identity association."""

    cluster_name: pulumi.Input[str]
    region: str
    namespace: str
    service_account: str
    image_tag: str  # the autoscaler's minor version follows the cluster's


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
    # Every taint each pool's nodes carry, the cloud's own included (pool name -> taints).
    pool_taints: Mapping[str, Sequence[NodeTaint]] = field(default_factory=dict)
    storage_class: StorageClassSpec | None = None
    cluster_autoscaler: ClusterAutoscalerSpec | None = None

    def taints_of(self, pool: GpuPoolSpec) -> list[NodeTaint]:
        return list(self.pool_taints.get(pool.name, (GPU_TAINT,)))

    def gpu_node_tolerations(self) -> list[dict[str, str]]:
        """One toleration per taint any GPU pool carries: daemons run on every GPU node."""
        taints = {t for pool in self.pools for t in self.taints_of(pool)}
        return [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in sorted(taints, key=str)]


class GpuStack(pulumi.ComponentResource):
    cluster_queues: pulumi.Output[list[str]]
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
        if args.storage_class is not None:
            self._storage_class(args.storage_class)
        if args.cluster_autoscaler is not None:
            self._cluster_autoscaler(args.cluster_autoscaler)
        kueue = self._release(
            "kueue",
            chart=KUEUE_CHART,
            version=args.charts.kueue,
            namespace="kueue-system",
            values={"controllerManager": {"replicas": 2}},
        )
        queues = self._queues(kueue)
        namespaces = [self._team(team, queues[team.name]) for team in args.teams]
        self.cluster_queues = pulumi.Output.from_input([team_cluster_queue(t.name) for t in args.teams])
        self.team_namespaces = pulumi.Output.all(*[ns.metadata.name for ns in namespaces])
        self.register_outputs(
            {"cluster_queues": self.cluster_queues, "team_namespaces": self.team_namespaces}
        )

    def _release(
        self,
        key: str,
        *,
        chart: str,
        version: str,
        namespace: str,
        values: dict[str, Any],
        repo: str | None = None,
        after: Sequence[pulumi.Resource] = (),
    ) -> k8s.helm.v3.Release:
        release = k8s.helm.v3.Release(
            f"{self._name}-{key}",
            k8s.helm.v3.ReleaseArgs(
                name=key,
                chart=chart,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo) if repo else None,
                namespace=namespace,
                # A namespace prepared for the release (its quota) exists already; Helm makes the others.
                create_namespace=not after,
                atomic=True,
                cleanup_on_fail=True,
                values=values,
            ),
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=list(after))),
        )
        self.releases[key] = release
        return release

    def _critical_namespace(self, namespace: str) -> list[pulumi.Resource]:
        """A namespace whose pods run at a `system-*-critical` priority, with the quota scope that admits them."""
        labels = dict(self._args.labels)
        ns = k8s.core.v1.Namespace(
            f"{self._name}-ns-{namespace}",
            k8s.core.v1.NamespaceInitArgs(metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace, labels=labels)),
            opts=self._opts,
        )
        quota = k8s.core.v1.ResourceQuota(
            f"{self._name}-ns-{namespace}-critical-pods",
            k8s.core.v1.ResourceQuotaInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="critical-pods", namespace=ns.metadata.name, labels=labels
                ),
                spec=k8s.core.v1.ResourceQuotaSpecArgs(
                    hard={"pods": CRITICAL_PODS_QUOTA},
                    scope_selector=k8s.core.v1.ScopeSelectorArgs(
                        match_expressions=[
                            k8s.core.v1.ScopedResourceSelectorRequirementArgs(
                                scope_name="PriorityClass",
                                operator="In",
                                values=list(CRITICAL_PRIORITY_CLASSES),
                            )
                        ]
                    ),
                ),
            ),
            opts=self._opts,
        )
        return [ns, quota]

    def _gpu_software(self) -> None:
        charts, e = self._args.charts, self.enablement
        tolerations = self._args.gpu_node_tolerations()
        daemon = {
            "tolerations": tolerations,
            "affinity": GPU_NODE_AFFINITY,
            "priorityClassName": "system-node-critical",
        }
        gpu_system = (
            self._critical_namespace(GPU_SYSTEM_NAMESPACE) if e.device_plugin or e.standalone_dcgm else []
        )
        if e.device_plugin:
            self._release(
                "nvidia-device-plugin",
                chart="nvidia-device-plugin",
                version=charts.nvidia_device_plugin,
                repo=DEVICE_PLUGIN_REPO,
                namespace=GPU_SYSTEM_NAMESPACE,
                values=daemon,
                after=gpu_system,
            )
        if e.operator:
            self._release(
                "gpu-operator",
                chart="gpu-operator",
                version=charts.gpu_operator,
                repo=GPU_OPERATOR_REPO,
                namespace=GPU_OPERATOR_NAMESPACE,
                values={
                    "driver": {"enabled": e.operator_driver},
                    "toolkit": {"enabled": e.operator_toolkit},
                    "dcgmExporter": {"enabled": True},
                    "daemonsets": {"tolerations": tolerations, "priorityClassName": "system-node-critical"},
                    "node-feature-discovery": {"worker": {"tolerations": tolerations}},
                },
                after=self._critical_namespace(GPU_OPERATOR_NAMESPACE),
            )
        if e.standalone_dcgm:
            self._release(
                "dcgm-exporter",
                chart="dcgm-exporter",
                version=charts.dcgm_exporter,
                repo=DCGM_EXPORTER_REPO,
                namespace=GPU_SYSTEM_NAMESPACE,
                values={**daemon, "serviceMonitor": {"enabled": False}},
                after=gpu_system,
            )

    def _storage_class(self, spec: StorageClassSpec) -> None:
        """The default class, so a claim that names none gets a volume encrypted with the platform's key."""
        k8s.storage.v1.StorageClass(
            f"{self._name}-storage-class",
            k8s.storage.v1.StorageClassInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=spec.name,
                    labels=dict(self._args.labels),
                    annotations={DEFAULT_STORAGE_CLASS: "true"},
                ),
                provisioner=spec.provisioner,
                parameters=dict(spec.parameters),
                reclaim_policy="Delete",
                # Create the volume where the pod lands, so zonal disks and GPU nodes meet.
                volume_binding_mode="WaitForFirstConsumer",
                allow_volume_expansion=True,
            ),
            opts=self._opts,
        )

    def _cluster_autoscaler(self, spec: ClusterAutoscalerSpec) -> None:
        """Scale-up from zero on EKS: discovers the node groups by their tags, reads node templates from them."""
        self._release(
            "cluster-autoscaler",
            chart="cluster-autoscaler",
            version=self._args.charts.cluster_autoscaler,
            repo=CLUSTER_AUTOSCALER_REPO,
            namespace=spec.namespace,
            values={
                "cloudProvider": "aws",
                "awsRegion": spec.region,
                "autoDiscovery": {"clusterName": spec.cluster_name},
                "image": {"tag": spec.image_tag},
                "rbac": {"serviceAccount": {"name": spec.service_account}},
                # Spot and on-demand groups of one shape are interchangeable; spread across zones.
                "extraArgs": {"balance-similar-node-groups": True, "expander": "least-waste"},
            },
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

    def _queues(self, kueue: k8s.helm.v3.Release) -> dict[str, k8s.apiextensions.CustomResource]:
        """A ResourceFlavor per GPU pool, then a ClusterQueue per team (team name -> its queue)."""
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
                        # Admitted pods get a toleration for every taint the pool's nodes carry.
                        "tolerations": [t.toleration() for t in self._args.taints_of(pool)],
                    },
                    opts=after_kueue,
                )
            )
        after_flavors = pulumi.ResourceOptions.merge(after_kueue, pulumi.ResourceOptions(depends_on=flavors))
        return {team.name: self._cluster_queue(team, after_flavors) for team in self._args.teams}

    def _cluster_queue(
        self, team: TeamSpec, opts: pulumi.ResourceOptions
    ) -> k8s.apiextensions.CustomResource:
        """The team's quota as Kueue sees it, so a job over it waits in the queue instead of being admitted and
        then refused by the namespace's ResourceQuota while holding quota another team needs.

        Per pool (flavor): GPUs up to min(gpuQuota, what the pool can hold), and no GPU borrowing from the
        cohort: the ResourceQuota would refuse the borrowed GPUs' pods. CPU and memory are the pool's whole
        capacity, which covers what its nodes can allocate, so GPUs are the only quota a job waits for.
        The ResourceQuota stays the cap across pools (Kueue's quotas are per flavor, kueue v0.17.0
        apis/kueue/v1beta1/clusterqueue_types.go, ResourceQuota.nominalQuota and borrowingLimit)."""
        return k8s.apiextensions.CustomResource(
            f"{self._name}-cluster-queue-{team.name}",
            api_version=KUEUE_API,
            kind="ClusterQueue",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=team_cluster_queue(team.name), labels={**self._args.labels, TEAM_LABEL: team.name}
            ),
            spec={
                "cohort": COHORT,
                "namespaceSelector": {"matchLabels": {TEAM_LABEL: team.name}},
                "queueingStrategy": "BestEffortFIFO",
                "preemption": {"withinClusterQueue": "LowerPriority"},
                "resourceGroups": [
                    {
                        "coveredResources": [GPU_RESOURCE, "cpu", "memory"],
                        "flavors": [
                            {
                                "name": pool.name,
                                "resources": [
                                    {
                                        "name": GPU_RESOURCE,
                                        "nominalQuota": min(team.gpu_quota, pool.max_gpus),
                                        "borrowingLimit": 0,
                                    },
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
            opts=opts,
        )

    def _team(self, team: TeamSpec, queue: k8s.apiextensions.CustomResource) -> k8s.core.v1.Namespace:
        labels = {**self._args.labels, TEAM_LABEL: team.name}
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-team-{team.name}",
            k8s.core.v1.NamespaceInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=team_namespace(team.name), labels={**labels, **POD_SECURITY_LABELS}
                )
            ),
            opts=self._opts,
        )
        ns = namespace.metadata.name
        self._team_network_policy(team, ns, labels)
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
                        # Requests only for CPU and memory: a default limit would refuse a container asking
                        # for more than it. Nothing for GPUs: a default of 0 would name nvidia.com/gpu in every
                        # pod, and ExtendedResourceToleration (on in EKS and GKE) then tolerates the GPU taint
                        # for it, so CPU-only pods land on GPU nodes (k8s v1.35 plugin/pkg/admission/
                        # extendedresourcetoleration; seen on the e2e control plane). The team's GPU cap is
                        # its ResourceQuota and its queue.
                        k8s.core.v1.LimitRangeItemArgs(
                            type="Container",
                            default_request={"cpu": "500m", "memory": "1Gi"},
                        )
                    ]
                ),
            ),
            opts=self._opts,
        )
        if team.members:
            k8s.rbac.v1.RoleBinding(
                f"{self._name}-team-{team.name}-members",
                k8s.rbac.v1.RoleBindingInitArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(name="members", namespace=ns, labels=labels),
                    role_ref=k8s.rbac.v1.RoleRefArgs(
                        api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=MEMBER_CLUSTER_ROLE
                    ),
                    subjects=[
                        k8s.rbac.v1.SubjectArgs(
                            api_group="rbac.authorization.k8s.io", kind="User", name=member
                        )
                        for member in team.members
                    ],
                ),
                opts=self._opts,
            )
        k8s.apiextensions.CustomResource(
            f"{self._name}-team-{team.name}-queue",
            api_version=KUEUE_API,
            kind="LocalQueue",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=LOCAL_QUEUE, namespace=ns, labels=labels),
            spec={"clusterQueue": team_cluster_queue(team.name)},
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=[queue])),
        )
        return namespace

    def _team_network_policy(self, team: TeamSpec, ns: pulumi.Output[str], labels: Mapping[str, str]) -> None:
        """Default deny, except the team's own pods (distributed training), DNS, and HTTPS out (storage, registries)."""
        every_pod = k8s.meta.v1.LabelSelectorArgs()
        same_namespace = [k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=every_pod)]
        kube_dns = k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                match_labels={"kubernetes.io/metadata.name": "kube-system"}
            )
        )
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-team-{team.name}-default-deny",
            k8s.networking.v1.NetworkPolicyInitArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny", namespace=ns, labels=dict(labels)),
                spec=k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=every_pod,
                    policy_types=["Ingress", "Egress"],
                    ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=same_namespace)],
                    egress=[
                        k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=same_namespace),
                        k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                            to=[kube_dns],
                            ports=[
                                k8s.networking.v1.NetworkPolicyPortArgs(protocol=p, port=53)
                                for p in ("UDP", "TCP")
                            ],
                        ),
                        k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                            to=[
                                k8s.networking.v1.NetworkPolicyPeerArgs(
                                    ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0")
                                )
                            ],
                            ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=443)],
                        ),
                        *(
                            k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                                to=[
                                    k8s.networking.v1.NetworkPolicyPeerArgs(
                                        ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)
                                    )
                                ],
                                ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=port)],
                            )
                            for cidr, port in CREDENTIAL_ENDPOINTS[self._args.cloud]
                        ),
                    ],
                ),
            ),
            opts=self._opts,
        )
