"""`mlplat plan STACK`: what `pulumi preview` would create, with policy verdicts and cost, offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, EXIT_OK, Progress, app, fail, find_project_dir


@app.command()
def plan(
    stack: Annotated[str, typer.Argument(help="Stack name: reads Pulumi.<stack>.yaml")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the machine-readable report")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a pull-request comment body")] = False,
    no_policy: Annotated[bool, typer.Option("--no-policy", help="Skip the policy pack")] = False,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="Leave computed outputs (ids, ARNs, endpoints) unknown, as `pulumi preview` of a new stack does",
        ),
    ] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
    policy_config_out: Annotated[
        Path | None,
        typer.Option(
            "--policy-config-out",
            help="Write the policy config this plan used (with the cost estimate) for `pulumi preview --policy-pack-config`",
        ),
    ] = None,
) -> None:
    """Show what `pulumi preview` would create for STACK, with policy verdicts and cost, offline."""
    if as_json and markdown:
        fail("choose one of --json and --markdown")
    if no_policy and policy_config_out is not None:
        fail("--policy-config-out needs the policy pack; drop --no-policy")
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    # Settings are checked before the SDKs load: a mistake costs a fraction of a second.
    from mlplat.engine.stackfile import load_stack_config

    try:
        config = load_stack_config(project_dir, stack)
        settings = load_settings(stack, config.config, config.secret_keys)
    except SettingsError as error:
        fail(str(error))

    from pulumi import RunError

    from mlplat.engine.mocks import DuplicateUrnError
    from mlplat.engine.plan import plan_stack
    from mlplat.engine.report import render_markdown, render_tree

    try:
        with Progress(f"Planning {stack} offline..."):
            report = plan_stack(
                project_dir,
                config,
                settings,
                run_policies=not no_policy,
                preview=preview,
                policy_config_out=policy_config_out.resolve() if policy_config_out else None,
            )
    except DuplicateUrnError as error:  # the engine would refuse the preview the same way
        fail(f"{config.path.name}: {error}")
    except RunError as error:  # a settings mistake the cloud's answers reveal (zones, offerings)
        fail(str(error))

    if as_json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write((render_markdown(report) if markdown else render_tree(report)) + "\n")
    summary = report["summary"]
    failed = summary["mandatoryViolations"] or summary["constraintViolations"]
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)
