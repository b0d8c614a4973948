"""One offline plan: program under mocks -> policy pack over the analyzer protocol -> cost -> report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import StackSettings
from mlplat.engine.analyzer import run_policy_pack
from mlplat.engine.cost import estimate
from mlplat.engine.program import PROJECT, run_program
from mlplat.engine.report import build_report, struct_to_dict
from mlplat.engine.stackfile import StackConfig


def plan_stack(
    project_dir: Path, config: StackConfig, settings: StackSettings, *, run_policies: bool = True
) -> dict[str, Any]:
    run = run_program(project_dir, config)
    policy = None
    if run_policies:
        pack_dir = project_dir / "policies"
        config_file = pack_dir / "config" / f"{config.stack}.json"
        policy = run_policy_pack(
            run.resources,
            pack_dir=pack_dir,
            stack=config.stack,
            project=PROJECT,
            config_file=config_file if config_file.is_file() else None,
        )
    regions = {"aws": settings.providers.aws_region or ""}
    cost = estimate(run.resources, regions)
    outputs = struct_to_dict(run.stack_outputs) if run.stack_outputs is not None else {}
    return build_report(
        project=PROJECT,
        stack=config.stack,
        resources=run.resources,
        policy=policy,
        cost=cost,
        outputs=outputs,
        warnings=run.warnings,
    )
