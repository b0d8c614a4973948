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


def render() -> str:
    """docs/permissions.md: per cloud, each planned type and what the deployer and the previewer may do."""
    from mlplat.ops.pipeline import jobs

    out = [
        "# Permissions of the pipeline's identities",
        "",
        "Generated from `mlplat/data/permissions.yaml` by `mlplat permission-docs --write`; a test keeps it current.",
        "Each identity holds exactly what its job needs: the deployer the union of the `deploy` column (as a",
        "custom role), the previewer the union of the `read` column (metadata only), the cluster deployer what",
        "reaching its cluster takes. State access and the secrets key are granted on the state bucket or",
        "container (by object path) and the key alone; see the README's setup sections.",
        "",
        "| job | GitHub environment | identity |",
        "|---|---|---|",
    ]
    out += [f"| {j.kind} | `{j.github_environment}` | `{j.identity}` |" for j in jobs("dev", "gcp")]
    out.append("")
    out.append(
        "The same names on every cloud, with `eks`/`gke`/`aks` for the cluster deployer; `dev` stands for any environment."
    )
    for cloud in ("aws", "gcp", "azure"):
        section = table()[cloud]
        out += [
            "",
            f"## {cloud.upper() if cloud != 'azure' else 'Azure'}",
            "",
            f"Source: {section['source']}",
            "",
        ]
        out.append(f"Every deployer also: {', '.join(f'`{p}`' for p in section['common']['deploy'])}.")
        out.append(f"Every previewer also: {', '.join(f'`{p}`' for p in section['common']['read'])}.")
        out.append(f"Cluster deployer: {', '.join(f'`{p}`' for p in section['cluster-deployer'])}.")
        if cloud == "aws":
            out.append(
                "Lookups the program makes: "
                + ", ".join(
                    f"`{k.rsplit(':', 1)[1]}` ({', '.join(v) or 'no permission'})"
                    for k, v in section["invokes"].items()
                )
                + "."
            )
            out.append(
                "The deployer's changes are held to its environment by name (`mlplat-<env>-...`) or by the "
                "`environment` tag; roles only under `mlplat-<env>-*` with the boundary `mlplat-<env>-boundary` "
                "(mlplat/ops/identities.py)."
            )
        out += ["", "| resource type | deployer | previewer |", "|---|---|---|"]
        for kind, entry in sorted(section["types"].items()):
            scope = f" (on the {entry['scope']})" if entry.get("scope") else ""
            deploy = "<br>".join(f"`{p}`" for p in entry["deploy"])
            read = "<br>".join(f"`{p}`" for p in entry["read"])
            out.append(f"| `{kind}`{scope} | {deploy} | {read} |")
    return "\n".join(out) + "\n"


_READ_VERBS = ("Describe", "List", "Get", "BatchGet", "View")


def is_read(action: str) -> bool:
    """A metadata read (Service Authorization Reference access level List or Read, by its verb)."""
    return action.split(":", 1)[1].startswith(_READ_VERBS)


def aws_actions(kind: JobKind) -> list[str]:
    """What an AWS job may call, before scoping: the table's column plus every lookup the program makes."""
    section = table()["aws"]
    if kind == "cluster-deployer":
        return sorted(set(section["cluster-deployer"]))
    out = set(_job_permissions("aws", kind))
    for actions in section["invokes"].values():
        out.update(actions)
    return sorted(out)


def aws_created_by(action: str) -> bool:
    """An action that creates a tagged resource (its request carries `aws:RequestTag/environment`)."""
    return any(action in e.get("create", ()) for e in entries("aws").values())
