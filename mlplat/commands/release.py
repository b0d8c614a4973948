"""`mlplat release check|pick|stacks|check-settings`: the deploy workflow's decisions, in code tests hold to account."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, app, err, fail, find_project_dir

release = typer.Typer(
    help="What the deploy workflow may deploy, and where each stack runs.", no_args_is_help=True
)
app.add_typer(release, name="release")

_CWD = typer.Option("--cwd", help="Project directory (default: search upwards)")
_MAIN = typer.Option("--main", help="The ref whose history markers and commits must be on")


def _project(cwd: Path | None) -> Path:
    return find_project_dir((cwd or Path.cwd()).resolve())


@release.command("check")
def check_command(
    environment: Annotated[str, typer.Argument(help="Environment to deploy (dev, prod)")],
    commit: Annotated[str, typer.Option("--commit", help="Full commit id to deploy")],
    main: Annotated[str, _MAIN] = "origin/main",
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Exit 0 when COMMIT may deploy to ENVIRONMENT now: on main; after the first environment, in the
    history of what the previous one runs; never older than what ENVIRONMENT runs."""
    from mlplat.delivery.release import ReleaseRefused, check, environments, git_repo

    repo = _project(cwd)
    try:
        err.print(check(environment, commit, environments(repo), git_repo(repo, main)), highlight=False)
    except ReleaseRefused as refused:
        fail(str(refused), EXIT_FAILED)


@release.command("pick")
def pick_command(
    environment: Annotated[str, typer.Argument(help="Environment to deploy (dev, prod)")],
    head: Annotated[str, typer.Option("--head", help="The commit the first environment deploys")],
    main: Annotated[str, _MAIN] = "origin/main",
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Print the commit ENVIRONMENT deploys now: HEAD for the first environment, else what the previous runs."""
    from mlplat.delivery.release import ReleaseRefused, environments, git_repo, pick

    repo = _project(cwd)
    try:
        typer.echo(pick(environment, environments(repo), git_repo(repo, main), head))
    except ReleaseRefused as refused:
        fail(str(refused), EXIT_FAILED)


@release.command("stacks")
def stacks_command(
    environment: Annotated[str, typer.Argument(help="Environment (dev, prod)")],
    github_output: Annotated[
        bool,
        typer.Option(
            "--github-output", help="`<kind>=true|false` and `stacks=<json>` lines for $GITHUB_OUTPUT"
        ),
    ] = False,
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """The environment's stacks in deploy order, each with its directory, runner and GitHub environment."""
    from mlplat.delivery.release import CLUSTER_KIND, ReleaseRefused, stacks
    from mlplat.engine.stackfile import load_stack_config

    project_dir = _project(cwd)
    try:
        config = load_stack_config(project_dir, environment)
        found = stacks(load_settings(environment, config.config, config.secret_keys))
    except (SettingsError, ReleaseRefused) as error:
        fail(str(error))
    if github_output:
        kinds = {s.kind for s in found}
        for kind in ("platform", *CLUSTER_KIND.values()):
            typer.echo(f"{kind}={'true' if kind in kinds else 'false'}")
        typer.echo(f"stacks={json.dumps([s.name for s in found])}")
        return
    for s in found:
        typer.echo(
            f"{s.name:<10} cwd {s.cwd:<9} runs on {s.runner}  environment {s.deploy_environment} "
            f"({s.deployer}; previews: {s.preview_environment}, {s.previewer})"
        )


@release.command("check-settings")
def check_settings_command(
    environment: Annotated[str, typer.Argument(help="Environment whose stack file a pull request edits")],
    base: Annotated[str, typer.Option("--base", help="The pull request's base commit")],
    cwd: Annotated[Path | None, _CWD] = None,
) -> None:
    """Exit 0 unless the working tree moves a promotable setting of ENVIRONMENT to a value the previous
    environment does not run (its stack file at `deployed/<previous>`)."""
    from mlplat.delivery.release import ReleaseRefused, check_settings_change, environments, marker, source_of

    repo = _project(cwd)
    source = source_of(environment, environments(repo))
    if source is None:
        err.print(f"{environment} is the first environment: its changes run there first", highlight=False)
        return

    def show(ref: str, name: str) -> str:
        proc = subprocess.run(["git", "show", f"{ref}:./{name}"], cwd=repo, capture_output=True, text=True)
        return proc.stdout if proc.returncode == 0 else ""

    name = f"Pulumi.{environment}.yaml"
    try:
        message = check_settings_change(
            environment,
            source,
            show(base, name),
            (repo / name).read_text(),
            show(f"refs/tags/{marker(source)}", f"Pulumi.{source}.yaml"),
        )
    except ReleaseRefused as refused:
        fail(str(refused), EXIT_FAILED)
    err.print(message, highlight=False)
