"""`mlplat constraint-docs [--write]`: the constraints reference, generated from the constraints layer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlplat.app import app, err, find_project_dir


@app.command("constraint-docs")
def constraint_docs(
    write: Annotated[bool, typer.Option("--write", help="Write docs/constraints.md")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Print (or write) docs/constraints.md: every constraint rule per resource type, with its source."""
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery.constraint_docs import render

    text = render()
    if write:
        target = project_dir / "docs" / "constraints.md"
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
        err.print(f"wrote {target.relative_to(project_dir)}")
    else:
        sys.stdout.write(text)
