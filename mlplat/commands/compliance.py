"""`mlplat compliance STACK`: the offline plan measured against the published benchmarks;
`mlplat compliance-docs [--write]`: docs/compliance.md, every control with prod's verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, EXIT_OK, Progress, app, err, fail, find_project_dir

_CWD = typer.Option("--cwd", help="Project directory (default: search upwards)")


def planned(project_dir: Path, stack: str) -> dict[str, Any]:
    """The `mlplat plan STACK --json` report, with the policy pack; a bad stack ends the command (exit 2)."""
    from mlplat.engine.stackfile import load_stack_config

    try:
        config = load_stack_config(project_dir, stack)
        settings = load_settings(stack, config.config, config.secret_keys)
    except SettingsError as error:
        fail(str(error))

    from pulumi import RunError

    from mlplat.engine.mocks import DuplicateUrnError
    from mlplat.engine.plan import plan_stack

    try:
        with Progress(f"Planning {stack} offline..."):
            return plan_stack(project_dir, config, settings)
    except DuplicateUrnError as error:
        fail(f"{config.path.name}: {error}")
    except RunError as error:
        fail(str(error))


@app.command()
def compliance(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.<stack>.yaml")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable report")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a pull-request comment summary")
    ] = False,
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Per benchmark, the controls STACK's plan covers, passes, fails, and those not applicable or left open."""
    if as_json and markdown:
        fail("choose one of --json and --markdown")
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    report = planned(project_dir, stack)
    from mlplat.delivery.compliance import failed_mandatory, measure, render_markdown, render_text, to_json

    verdicts = measure(report)
    if as_json:
        sys.stdout.write(json.dumps(to_json(stack, verdicts), indent=2) + "\n")
    else:
        sys.stdout.write((render_markdown if markdown else render_text)(stack, verdicts) + "\n")
    raise typer.Exit(EXIT_FAILED if failed_mandatory(verdicts) else EXIT_OK)


@app.command("compliance-docs")
def compliance_docs(
    write: Annotated[bool, typer.Option("--write", help="Write docs/compliance.md")] = False,
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Print (or write) docs/compliance.md: every benchmark's controls, their rules or reasons, prod's verdict."""
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery.compliance import DOCS_STACK, render_docs

    text = render_docs(planned(project_dir, DOCS_STACK))
    if write:
        target = project_dir / "docs" / "compliance.md"
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
        err.print(f"wrote {target.relative_to(project_dir)}")
    else:
        sys.stdout.write(text)
