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
