"""Rules on the GPU stack's Kubernetes objects: pinned charts, tolerations, team quotas, queues."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN

from policies import kubernetes as k8s
from tests.policies.harness import REMOVE, changed, check, check_stack, link, stack_resource

TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
DEVICE_PLUGIN: dict[str, Any] = {
    "chart": "nvidia-device-plugin",
    "version": "0.17.1",
    "values": {"tolerations": [TOLERATION]},
}
OPERATOR: dict[str, Any] = {
    "chart": "gpu-operator",
    "version": "v25.3.0",
    "values": {"daemonsets": {"tolerations": [TOLERATION]}},
}
TEAM_NS: dict[str, Any] = {"metadata": {"name": "team-research", "labels": {"mlplat.io/team": "research"}}}
QUOTA: dict[str, Any] = {
    "metadata": {"name": "gpu", "namespace": "team-research"},
    "spec": {"hard": {"requests.nvidia.com/gpu": "8"}},
}


def test_pinned_chart_passes() -> None:
    assert check(k8s.helm_release_version_pinned, k8s.RELEASE, DEVICE_PLUGIN) == []
    assert check(k8s.helm_release_version_pinned, k8s.RELEASE, OPERATOR) == []


@pytest.mark.parametrize("version", ["latest", "^0.17", "0.17.x", ">=0.17.0", ""])
def test_chart_without_an_exact_version_is_violation(version: str) -> None:
    assert check(
        k8s.helm_release_version_pinned, k8s.RELEASE, changed(DEVICE_PLUGIN, ("version",), version)
    ) == [
        f"chart nvidia-device-plugin must be pinned to an exact version (from mlplat:versions), got {version!r}"
    ]


def test_chart_with_no_version_at_all_is_violation_because_helm_takes_the_newest() -> None:
    assert check(k8s.helm_release_version_pinned, k8s.RELEASE, changed(DEVICE_PLUGIN, ("version",), REMOVE))


def test_chart_with_unknown_version_is_not_judged_during_preview() -> None:
    assert (
        check(
            k8s.helm_release_version_pinned, k8s.RELEASE, changed(DEVICE_PLUGIN, ("version",), ENGINE_UNKNOWN)
        )
        == []
    )


def test_gpu_daemons_that_tolerate_the_taint_pass() -> None:
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, DEVICE_PLUGIN) == []
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, OPERATOR) == []


def test_device_plugin_without_the_gpu_toleration_is_violation() -> None:
    other = {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}
    (message,) = check(
        k8s.gpu_daemons_tolerate_gpu_taint,
        k8s.RELEASE,
        changed(DEVICE_PLUGIN, ("values", "tolerations"), [other]),
    )
    assert "values.tolerations must tolerate it" in message


def test_operator_without_daemonset_tolerations_is_violation() -> None:
    bare = changed(OPERATOR, ("values", "daemonsets"), {})
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, bare)


def test_charts_that_do_not_run_on_gpu_nodes_are_not_judged_for_tolerations() -> None:
    kueue = {"chart": "oci://registry.k8s.io/kueue/charts/kueue", "version": "0.13.4", "values": {}}
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, kueue) == []


def test_team_namespace_with_a_gpu_quota_passes() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    quota = link(stack_resource(k8s.RESOURCE_QUOTA, "q", QUOTA), "metadata", namespace)
    assert check_stack(k8s.team_namespace_has_gpu_quota, [namespace, quota]) == []


def test_team_namespace_without_a_quota_is_violation() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    assert check_stack(k8s.team_namespace_has_gpu_quota, [namespace]) == [
        ("team namespace has no ResourceQuota on requests.nvidia.com/gpu", namespace.urn)
    ]


def test_team_namespace_whose_quota_does_not_cover_gpus_is_violation() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    cpu_only = link(
        stack_resource(k8s.RESOURCE_QUOTA, "q", changed(QUOTA, ("spec", "hard"), {"requests.cpu": "8"})),
        "metadata",
        namespace,
    )
    assert len(check_stack(k8s.team_namespace_has_gpu_quota, [namespace, cpu_only])) == 1


def test_a_quota_in_another_namespace_does_not_count() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    other = stack_resource(k8s.NAMESPACE, "other", changed(TEAM_NS, ("metadata", "name"), "team-other"))
    quota = link(stack_resource(k8s.RESOURCE_QUOTA, "q", QUOTA), "metadata", other)
    reports = check_stack(k8s.team_namespace_has_gpu_quota, [namespace, other, quota])
    assert [urn for _, urn in reports] == [namespace.urn]


def test_system_namespaces_need_no_gpu_quota() -> None:
    system = stack_resource(k8s.NAMESPACE, "sys", {"metadata": {"name": "gpu-system", "labels": {}}})
    assert check_stack(k8s.team_namespace_has_gpu_quota, [system]) == []


def test_local_queue_pointing_at_the_cluster_queue_passes() -> None:
    cluster = stack_resource(k8s.CLUSTER_QUEUE, "cq", {"metadata": {"name": "gpu"}, "spec": {}})
    local = stack_resource(
        k8s.LOCAL_QUEUE, "lq", {"metadata": {"name": "gpu"}, "spec": {"clusterQueue": "gpu"}}
    )
    assert check_stack(k8s.local_queue_targets_cluster_queue, [cluster, local]) == []


def test_local_queue_pointing_at_a_missing_cluster_queue_is_violation() -> None:
    cluster = stack_resource(k8s.CLUSTER_QUEUE, "cq", {"metadata": {"name": "gpu"}, "spec": {}})
    local = stack_resource(
        k8s.LOCAL_QUEUE, "lq", {"metadata": {"name": "gpu"}, "spec": {"clusterQueue": "gpus"}}
    )
    assert check_stack(k8s.local_queue_targets_cluster_queue, [cluster, local]) == [
        ("LocalQueue points at ClusterQueue 'gpus', which this stack does not create", local.urn)
    ]


def test_release_rules_ignore_every_other_resource_type() -> None:
    bucket = {"bucketPrefix": "data-", "version": "latest", "values": {}}
    untolerated = {"chart": "gpu-operator"}
    # The same properties on a Release break each rule, so only the type filter keeps them silent.
    assert len(check(k8s.helm_release_version_pinned, k8s.RELEASE, bucket)) == 1
    assert len(check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, untolerated)) == 1
    assert check(k8s.helm_release_version_pinned, "aws:s3/bucket:Bucket", bucket) == []
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, "aws:s3/bucket:Bucket", untolerated) == []


# How a toleration matches the GPU pools' taint nvidia.com/gpu=present:NoSchedule, as Kubernetes documents it
# (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration): operator defaults to Equal, which
# needs the same value; Exists matches any value, and with an empty key every taint; an empty effect matches
# every effect.
TOLERATIONS = [
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}, True),
    ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "absent", "effect": "NoSchedule"}, False),
    ({"key": "nvidia.com/gpu", "effect": "NoSchedule"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "PreferNoSchedule"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}, False),
    ({"operator": "Exists", "effect": "PreferNoSchedule"}, False),
    ({"key": "nvidia.com/gpu", "operator": "Lt", "value": "present"}, False),
]


@pytest.mark.parametrize(
    ("toleration", "tolerates"), TOLERATIONS, ids=[f"{i}-{t}" for i, (_, t) in enumerate(TOLERATIONS)]
)
@pytest.mark.parametrize(
    ("chart", "path"),
    [
        ("nvidia-device-plugin", ("values", "tolerations")),
        ("dcgm-exporter", ("values", "tolerations")),
        ("gpu-operator", ("values", "daemonsets", "tolerations")),
    ],
)
def test_gpu_daemon_tolerates_the_gpu_taint_exactly_as_kubernetes_matches_it(
    toleration: dict[str, Any], tolerates: bool, chart: str, path: tuple[str, ...]
) -> None:
    values: dict[str, Any] = {}
    node = values
    for key in path[1:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = [{"key": "dedicated", "operator": "Exists"}, toleration]
    release = {"chart": chart, "version": "1.0.0", "values": values}
    expected = (
        []
        if tolerates
        else [
            f"{chart} runs on GPU nodes, which carry the nvidia.com/gpu:NoSchedule taint; "
            f"{'.'.join(path)} must tolerate it"
        ]
    )
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, release) == expected


def test_a_toleration_list_not_known_until_the_update_is_not_judged() -> None:
    for unknown in (ENGINE_UNKNOWN, [ENGINE_UNKNOWN]):
        release = changed(DEVICE_PLUGIN, ("values", "tolerations"), unknown)
        assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, release) == []
    assert (
        len(
            check(
                k8s.gpu_daemons_tolerate_gpu_taint,
                k8s.RELEASE,
                changed(DEVICE_PLUGIN, ("values", "tolerations"), []),
            )
        )
        == 1
    )


def test_every_team_namespace_is_judged_after_a_system_one() -> None:
    system = stack_resource(k8s.NAMESPACE, "sys", {"metadata": {"name": "gpu-system", "labels": {}}})
    team = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    assert check_stack(k8s.team_namespace_has_gpu_quota, [system, team]) == [
        ("team namespace has no ResourceQuota on requests.nvidia.com/gpu", team.urn)
    ]


def test_a_release_without_a_chart_name_is_still_reported() -> None:
    assert check(k8s.helm_release_version_pinned, k8s.RELEASE, {"version": "latest"}) == [
        "chart ? must be pinned to an exact version (from mlplat:versions), got 'latest'"
    ]


# --- from the job-path work: pool taints, LimitRange defaults, scale-up paths --------------------------

SPOT_TOLERATION = {
    "key": "kubernetes.azure.com/scalesetpriority",
    "operator": "Exists",
    "effect": "NoSchedule",
}


AKS_SPOT_POOL: dict[str, Any] = {
    "agentPoolName": "gput4",
    "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],  # AKS adds the Spot taint itself
    "scaleSetPriority": "Spot",
    "gpuProfile": {"driver": "Install"},
    "enableAutoScaling": True,
    "minCount": 0,
    "maxCount": 2,
}


def _aks(release_props: dict[str, Any]) -> list[Any]:
    pool = stack_resource(k8s.AKS_AGENT_POOL, "gput4", AKS_SPOT_POOL)
    return [pool, stack_resource(k8s.RELEASE, "device-plugin", release_props)]


def test_daemon_tolerating_the_gpu_and_spot_taints_passes() -> None:
    plugin = changed(DEVICE_PLUGIN, ("values", "tolerations"), [TOLERATION, SPOT_TOLERATION])
    assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, _aks(plugin)) == []


def test_daemon_missing_the_clouds_spot_taint_is_violation() -> None:
    (report,) = check_stack(k8s.gpu_daemons_tolerate_pool_taints, _aks(DEVICE_PLUGIN))
    assert "kubernetes.azure.com/scalesetpriority=spot:NoSchedule on GPU pool gput4" in report[0]


def test_dcgm_exporter_left_at_its_chart_default_tolerates_nothing() -> None:
    dcgm = {"chart": "dcgm-exporter", "version": "4.1.1", "values": {}}
    reports = check_stack(k8s.gpu_daemons_tolerate_pool_taints, _aks(dcgm))
    assert len(reports) == 2  # the GPU taint and the Spot taint


def test_gke_gpu_pool_carries_googles_own_gpu_taint() -> None:
    pool = stack_resource(
        k8s.GKE_NODE_POOL,
        "gpu-t4",
        {"nodeConfig": {"guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}]}},
    )
    dcgm = {"chart": "dcgm-exporter", "version": "4.1.1", "values": {"tolerations": [TOLERATION]}}
    assert (
        check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool, stack_resource(k8s.RELEASE, "d", dcgm)])
        == []
    )
    bare = changed(dcgm, ("values", "tolerations"), [])
    assert (
        len(check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool, stack_resource(k8s.RELEASE, "d", bare)]))
        == 1
    )


LIMITS: dict[str, Any] = {
    "spec": {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "0"},
                "default": {"nvidia.com/gpu": "0"},
                "max": {"nvidia.com/gpu": "8"},
            }
        ]
    }
}


def test_limit_range_with_a_gpu_default_passes() -> None:
    assert check(k8s.limit_range_max_has_default, k8s.LIMIT_RANGE, LIMITS) == []


def test_limit_range_gpu_max_without_default_is_violation() -> None:
    (message,) = check(
        k8s.limit_range_max_has_default,
        k8s.LIMIT_RANGE,
        changed(LIMITS, ("spec", "limits", 0, "default"), REMOVE),
    )
    assert "max nvidia.com/gpu without a default" in message


def test_limit_range_cpu_max_without_default_is_not_this_rules_business() -> None:
    cpu = changed(LIMITS, ("spec", "limits", 0, "max"), {"cpu": "4"})
    assert (
        check(
            k8s.limit_range_max_has_default,
            k8s.LIMIT_RANGE,
            changed(cpu, ("spec", "limits", 0, "default"), REMOVE),
        )
        == []
    )


EKS_GPU_GROUP: dict[str, Any] = {
    "clusterName": "mlplat-dev",
    "amiType": "AL2023_x86_64_NVIDIA",
    "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
    "scalingConfig": {"minSize": 0, "maxSize": 2, "desiredSize": 0},
}


AUTOSCALER: dict[str, Any] = {
    "chart": "cluster-autoscaler",
    "version": "9.47.0",
    "values": {
        "autoDiscovery": {"clusterName": "mlplat-dev"},
        "rbac": {"serviceAccount": {"name": "cluster-autoscaler"}},
    },
}


ASSOCIATION: dict[str, Any] = {
    "clusterName": "mlplat-dev",
    "namespace": "kube-system",
    "serviceAccount": "cluster-autoscaler",
}


def _eks(*, autoscaler: dict[str, Any] | None = AUTOSCALER, association: bool = True) -> list[Any]:
    found = [stack_resource(k8s.EKS_NODE_GROUP, "gpu-t4", EKS_GPU_GROUP)]
    if autoscaler is not None:
        found.append(stack_resource(k8s.RELEASE, "ca", autoscaler))
    if association:
        found.append(stack_resource(k8s.POD_IDENTITY, "ca", ASSOCIATION))
    return found


def test_eks_gpu_group_from_zero_with_an_autoscaler_and_its_role_passes() -> None:
    assert check_stack(k8s.gpu_pools_have_scale_up_path, _eks()) == []


def test_eks_gpu_group_from_zero_without_an_autoscaler_is_violation() -> None:
    (report,) = check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler=None))
    assert "no cluster autoscaler (or Karpenter) is installed" in report[0]


def test_eks_autoscaler_without_an_iam_role_is_violation() -> None:
    (report,) = check_stack(k8s.gpu_pools_have_scale_up_path, _eks(association=False))
    assert "has no IAM role" in report[0]


def test_eks_autoscaler_for_another_cluster_is_violation() -> None:
    other = changed(AUTOSCALER, ("values", "autoDiscovery", "clusterName"), "other")
    assert check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler=other))


def test_aks_gpu_pool_from_zero_needs_autoscaling_on() -> None:
    pool = stack_resource(k8s.AKS_AGENT_POOL, "gput4", AKS_SPOT_POOL)
    assert check_stack(k8s.gpu_pools_have_scale_up_path, [pool]) == []
    off = stack_resource(k8s.AKS_AGENT_POOL, "gput4", changed(AKS_SPOT_POOL, ("enableAutoScaling",), False))
    assert len(check_stack(k8s.gpu_pools_have_scale_up_path, [off])) == 1


def test_gke_gpu_pool_from_zero_needs_autoscaling() -> None:
    props = {
        "nodeConfig": {"guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}]},
        "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 2},
    }
    assert (
        check_stack(k8s.gpu_pools_have_scale_up_path, [stack_resource(k8s.GKE_NODE_POOL, "p", props)]) == []
    )
    off = changed(props, ("autoscaling",), REMOVE)
    off["nodeCount"] = 0
    assert (
        len(check_stack(k8s.gpu_pools_have_scale_up_path, [stack_resource(k8s.GKE_NODE_POOL, "p", off)])) == 1
    )


# --- every taint each cloud puts on a GPU pool reaches the daemons' check ------------------------------

# A DCGM exporter that tolerates nothing is told about every NoSchedule/NoExecute taint of the pool, so the
# reports list exactly the taints the rule reads from each cloud's pool. PreferNoSchedule only steers the
# scheduler, it never keeps a pod off (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).
BARE_DCGM: dict[str, Any] = {"chart": "dcgm-exporter", "version": "4.1.1", "values": {"tolerations": []}}
T4 = [{"type": "nvidia-tesla-t4", "count": 1}]

# EKS taints: effect NO_SCHEDULE | NO_EXECUTE | PREFER_NO_SCHEDULE (docs.aws.amazon.com/eks/latest/userguide/node-taints-managed-node-groups.html);
# GKE nodeConfig.taints the same enum, and GKE adds nvidia.com/gpu=present:NoSchedule to GPU nodes
# (cloud.google.com/kubernetes-engine/docs/how-to/gpus); AKS nodeTaints are "key=value:Effect" strings and
# Spot pools get kubernetes.azure.com/scalesetpriority=spot:NoSchedule (learn.microsoft.com/azure/aks/spot-node-pool).
POOL_TAINTS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    (
        "eks-nvidia-ami",
        k8s.EKS_NODE_GROUP,
        {
            "amiType": "AL2023_x86_64_NVIDIA",
            "taints": [
                {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"},
                {"key": "dedicated", "value": "ml", "effect": "NO_EXECUTE"},
                {"key": "soft", "value": "x", "effect": "PREFER_NO_SCHEDULE"},
            ],
        },
        ["nvidia.com/gpu=present:NoSchedule", "dedicated=ml:NoExecute"],
    ),
    (
        "eks-gpu-ami-taint-without-value",
        k8s.EKS_NODE_GROUP,
        {"amiType": "AL2_x86_64_GPU", "taints": [{"key": "dedicated", "effect": "NO_SCHEDULE"}]},
        ["dedicated=:NoSchedule"],
    ),
    (
        "eks-standard-ami-with-the-gpu-taint",
        k8s.EKS_NODE_GROUP,
        {
            "amiType": "AL2023_x86_64_STANDARD",
            "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
        },
        ["nvidia.com/gpu=present:NoSchedule"],
    ),
    (
        "eks-cpu-group",
        k8s.EKS_NODE_GROUP,
        {
            "amiType": "AL2023_x86_64_STANDARD",
            "taints": [{"key": "dedicated", "value": "ml", "effect": "NO_SCHEDULE"}],
        },
        [],
    ),
    (
        "gke-gpu-pool",
        k8s.GKE_NODE_POOL,
        {
            "nodeConfig": {
                "guestAccelerators": T4,
                "taints": [
                    {"key": "dedicated", "value": "ml", "effect": "NO_EXECUTE"},
                    {"key": "soft", "value": "x", "effect": "PREFER_NO_SCHEDULE"},
                ],
            }
        },
        ["dedicated=ml:NoExecute", "nvidia.com/gpu=present:NoSchedule"],
    ),
    (
        "gke-cpu-pool",
        k8s.GKE_NODE_POOL,
        {"nodeConfig": {"taints": [{"key": "dedicated", "value": "ml", "effect": "NO_SCHEDULE"}]}},
        [],
    ),
    (
        "aks-gpu-profile",
        k8s.AKS_AGENT_POOL,
        {
            "gpuProfile": {"driver": "Install"},
            "scaleSetPriority": "Regular",
            "nodeTaints": [
                "dedicated=ml:NoExecute",
                "soft=x:PreferNoSchedule",
                "bare:NoSchedule",
                "no-effect",
            ],
        },
        ["dedicated=ml:NoExecute", "bare=:NoSchedule"],
    ),
    (
        "aks-spot-with-the-gpu-taint",
        k8s.AKS_AGENT_POOL,
        {"scaleSetPriority": "Spot", "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"]},
        ["nvidia.com/gpu=present:NoSchedule", "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"],
    ),
    (
        "aks-cpu-spot-pool",
        k8s.AKS_AGENT_POOL,
        {"scaleSetPriority": "Spot", "nodeTaints": ["dedicated=ml:NoSchedule"]},
        [],
    ),
]


@pytest.mark.parametrize(
    ("pool_type", "props", "taints"), [row[1:] for row in POOL_TAINTS], ids=[row[0] for row in POOL_TAINTS]
)
def test_daemons_are_told_every_blocking_taint_of_each_clouds_gpu_pool(
    pool_type: str, props: dict[str, Any], taints: list[str]
) -> None:
    pool = stack_resource(pool_type, "gpu", props)
    release = stack_resource(k8s.RELEASE, "dcgm", BARE_DCGM)
    assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool, release]) == [
        (
            f"dcgm-exporter values.tolerations does not tolerate {taint} on GPU pool gpu: "
            "the daemon never runs on those nodes",
            release.urn,
        )
        for taint in taints
    ]


# Which of a pool's taints one toleration covers, as Kubernetes matches them
# (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/): same key (an empty key with Exists
# matches every key), same effect (an empty effect matches every effect), and for Equal (the default
# operator) the same value; Exists ignores the value.
MATCH_POOL: dict[str, Any] = {
    "gpuProfile": {"driver": "Install"},
    "nodeTaints": ["dedicated=ml:NoSchedule", "dedicated=ml:NoExecute", "bare:NoSchedule"],
}
ALL = {"dedicated=ml:NoSchedule", "dedicated=ml:NoExecute", "bare=:NoSchedule"}
COVERS: list[tuple[Any, set[str]]] = [
    (
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
        {"dedicated=ml:NoSchedule"},
    ),
    ({"key": "dedicated", "value": "ml"}, {"dedicated=ml:NoSchedule", "dedicated=ml:NoExecute"}),
    (
        {"key": "dedicated", "operator": "Exists", "value": "other"},
        {"dedicated=ml:NoSchedule", "dedicated=ml:NoExecute"},
    ),
    ({"key": "dedicated", "operator": "Equal", "value": "other"}, set()),
    ({"key": "dedicated", "operator": "Equal"}, set()),
    ({"key": "bare", "operator": "Equal"}, {"bare=:NoSchedule"}),
    ({"key": "bare", "value": "ml"}, set()),
    ({"operator": "Exists"}, ALL),
    ({"operator": "Exists", "effect": "NoExecute"}, {"dedicated=ml:NoExecute"}),
    ({"value": "ml"}, set()),
    ({"operator": "Equal", "value": "ml", "effect": "NoSchedule"}, set()),
    ({"key": "dedicated", "operator": "Exists", "effect": "PreferNoSchedule"}, set()),
    ("dedicated", set()),
]


@pytest.mark.parametrize(("toleration", "covered"), COVERS, ids=[str(t) for t, _ in COVERS])
def test_a_toleration_covers_the_pool_taints_kubernetes_says_it_matches(
    toleration: Any, covered: set[str]
) -> None:
    pool = stack_resource(k8s.AKS_AGENT_POOL, "gpu", MATCH_POOL)
    release = stack_resource(k8s.RELEASE, "dcgm", changed(BARE_DCGM, ("values", "tolerations"), [toleration]))
    reports = check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool, release])
    reported = {message.split(" does not tolerate ")[1].split(" on GPU pool")[0] for message, _ in reports}
    assert reported == ALL - covered


def test_charts_left_at_their_defaults_are_judged_by_the_charts_own_tolerations() -> None:
    # k8s-device-plugin v0.17.1 values.yaml tolerates nvidia.com/gpu; gpu-operator v25.3.0 tolerates it for its
    # daemonsets and the NFD worker; so on a GKE GPU pool (only Google's GPU taint) nothing is missing.
    pool = stack_resource(k8s.GKE_NODE_POOL, "gpu", {"nodeConfig": {"guestAccelerators": T4}})
    for chart in ({"chart": "nvidia-device-plugin", "values": {}}, {"chart": "gpu-operator", "values": {}}):
        release = stack_resource(k8s.RELEASE, "r", {**chart, "version": "1.0.0"})
        assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool, release]) == []
    # The NFD worker at its default misses a Spot pool's taint even when the daemonsets tolerate it.
    spot = stack_resource(k8s.AKS_AGENT_POOL, "gput4", AKS_SPOT_POOL)
    operator = changed(OPERATOR, ("values", "daemonsets", "tolerations"), [TOLERATION, SPOT_TOLERATION])
    release = stack_resource(k8s.RELEASE, "op", operator)
    assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, [spot, release]) == [
        (
            "gpu-operator values.node-feature-discovery.worker.tolerations does not tolerate "
            "kubernetes.azure.com/scalesetpriority=spot:NoSchedule on GPU pool gput4: the daemon never runs on "
            "those nodes",
            release.urn,
        )
    ]


def test_a_daemon_after_an_unrelated_chart_and_an_unknown_toleration_list_is_still_judged() -> None:
    spot = stack_resource(k8s.AKS_AGENT_POOL, "gput4", AKS_SPOT_POOL)
    kueue = stack_resource(k8s.RELEASE, "kueue", {"chart": "kueue", "version": "0.13.4"})
    nameless = stack_resource(k8s.RELEASE, "nameless", {"version": "1.0.0"})
    operator = stack_resource(
        k8s.RELEASE, "op", changed(OPERATOR, ("values", "daemonsets", "tolerations"), ENGINE_UNKNOWN)
    )
    reports = check_stack(k8s.gpu_daemons_tolerate_pool_taints, [spot, kueue, nameless, operator])
    # the daemonsets' tolerations are judged once known; the NFD worker's default misses the Spot taint now
    assert [(m.split(" does not")[0], urn) for m, urn in reports] == [
        ("gpu-operator values.node-feature-discovery.worker.tolerations", operator.urn)
    ]


def test_a_toleration_not_known_until_the_update_is_not_judged_against_the_pools() -> None:
    spot = stack_resource(k8s.AKS_AGENT_POOL, "gput4", AKS_SPOT_POOL)
    for unknown in (ENGINE_UNKNOWN, [ENGINE_UNKNOWN]):
        release = stack_resource(k8s.RELEASE, "dcgm", changed(BARE_DCGM, ("values", "tolerations"), unknown))
        assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, [spot, release]) == []
    bare = stack_resource(k8s.RELEASE, "dcgm", BARE_DCGM)
    assert len(check_stack(k8s.gpu_daemons_tolerate_pool_taints, [spot, bare])) == 2


def test_a_daemon_is_judged_only_against_the_pools_of_the_cluster_it_installs_into() -> None:
    # The release belongs to a component that depends on cluster A; cluster B's pools are not its business.
    cluster_a = stack_resource("mlplat:aks:Cluster", "a", {})
    cluster_b = stack_resource("mlplat:aks:Cluster", "b", {})
    pool_a = stack_resource(k8s.AKS_AGENT_POOL, "pool-a", AKS_SPOT_POOL)
    pool_b = stack_resource(k8s.AKS_AGENT_POOL, "pool-b", AKS_SPOT_POOL)
    pool_a.parent, pool_b.parent = cluster_a, cluster_b
    stack = stack_resource("mlplat:gpu:Stack", "gpu", {})
    stack.dependencies.append(cluster_a)
    release = stack_resource(k8s.RELEASE, "plugin", DEVICE_PLUGIN)
    release.parent = stack
    reports = check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool_a, pool_b, stack, release])
    assert [m.rsplit("on GPU pool ", 1)[1].split(":")[0] for m, _ in reports] == ["pool-a"]
