"""The budget rules called directly with the policy config `mlplat plan` gives them: each limit and its edge."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, StackValidationArgs, StackValidationPolicy

from policies.cost import cost_idle_within_budget, cost_peak_within_budget_factor


def judge(policy: StackValidationPolicy, config: dict[str, Any]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    policy.validate(
        StackValidationArgs(resources=[], config=config),
        lambda message, urn=None: found.append((message, urn)),
    )
    return found


def test_idle_cost_equal_to_the_budget_passes_and_a_cent_more_is_a_violation_on_the_stack() -> None:
    assert judge(cost_idle_within_budget, {"idleMonthly": 1000.0, "budgetMonthly": 1000.0}) == []
    assert judge(cost_idle_within_budget, {"idleMonthly": 1234.56, "budgetMonthly": 1000}) == [
        (
            "estimated idle cost $1,234.56/month exceeds the budget of $1,000.00/month before any workload "
            "runs; lower pool minimums or raise mlplat:budget.monthlyUsd",
            None,
        )
    ]
    assert len(judge(cost_idle_within_budget, {"idleMonthly": 1000.01, "budgetMonthly": 1000.0})) == 1


def test_peak_cost_equal_to_budget_times_factor_passes_and_more_is_a_violation_on_the_stack() -> None:
    at_limit = {"peakMonthly": 2500.0, "budgetMonthly": 1000.0, "peakFactor": 2.5}
    assert judge(cost_peak_within_budget_factor, at_limit) == []
    assert judge(cost_peak_within_budget_factor, {**at_limit, "peakMonthly": 2500.5}) == [
        (
            "estimated peak cost $2,500.50/month (every pool at its maximum) exceeds 2.5 x the budget "
            "($2,500.00/month); lower pool maximums or accept the exposure",
            None,
        )
    ]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"idleMonthly": 5000.0},
        {"budgetMonthly": 1.0},
        {"idleMonthly": True, "budgetMonthly": 0},
        {"idleMonthly": "5000", "budgetMonthly": 1.0},
    ],
    ids=["nothing", "no-budget", "no-estimate", "flag-not-number", "text-not-number"],
)
def test_idle_rule_judges_only_numbers_it_was_given(config: dict[str, Any]) -> None:
    assert judge(cost_idle_within_budget, config) == []
    # Its twin: the same rule with two numbers over budget reports.
    assert len(judge(cost_idle_within_budget, {"idleMonthly": 5000.0, "budgetMonthly": 1.0})) == 1


@pytest.mark.parametrize(
    "config",
    [
        {"peakMonthly": 5000.0, "budgetMonthly": 1.0},
        {"peakMonthly": 5000.0, "budgetMonthly": 1.0, "peakFactor": False},
        {"peakMonthly": 5000.0, "peakFactor": 3.0},
    ],
    ids=["no-factor", "flag-factor", "no-budget"],
)
def test_peak_rule_judges_only_numbers_it_was_given(config: dict[str, Any]) -> None:
    assert judge(cost_peak_within_budget_factor, config) == []
    assert (
        len(judge(cost_peak_within_budget_factor, {**config, "budgetMonthly": 1.0, "peakFactor": 3.0})) == 1
    )


def test_idle_over_budget_blocks_and_peak_over_the_factor_only_advises() -> None:
    assert cost_idle_within_budget.enforcement_level == EnforcementLevel.MANDATORY
    assert cost_peak_within_budget_factor.enforcement_level == EnforcementLevel.ADVISORY


NO_ESTIMATE = (
    "no cost estimate reached this rule, so the budget cannot be judged; run `mlplat plan STACK "
    "--policy-config-out FILE` and pass FILE to `pulumi preview --policy-pack-config`"
)


@pytest.mark.parametrize(
    "policy", [cost_idle_within_budget, cost_peak_within_budget_factor], ids=lambda p: p.name
)
def test_a_run_without_an_estimate_is_a_finding_where_the_stack_requires_one(
    policy: StackValidationPolicy,
) -> None:
    budget_only = {"budgetMonthly": 1000.0, "peakFactor": 3.0}
    assert judge(policy, {**budget_only, "requireEstimate": True}) == [(NO_ESTIMATE, None)]
    assert judge(policy, {**budget_only, "requireEstimate": False}) == []
    assert judge(policy, budget_only) == []
