"""Rules for the Kubernetes objects the platform installs on every cluster (the GPU stack)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    UNKNOWN,
    elements,
    entries,
    is_unknown,
    judges,
    linked_through,
    of_type,
    prop,
    props_rule,
    stack_rule,
)
from policies.concepts import guards
from policies.controls import implements
from policies.facts import GPU_TAINT_EFFECT, GPU_TAINT_KEY, GPU_TAINT_VALUE

# Taints the clouds put on GPU nodes themselves: AKS on every Spot node (learn.microsoft.com/azure/aks/spot-node-pool),
# GKE on GPU nodes (cloud.google.com/kubernetes-engine/docs/how-to/gpus).
AKS_SPOT_TAINT = {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"}
GKE_GPU_TAINT = {"key": GPU_TAINT_KEY, "value": GPU_TAINT_VALUE, "effect": GPU_TAINT_EFFECT}
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
AKS_AGENT_POOL = "azure-native:containerservice:AgentPool"
POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
_EFFECT = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}
# Resources Kubernetes lets a container overcommit; the rest (extended resources) are counted exactly.
_NATIVE_RESOURCES = ("cpu", "memory", "ephemeral-storage", "hugepages-")

RELEASE = "kubernetes:helm.sh/v3:Release"
ROLE_BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
# kubernetes.io/docs/reference/access-authn-authz/rbac/: cluster-admin is the superuser role; these groups hold
# every authenticated user, every unauthenticated request, and the anonymous user.
SUPERUSER_ROLE = "cluster-admin"
EVERYONE = ("system:authenticated", "system:unauthenticated", "system:anonymous")
# system:masters bypasses every authorizer, so a binding to it is never needed and hides who holds the rights.
SUPERUSER_GROUP = "system:masters"
NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LOCAL_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue"
CLUSTER_QUEUE = "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue"
TEAM_LABEL = "mlplat.io/team"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
# Pod Security admission levels at least as strict as baseline (kubernetes.io/docs/concepts/security/pod-security-standards).
PSS_ENFORCE = "pod-security.kubernetes.io/enforce"
PSS_AT_LEAST_BASELINE = ("baseline", "restricted")
GPU_RESOURCE = "nvidia.com/gpu"
GPU_QUOTA = f"requests.{GPU_RESOURCE}"

# An exact chart version: 1.2.3 or v1.2.3 with an optional pre-release; no ranges, no "latest".
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
# Where each GPU chart takes its tolerations.
_GPU_CHART_TOLERATIONS: dict[str, tuple[str, ...]] = {
    "nvidia-device-plugin": ("values", "tolerations"),
    "dcgm-exporter": ("values", "tolerations"),
    "gpu-operator": ("values", "daemonsets", "tolerations"),
}
# Every DaemonSet of a chart that must run on each GPU node: where its tolerations are set, and the chart's
# default there (k8s-device-plugin v0.17.1, dcgm-exporter 4.1.1, gpu-operator v25.3.0 values.yaml).
_GPU_TOLERATION = {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}
_GPU_DAEMON_TOLERATIONS: dict[str, tuple[tuple[tuple[str, ...], list[dict[str, str]]], ...]] = {
    "nvidia-device-plugin": (
        (("values", "tolerations"), [{"key": "CriticalAddonsOnly", "operator": "Exists"}, _GPU_TOLERATION]),
    ),
    "dcgm-exporter": ((("values", "tolerations"), []),),
    "gpu-operator": (
        (("values", "daemonsets", "tolerations"), [_GPU_TOLERATION]),
        (("values", "node-feature-discovery", "worker", "tolerations"), [_GPU_TOLERATION]),
    ),
}


def _listed(props: Mapping[str, Any], *path: str | int) -> list[Any]:
    """The list at `path`; empty when unset or unknown (the caller has checked for unknowns it cares about)."""
    found = elements(props, *path)
    return found if isinstance(found, list) else []


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


def _team_namespaces(args: StackValidationArgs) -> list[Any]:
    found = []
    for namespace in of_type(args.resources, [NAMESPACE]):
        labels = entries(namespace.props, "metadata", "labels")
        if isinstance(labels, dict) and TEAM_LABEL in labels:
            found.append(namespace)
    return found


def _team_namespaces_enforce_pod_security(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    for namespace in _team_namespaces(args):
        level = prop(namespace.props, "metadata", "labels", PSS_ENFORCE)
        if level is not UNKNOWN and level not in PSS_AT_LEAST_BASELINE:
            report_violation(
                f"team namespace has {PSS_ENFORCE} {level!r}; expected baseline or restricted, so privileged, "
                "host-namespace and privilege-escalating pods are refused",
                namespace.urn,
            )


def _denies_by_default(policy: Any) -> bool | None:
    """Whether a NetworkPolicy selects every pod for both ingress and egress; None when not known yet."""
    selector, types = prop(policy.props, "spec", "podSelector"), _listed(policy.props, "spec", "policyTypes")
    if selector is UNKNOWN or UNKNOWN in types:
        return None
    every_pod = (
        isinstance(selector, Mapping)
        and not prop(selector, "matchLabels")
        and not prop(selector, "matchExpressions")
    )
    return every_pod and {"Ingress", "Egress"} <= set(types)


def _team_namespaces_deny_by_default(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies = linked_through(args.resources, [NETWORK_POLICY], "metadata")
    for namespace in _team_namespaces(args):
        if not any(_denies_by_default(p) is not False for p in policies.get(namespace.urn, [])):
            report_violation(
                "team namespace has no NetworkPolicy selecting every pod for Ingress and Egress, so any pod "
                "may reach its pods and they may reach anything",
                namespace.urn,
            )


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


def _selects(selector: Any, labels: Mapping[str, str]) -> bool | None:
    """A label selector over known labels (kubernetes.io/docs/concepts/overview/working-with-objects/labels/);
    Kueue reads a missing namespaceSelector as selecting nothing. None: the selector is not known yet."""
    if selector is None:
        return False
    match = entries(selector, "matchLabels")
    expressions = elements(selector, "matchExpressions")
    if not isinstance(match, dict) or not isinstance(expressions, list):
        return None
    if any(is_unknown(v) for v in match.values()):
        return None
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for e in expressions:
        key, operator, values = prop(e, "key"), prop(e, "operator"), _listed(e, "values")
        if is_unknown(key) or is_unknown(operator) or any(is_unknown(v) for v in values):
            return None
        found = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(operator)
        if not found:
            return False
    return True


def _count(value: Any) -> Decimal | None:
    """A whole-unit quantity (`8`, "8"); None for anything else (unknown, suffixed)."""
    if isinstance(value, bool) or is_unknown(value):
        return None
    if isinstance(value, (int, float)):  # the engine sends every number as a float
        return Decimal(int(value)) if float(value).is_integer() and value >= 0 else None
    return Decimal(value) if isinstance(value, str) and re.fullmatch(r"\d+", value) else None


def _team_namespace_labels(args: StackValidationArgs) -> dict[str, tuple[PolicyResource, dict[str, str]]]:
    """Team namespace name -> (the Namespace, its labels with the name label the API server adds)."""
    found = {}
    for namespace in of_type(args.resources, [NAMESPACE]):
        name, labels = (
            prop(namespace.props, "metadata", "name"),
            entries(namespace.props, "metadata", "labels"),
        )
        if not isinstance(name, str) or not isinstance(labels, dict) or TEAM_LABEL not in labels:
            continue
        if any(is_unknown(v) for v in labels.values()):
            continue
        found[name] = (namespace, {**labels, "kubernetes.io/metadata.name": name})
    return found


def _team_queues_within_gpu_quota(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    teams = _team_namespace_labels(args)
    quotas = linked_through(args.resources, [RESOURCE_QUOTA], "metadata")
    for queue in of_type(args.resources, [CLUSTER_QUEUE]):
        selector = prop(queue.props, "spec", "namespaceSelector")
        selected = {ns: _selects(selector, labels) for ns, (_, labels) in teams.items()}
        if None in selected.values():
            continue
        admitted = sorted(ns for ns, yes in selected.items() if yes)
        if len(admitted) > 1:
            report_violation(
                f"ClusterQueue admits the jobs of {len(admitted)} teams ({', '.join(admitted)}): a team's job that "
                f"its namespace's ResourceQuota refuses still holds the queue's quota; give each team its own",
                queue.urn,
            )
        borrows = prop(queue.props, "spec", "cohort") not in (None, "")
        for ns in admitted:
            namespace = teams[ns][0]
            hard = [_count(prop(q.props, "spec", "hard", GPU_QUOTA)) for q in quotas.get(namespace.urn, [])]
            caps = [h for h in hard if h is not None]
            if not caps:
                continue
            cap = min(caps)
            for group in _listed(queue.props, "spec", "resourceGroups"):
                for flavor in _listed(group, "flavors"):
                    for resource in _listed(flavor, "resources"):
                        if prop(resource, "name") != GPU_RESOURCE:
                            continue
                        nominal = _count(prop(resource, "nominalQuota"))
                        limit = prop(resource, "borrowingLimit")
                        borrowing = _count(limit) if borrows else Decimal(0)
                        if nominal is None or (borrows and limit is not None and borrowing is None):
                            continue
                        usable = "unlimited" if borrowing is None else str(nominal + borrowing)
                        if borrowing is None or nominal + borrowing > cap:
                            report_violation(
                                f"ClusterQueue lets {ns} use {usable} GPUs of flavor {prop(flavor, 'name')} "
                                f"(nominalQuota {nominal}, borrowingLimit {'none' if limit is None else limit}) "
                                f"but its ResourceQuota allows {cap}: Kueue would admit jobs whose pods the "
                                f"quota refuses (kueue v0.17.0 apis/kueue/v1beta1/clusterqueue_types.go)",
                                queue.urn,
                            )


def _binding_least_privilege(props: Mapping[str, Any]) -> list[str]:
    problems = []
    if prop(props, "roleRef", "name") == SUPERUSER_ROLE:
        problems.append(
            f"roleRef is {SUPERUSER_ROLE}, which can do anything in the cluster; bind a narrower role"
        )
    for subject in _listed(props, "subjects"):
        name = prop(subject, "name") if isinstance(subject, Mapping) else None
        if name in EVERYONE:
            problems.append(f"subject {name} binds the role to everyone who reaches the API server")
        if name == SUPERUSER_GROUP:
            problems.append(
                f"subject {name} is the superuser group, which RBAC cannot restrict; name the members"
            )
    return problems


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

team_queue_within_gpu_quota = stack_rule(
    "kueue-team-queue-within-gpu-quota",
    "Each team's jobs queue in a ClusterQueue of their own whose GPUs per flavor (nominalQuota plus what it may "
    "borrow) stay within the team namespace's GPU ResourceQuota; otherwise Kueue admits a job the quota refuses, "
    "and the admitted job holds quota other teams wait for.",
    _team_queues_within_gpu_quota,
)


def _toleration_covers(t: Any, taint: Mapping[str, Any]) -> bool:
    """Kubernetes' matching: key (empty with Exists matches all), effect (empty matches all), and the value
    for operator Equal (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/)."""
    if not isinstance(t, Mapping):
        return False
    op = prop(t, "operator", default="Equal")
    key = prop(t, "key", default="")
    if (key and key != taint["key"]) or (not key and op != "Exists"):
        return False
    if prop(t, "effect", default="") not in ("", taint["effect"]):
        return False
    return op == "Exists" or prop(t, "value", default="") == taint.get("value", "")


def _pool_taints(pool: PolicyResource) -> list[dict[str, Any]] | None:
    """The NoSchedule/NoExecute taints of a GPU pool's nodes, the cloud's own included; None: not a GPU pool."""
    p = pool.props
    if pool.resource_type == EKS_NODE_GROUP:
        declared = [
            {
                "key": prop(t, "key"),
                "value": prop(t, "value", default=""),
                "effect": _EFFECT.get(prop(t, "effect"), ""),
            }
            for t in _listed(p, "taints")
            if isinstance(t, Mapping)
        ]
        ami = prop(p, "amiType")
        if not (isinstance(ami, str) and ("NVIDIA" in ami or "GPU" in ami)) and not any(
            t["key"] == GPU_TAINT_KEY for t in declared
        ):
            return None
    elif pool.resource_type == GKE_NODE_POOL:
        if not elements(p, "nodeConfig", "guestAccelerators"):
            return None
        declared = [
            {
                "key": prop(t, "key"),
                "value": prop(t, "value", default=""),
                "effect": _EFFECT.get(prop(t, "effect"), ""),
            }
            for t in _listed(p, "nodeConfig", "taints")
            if isinstance(t, Mapping)
        ]
        declared.append(GKE_GPU_TAINT)
    else:
        declared = []
        for text in _listed(p, "nodeTaints"):
            if isinstance(text, str) and ":" in text:
                key_value, effect = text.rsplit(":", 1)
                key, _, value = key_value.partition("=")
                declared.append({"key": key, "value": value, "effect": effect})
        if prop(p, "gpuProfile") is None and not any(t["key"] == GPU_TAINT_KEY for t in declared):
            return None
        if prop(p, "scaleSetPriority") == "Spot":
            declared.append(AKS_SPOT_TAINT)
    return [t for t in declared if t["effect"] in ("NoSchedule", "NoExecute")]


def _ancestors(resource: PolicyResource) -> list[PolicyResource]:
    found = []
    seen = resource.parent
    while seen is not None:
        found.append(seen)
        seen = seen.parent
    return found


def _pools_of(release: PolicyResource, pools: list[PolicyResource]) -> list[PolicyResource]:
    """The pools of the cluster a release installs into: those under a component the release (or the
    component it belongs to) depends on; every pool of the stack when the plan does not say."""
    targets = {d.urn for r in [release, *_ancestors(release)] for d in r.dependencies}
    mine = [p for p in pools if any(a.urn in targets for a in [p, *_ancestors(p)])]
    return mine or pools


def _daemons_tolerate_pool_taints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    pools = of_type(args.resources, [EKS_NODE_GROUP, GKE_NODE_POOL, AKS_AGENT_POOL])
    for release in of_type(args.resources, [RELEASE]):
        chart = prop(release.props, "chart")
        paths = _GPU_DAEMON_TOLERATIONS.get(chart) if isinstance(chart, str) else None
        if not paths:
            continue
        for path, chart_default in paths:
            tolerations = (
                chart_default if prop(release.props, *path) is None else elements(release.props, *path)
            )
            if not isinstance(tolerations, list) or any(is_unknown(t) for t in tolerations):
                continue  # judged when known
            for pool in _pools_of(release, pools):
                taints = _pool_taints(pool) or []
                missing = [t for t in taints if not any(_toleration_covers(x, t) for x in tolerations)]
                for t in missing:
                    report_violation(
                        f"{chart} {'.'.join(path)} does not tolerate {t['key']}={t['value']}:{t['effect']} on GPU pool "
                        f"{pool.name}: the daemon never runs on those nodes",
                        release.urn,
                    )


def _limit_range_max_has_default(props: Mapping[str, Any]) -> list[str]:
    problems = []
    for item in _listed(props, "spec", "limits"):
        if not isinstance(item, Mapping) or prop(item, "type") != "Container":
            continue
        maximum = entries(item, "max")
        default = entries(item, "default")
        if not isinstance(maximum, dict) or is_unknown(default):
            continue
        for name in maximum:
            if name.startswith(_NATIVE_RESOURCES):
                continue
            if not isinstance(default, dict) or name not in default:
                problems.append(
                    f"max {name} without a default: Kubernetes makes the max every container's limit and "
                    f"request (kubernetes.io/docs/concepts/policy/limit-range/), so CPU-only pods and init "
                    f"containers would ask for {name}; set default {name}: 0"
                )
    return problems


def _min_size(pool: PolicyResource) -> Any:
    p = pool.props
    if pool.resource_type == EKS_NODE_GROUP:
        return prop(p, "scalingConfig", "minSize")
    if pool.resource_type == GKE_NODE_POOL:
        return prop(
            p,
            "autoscaling",
            "totalMinNodeCount",
            default=prop(p, "autoscaling", "minNodeCount", default=prop(p, "nodeCount")),
        )
    return prop(p, "minCount", default=prop(p, "count"))


def _eks_autoscaler(cluster: Any, args: StackValidationArgs) -> str | None:
    """Why no cluster autoscaler can scale this EKS cluster's groups (None: one can). It must discover the
    cluster's groups and have AWS credentials (github.com/kubernetes/autoscaler, cluster-autoscaler AWS README)."""
    every_release = of_type(args.resources, [RELEASE])
    if any(
        not isinstance(prop(r.props, "chart"), str) or is_unknown(prop(r.props, "chart"))
        for r in every_release
    ):
        # A release whose chart is not known cannot be judged: in a preview where the Kubernetes provider's
        # kubeconfig is still unknown, the engine gives its resources NO properties (pulumi/pulumi
        # sdk/go/common/resource/plugin/provider_plugin.go Create: `if !pcfg.known { return
        # CreateResponse{}, nil }`), and a stack policy sees the autoscaler's release without a chart.
        return None
    releases = [
        r
        for r in every_release
        if prop(r.props, "chart").rsplit("/", 1)[-1] in ("cluster-autoscaler", "karpenter")
    ]
    if not of_type(args.resources, [RELEASE]):
        # A platform stack: the in-cluster layer is a stack of its own (README "Where each deploy runs"),
        # so what this stack must provide is the autoscaler's AWS identity on this cluster.
        if is_unknown(cluster) or any(
            prop(a.props, "clusterName") in (cluster, UNKNOWN) and prop(a.props, "namespace") == "kube-system"
            for a in of_type(args.resources, [POD_IDENTITY])
        ):
            return None
        return "no Pod Identity association in kube-system gives a cluster autoscaler (or Karpenter) AWS credentials"
    if not releases:
        return "no cluster autoscaler (or Karpenter) is installed"
    for r in releases:
        name = prop(
            r.props,
            "values",
            "autoDiscovery",
            "clusterName",
            default=prop(r.props, "values", "settings", "clusterName"),
        )
        if is_unknown(name) or is_unknown(cluster):
            return None
        if name != cluster:
            continue
        account = prop(
            r.props,
            "values",
            "rbac",
            "serviceAccount",
            "name",
            default=prop(r.props, "values", "serviceAccount", "name"),
        )
        annotated = prop(
            r.props, "values", "rbac", "serviceAccount", "annotations", "eks.amazonaws.com/role-arn"
        )
        associated = any(
            prop(a.props, "serviceAccount") == account and prop(a.props, "clusterName") in (cluster, UNKNOWN)
            for a in of_type(args.resources, [POD_IDENTITY])
        )
        if annotated or associated:
            return None
        return f"the autoscaler's service account {account!r} has no IAM role (Pod Identity or IRSA)"
    return "no cluster autoscaler discovers this cluster's node groups"


def _scale_up_path(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for pool in of_type(args.resources, [EKS_NODE_GROUP, GKE_NODE_POOL, AKS_AGENT_POOL]):
        if _pool_taints(pool) is None or _min_size(pool) not in (0, 0.0):
            continue
        p = pool.props
        if pool.resource_type == EKS_NODE_GROUP:
            why = _eks_autoscaler(prop(p, "clusterName"), args)
        elif pool.resource_type == GKE_NODE_POOL:
            why = None if prop(p, "autoscaling") else "autoscaling is off, so GKE never adds a node"
        else:
            why = (
                None
                if prop(p, "enableAutoScaling") is True
                else "enableAutoScaling is off, so AKS never adds a node"
            )
        if why:
            report_violation(
                f"GPU pool {pool.name} scales from zero but {why}; queued jobs would wait forever", pool.urn
            )


rbac_bindings_least_privilege = props_rule(
    "kubernetes-rbac-least-privilege",
    "Role bindings never grant cluster-admin, never bind system:masters and never bind to everyone "
    "(system:authenticated, system:unauthenticated, system:anonymous); team members get the namespaced edit role.",
    ROLE_BINDINGS,
    _binding_least_privilege,
)

gpu_daemons_tolerate_pool_taints = stack_rule(
    "gpu-daemons-tolerate-pool-taints",
    "GPU daemons (device plugin, DCGM exporter, GPU operator operands, NFD worker) tolerate every taint on the "
    "GPU pools of their cluster, the cloud's own included (AKS Spot, GKE GPU).",
    _daemons_tolerate_pool_taints,
)

limit_range_max_has_default = props_rule(
    "limit-range-extended-max-has-default",
    "A LimitRange max for an extended resource (nvidia.com/gpu) comes with a default; otherwise every container "
    "gets the max.",
    [LIMIT_RANGE],
    _limit_range_max_has_default,
)

gpu_pools_have_scale_up_path = stack_rule(
    "gpu-pools-have-scale-up-path",
    "Every GPU pool that scales from zero has an autoscaler that can add its first node: EKS a cluster "
    "autoscaler (or Karpenter) with an IAM role, GKE and AKS autoscaling on.",
    _scale_up_path,
)

# --- what each rule guards (policies/concepts.py) ---

team_namespace_pod_security = stack_rule(
    "team-namespace-pod-security",
    "Every team namespace enforces the baseline Pod Security Standard or stricter.",
    _team_namespaces_enforce_pod_security,
)

team_namespace_default_deny = stack_rule(
    "team-namespace-default-deny",
    "Every team namespace has a NetworkPolicy that selects every pod for Ingress and Egress (default deny).",
    _team_namespaces_deny_by_default,
)

guards(helm_release_version_pinned, "pinned-versions")
guards(team_namespace_pod_security, "node-hardening")
guards(team_namespace_default_deny, "network-segmentation")
guards(gpu_daemons_tolerate_gpu_taint, "gpu-taint")
guards(team_namespace_has_gpu_quota, "gpu-quotas-queues", "gpu-capped")
guards(local_queue_targets_cluster_queue, "gpu-quotas-queues")
guards(team_queue_within_gpu_quota, "gpu-quotas-queues", "gpu-capped")
guards(gpu_daemons_tolerate_pool_taints, "gpu-taint")
guards(limit_range_max_has_default, "gpu-quotas-queues")
guards(gpu_pools_have_scale_up_path, "gpu-scale-to-zero", "gpu-schedulable")
guards(rbac_bindings_least_privilege, "least-privilege-iam")


# --- the published controls each rule implements (policies/controls.py) -------------------------------------

# Team members get only the namespaced edit role, which grants none of bind/escalate/impersonate, PersistentVolumes,
# nodes/proxy, webhooks or token creation (kubernetes.io/docs/reference/access-authn-authz/rbac, user-facing roles).
implements(
    rbac_bindings_least_privilege,
    *(f"cis-eks:4.1.{n}" for n in (1, 4, 8, 9, 10, 11, 12)),
    "cis-eks:4.5.1",
)
implements(helm_release_version_pinned, "cis-eks:5.1.4")

implements(
    rbac_bindings_least_privilege,
    *(f"cis-gke:4.1.{n}" for n in (1, 6, 7, 8, 9, 10)),
    "cis-gke:4.6.1",
    *(f"cis-aks:4.1.{n}" for n in (1, 4, 7, 8, 9, 10, 11, 12)),
    "cis-aks:4.6.1",
    "mcsb:PA-7",
)
implements(helm_release_version_pinned, "cis-gke:5.1.4", "cis-aks:5.1.4")
# Baseline forbids privileged pods, host PID/IPC/network; restricted (warned and audited) forbids escalation.
implements(
    team_namespace_pod_security,
    *(f"cis-eks:4.2.{n}" for n in (1, 2, 3, 4)),
    *(f"cis-aks:4.2.{n}" for n in (1, 2, 3, 4)),
    "cis-gke:4.2.1",
)
implements(team_namespace_default_deny, "cis-eks:4.3.2", "cis-gke:4.3.2", "cis-aks:4.4.2")


POLICIES: list[Policy] = [
    helm_release_version_pinned,
    gpu_daemons_tolerate_gpu_taint,
    team_namespace_has_gpu_quota,
    local_queue_targets_cluster_queue,
    team_queue_within_gpu_quota,
    gpu_daemons_tolerate_pool_taints,
    limit_range_max_has_default,
    gpu_pools_have_scale_up_path,
    rbac_bindings_least_privilege,
    team_namespace_pod_security,
    team_namespace_default_deny,
]
