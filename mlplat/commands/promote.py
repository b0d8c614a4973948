"""`mlplat promote SRC DST [--write]`: move pinned versions from one stack to the next, if DST still passes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from infra.settings import SettingsError, load_settings
from mlplat.app import EXIT_FAILED, Progress, app, err, fail, find_project_dir


@app.command()
def promote(
    source: Annotated[str, typer.Argument(help="Stack to promote from, e.g. dev")],
    target: Annotated[str, typer.Argument(help="Stack to promote to, e.g. prod")],
    write: Annotated[
        bool, typer.Option("--write", help="Write the target stack file (default: show only)")
    ] = False,
    from_ref: Annotated[
        str | None,
        typer.Option(
            "--from-ref",
            help="Git ref whose SRC stack file is promoted (default: the deployed/SRC tag when it exists)",
        ),
    ] = None,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Project directory (default: search upwards)")
    ] = None,
) -> None:
    """Copy what SRC runs (its promotable settings, mlplat:versions, at its deployed/SRC commit) into DST,
    plan DST offline, write only with --write."""
    project_dir = find_project_dir((cwd or Path.cwd()).resolve())
    from mlplat.delivery.promote import PromotionError, deployed_source, prepare
    from mlplat.engine.stackfile import parse_stack_config

    try:
        deployed = deployed_source(project_dir, source, from_ref)
        promotion = prepare(project_dir, source, target, deployed[1] if deployed else None)
        config = parse_stack_config(promotion.new_text, target, promotion.path)
        settings = load_settings(target, config.config, config.secret_keys)
    except (PromotionError, SettingsError) as error:
        fail(str(error))
    if deployed is None:
        err.print(f"no deployed/{source} tag: promoting the working tree's Pulumi.{source}.yaml")
    else:
        err.print(f"promoting Pulumi.{source}.yaml as {source} runs it ({deployed[0]})")
    if not promotion.changed:
        err.print(f"{promotion.path.name} already has {source}'s promotable settings; nothing to do.")
        return

    from mlplat.engine.plan import plan_stack

    with Progress(f"Planning {target} with {source}'s versions..."):
        report = plan_stack(project_dir, config, settings)
    mandatory = [v for v in report["policy"]["violations"] if v["level"] == "mandatory"]
    sys.stdout.write(promotion.unified_diff())
    if mandatory:
        for v in mandatory:
            err.print(f"  {v['policy']} on {v['urn'].rsplit('::', 1)[-1]}: {v['message']}", highlight=False)
        fail(
            f"refusing to promote {source} to {target}: the {target} plan has {len(mandatory)} mandatory "
            "policy violation(s)",
            EXIT_FAILED,
        )
    if write:
        promotion.path.write_text(promotion.new_text)
        err.print(f"wrote {promotion.path.name} ({', '.join(promotion.keys)} from {source})")
    else:
        err.print(
            f"{target} passes its policies with {source}'s {', '.join(promotion.keys)}; run with --write to apply."
        )
