"""What the Kubernetes API server, its admission plugins, Kueue and the scheduler do with a pod, as their
documents describe it. Pure functions over plain dicts (the shapes of the Kubernetes API); each returns
the changed pod and the reasons it would be refused or stay Pending (empty when it goes through).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from tests.jobpath.facts import CRITICAL_PRIORITY_CLASSES

Pod = dict[str, Any]  # a PodSpec plus "namespace", "labels"
_SUFFIX = {
    "m": Decimal("0.001"),
    "k": Decimal(1000),
    "M": Decimal(1000) ** 2,
    "G": Decimal(1000) ** 3,
    "T": Decimal(1000) ** 4,
    "Ki": Decimal(1024),
    "Mi": Decimal(1024) ** 2,
    "Gi": Decimal(1024) ** 3,
    "Ti": Decimal(1024) ** 4,
}
_OVERCOMMITTABLE = ("cpu", "memory", "ephemeral-storage")


def quantity(value: Any) -> Decimal:
    """A Kubernetes quantity ("500m", "8Gi", 2) as a number (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/)."""
    text = str(value)
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", text)
    if not match or (match.group(2) and match.group(2) not in _SUFFIX):
        raise ValueError(f"not a quantity: {value!r}")
    return Decimal(match.group(1)) * _SUFFIX.get(match.group(2), Decimal(1))


def containers(pod: Pod) -> Iterable[tuple[str, dict[str, Any]]]:
    for kind in ("initContainers", "containers"):
        for c in pod.get(kind) or []:
            yield kind, c


def _resources(c: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    res = c.setdefault("resources", {})
    return res.setdefault("requests", {}), res.setdefault("limits", {})


def api_defaults(pod: Pod) -> Pod:
    """A container that sets a limit but no request gets a request equal to the limit
    (kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits)."""
    pod = copy.deepcopy(pod)
    for _, c in containers(pod):
        requests, limits = _resources(c)
        for name, value in limits.items():
            requests.setdefault(name, value)
    return pod


def limit_range_item_defaults(item: Mapping[str, Any]) -> dict[str, Any]:
    """How the API server stores a `Container` LimitRange item: a missing `default` is the `max`, a missing
    `defaultRequest` the `default` (then the `min`). Documented in "Configure Minimum and Maximum CPU
    Constraints for a Namespace" (a container with no limit gets the max as limit and request)."""
    item = copy.deepcopy(dict(item))
    if item.get("type") != "Container":
        return item
    default = dict(item.get("default") or {})
    for name, value in (item.get("max") or {}).items():
        default.setdefault(name, value)
    request = dict(item.get("defaultRequest") or {})
    for name, value in default.items():
        request.setdefault(name, value)
    for name, value in (item.get("min") or {}).items():
        request.setdefault(name, value)
    item["default"], item["defaultRequest"] = default, request
    return item


def limit_ranger(pod: Pod, limit_ranges: Sequence[Mapping[str, Any]]) -> tuple[Pod, list[str]]:
    """The LimitRanger admission plugin on every container, init containers included: fill missing limits
    from `default` and missing requests from `defaultRequest`, then refuse a request under `min` or without
    one, a limit over `max` or without one (kubernetes.io/docs/concepts/policy/limit-range/)."""
    pod = copy.deepcopy(pod)
    problems: list[str] = []
    items = [limit_range_item_defaults(i) for lr in limit_ranges for i in (lr.get("limits") or [])]
    for kind, c in containers(pod):
        requests, limits = _resources(c)
        for item in items:
            if item.get("type") != "Container":
                continue
            for name, value in (item.get("default") or {}).items():
                limits.setdefault(name, value)
            for name, value in (item.get("defaultRequest") or {}).items():
                requests.setdefault(name, value)
        for item in items:
            if item.get("type") != "Container":
                continue
            for name, value in (item.get("min") or {}).items():
                if name not in requests:
                    problems.append(f"{kind} {c['name']}: minimum {name} is {value}, no request is specified")
                elif quantity(requests[name]) < quantity(value):
                    problems.append(
                        f"{kind} {c['name']}: {name} request {requests[name]} is under the minimum {value}"
                    )
            for name, value in (item.get("max") or {}).items():
                if name not in limits:
                    problems.append(f"{kind} {c['name']}: maximum {name} is {value}, no limit is specified")
                elif quantity(limits[name]) > quantity(value):
                    problems.append(
                        f"{kind} {c['name']}: {name} limit {limits[name]} is over the maximum {value}"
                    )
    return pod, problems


def validate_resources(pod: Pod) -> list[str]:
    """Pod validation: a request never exceeds its limit, and an extended resource (not cpu, memory,
    ephemeral storage) is never overcommitted: request equals limit
    (kubernetes.io/docs/concepts/configuration/manage-resources-containers/#extended-resources)."""
    problems = []
    for kind, c in containers(pod):
        requests, limits = _resources(c)
        for name, value in requests.items():
            if name in limits and quantity(value) > quantity(limits[name]):
                problems.append(
                    f"{kind} {c['name']}: {name} request {value} exceeds its limit {limits[name]}"
                )
            if (
                name not in _OVERCOMMITTABLE
                and "/" in name
                and quantity(value) != quantity(limits.get(name, -1))
            ):
                problems.append(f"{kind} {c['name']}: {name} request must equal its limit")
    return problems


def pod_requests(pod: Pod, which: str = "requests") -> dict[str, Decimal]:
    """A pod's effective request: the larger of the sum over its containers and the largest init container
    (kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers)."""
    total: dict[str, Decimal] = {}
    init: dict[str, Decimal] = {}
    for kind, c in containers(pod):
        for name, value in ((c.get("resources") or {}).get(which) or {}).items():
            if kind == "containers":
                total[name] = total.get(name, Decimal(0)) + quantity(value)
            else:
                init[name] = max(init.get(name, Decimal(0)), quantity(value))
    return {n: max(total.get(n, Decimal(0)), init.get(n, Decimal(0))) for n in {*total, *init}}


def _scope_matches(quota: Mapping[str, Any], pod: Pod) -> bool:
    expressions = ((quota.get("scopeSelector") or {}).get("matchExpressions")) or []
    for e in expressions:
        if e.get("scopeName") != "PriorityClass":
            return False  # the check submits no pod that other scopes (Terminating, BestEffort...) would pick
        value = pod.get("priorityClassName")
        op, values = e.get("operator"), e.get("values") or []
        if (op == "In" and value not in values) or (op == "NotIn" and value in values):
            return False
        if (op == "Exists" and value is None) or (op == "DoesNotExist" and value is not None):
            return False
    return True


def resource_quota(pod: Pod, quotas: Sequence[Mapping[str, Any]], *, limited_critical: bool) -> list[str]:
    """The ResourceQuota admission plugin for one pod in an otherwise empty namespace: usage may not exceed
    `hard`; a quota on cpu or memory needs every container to state them; with limited critical priority
    classes, a pod of such a class needs a quota whose scope selects it
    (kubernetes.io/docs/concepts/policy/resource-quotas/)."""
    problems = []
    requests, limits = pod_requests(pod), pod_requests(pod, "limits")
    matching = [q for q in quotas if _scope_matches(q, pod)]
    for q in matching:
        for key, hard in (q.get("hard") or {}).items():
            if key == "pods":
                used = Decimal(1)
            elif key.startswith("limits."):
                used = limits.get(key.removeprefix("limits."), Decimal(0))
            else:
                used = requests.get(key.removeprefix("requests."), Decimal(0))
            if used > quantity(hard):
                problems.append(f"exceeded quota: {key} requested {used}, hard {hard}")
            base = key.removeprefix("requests.").removeprefix("limits.")
            if base in ("cpu", "memory"):
                which = "limits" if key.startswith("limits.") else "requests"
                for kind, c in containers(pod):
                    if base not in ((c.get("resources") or {}).get(which) or {}):
                        problems.append(f"{kind} {c['name']}: quota tracks {key}, the container must set it")
    if limited_critical and pod.get("priorityClassName") in CRITICAL_PRIORITY_CLASSES:
        scoped = [q for q in matching if (q.get("scopeSelector") or {}).get("matchExpressions")]
        if not scoped:
            problems.append(
                f"insufficient quota to match these scopes: PriorityClass In {list(CRITICAL_PRIORITY_CLASSES)}"
                f" (namespace {pod['namespace']} has no ResourceQuota scoped to {pod['priorityClassName']})"
            )
    return problems


def priority(pod: Pod, classes: Iterable[str]) -> list[str]:
    """The Priority admission plugin refuses a pod whose priorityClassName does not exist; the two
    `system-*-critical` classes always do (kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/)."""
    name = pod.get("priorityClassName")
    if name is None or name in CRITICAL_PRIORITY_CLASSES or name in set(classes):
        return []
    return [f"no PriorityClass with name {name} was found"]


def tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, str]) -> bool:
    """A toleration matches a taint on key (empty key with Exists: every key), effect (empty: every
    effect) and, for operator Equal (the default), value
    (kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/)."""
    for t in tolerations:
        op = t.get("operator") or "Equal"
        if t.get("key") and t.get("key") != taint["key"]:
            continue
        if not t.get("key") and op != "Exists":
            continue
        if t.get("effect") and t.get("effect") != taint["effect"]:
            continue
        if op == "Exists" or (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def untolerated(tolerations: Sequence[Mapping[str, Any]], taints: Iterable[Mapping[str, str]]) -> list[str]:
    """The taints that keep a pod off a node: NoSchedule and NoExecute ones it does not tolerate
    (PreferNoSchedule only discourages)."""
    return [
        f"{t['key']}={t.get('value', '')}:{t['effect']}"
        for t in taints
        if t["effect"] in ("NoSchedule", "NoExecute") and not tolerates(tolerations, t)
    ]


def selects(pod: Pod, labels: Mapping[str, str]) -> list[str]:
    """nodeSelector entries and required node-affinity terms a node's labels fail
    (kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/)."""
    problems = [
        f"nodeSelector {k}={v}" for k, v in (pod.get("nodeSelector") or {}).items() if labels.get(k) != v
    ]
    terms = (
        ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    if terms and not any(_term_matches(term, labels) for term in terms):
        problems.append("required node affinity")
    return problems


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for e in term.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(op, False)
        if not ok:
            return False
    return True
