"""The README's Kubernetes version table: each cloud's pinned versions against its support calendar."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from mlplat.delivery.readme_block import ReadmeBlock
from mlplat.engine import versions

START, END = "<!-- version-policy:start -->", "<!-- version-policy:end -->"
_BLOCK = ReadmeBlock(START, END)


def pinned(project_dir: Path) -> dict[str, dict[str, str]]:
    """stack -> cloud -> the Kubernetes version its stack file pins (`mlplat:versions.kubernetes`)."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        config = (YAML(typ="safe").load(path.read_text()) or {}).get("config") or {}
        kube: Mapping[str, Any] = (config.get("mlplat:versions") or {}).get("kubernetes") or {}
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        found[stack] = {cloud: str(v) for cloud, v in kube.items() if v is not None}
    return found


def render(stacks: Mapping[str, Mapping[str, str]]) -> str:
    """One row per cloud: what each stack pins, when its standard support ends, what extended support follows."""
    names = sorted(stacks)
    lines = [
        "| Cloud | "
        + " | ".join(names)
        + " | Standard support ends | Then | Calendar (read "
        + versions.read_date()
        + ") |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- | --- | --- |",
    ]
    for cloud in versions.clouds():
        calendar = versions.calendar(cloud)
        pins = [stacks[s].get(cloud, "-") for s in names]
        ends = sorted({calendar[p].standard_ends for p in pins if p in calendar})
        until = [e for p in pins if p in calendar and (e := calendar[p].extended_ends) is not None]
        then = versions.extended_name(cloud) + (f" until {min(until)}" if until else "")
        service = next(iter(calendar.values())).service if calendar else cloud
        source = next(iter(calendar.values())).source if calendar else ""
        lines.append(
            f"| {service} | "
            + " | ".join(pins)
            + f" | {', '.join(str(d) for d in ends) or 'not in the calendar'} | {then} | {source} |"
        )
    return "\n".join(lines)


def current_block(readme: str) -> str:
    return _BLOCK.current(readme)


def replace_block(readme: Path, table: str) -> bool:
    """Write `table` between the markers; True when the README changed."""
    return _BLOCK.replace(readme, table)
