"""The in-cluster GPU stack: the right install per cloud and strategy, tolerations, queues and quotas."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import pytest

from components.common.gpu import (
    GPU_TAINT,
    GPU_TAINT_EFFECT,
    GPU_TAINT_KEY,
    GPU_TAINT_VALUE,
    POOL_LABEL,
    GpuPoolSpec,
    NodeTaint,
)
from components.kubernetes import (
    ChartVersions,
    ClusterAutoscalerSpec,
    GpuStack,
    GpuStackArgs,
    StorageClassSpec,
    TeamSpec,
)
from tests.plans import Plan, Seen, record

T4 = GpuPoolSpec(
    name="t4",
    accelerator="nvidia-t4",
    instance_type="g4dn.xlarge",
    gpus_per_node=1,
    vcpus=4,
    memory_gib=16,
    min_nodes=0,
    max_nodes=3,
    spot=True,
    disk_size_gb=100,
    driver_strategy="cloud-managed",
)
A100 = replace(
    T4,
    name="a100",
    accelerator="nvidia-a100",
    instance_type="p4d.24xlarge",
    gpus_per_node=8,
    vcpus=96,
    memory_gib=1152,
    max_nodes=2,
)
CHARTS = ChartVersions(
    nvidia_device_plugin="0.17.1", gpu_operator="v25.3.0", dcgm_exporter="4.1.1", kueue="0.13.4"
)
TEAMS = [TeamSpec("research", 8), TeamSpec("inference", 2)]
RELEASE = "kubernetes:helm.sh/v3:Release"


def stack(cloud: Literal["aws", "gcp", "azure"], pools: list[GpuPoolSpec]) -> Plan:
    return record(
        lambda: GpuStack(
            "gpu",
            GpuStackArgs(
                cloud=cloud,
                kubeconfig="apiVersion: v1\nkind: Config\n",
                pools=pools,
                teams=TEAMS,
                charts=CHARTS,
                labels={"managed-by": "pulumi"},
            ),
        )
    )


@pytest.fixture(scope="module")
def aws() -> Plan:
    return stack("aws", [T4, A100])


def releases(plan: Plan) -> dict[str, Seen]:
    return {r.inputs["name"]: r for r in plan.of_type(RELEASE)}


def test_eks_with_cloud_managed_drivers_gets_the_device_plugin_and_dcgm_exporter(aws: Plan) -> None:
    assert set(releases(aws)) == {"nvidia-device-plugin", "dcgm-exporter", "kueue"}


def test_gke_relies_on_its_own_device_plugin(aws: Plan) -> None:
    assert set(releases(stack("gcp", [T4]))) == {"dcgm-exporter", "kueue"}


def test_gpu_operator_on_eks_leaves_driver_and_toolkit_to_the_ami() -> None:
    found = releases(stack("aws", [replace(T4, driver_strategy="gpu-operator")]))
    assert set(found) == {"gpu-operator", "kueue"}
    values = found["gpu-operator"].inputs["values"]
    assert (values["driver"]["enabled"], values["toolkit"]["enabled"]) == (False, False)


def test_gpu_operator_on_aks_installs_the_driver_the_pool_skipped() -> None:
    values = releases(stack("azure", [replace(T4, driver_strategy="gpu-operator")]))["gpu-operator"].inputs[
        "values"
    ]
    assert (values["driver"]["enabled"], values["toolkit"]["enabled"]) == (True, True)
    assert values["daemonsets"]["tolerations"] == [
        {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": GPU_TAINT_EFFECT}
    ]


def test_every_gpu_daemon_tolerates_the_pool_taint(aws: Plan) -> None:
    for name in ("nvidia-device-plugin", "dcgm-exporter"):
        tolerations = releases(aws)[name].inputs["values"]["tolerations"]
        assert {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": GPU_TAINT_EFFECT} in tolerations, name


def test_charts_are_pinned_to_the_promoted_versions(aws: Plan) -> None:
    versions = {name: r.inputs["version"] for name, r in releases(aws).items()}
    assert versions == {"nvidia-device-plugin": "0.17.1", "dcgm-exporter": "4.1.1", "kueue": "0.13.4"}


def custom(plan: Plan, kind: str) -> list[Seen]:
    return sorted(
        (r for r in plan.resources if r.type == f"kubernetes:kueue.x-k8s.io/v1beta1:{kind}"),
        key=lambda r: r.name,
    )


def test_each_pool_gets_a_flavor_that_targets_its_nodes_and_tolerates_its_taint(aws: Plan) -> None:
    flavors = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in custom(aws, "ResourceFlavor")}
    assert set(flavors) == {"t4", "a100"}
    assert flavors["a100"]["nodeLabels"] == {POOL_LABEL: "a100"}
    assert flavors["a100"]["tolerations"] == [
        {"key": GPU_TAINT_KEY, "operator": "Equal", "value": GPU_TAINT_VALUE, "effect": GPU_TAINT_EFFECT}
    ]


def _quotas(queue: Seen, resource: str) -> dict[str, dict[str, Any]]:
    (group,) = queue.inputs["spec"]["resourceGroups"]
    return {f["name"]: next(r for r in f["resources"] if r["name"] == resource) for f in group["flavors"]}


def cluster_queues(plan: Plan) -> dict[str, Seen]:
    return {r.inputs["metadata"]["name"]: r for r in custom(plan, "ClusterQueue")}


def test_each_team_gets_a_cluster_queue_in_the_shared_cohort_selecting_only_its_namespace(aws: Plan) -> None:
    queues = cluster_queues(aws)
    assert set(queues) == {"team-research", "team-inference"}
    assert {q.inputs["spec"]["cohort"] for q in queues.values()} == {"mlplat"}
    assert queues["team-research"].inputs["spec"]["namespaceSelector"] == {
        "matchLabels": {"mlplat.io/team": "research"}
    }


def test_a_teams_gpu_quota_per_pool_is_its_quota_up_to_what_the_pool_holds(aws: Plan) -> None:
    gpus = {
        team: {flavor: r["nominalQuota"] for flavor, r in _quotas(q, "nvidia.com/gpu").items()}
        for team, q in cluster_queues(aws).items()
    }
    # research: 8 of t4's 3 and a100's 16; inference: 2 of each.
    assert gpus == {"team-research": {"t4": 3, "a100": 8}, "team-inference": {"t4": 2, "a100": 2}}


def test_no_team_borrows_gpus_the_namespace_quota_would_refuse(aws: Plan) -> None:
    for queue in cluster_queues(aws).values():
        assert {f: r.get("borrowingLimit") for f, r in _quotas(queue, "nvidia.com/gpu").items()} == {
            "t4": 0,
            "a100": 0,
        }


def test_a_teams_cpu_and_memory_quota_is_the_whole_pool_so_only_gpus_queue(aws: Plan) -> None:
    queue = cluster_queues(aws)["team-inference"]
    cpu = {f: r["nominalQuota"] for f, r in _quotas(queue, "cpu").items()}
    memory = {f: r["nominalQuota"] for f, r in _quotas(queue, "memory").items()}
    assert (cpu, memory) == ({"t4": 12, "a100": 192}, {"t4": "48Gi", "a100": "2304Gi"})


def test_kueue_objects_wait_for_the_kueue_release_that_brings_their_crds(aws: Plan) -> None:
    kueue = releases(aws)["kueue"]
    recorded = {r.urn: r for r in aws.run.resources}
    for r in custom(aws, "ResourceFlavor") + custom(aws, "ClusterQueue"):
        assert kueue.urn in recorded[r.urn].dependencies, r.name


def test_each_team_gets_a_namespace_a_gpu_quota_limits_and_a_local_queue(aws: Plan) -> None:
    namespaces = {r.inputs["metadata"]["name"] for r in aws.of_type("kubernetes:core/v1:Namespace")}
    assert {"team-research", "team-inference"} <= namespaces
    quotas = {
        r.inputs["metadata"]["namespace"]: r.inputs["spec"]["hard"]
        for r in aws.of_type("kubernetes:core/v1:ResourceQuota")
        if r.inputs["metadata"]["namespace"].startswith("team-")
    }
    assert quotas == {
        "team-research": {"requests.nvidia.com/gpu": "8"},
        "team-inference": {"requests.nvidia.com/gpu": "2"},
    }
    limits = aws.of_type("kubernetes:core/v1:LimitRange")
    # Default requests only: a default limit would refuse a larger request, and any GPU entry (even 0)
    # names nvidia.com/gpu in every pod, which ExtendedResourceToleration answers with the GPU toleration
    # (k8s plugin/pkg/admission/extendedresourcetoleration; the e2e control plane bound a CPU pod to a GPU node).
    assert limits and all(
        r.inputs["spec"]["limits"]
        == [{"type": "Container", "defaultRequest": {"cpu": "500m", "memory": "1Gi"}}]
        for r in limits
    )
    queues = {r.inputs["metadata"]["namespace"]: r.inputs["spec"] for r in custom(aws, "LocalQueue")}
    assert queues == {
        "team-research": {"clusterQueue": "team-research"},
        "team-inference": {"clusterQueue": "team-inference"},
    }


def test_training_and_inference_priority_classes_exist(aws: Plan) -> None:
    classes = {
        r.inputs["metadata"]["name"]: r.inputs["value"]
        for r in aws.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    }
    assert classes["mlplat-inference"] > classes["mlplat-training"]


def test_the_cluster_credentials_are_a_secret(aws: Plan) -> None:
    provider = aws.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"


SPOT = NodeTaint("kubernetes.azure.com/scalesetpriority", "spot", "NoSchedule")


@pytest.fixture(scope="module")
def aks_spot() -> Plan:
    return record(
        lambda: GpuStack(
            "gpu",
            GpuStackArgs(
                cloud="azure",
                kubeconfig="apiVersion: v1\nkind: Config\n",
                pools=[T4],
                teams=[TeamSpec("research", 2, ["alice@example.com"])],
                charts=replace(CHARTS, cluster_autoscaler="9.47.0"),
                labels={"managed-by": "pulumi"},
                pool_taints={"t4": [GPU_TAINT, SPOT]},
                storage_class=StorageClassSpec("disk.csi.azure.com", {"diskEncryptionSetID": "/des"}),
                cluster_autoscaler=ClusterAutoscalerSpec(
                    "c", "us-east-1", "kube-system", "cluster-autoscaler", "v1.33.0"
                ),
            ),
        )
    )


def test_spot_pool_daemons_and_flavor_tolerate_the_clouds_spot_taint(aks_spot: Plan) -> None:
    spot = {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists", "effect": "NoSchedule"}
    for release in ("nvidia-device-plugin", "dcgm-exporter"):
        assert spot in releases(aks_spot)[release].inputs["values"]["tolerations"]
    (flavor,) = custom(aks_spot, "ResourceFlavor")
    assert SPOT.toleration() in flavor.inputs["spec"]["tolerations"]


def test_critical_daemons_namespace_holds_a_quota_scoped_to_critical_classes(aks_spot: Plan) -> None:
    # GKE admits system-*-critical pods outside kube-system only with such a quota
    # (kubernetes.io/docs/concepts/policy/resource-quotas/#limit-priority-class-consumption-by-default).
    (quota,) = [
        q
        for q in aks_spot.of_type("kubernetes:core/v1:ResourceQuota")
        if q.inputs["metadata"]["name"] == "critical-pods"
    ]
    assert quota.inputs["metadata"]["namespace"] == "gpu-system"
    (selector,) = quota.inputs["spec"]["scopeSelector"]["matchExpressions"]
    assert selector == {
        "scopeName": "PriorityClass",
        "operator": "In",
        "values": ["system-node-critical", "system-cluster-critical"],
    }
    assert releases(aks_spot)["dcgm-exporter"].inputs["createNamespace"] is False


def test_default_storage_class_is_the_platforms(aks_spot: Plan) -> None:
    sc = aks_spot.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert (sc["provisioner"], sc["parameters"], sc["volumeBindingMode"]) == (
        "disk.csi.azure.com",
        {"diskEncryptionSetID": "/des"},
        "WaitForFirstConsumer",
    )


def test_cluster_autoscaler_discovers_this_cluster_with_the_associated_service_account(
    aks_spot: Plan,
) -> None:
    values = releases(aks_spot)["cluster-autoscaler"].inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "c"}
    assert values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"
    assert values["image"]["tag"] == "v1.33.0"


def test_members_are_bound_to_edit_in_their_team_namespace(aks_spot: Plan) -> None:
    binding = aks_spot.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs
    assert binding["metadata"]["namespace"] == "team-research"
    assert binding["roleRef"]["name"] == "edit"
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}
    ]
