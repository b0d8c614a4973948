"""`mlplat diff --base REV STACK`: what a change does to a stack, planned offline at both revisions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from mlplat.app import Progress, app, fail, find_project_dir


@app.command()
def diff(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.<stack>.yaml at both revisions")],
    base: Annotated[
        str, typer.Option("--base", help="Revision to compare with, e.g. origin/main")
    ] = "origin/main",
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable diff")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a pull-request comment body")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Report resources added, removed and changed (with the input keys that changed) between BASE and now."""
    if as_json and markdown:
        fail("choose one of --json and --markdown")
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery.diff import DiffError, diff_against, render_markdown, render_text

    try:
        with Progress(f"Planning {stack} at {base} and in the working tree..."):
            result = diff_against(project_dir, stack, base)
    except DiffError as error:
        fail(str(error))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write((render_markdown(result) if markdown else render_text(result)) + "\n")
