"""`mlplat policy-docs [--write]`: the guardrails reference, generated from the pack."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlplat.app import app, err, find_project_dir


@app.command("policy-docs")
def policy_docs(
    write: Annotated[bool, typer.Option("--write", help="Write docs/policies.md")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Print (or write) docs/policies.md: every rule, its kind and its dev/prod level."""
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery.policy_docs import render

    text = render(project_dir / "policies")
    if write:
        target = project_dir / "docs" / "policies.md"
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
        err.print(f"wrote {target.relative_to(project_dir)}")
    else:
        sys.stdout.write(text)
