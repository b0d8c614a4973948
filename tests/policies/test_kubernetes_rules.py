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
    (message,) = check(
        k8s.helm_release_version_pinned, k8s.RELEASE, changed(DEVICE_PLUGIN, ("version",), version)
    )
    assert "must be pinned to an exact version" in message


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
    assert check(k8s.helm_release_version_pinned, "aws:s3/bucket:Bucket", bucket) == []
    assert check(k8s.gpu_daemons_tolerate_gpu_taint, "aws:s3/bucket:Bucket", {"chart": "gpu-operator"}) == []
