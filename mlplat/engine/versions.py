"""The clouds' Kubernetes version calendars (mlplat/data/kubernetes_versions.yaml), as the program reads them.

The estimator prices extended support from it, the README's version policy is generated from it,
and the tests check every stack's pinned versions against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML

CALENDAR = Path(__file__).parent.parent / "data" / "kubernetes_versions.yaml"
Status = Literal["standard", "ending", "extended", "unknown"]


@dataclass(frozen=True)
class Support:
    cloud: str
    service: str
    version: str
    standard_ends: dt.date
    extended_ends: dt.date | None
    source: str
    read: str


@cache
def _data() -> dict[str, Any]:
    return YAML(typ="safe").load(CALENDAR.read_text())


def warn_days() -> int:
    return int(_data()["warnDays"])


def read_date() -> str:
    return str(_data()["read"])


def calendar(cloud: str) -> dict[str, Support]:
    entry = _data().get(cloud) or {}
    return {
        str(version): Support(
            cloud,
            str(entry["service"]),
            str(version),
            dates["standardEnds"],
            dates.get("extendedEnds"),
            str(entry["source"]),
            read_date(),
        )
        for version, dates in (entry.get("versions") or {}).items()
    }


def clouds() -> list[str]:
    return [c for c in ("aws", "gcp", "azure") if c in _data()]


def extended_name(cloud: str) -> str:
    return str(_data()[cloud]["extended"])


def minor(version: object) -> str | None:
    """ "1.35", "1.35.2" and "1.35.3-gke.100" are all minor version "1.35"."""
    if not isinstance(version, str):
        return None
    parts = version.lstrip("v").split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    digits = "".join(ch for ch in parts[1].split("-")[0] if ch.isdigit())
    return f"{parts[0]}.{digits}" if digits else None


def status(cloud: str, version: object, today: dt.date) -> tuple[Status, Support | None]:
    """Where `version` stands on `today`: in standard support, leaving it soon, past it, or not listed."""
    support = calendar(cloud).get(minor(version) or "")
    if support is None:
        return "unknown", None
    if support.standard_ends <= today:
        return "extended", support
    if (support.standard_ends - today).days <= warn_days():
        return "ending", support
    return "standard", support
