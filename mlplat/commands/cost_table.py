"""`mlplat cost-table [--write]`: idle and peak monthly cost of every stack, and the Kubernetes version
table, as the README shows them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import Progress, app, err, fail, find_project_dir


@app.command("cost-table")
def cost_table(
    write: Annotated[bool, typer.Option("--write", help="Update the table in README.md")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Plan every stack offline (without policies) and print the cost table and the version table."""
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery import version_policy
    from mlplat.delivery.cost_table import render, replace_block
    from mlplat.engine.plan import plan_stack
    from mlplat.engine.stackfile import load_stack_config

    stacks = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml")
    )
    reports: dict[str, dict[str, Any]] = {}
    for stack in stacks:
        try:
            config = load_stack_config(project_dir, stack)
            settings = load_settings(stack, config.config, config.secret_keys)
        except SettingsError as error:
            fail(str(error))
        with Progress(f"Planning {stack}..."):
            reports[stack] = plan_stack(project_dir, config, settings, run_policies=False)
    table = render(reports)
    versions_table = version_policy.render(version_policy.pinned(project_dir))
    sys.stdout.write(table + "\n\n" + versions_table + "\n")
    if write:
        readme = project_dir / "README.md"
        changed = replace_block(readme, table)
        changed = version_policy.replace_block(readme, versions_table) or changed
        err.print("README.md updated" if changed else "README.md already current")
