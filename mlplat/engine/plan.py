"""One offline plan: program under mocks -> cost -> policy pack over the analyzer protocol -> report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import StackSettings
from mlplat.engine.analyzer import run_policy_pack
from mlplat.engine.constraints import RULES, check_run
from mlplat.engine.cost import estimate
from mlplat.engine.program import PROJECT, run_program
from mlplat.engine.report import build_report, struct_to_dict
from mlplat.engine.stackfile import StackConfig

# The budget rules judge the plan's estimate; it reaches them as policy config.
COST_POLICIES = ("cost-idle-within-budget", "cost-peak-within-budget-factor")


def policy_config_file(pack_dir: Path, stack: str, profile: str) -> Path | None:
    """`policies/config/<stack>.json`, else the profile's file: a new stack is judged like its profile."""
    for name in (stack, profile):
        path = pack_dir / "config" / f"{name}.json"
        if path.is_file():
            return path
    return None


def plan_stack(
    project_dir: Path,
    config: StackConfig,
    settings: StackSettings,
    *,
    run_policies: bool = True,
    preview: bool = False,
) -> dict[str, Any]:
    """Plan `config`; `preview=True` leaves computed outputs unknown, as in `pulumi preview` of a new stack."""
    run = run_program(project_dir, config, preview=preview)
    findings = check_run(run)
    providers = settings.providers
    regions = {
        "aws": providers.aws_region or "",
        "gcp": providers.gcp_region or "",
        "azure": providers.azure_location or "",
    }
    cost = estimate(run.resources, regions)
    policy = None
    if run_policies:
        idle, peak = cost.total()
        budget = settings.settings.budget
        estimate_config = {
            "idleMonthly": idle,
            "peakMonthly": peak,
            "budgetMonthly": budget.monthly_usd,
            "peakFactor": budget.peak_factor,
        }
        pack_dir = project_dir / "policies"
        config_file = policy_config_file(pack_dir, config.stack, settings.settings.profile_name)
        policy = run_policy_pack(
            run.resources,
            pack_dir=pack_dir,
            stack=config.stack,
            project=PROJECT,
            config_file=config_file,
            plan_config=dict.fromkeys(COST_POLICIES, estimate_config),
        )
    outputs = struct_to_dict(run.stack_outputs) if run.stack_outputs is not None else {}
    return build_report(
        project=PROJECT,
        stack=config.stack,
        resources=run.resources,
        policy=policy,
        cost=cost,
        outputs=outputs,
        warnings=run.warnings,
        constraints=(len(RULES), findings),
    )
