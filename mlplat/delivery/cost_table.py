"""The README's table of idle and peak monthly cost per stack and cloud, generated from plans."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

START, END = "<!-- cost-table:start -->", "<!-- cost-table:end -->"


def render(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown table: one row per stack and cloud, then the stack total."""
    lines = ["| Stack | Cloud | Idle / month | Peak / month |", "| --- | --- | ---: | ---: |"]
    for stack, report in sorted(reports.items()):
        cost = report["cost"]
        for cloud, c in sorted(cost["byCloud"].items()):
            lines.append(f"| {stack} | {cloud} | ${c['idleMonthly']:,.2f} | ${c['peakMonthly']:,.2f} |")
        lines.append(
            f"| **{stack}** | **all** | **${cost['idleMonthly']:,.2f}** | **${cost['peakMonthly']:,.2f}** |"
        )
    return "\n".join(lines)


_BLOCK = re.compile(f"{re.escape(START)}\n(.*?){re.escape(END)}", re.DOTALL)


def current_block(readme: str) -> str:
    match = _BLOCK.search(readme)
    if match is None:
        raise ValueError(f"README has no {START} ... {END} block")
    return match.group(1).rstrip("\n")


def replace_block(readme: Path, table: str) -> bool:
    """Write `table` between the markers; True when the README changed."""
    text = readme.read_text()
    if current_block(text) == table:
        return False
    readme.write_text(_BLOCK.sub(lambda _m: f"{START}\n{table}\n{END}", text, count=1))
    return True
