"""The reviewed plan inventory: every change to what dev or prod creates shows up in review.

Recorded from a preview (`mlplat plan STACK --json --preview`), as `pulumi preview` of a new stack
shows it: what the program sets, with ids, ARNs and endpoints unknown rather than made up by the fakes.
Re-record deliberately with `make inventory`, then read the diff of tests/inventory/*.yaml.
"""

from __future__ import annotations

import difflib
import io
import json
import os
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT, mlplat

INVENTORY = ROOT / "tests" / "inventory"
RECORD = os.environ.get("MLPLAT_RECORD_INVENTORY") == "1"
# Identical on every resource and asserted by the tag tests and the required-tags policy.
OMITTED_INPUTS = frozenset({"tags", "labels"})


def readable(value: Any) -> Any:
    """Policy documents are JSON text on the wire; show them as structure so diffs are line by line."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def inventory(report: dict[str, Any]) -> list[dict[str, Any]]:
    names = {r["urn"]: r["name"] for r in report["resources"]}
    rows: list[dict[str, Any]] = []
    for r in report["resources"]:
        row: dict[str, Any] = {"type": r["type"], "name": r["name"]}
        if r["parent"]:
            row["parent"] = names.get(r["parent"], r["parent"])
        if r["protect"]:
            row["protect"] = True
        provider = (r.get("provider") or "").rpartition("::")[0]
        # An explicit provider shows which cluster a Kubernetes object reaches.
        if provider and not provider.rpartition("::")[2].startswith("default"):
            row["provider"] = names[provider]
        inputs = {k: readable(v) for k, v in sorted(r["inputs"].items()) if k not in OMITTED_INPUTS}
        if r["type"] == "azure-native:consumption:Budget":
            inputs.pop("timePeriod", None)  # the month of the first deploy: it moves with the calendar
        if r["custom"] and inputs:
            row["inputs"] = inputs
        rows.append(row)
    return rows


def dump(rows: list[dict[str, Any]]) -> str:
    yaml = YAML()
    yaml.width = 4096
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(rows, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_matches_the_reviewed_inventory(stack: str) -> None:
    proc = mlplat("plan", stack, "--json", "--preview")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    current = dump(inventory(report))
    path = INVENTORY / f"{stack}.yaml"
    if RECORD:
        path.write_text(current)
        return
    assert path.is_file(), f"no inventory for {stack}: run `make inventory` and review {path}"
    recorded = path.read_text()
    if current != recorded:
        diff = "".join(
            difflib.unified_diff(
                recorded.splitlines(True), current.splitlines(True), str(path), "current plan", n=2
            )
        )
        pytest.fail(f"the {stack} plan changed; review and re-record with `make inventory`:\n{diff}")
