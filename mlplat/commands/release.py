"""`mlplat release check|parts`: the deploy workflow's decisions, in code that tests can hold to account."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, app, err, fail, find_project_dir

release = typer.Typer(help="What the deploy workflow may deploy, and from where.", no_args_is_help=True)
app.add_typer(release, name="release")

_CWD = typer.Option("--cwd", help="Project directory (default: search upwards)")


@release.command("check")
def check_command(
    stack: Annotated[str, typer.Argument(help="Stack to deploy")],
    commit: Annotated[str, typer.Option("--commit", help="Full commit id to deploy")],
    event: Annotated[
        str, typer.Option("--event", help="The GitHub event (push, workflow_dispatch)")
    ] = "push",
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Exit 0 when COMMIT may deploy to STACK (prod: only what dev runs; never backwards automatically)."""
    from mlplat.delivery.release import ReleaseRefused, check, git_is_ancestor, git_markers

    repo = find_project_dir((cwd or Path.cwd()).resolve())
    try:
        err.print(check(stack, commit, event, git_markers(repo), git_is_ancestor(repo)), highlight=False)
    except ReleaseRefused as refused:
        fail(str(refused), EXIT_FAILED)


@release.command("parts")
def parts_command(
    stack: Annotated[str, typer.Argument(help="Stack to deploy")],
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Print `<part>=true|false` and `<part>-flags=...` lines for $GITHUB_OUTPUT."""
    from mlplat.delivery.release import RUNNER_CLOUDS, ReleaseRefused, parts
    from mlplat.engine.stackfile import load_stack_config

    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    try:
        config = load_stack_config(project_dir, stack)
        settings = load_settings(stack, config.config, config.secret_keys)
        project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
        found = {p.name: p for p in parts(project, settings)}
    except (SettingsError, ReleaseRefused) as error:
        fail(str(error))
    for name in ("platform", *(f"{c}-cluster" for c in RUNNER_CLOUDS)):
        part = found.get(name)
        typer.echo(f"{name}={'true' if part else 'false'}")
        typer.echo(f"{name}-flags={' '.join(part.flags) if part else ''}")
