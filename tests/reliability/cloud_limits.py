"""What the clouds refuse at `pulumi up` but mocks accept: name, tag and label limits, checked over a plan.

Each check returns problems as "<resource name>: <what>", so a failing property names the resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from components.common.naming import validate_physical_name

_K8S_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_K8S_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_K8S_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_GCP_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_GCP_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_AWS_TAG = re.compile(r"^[\w .:/=+@-]*$")
_AZURE_TAG_FORBIDDEN = re.compile(r"[<>%&\\?/]")


def kubernetes_label_problems(labels: dict[str, Any]) -> Iterator[str]:
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and not _K8S_PREFIX.match(prefix)) or not _K8S_NAME.match(name):
            yield f"Kubernetes label key {key!r} is invalid"
        if not isinstance(value, str) or not _K8S_VALUE.match(value):
            yield f"Kubernetes label value {value!r} (key {key!r}) is invalid"


def _aws_tags(tags: dict[str, Any]) -> Iterator[str]:
    for key, value in tags.items():
        if key.lower().startswith("aws:") or not 1 <= len(key) <= 128 or not _AWS_TAG.match(key):
            yield f"AWS tag key {key!r} is invalid"
        if not isinstance(value, str) or len(value) > 256 or not _AWS_TAG.match(value):
            yield f"AWS tag value {value!r} (key {key!r}) is invalid"


def _azure_tags(tags: dict[str, Any]) -> Iterator[str]:
    for key, value in tags.items():
        if not 1 <= len(key) <= 512 or _AZURE_TAG_FORBIDDEN.search(key):
            yield f"Azure tag name {key!r} is invalid"
        if not isinstance(value, str) or len(value) > 256:
            yield f"Azure tag value {value!r} (name {key!r}) is invalid"


def _gcp_labels(labels: dict[str, Any]) -> Iterator[str]:
    for key, value in labels.items():
        if not _GCP_KEY.match(key) or not isinstance(value, str) or not _GCP_VALUE.match(value):
            yield f"GCP label {key!r}: {value!r} is invalid"


def _dicts(inputs: dict[str, Any], *path: str) -> dict[str, Any]:
    node: Any = inputs
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _resource_problems(resource: dict[str, Any]) -> Iterator[str]:
    typ, inputs = resource["type"], resource["inputs"]
    package = typ.split(":")[0]
    if package == "aws":
        yield from _aws_tags(_dicts(inputs, "tags"))
        if typ == "aws:eks/nodeGroup:NodeGroup":
            yield from kubernetes_label_problems(_dicts(inputs, "labels"))
    elif package == "azure-native":
        yield from _azure_tags(_dicts(inputs, "tags"))
        if typ == "azure-native:containerservice:AgentPool":
            yield from kubernetes_label_problems(_dicts(inputs, "nodeLabels"))
            if not validate_physical_name("azure-agent-pool", str(inputs.get("agentPoolName"))):
                yield f"AKS agent pool name {inputs.get('agentPoolName')!r} is invalid"
    elif package == "gcp":
        # A notification channel's `labels` are its settings (an email address), not resource labels.
        if typ not in (
            "gcp:container/nodePool:NodePool",
            "gcp:monitoring/notificationChannel:NotificationChannel",
        ):
            for key in ("labels", "userLabels"):
                yield from _gcp_labels(_dicts(inputs, key))
        if typ == "gcp:container/nodePool:NodePool":
            yield from kubernetes_label_problems(_dicts(inputs, "nodeConfig", "labels"))
            yield from _gcp_labels(_dicts(inputs, "nodeConfig", "resourceLabels"))
            if not validate_physical_name("gke-node-pool", str(inputs.get("name"))):
                yield f"GKE node pool name {inputs.get('name')!r} is invalid"
        if typ == "gcp:container/cluster:Cluster":
            yield from _gcp_labels(_dicts(inputs, "resourceLabels"))
    elif package == "kubernetes":
        metadata = _dicts(inputs, "metadata")
        yield from kubernetes_label_problems(_dicts(metadata, "labels"))
        if typ == "kubernetes:core/v1:Namespace" and not _DNS_LABEL.match(str(metadata.get("name"))):
            yield f"namespace name {metadata.get('name')!r} is invalid"


def cloud_limit_problems(report: dict[str, Any]) -> list[str]:
    """Everything in a plan report that a cloud or the Kubernetes API would refuse on `pulumi up`."""
    return [f"{r['name']}: {p}" for r in report["resources"] for p in _resource_problems(r)]
