"""Plan a stack file before and after a day-two change and compare what the engine would do."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.settings import load_settings
from mlplat.engine.plan import plan_stack
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT, set_path, stack_document, write_stack


@dataclass(frozen=True)
class Change:
    """Resources by URN: created, deleted, and kept with other inputs (the engine's updates or replaces)."""

    created: set[str]
    deleted: set[str]
    changed: set[str]

    def names(self, urns: set[str]) -> set[str]:
        return {urn.rsplit("::", 1)[-1] for urn in urns}


def plan_document(directory: Path, stack: str, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource of the environment's stacks (platform and clusters) by URN, as `mlplat plan` sees it."""
    write_stack(directory, stack, document)
    config = load_stack_config(directory, stack)
    settings = load_settings(stack, config.config, config.secret_keys)
    report = plan_stack(ROOT, config, settings, run_policies=False)
    return {r["urn"]: r for r in report["resources"]}


def changed(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> Change:
    kept = before.keys() & after.keys()
    return Change(
        created=set(after) - set(before),
        deleted=set(before) - set(after),
        changed={u for u in kept if before[u]["inputs"] != after[u]["inputs"]},
    )


def document(stack: str, changes: dict[str, Any]) -> dict[str, Any]:
    doc = stack_document(stack)
    for path, value in changes.items():
        doc = set_path(doc, path, value)
    return doc
