"""The permission tables (mlplat/data/permissions.yaml): what each job may do, per planned resource type."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from mlplat.ops.pipeline import JobKind

# Registered in every subscription (Azure docs, "Resource providers for Azure services": registered by default).
_ALWAYS_REGISTERED = {"Microsoft.Resources", "Microsoft.Authorization"}


@cache
def table() -> dict[str, Any]:
    text = resources.files("mlplat").joinpath("data/permissions.yaml").read_text()
    return YAML(typ="safe").load(text)


def entries(cloud: str) -> dict[str, dict[str, Any]]:
    return table()[cloud]["types"]


def _job_permissions(cloud: str, kind: JobKind, *, billing: bool = False) -> list[str]:
    section = table()[cloud]
    if kind == "cluster-deployer":
        return sorted(set(section["cluster-deployer"]))
    which = "read" if kind == "previewer" else "deploy"
    out = set(section["common"][which])
    for entry in section["types"].values():
        if bool(entry.get("scope")) == billing:
            out.update(entry[which])
    return sorted(out)


def gcp_permissions(kind: JobKind) -> list[str]:
    """A project custom role's permissions (billing-account ones are granted on the billing account)."""
    return _job_permissions("gcp", kind)


def gcp_apis() -> list[str]:
    return sorted({e["api"] for e in entries("gcp").values()})


def azure_actions(kind: JobKind) -> list[str]:
    return _job_permissions("azure", kind)


def azure_namespaces() -> list[str]:
    """Resource providers the deployer's actions touch: each must be registered in the subscription."""
    namespaces = {a.split("/", 1)[0] for e in entries("azure").values() for a in e["deploy"]}
    return sorted(namespaces - _ALWAYS_REGISTERED)
