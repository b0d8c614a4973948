"""Stack rules on cost: the plan's estimate against the stack's budget.

The estimate reaches the pack as policy config, the same way on both paths: `mlplat plan` passes
it with the stack's policy config, and `mlplat plan STACK --policy-config-out FILE` writes that
merged config for `pulumi preview --policy-pack policies --policy-pack-config FILE`. Where the
stack's config sets `requireEstimate` (the repository's dev and prod do), a run without an
estimate is itself a finding, so a real preview can never pass the budget rules by silence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.concepts import guards

_ESTIMATE_SCHEMA = {
    "idleMonthly": {"type": "number", "description": "estimated monthly cost with nothing running (USD)"},
    "peakMonthly": {"type": "number", "description": "estimated monthly cost with every pool full (USD)"},
    "budgetMonthly": {
        "type": "number",
        "description": "the stack's monthly budget (mlplat:budget.monthlyUsd)",
    },
    "peakFactor": {"type": "number", "default": 3.0, "description": "how far above budget peak may go"},
    "requireEstimate": {
        "type": "boolean",
        "default": False,
        "description": "report a run that received no estimate (the preview was not given mlplat's config)",
    },
}
_NO_ESTIMATE = (
    "no cost estimate reached this rule, so the budget cannot be judged; run `mlplat plan STACK "
    "--policy-config-out FILE` and pass FILE to `pulumi preview --policy-pack-config`"
)


def _numbers(config: Mapping[str, Any], *keys: str) -> list[float] | None:
    values = [config.get(k) for k in keys]
    if any(not isinstance(v, int | float) or isinstance(v, bool) for v in values):
        return None
    return [float(v) for v in values]  # type: ignore[arg-type]


def _idle_within_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    found = _numbers(config, "idleMonthly", "budgetMonthly")
    if found is None:
        if config.get("requireEstimate") is True:
            report_violation(_NO_ESTIMATE, None)
        return
    idle, budget = found
    if idle > budget:
        report_violation(
            f"estimated idle cost ${idle:,.2f}/month exceeds the budget of ${budget:,.2f}/month before any "
            "workload runs; lower pool minimums or raise mlplat:budget.monthlyUsd",
            None,
        )


def _peak_within_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    found = _numbers(config, "peakMonthly", "budgetMonthly", "peakFactor")
    if found is None:
        if config.get("requireEstimate") is True:
            report_violation(_NO_ESTIMATE, None)
        return
    peak, budget, factor = found
    if peak > budget * factor:
        report_violation(
            f"estimated peak cost ${peak:,.2f}/month (every pool at its maximum) exceeds {factor:g} x the "
            f"budget (${budget * factor:,.2f}/month); lower pool maximums or accept the exposure",
            None,
        )


cost_idle_within_budget = StackValidationPolicy(
    name="cost-idle-within-budget",
    description="The stack's estimated idle monthly cost (fixed fees and minimum nodes) stays within its budget.",
    validate=_idle_within_budget,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=_ESTIMATE_SCHEMA),
)

cost_peak_within_budget_factor = StackValidationPolicy(
    name="cost-peak-within-budget-factor",
    description="The stack's estimated peak monthly cost stays within its budget times the peak factor.",
    validate=_peak_within_budget,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(properties=_ESTIMATE_SCHEMA),
)

guards(cost_idle_within_budget, "cost-within-budget")
guards(cost_peak_within_budget_factor, "cost-within-budget")

POLICIES = [cost_idle_within_budget, cost_peak_within_budget_factor]
