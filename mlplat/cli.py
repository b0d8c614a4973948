"""The operator's command line: `mlplat plan STACK` (and, as the platform grows, diff/promote/...)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from infra.settings import SettingsError, load_settings

app = typer.Typer(
    help="mlplat: plan, check and cost the ML platform offline; promote between environments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

EXIT_OK, EXIT_MANDATORY, EXIT_USAGE = 0, 1, 2


def find_project_dir(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    fail(f"no Pulumi.yaml in {start} or any parent directory")


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


@app.callback()
def _root() -> None:
    """Keep subcommands explicit (`mlplat plan dev`), even while plan is the only one."""


@app.command()
def plan(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.<stack>.yaml")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable report")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a pull-request comment body")] = False,
    no_policy: Annotated[bool, typer.Option("--no-policy", help="Skip the policy pack")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Show what `pulumi preview` would create for STACK, with policy verdicts and cost, offline."""
    if as_json and markdown:
        fail("choose one of --json and --markdown")
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.engine.stackfile import load_stack_config

    try:
        config = load_stack_config(project_dir, stack)
        settings = load_settings(stack, config.config, config.secret_keys)
    except SettingsError as error:
        fail(str(error))

    from mlplat.engine.plan import plan_stack

    with err.status(f"Planning {stack} offline...", spinner="dots") if err.is_terminal else _nothing():
        report = plan_stack(project_dir, config, settings, run_policies=not no_policy)

    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=False) + "\n")
    elif markdown:
        from mlplat.engine.report import render_markdown

        sys.stdout.write(render_markdown(report) + "\n")
    else:
        from mlplat.engine.report import render_tree

        sys.stdout.write(render_tree(report) + "\n")
    raise typer.Exit(EXIT_MANDATORY if report["summary"]["mandatoryViolations"] else EXIT_OK)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def main() -> None:
    app()
