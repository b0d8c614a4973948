"""Platform tags, applied to every resource, shaped once for each cloud's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping

REQUIRED_TAG_KEYS = ("environment", "owner", "cost-center", "managed-by", "stack")


def platform_tags(
    *, environment: str, owner: str, cost_center: str, stack: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The tag set every resource carries; `extra` may add keys but never replace the required ones."""
    tags = dict(extra or {})
    tags.update(
        {
            "environment": environment,
            "owner": owner,
            "cost-center": cost_center,
            "managed-by": "pulumi",
            "stack": stack,
        }
    )
    return tags


_GCP_LABEL_INVALID = re.compile(r"[^a-z0-9_-]")


def gcp_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """GCP labels: lowercase letters, digits, '_' and '-', at most 63 characters, keys start with a letter."""
    labels: dict[str, str] = {}
    for key, value in tags.items():
        k = _GCP_LABEL_INVALID.sub("_", key.lower())[:63]
        if not k or not k[0].isalpha():
            k = f"k{k}"[:63]
        labels[k] = _GCP_LABEL_INVALID.sub("_", value.lower())[:63]
    return labels


_K8S_LABEL_INVALID = re.compile(r"[^A-Za-z0-9._-]")


def _kubernetes_label_part(text: str) -> str:
    """At most 63 of [A-Za-z0-9._-], starting and ending alphanumeric (label names and values)."""
    return _K8S_LABEL_INVALID.sub("-", text)[:63].strip("-._")


def kubernetes_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as Kubernetes labels under `mlplat.io/`; names and values cleaned the same way, empty names dropped."""
    labels: dict[str, str] = {}
    for key, value in tags.items():
        name = _kubernetes_label_part(key)
        if name:
            labels[f"mlplat.io/{name}"] = _kubernetes_label_part(value)
    return labels
