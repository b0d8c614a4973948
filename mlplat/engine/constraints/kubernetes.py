"""What the Kubernetes API server refuses: object names, namespaces, labels, Helm release names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlplat.engine.constraints.common import PlanView, Res, Rule, known

_LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABELS_DOC = "Kubernetes docs, Labels and Selectors: syntax and character set"
_NAMES_DOC = "Kubernetes docs, Object Names and IDs (RFC 1123 label / DNS subdomain names)"

OBJECTS = (
    "kubernetes:core/v1:LimitRange",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ResourceQuota",
    "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue",
    "kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue",
    "kubernetes:kueue.x-k8s.io/v1beta1:ResourceFlavor",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:storage.k8s.io/v1:StorageClass",
)


def label_problems(labels: dict[str, Any]) -> Iterator[str]:
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and (len(prefix) > 253 or not _SUBDOMAIN.fullmatch(prefix))) or not (
            len(name) <= 63 and _LABEL_NAME.fullmatch(name)
        ):
            yield f"label key {key!r} is not a valid (prefix/)name"
        if known(value) and not (
            value == "" or (len(str(value)) <= 63 and _LABEL_NAME.fullmatch(str(value)))
        ):
            yield f"label {key!r}: value {value!r} is not valid"


def _names(res: Res, plan: PlanView) -> Iterator[str]:
    name = res.value("metadata", "name")
    namespace = res.value("metadata", "namespace")
    # Namespaces are RFC 1123 labels; the other kinds here are DNS subdomains.
    if known(name):
        if res.type == "kubernetes:core/v1:Namespace":
            if not (len(name) <= 63 and _LABEL.fullmatch(name)):
                yield f"namespace name {name!r} is not an RFC 1123 label (63 lowercase alphanumerics and '-')"
        elif not (len(name) <= 253 and _SUBDOMAIN.fullmatch(name)):
            yield f"metadata.name {name!r} is not a DNS subdomain name"
    if known(namespace) and not (len(namespace) <= 63 and _LABEL.fullmatch(namespace)):
        yield f"metadata.namespace {namespace!r} is not an RFC 1123 label"


def _labels(res: Res, plan: PlanView) -> Iterator[str]:
    yield from label_problems(res.value("metadata", "labels") or {})


def _release_name(res: Res, plan: PlanView) -> Iterator[str]:
    name = res.value("name")
    namespace = res.value("namespace")
    if known(name) and not (len(name) <= 53 and _LABEL.fullmatch(name)):
        yield f"release name {name!r}: Helm takes at most 53 lowercase alphanumerics and '-'"
    if known(namespace) and not (len(namespace) <= 63 and _LABEL.fullmatch(namespace)):
        yield f"namespace {namespace!r} is not an RFC 1123 label"


RULES: tuple[Rule, ...] = (
    Rule(
        "kubernetes-object-names",
        OBJECTS,
        "names that are not RFC 1123 labels (namespaces) or DNS subdomains (other kinds)",
        _NAMES_DOC,
        _names,
    ),
    Rule("kubernetes-labels", OBJECTS, "invalid label keys or values", _LABELS_DOC, _labels),
    Rule(
        "helm-release-name",
        ("kubernetes:helm.sh/v3:Release",),
        "a release name over 53 characters or not an RFC 1123 label",
        "Helm docs, helm install: release names are at most 53 characters (DNS-1123)",
        _release_name,
    ),
)

UNCONSTRAINED: dict[str, str] = {
    "pulumi:providers:kubernetes": "a provider: the kubeconfig is checked by the cluster, not an API call",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": (
        "schema-checked by the real API server in `make e2e` (tests/e2e: every planned object is applied)"
    ),
}
