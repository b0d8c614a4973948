"""Rules on the GPU stack's Kubernetes objects: pinned charts, tolerations, team quotas, queues."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN

from policies import kubernetes as k8s
from policies.versions import kubernetes_version_in_standard_support as version_rule
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
    # A stack that installs charts but not the autoscaler: the in-cluster layer forgot it.
    plugin = stack_resource(k8s.RELEASE, "device-plugin", {"chart": "nvidia-device-plugin"})
    (report,) = check_stack(k8s.gpu_pools_have_scale_up_path, [*_eks(autoscaler=None), plugin])
    assert "no cluster autoscaler (or Karpenter) is installed" in report[0]


def test_eks_release_without_a_known_chart_cannot_be_judged() -> None:
    """The real v3.274 preview of dev: the Kubernetes provider's kubeconfig is unknown, so the engine gives the
    autoscaler's release no properties; the rule reported "no cluster autoscaler is installed" (mandatory)."""
    assert check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler={})) == []
    unknown_chart = changed(AUTOSCALER, ("chart",), ENGINE_UNKNOWN)
    assert check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler=unknown_chart)) == []


def test_a_platform_stack_gives_the_autoscaler_its_aws_identity_for_the_cluster_stack_to_use() -> None:
    # Since the split the platform stack holds no chart (README "Stacks"): its part of the scale-up path is
    # the Pod Identity association the autoscaler in the cluster stack signs in with.
    assert check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler=None)) == []


def test_a_platform_stack_without_the_autoscalers_identity_is_violation() -> None:
    (report,) = check_stack(k8s.gpu_pools_have_scale_up_path, _eks(autoscaler=None, association=False))
    assert "no Pod Identity association in kube-system gives a cluster autoscaler" in report[0]


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


# --- RBAC: kubernetes.io/docs/reference/access-authn-authz/rbac/ (cluster-admin is the superuser role;
# system:authenticated and system:unauthenticated hold every authenticated and unauthenticated request) ---

ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
MEMBERS_BINDING: dict[str, Any] = {
    "metadata": {"name": "members", "namespace": "team-research"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}],
}


@pytest.mark.parametrize("binding_type", [ROLE_BINDING, CLUSTER_ROLE_BINDING])
def test_team_members_bound_to_edit_pass(binding_type: str) -> None:
    assert check(k8s.rbac_bindings_least_privilege, binding_type, MEMBERS_BINDING) == []


@pytest.mark.parametrize("binding_type", [ROLE_BINDING, CLUSTER_ROLE_BINDING])
def test_binding_cluster_admin_is_violation(binding_type: str) -> None:
    props = changed(MEMBERS_BINDING, ("roleRef", "name"), "cluster-admin")
    assert check(k8s.rbac_bindings_least_privilege, binding_type, props) == [
        "roleRef is cluster-admin, which can do anything in the cluster; bind a narrower role."
    ]


@pytest.mark.parametrize("group", ["system:authenticated", "system:unauthenticated"])
def test_binding_a_role_to_everyone_is_violation(group: str) -> None:
    props = changed(MEMBERS_BINDING, ("subjects", 0), {"kind": "Group", "name": group})
    assert check(k8s.rbac_bindings_least_privilege, ROLE_BINDING, props) == [
        f"subject {group} binds the role to everyone who reaches the API server."
    ]


def test_binding_to_the_superuser_group_is_violation() -> None:
    """CIS GKE 4.1.6: system:masters bypasses RBAC (kubernetes.io/docs/reference/access-authn-authz/rbac)."""
    props = changed(MEMBERS_BINDING, ("subjects", 0), {"kind": "Group", "name": "system:masters"})
    assert check(k8s.rbac_bindings_least_privilege, ROLE_BINDING, props) == [
        "subject system:masters is the superuser group, which RBAC cannot restrict; name the members."
    ]


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
        "eks-nvidia-ami-without-the-gpu-taint",
        k8s.EKS_NODE_GROUP,
        {
            "amiType": "BOTTLEROCKET_x86_64_NVIDIA",
            "taints": [{"key": "dedicated", "value": "ml", "effect": "NO_SCHEDULE"}],
        },
        ["dedicated=ml:NoSchedule"],
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
                    {"key": "solo", "effect": "NO_SCHEDULE"},
                ],
            }
        },
        ["dedicated=ml:NoExecute", "solo=:NoSchedule", "nvidia.com/gpu=present:NoSchedule"],
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
    # The release sits two components below one that depends on cluster A; cluster B's pools, two components
    # below cluster B, are not its business.
    cluster_a = stack_resource("mlplat:aks:Cluster", "a", {})
    cluster_b = stack_resource("mlplat:aks:Cluster", "b", {})
    pools_a = stack_resource("mlplat:aks:Pools", "pools-a", {})
    pools_b = stack_resource("mlplat:aks:Pools", "pools-b", {})
    pools_a.parent, pools_b.parent = cluster_a, cluster_b
    pool_a = stack_resource(k8s.AKS_AGENT_POOL, "pool-a", AKS_SPOT_POOL)
    pool_b = stack_resource(k8s.AKS_AGENT_POOL, "pool-b", AKS_SPOT_POOL)
    pool_a.parent, pool_b.parent = pools_a, pools_b
    stack = stack_resource("mlplat:gpu:Stack", "gpu", {})
    stack.dependencies.append(cluster_a)
    charts = stack_resource("mlplat:gpu:Charts", "charts", {})
    charts.parent = stack
    release = stack_resource(k8s.RELEASE, "plugin", DEVICE_PLUGIN)
    release.parent = charts
    reports = check_stack(k8s.gpu_daemons_tolerate_pool_taints, [pool_a, pool_b, stack, release])
    assert [m.rsplit("on GPU pool ", 1)[1].split(":")[0] for m, _ in reports] == ["pool-a"]


# --- which GPU pools scale from zero, and who adds their first node ------------------------------------


def _scale_up(pool_type: str, props: dict[str, Any]) -> list[tuple[str, str | None]]:
    return check_stack(k8s.gpu_pools_have_scale_up_path, [stack_resource(pool_type, "gpu", props)])


# Minimum sizes as each API names them: EKS scalingConfig.minSize; AKS minCount, else count (a fixed pool);
# GKE nodeCount when autoscaling is off. Only a GPU pool that can be at zero nodes needs a scale-up path.
MIN_SIZES: list[tuple[str, str, dict[str, Any], str | None]] = [
    (
        "eks-min-0",
        k8s.EKS_NODE_GROUP,
        EKS_GPU_GROUP,
        "no Pod Identity association in kube-system gives a cluster autoscaler (or Karpenter) AWS credentials",
    ),
    ("eks-min-1", k8s.EKS_NODE_GROUP, changed(EKS_GPU_GROUP, ("scalingConfig", "minSize"), 1), None),
    (
        "eks-cpu-group-min-0",
        k8s.EKS_NODE_GROUP,
        changed(changed(EKS_GPU_GROUP, ("amiType",), "AL2023_x86_64_STANDARD"), ("taints",), []),
        None,
    ),
    (
        "aks-min-count-0",
        k8s.AKS_AGENT_POOL,
        changed(AKS_SPOT_POOL, ("enableAutoScaling",), False),
        "enableAutoScaling is off, so AKS never adds a node",
    ),
    (
        "aks-min-count-1",
        k8s.AKS_AGENT_POOL,
        changed(changed(AKS_SPOT_POOL, ("enableAutoScaling",), False), ("minCount",), 1),
        None,
    ),
    (
        "aks-fixed-count-0",
        k8s.AKS_AGENT_POOL,
        {"gpuProfile": {"driver": "Install"}, "count": 0},
        "enableAutoScaling is off, so AKS never adds a node",
    ),
    ("aks-fixed-count-1", k8s.AKS_AGENT_POOL, {"gpuProfile": {"driver": "Install"}, "count": 1}, None),
    ("aks-cpu-pool-count-0", k8s.AKS_AGENT_POOL, {"count": 0}, None),
    (
        "gke-node-count-0",
        k8s.GKE_NODE_POOL,
        {"nodeConfig": {"guestAccelerators": T4}, "nodeCount": 0},
        "autoscaling is off, so GKE never adds a node",
    ),
    ("gke-node-count-1", k8s.GKE_NODE_POOL, {"nodeConfig": {"guestAccelerators": T4}, "nodeCount": 1}, None),
    # An empty autoscaling block turns nothing on: the bridged provider only enables autoscaling for a block
    # with settings (terraform-provider-google, resource_container_node_pool.go expandNodePool).
    (
        "gke-empty-autoscaling-node-count-0",
        k8s.GKE_NODE_POOL,
        {"nodeConfig": {"guestAccelerators": T4}, "autoscaling": {}, "nodeCount": 0},
        "autoscaling is off, so GKE never adds a node",
    ),
    ("gke-cpu-pool-node-count-0", k8s.GKE_NODE_POOL, {"nodeConfig": {}, "nodeCount": 0}, None),
]


@pytest.mark.parametrize(
    ("pool_type", "props", "why"), [row[1:] for row in MIN_SIZES], ids=[row[0] for row in MIN_SIZES]
)
def test_only_a_gpu_pool_that_can_be_at_zero_nodes_needs_a_scale_up_path(
    pool_type: str, props: dict[str, Any], why: str | None
) -> None:
    pool = stack_resource(pool_type, "gpu", props)
    expected = (
        []
        if why is None
        else [(f"GPU pool gpu scales from zero but {why}; queued jobs would wait forever", pool.urn)]
    )
    assert check_stack(k8s.gpu_pools_have_scale_up_path, [pool]) == expected


def test_every_gpu_pool_is_judged_after_one_that_needs_nothing() -> None:
    busy = stack_resource(
        k8s.GKE_NODE_POOL, "busy", {"nodeConfig": {"guestAccelerators": T4}, "nodeCount": 1}
    )
    idle = stack_resource(
        k8s.GKE_NODE_POOL, "idle", {"nodeConfig": {"guestAccelerators": T4}, "nodeCount": 0}
    )
    assert [urn for _, urn in check_stack(k8s.gpu_pools_have_scale_up_path, [busy, idle])] == [idle.urn]


# Karpenter's chart takes settings.clusterName and serviceAccount.name (karpenter.sh/docs/reference/settings/);
# the cluster autoscaler's autoDiscovery.clusterName and rbac.serviceAccount.name, its IRSA role in the
# eks.amazonaws.com/role-arn annotation (github.com/kubernetes/autoscaler, charts/cluster-autoscaler README).
KARPENTER: dict[str, Any] = {
    "chart": "oci://public.ecr.aws/karpenter/karpenter",
    "version": "1.5.0",
    "values": {"settings": {"clusterName": "mlplat-dev"}, "serviceAccount": {"name": "karpenter"}},
}
IRSA_AUTOSCALER = changed(
    AUTOSCALER,
    ("values", "rbac", "serviceAccount", "annotations"),
    {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ca"},
)
NO_ROLE = "the autoscaler's service account {!r} has no IAM role (Pod Identity or IRSA)"
ELSEWHERE = "no cluster autoscaler discovers this cluster's node groups"
AUTOSCALERS: list[tuple[str, list[tuple[str, dict[str, Any]]], str | None]] = [
    (
        "karpenter-with-pod-identity",
        [
            (k8s.RELEASE, KARPENTER),
            (k8s.POD_IDENTITY, changed(ASSOCIATION, ("serviceAccount",), "karpenter")),
        ],
        None,
    ),
    (
        "karpenter-without-a-role",
        [(k8s.RELEASE, KARPENTER), (k8s.POD_IDENTITY, ASSOCIATION)],
        NO_ROLE.format("karpenter"),
    ),
    (
        "karpenter-for-another-cluster",
        [(k8s.RELEASE, changed(KARPENTER, ("values", "settings", "clusterName"), "other"))],
        ELSEWHERE,
    ),
    ("autoscaler-with-irsa", [(k8s.RELEASE, IRSA_AUTOSCALER)], None),
    ("autoscaler-without-a-role", [(k8s.RELEASE, AUTOSCALER)], NO_ROLE.format("cluster-autoscaler")),
    (
        "autoscaler-annotated-without-a-role",
        [
            (
                k8s.RELEASE,
                changed(
                    AUTOSCALER,
                    ("values", "rbac", "serviceAccount", "annotations"),
                    {"example.com/team": "ml"},
                ),
            )
        ],
        NO_ROLE.format("cluster-autoscaler"),
    ),
    (
        "association-for-another-cluster",
        [(k8s.RELEASE, AUTOSCALER), (k8s.POD_IDENTITY, changed(ASSOCIATION, ("clusterName",), "other"))],
        NO_ROLE.format("cluster-autoscaler"),
    ),
    (
        "association-for-another-account",
        [(k8s.RELEASE, AUTOSCALER), (k8s.POD_IDENTITY, changed(ASSOCIATION, ("serviceAccount",), "other"))],
        NO_ROLE.format("cluster-autoscaler"),
    ),
    (
        "association-for-a-cluster-known-later",
        [
            (k8s.RELEASE, AUTOSCALER),
            (k8s.POD_IDENTITY, changed(ASSOCIATION, ("clusterName",), ENGINE_UNKNOWN)),
        ],
        None,
    ),
    (
        "autoscaler-for-another-cluster-before-this-ones",
        [
            (k8s.RELEASE, changed(IRSA_AUTOSCALER, ("values", "autoDiscovery", "clusterName"), "other")),
            (k8s.RELEASE, {"version": "1.0.0"}),
            (k8s.RELEASE, IRSA_AUTOSCALER),
        ],
        None,
    ),
    (
        "only-other-charts",
        [(k8s.RELEASE, {"chart": "kueue", "version": "0.13.4"})],
        "no cluster autoscaler (or Karpenter) is installed",
    ),
    (
        "autoscaler-chart-in-a-repository-path",
        [(k8s.RELEASE, changed(IRSA_AUTOSCALER, ("chart",), "autoscaler/cluster-autoscaler"))],
        None,
    ),
    (
        "autoscaler-discovering-a-cluster-known-later",
        [(k8s.RELEASE, changed(AUTOSCALER, ("values", "autoDiscovery", "clusterName"), ENGINE_UNKNOWN))],
        None,
    ),
]


@pytest.mark.parametrize(
    ("resources", "why"), [row[1:] for row in AUTOSCALERS], ids=[row[0] for row in AUTOSCALERS]
)
def test_an_eks_gpu_group_from_zero_needs_an_autoscaler_for_its_cluster_with_an_iam_role(
    resources: list[tuple[str, dict[str, Any]]], why: str | None
) -> None:
    group = stack_resource(k8s.EKS_NODE_GROUP, "gpu-t4", EKS_GPU_GROUP)
    others = [stack_resource(kind, f"r{i}", props) for i, (kind, props) in enumerate(resources)]
    expected = (
        []
        if why is None
        else [(f"GPU pool gpu-t4 scales from zero but {why}; queued jobs would wait forever", group.urn)]
    )
    assert check_stack(k8s.gpu_pools_have_scale_up_path, [group, *others]) == expected


def test_an_eks_group_whose_cluster_is_known_later_is_not_judged() -> None:
    group = stack_resource(
        k8s.EKS_NODE_GROUP, "gpu-t4", changed(EKS_GPU_GROUP, ("clusterName",), ENGINE_UNKNOWN)
    )
    assert (
        check_stack(k8s.gpu_pools_have_scale_up_path, [group, stack_resource(k8s.RELEASE, "ca", AUTOSCALER)])
        == []
    )


# --- LimitRange: only Container limits with an extended-resource max -----------------------------------

GPU_MAX_MESSAGE = (
    "max nvidia.com/gpu without a default: Kubernetes makes the max every container's limit and request "
    "(kubernetes.io/docs/concepts/policy/limit-range/), so CPU-only pods and init containers would ask for "
    "nvidia.com/gpu; set default nvidia.com/gpu: 0."
)
GPU_MAX_ONLY = {"type": "Container", "max": {"cpu": "4", "nvidia.com/gpu": "8"}}
LIMIT_ITEMS: list[tuple[str, list[Any], list[str]]] = [
    ("gpu-max-after-a-cpu-max", [GPU_MAX_ONLY], [GPU_MAX_MESSAGE]),
    ("pod-limit-is-not-a-container-default", [{"type": "Pod", "max": {"nvidia.com/gpu": "8"}}], []),
    ("after-a-pod-limit", [{"type": "Pod", "max": {"nvidia.com/gpu": "8"}}, GPU_MAX_ONLY], [GPU_MAX_MESSAGE]),
    (
        "after-a-container-limit-without-max",
        [{"type": "Container", "default": {"cpu": "1"}}, GPU_MAX_ONLY],
        [GPU_MAX_MESSAGE],
    ),
    ("default-known-later", [{**GPU_MAX_ONLY, "default": ENGINE_UNKNOWN}], []),
    (
        "after-a-limit-whose-default-is-known-later",
        [{**GPU_MAX_ONLY, "default": ENGINE_UNKNOWN}, GPU_MAX_ONLY],
        [GPU_MAX_MESSAGE],
    ),
    ("default-without-the-gpu", [{**GPU_MAX_ONLY, "default": {"cpu": "1"}}], [GPU_MAX_MESSAGE]),
]


@pytest.mark.parametrize(
    ("limits", "messages"), [row[1:] for row in LIMIT_ITEMS], ids=[row[0] for row in LIMIT_ITEMS]
)
def test_limit_range_extended_max_needs_a_default_in_each_container_limit(
    limits: list[Any], messages: list[str]
) -> None:
    assert check(k8s.limit_range_max_has_default, k8s.LIMIT_RANGE, {"spec": {"limits": limits}}) == messages


# --- Kubernetes versions inside their cloud's standard support (policies/versions.py) ------------------

EKS, GKE, AKS = (
    "aws:eks/cluster:Cluster",
    "gcp:container/cluster:Cluster",
    "azure-native:containerservice:ManagedCluster",
)
AKS_POOL = "azure-native:containerservice:AgentPool"
AS_OF = {"asOf": "2026-12-01"}
# What each cloud does after standard support, as the rule tells the user.
EKS_AFTER = "extended support at $0.60 instead of $0.10 per cluster hour"
GKE_AFTER = "an Extended-channel fee, or a forced upgrade on the other channels"
AKS_AFTER = "no patches, or long-term support on the Premium tier"


def _ended(where: str, version: str, service: str, minor: str, date: str, after: str, cloud: str) -> str:
    return (
        f"{where} {version!r}: {service} standard support for {minor} ended on {date} ({after}); "
        f"pin a newer version in mlplat:versions.kubernetes.{cloud}"
    )


# Dates read 2026-12-01: EKS docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (1.33 ends
# 2026-07-29, 1.34 2026-12-02, 1.35 2027-03-27); GKE cloud.google.com/kubernetes-engine/docs/release-schedule
# (1.34 ends 2026-10-01); AKS learn.microsoft.com/azure/aks/supported-kubernetes-versions (1.33 Jul 2026,
# 1.34 Nov 2026: the month's last day).
VERSIONS: list[tuple[str, str, dict[str, Any], dict[str, Any], str | None]] = [
    ("eks-current", EKS, {"version": "1.35"}, AS_OF, None),
    ("eks-patch-with-v", EKS, {"version": "v1.35.2"}, AS_OF, None),
    ("eks-unset-is-the-current-default", EKS, {}, AS_OF, None),
    ("eks-known-later", EKS, {"version": ENGINE_UNKNOWN}, AS_OF, None),
    (
        "eks-past-standard",
        EKS,
        {"version": "1.33"},
        AS_OF,
        _ended("version", "1.33", "EKS", "1.33", "2026-07-29", EKS_AFTER, "aws") + ".",
    ),
    (
        "eks-on-the-last-day",
        EKS,
        {"version": "1.34"},
        {"asOf": "2026-12-02"},
        _ended("version", "1.34", "EKS", "1.34", "2026-12-02", EKS_AFTER, "aws") + ".",
    ),
    (
        "eks-one-day-before",
        EKS,
        {"version": "1.34"},
        AS_OF,
        "version '1.34': EKS standard support for 1.34 ends on 2026-12-02, in 1 days "
        f"({EKS_AFTER} after that); upgrade before then.",
    ),
    (
        "eks-sixty-days-before",
        EKS,
        {"version": "1.35"},
        {"asOf": "2027-01-26"},
        "version '1.35': EKS standard support for 1.35 ends on 2027-03-27, in 60 days "
        f"({EKS_AFTER} after that); upgrade before then.",
    ),
    ("eks-sixty-one-days-before", EKS, {"version": "1.35"}, {"asOf": "2027-01-25"}, None),
    (
        "eks-inside-a-wider-warning-window",
        EKS,
        {"version": "1.35"},
        {"asOf": "2027-01-01", "warnDays": 90},
        "version '1.35': EKS standard support for 1.35 ends on 2027-03-27, in 85 days "
        f"({EKS_AFTER} after that); upgrade before then.",
    ),
    ("eks-outside-the-default-window", EKS, {"version": "1.35"}, {"asOf": "2027-01-01"}, None),
    ("eks-judged-on-an-earlier-date", EKS, {"version": "1.32"}, {"asOf": "2026-01-01"}, None),
    (
        "eks-not-in-the-calendar",
        EKS,
        {"version": "1.41"},
        AS_OF,
        "version '1.41' is not in the EKS calendar the pack knows (1.32, 1.33, 1.34, 1.35); "
        "add its dates to policies/versions.py or pin a listed version.",
    ),
    (
        "eks-not-a-version",
        EKS,
        {"version": "latest"},
        AS_OF,
        "version 'latest' is not in the EKS calendar the pack knows (1.32, 1.33, 1.34, 1.35); "
        "add its dates to policies/versions.py or pin a listed version.",
    ),
    (
        "eks-version-as-a-number",
        EKS,
        {"version": 1.35},
        AS_OF,
        "version 1.35 is not in the EKS calendar the pack knows (1.32, 1.33, 1.34, 1.35); "
        "add its dates to policies/versions.py or pin a listed version.",
    ),
    ("gke-current", GKE, {"minMasterVersion": "1.35"}, AS_OF, None),
    (
        "gke-patch-judged-by-its-minor",
        GKE,
        {"minMasterVersion": "1.34.5-gke.1080000"},
        AS_OF,
        _ended("minMasterVersion", "1.34.5-gke.1080000", "GKE", "1.34", "2026-10-01", GKE_AFTER, "gcp") + ".",
    ),
    (
        "aks-cluster-and-pool-profiles",
        AKS,
        {
            "kubernetesVersion": "1.34",
            "agentPoolProfiles": [{"orchestratorVersion": "1.35"}, {"orchestratorVersion": "1.33"}, {}],
        },
        AS_OF,
        _ended("kubernetesVersion", "1.34", "AKS", "1.34", "2026-11-30", AKS_AFTER, "azure")
        + "; "
        + _ended(
            "agentPoolProfiles[1].orchestratorVersion",
            "1.33",
            "AKS",
            "1.33",
            "2026-07-31",
            AKS_AFTER,
            "azure",
        )
        + ".",
    ),
    (
        "aks-cluster-version-unset-and-an-old-pool",
        AKS,
        {"agentPoolProfiles": [{"orchestratorVersion": "1.33"}]},
        AS_OF,
        _ended(
            "agentPoolProfiles[0].orchestratorVersion",
            "1.33",
            "AKS",
            "1.33",
            "2026-07-31",
            AKS_AFTER,
            "azure",
        )
        + ".",
    ),
    (
        "aks-pool-profiles-known-later",
        AKS,
        {"kubernetesVersion": "1.33", "agentPoolProfiles": ENGINE_UNKNOWN},
        AS_OF,
        _ended("kubernetesVersion", "1.33", "AKS", "1.33", "2026-07-31", AKS_AFTER, "azure") + ".",
    ),
    (
        "aks-current",
        AKS,
        {"kubernetesVersion": "1.35", "agentPoolProfiles": [{"orchestratorVersion": "1.35"}]},
        AS_OF,
        None,
    ),
    (
        "aks-node-pool",
        AKS_POOL,
        {"orchestratorVersion": "1.34"},
        AS_OF,
        _ended("orchestratorVersion", "1.34", "AKS", "1.34", "2026-11-30", AKS_AFTER, "azure") + ".",
    ),
    ("aks-node-pool-current", AKS_POOL, {"orchestratorVersion": "1.35"}, AS_OF, None),
    ("not-a-cluster", "aws:eks/nodeGroup:NodeGroup", {"version": "1.20"}, AS_OF, None),
]


@pytest.mark.parametrize(
    ("resource_type", "props", "config", "message"),
    [row[1:] for row in VERSIONS],
    ids=[row[0] for row in VERSIONS],
)
def test_kubernetes_version_stays_in_its_clouds_standard_support(
    resource_type: str, props: dict[str, Any], config: dict[str, Any], message: str | None
) -> None:
    assert check(version_rule, resource_type, props, config=config) == ([] if message is None else [message])


def test_without_a_date_the_version_is_judged_today() -> None:
    # EKS 1.32 left standard support on 2026-03-23, before any day this test runs.
    expected = [_ended("version", "1.32", "EKS", "1.32", "2026-03-23", EKS_AFTER, "aws") + "."]
    for config in ({}, {"asOf": ""}):
        assert check(version_rule, EKS, {"version": "1.32"}, config=config) == expected


def test_a_gpu_toleration_after_tolerations_for_other_effects_still_counts() -> None:
    others = ["not-a-toleration", {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}]
    release = changed(DEVICE_PLUGIN, ("values", "tolerations"), [*others, TOLERATION])
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, k8s.RELEASE, release) == []


def test_a_pool_whose_taints_are_known_later_is_not_reported_yet() -> None:
    group = stack_resource(k8s.EKS_NODE_GROUP, "gpu", changed(EKS_GPU_GROUP, ("taints",), ENGINE_UNKNOWN))
    release = stack_resource(k8s.RELEASE, "dcgm", BARE_DCGM)
    assert check_stack(k8s.gpu_daemons_tolerate_pool_taints, [group, release]) == []


# --- team namespaces: Pod Security admission and a default-deny NetworkPolicy --------------------------------

PSS_NS: dict[str, Any] = changed(
    TEAM_NS, ("metadata", "labels", "pod-security.kubernetes.io/enforce"), "baseline"
)
DEFAULT_DENY: dict[str, Any] = {
    "metadata": {"name": "default-deny", "namespace": "team-research"},
    "spec": {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}]}],
    },
}


def test_team_namespace_enforcing_baseline_pod_security_passes() -> None:
    assert check_stack(k8s.team_namespace_pod_security, [stack_resource(k8s.NAMESPACE, "ns", PSS_NS)]) == []


def test_team_namespace_enforcing_privileged_pod_security_is_violation() -> None:
    privileged = changed(PSS_NS, ("metadata", "labels", "pod-security.kubernetes.io/enforce"), "privileged")
    namespace = stack_resource(k8s.NAMESPACE, "ns", privileged)
    assert check_stack(k8s.team_namespace_pod_security, [namespace]) == [
        (
            "team namespace has pod-security.kubernetes.io/enforce 'privileged'; expected baseline or restricted, "
            "so privileged, host-namespace and privilege-escalating pods are refused",
            namespace.urn,
        )
    ]


def test_team_namespace_with_a_default_deny_policy_passes() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", PSS_NS)
    policy = link(stack_resource(k8s.NETWORK_POLICY, "deny", DEFAULT_DENY), "metadata", namespace)
    assert check_stack(k8s.team_namespace_default_deny, [namespace, policy]) == []


def test_team_namespace_whose_policy_leaves_egress_open_is_violation() -> None:
    namespace = stack_resource(k8s.NAMESPACE, "ns", PSS_NS)
    ingress_only = changed(DEFAULT_DENY, ("spec", "policyTypes"), ["Ingress"])
    policy = link(stack_resource(k8s.NETWORK_POLICY, "deny", ingress_only), "metadata", namespace)
    assert check_stack(k8s.team_namespace_default_deny, [namespace, policy]) == [
        (
            "team namespace has no NetworkPolicy selecting every pod for Ingress and Egress, so any pod may reach "
            "its pods and they may reach anything",
            namespace.urn,
        )
    ]


def _team_queue(selector: dict[str, Any], gpus: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "team-research"},
        "spec": {
            "namespaceSelector": selector,
            **spec,
            "resourceGroups": [
                {
                    "coveredResources": ["nvidia.com/gpu"],
                    "flavors": [{"name": "a100", "resources": [{"name": "nvidia.com/gpu", **gpus}]}],
                }
            ],
        },
    }


RESEARCH_ONLY = {"matchLabels": {"mlplat.io/team": "research"}}


def _team_with_quota() -> list[Any]:
    namespace = stack_resource(k8s.NAMESPACE, "ns", TEAM_NS)
    return [namespace, link(stack_resource(k8s.RESOURCE_QUOTA, "q", QUOTA), "metadata", namespace)]


def test_a_teams_queue_within_its_gpu_quota_without_borrowing_passes() -> None:
    queue = stack_resource(
        k8s.CLUSTER_QUEUE,
        "cq",
        _team_queue(RESEARCH_ONLY, {"nominalQuota": 8, "borrowingLimit": 0}, cohort="mlplat"),
    )
    assert check_stack(k8s.team_queue_within_gpu_quota, [*_team_with_quota(), queue]) == []


def test_a_queue_that_may_borrow_past_the_teams_gpu_quota_is_violation() -> None:
    # No borrowingLimit in a cohort: Kueue lets the queue borrow every unused GPU of the cohort.
    queue = stack_resource(
        k8s.CLUSTER_QUEUE, "cq", _team_queue(RESEARCH_ONLY, {"nominalQuota": 8}, cohort="mlplat")
    )
    ((message, urn),) = check_stack(k8s.team_queue_within_gpu_quota, [*_team_with_quota(), queue])
    assert urn == queue.urn and "use unlimited GPUs of flavor a100" in message


def test_a_queue_above_the_teams_gpu_quota_is_violation() -> None:
    queue = stack_resource(k8s.CLUSTER_QUEUE, "cq", _team_queue(RESEARCH_ONLY, {"nominalQuota": 16}))
    ((message, _),) = check_stack(k8s.team_queue_within_gpu_quota, [*_team_with_quota(), queue])
    assert "use 16 GPUs" in message and "ResourceQuota allows 8" in message


def test_one_cluster_queue_shared_by_two_teams_is_violation() -> None:
    other = stack_resource(
        k8s.NAMESPACE,
        "other",
        {"metadata": {"name": "team-inference", "labels": {"mlplat.io/team": "inference"}}},
    )
    shared = {"matchExpressions": [{"key": "mlplat.io/team", "operator": "Exists"}]}
    queue = stack_resource(k8s.CLUSTER_QUEUE, "cq", _team_queue(shared, {"nominalQuota": 8}))
    reports = check_stack(k8s.team_queue_within_gpu_quota, [*_team_with_quota(), other, queue])
    assert [m for m, _ in reports] == [
        "ClusterQueue admits the jobs of 2 teams (team-inference, team-research): a team's job that its "
        "namespace's ResourceQuota refuses still holds the queue's quota; give each team its own"
    ]
