"""`mlplat permission-docs [--write]`: the pipeline identities' permissions, generated from the table."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlplat.app import app, err, find_project_dir


@app.command("permission-docs")
def permission_docs(
    write: Annotated[bool, typer.Option("--write", help="Write docs/permissions.md")] = False,
) -> None:
    """Print (or write) docs/permissions.md from mlplat/data/permissions.yaml."""
    from mlplat.ops.permissions import render

    text = render()
    if write:
        target = find_project_dir(Path.cwd().resolve()) / "docs" / "permissions.md"
        target.write_text(text)
        err.print(f"wrote {target}")
    else:
        sys.stdout.write(text)
