"""Rules for the Kubernetes objects the platform installs on every cluster (the GPU stack)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import UNKNOWN, elements, entries, judges, linked_through, of_type, prop
from policies.facts import GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE

RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue"
CLUSTER_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue"
TEAM_LABEL = "mlplat.io/team"
GPU_QUOTA = "requests.nvidia.com/gpu"

# An exact chart version: 1.2.3 or v1.2.3 with an optional pre-release; no ranges, no "latest".
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
# Where each GPU chart takes its tolerations.
_GPU_CHART_TOLERATIONS: dict[str, tuple[str, ...]] = {
    "nvidia-device-plugin": ("values", "tolerations"),
    "dcgm-exporter": ("values", "tolerations"),
    "gpu-operator": ("values", "daemonsets", "tolerations"),
}


def _release_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RELEASE:
        return
    version = prop(args.props, "version")
    if version is UNKNOWN:
        return
    if not isinstance(version, str) or not _EXACT_VERSION.match(version):
        chart = prop(args.props, "chart", default="?")
        report_violation(
            f"chart {chart} must be pinned to an exact version (from mlplat:versions), got {version!r}", None
        )


def _tolerates_gpu_taint(tolerations: list[Any]) -> bool:
    # kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration: operator defaults to Equal, which
    # also needs the taint's value; Exists with an empty key matches every taint; an empty effect every effect.
    for t in tolerations:
        if not isinstance(t, Mapping) or prop(t, "effect", default="") not in ("", GPU_TAINT_EFFECT):
            continue
        key, operator = prop(t, "key", default=""), prop(t, "operator", default="Equal")
        if operator == "Exists" and key in ("", GPU_TAINT_KEY):
            return True
        if operator == "Equal" and key == GPU_TAINT_KEY and prop(t, "value", default="") == GPU_TAINT_VALUE:
            return True
    return False


def _gpu_daemons_tolerate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RELEASE:
        return
    chart = prop(args.props, "chart")
    path = _GPU_CHART_TOLERATIONS.get(chart) if isinstance(chart, str) else None
    if path is None:
        return
    tolerations = elements(args.props, *path)
    if not isinstance(tolerations, list) or any(t is UNKNOWN for t in tolerations):
        return
    if not _tolerates_gpu_taint(tolerations):
        report_violation(
            f"{chart} runs on GPU nodes, which carry the {GPU_TAINT_KEY}:{GPU_TAINT_EFFECT} taint; "
            f"{'.'.join(path)} must tolerate it",
            None,
        )


def _team_namespaces_have_quota(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    quotas = linked_through(args.resources, [RESOURCE_QUOTA], "metadata")
    for namespace in of_type(args.resources, [NAMESPACE]):
        labels = entries(namespace.props, "metadata", "labels")
        if not isinstance(labels, dict) or TEAM_LABEL not in labels:
            continue
        hard = [entries(q.props, "spec", "hard") for q in quotas.get(namespace.urn, [])]
        if not any(not isinstance(h, dict) or GPU_QUOTA in h for h in hard):
            report_violation(f"team namespace has no ResourceQuota on {GPU_QUOTA}", namespace.urn)


def _local_queues_target_a_cluster_queue(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    names = {prop(q.props, "metadata", "name") for q in of_type(args.resources, [CLUSTER_QUEUE])}
    if UNKNOWN in names:
        return
    for queue in of_type(args.resources, [LOCAL_QUEUE]):
        target = prop(queue.props, "spec", "clusterQueue")
        if target is not UNKNOWN and target not in names:
            report_violation(
                f"LocalQueue points at ClusterQueue {target!r}, which this stack does not create", queue.urn
            )


helm_release_version_pinned = judges(
    ResourceValidationPolicy(
        name="helm-release-version-pinned",
        description="Charts are pinned to exact versions, so what dev proved is what prod gets.",
        validate=[_release_pinned],
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    [RELEASE],
)

gpu_daemons_tolerate_gpu_taint = judges(
    ResourceValidationPolicy(
        name="gpu-daemons-tolerate-gpu-taint",
        description="GPU device plugins, operators and exporters tolerate the GPU pools' taint, or GPUs stay invisible.",
        validate=[_gpu_daemons_tolerate],
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    [RELEASE],
)

team_namespace_has_gpu_quota = StackValidationPolicy(
    name="team-namespace-has-gpu-quota",
    description="Every team namespace has a ResourceQuota on GPUs, so one team cannot take every GPU.",
    validate=_team_namespaces_have_quota,
    enforcement_level=EnforcementLevel.MANDATORY,
)

local_queue_targets_cluster_queue = StackValidationPolicy(
    name="kueue-local-queue-targets-cluster-queue",
    description="Every Kueue LocalQueue points at a ClusterQueue the stack creates; otherwise jobs wait forever.",
    validate=_local_queues_target_a_cluster_queue,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: list[Policy] = [
    helm_release_version_pinned,
    gpu_daemons_tolerate_gpu_taint,
    team_namespace_has_gpu_quota,
    local_queue_targets_cluster_queue,
]
