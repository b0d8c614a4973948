"""The README's table of idle and peak monthly cost per stack and cloud, generated from plans."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlplat.delivery.readme_block import ReadmeBlock

START, END = "<!-- cost-table:start -->", "<!-- cost-table:end -->"
_BLOCK = ReadmeBlock(START, END)


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


def current_block(readme: str) -> str:
    return _BLOCK.current(readme)


def replace_block(readme: Path, table: str) -> bool:
    """Write `table` between the markers; True when the README changed."""
    return _BLOCK.replace(readme, table)
