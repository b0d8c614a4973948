"""The Azure budget: monthly on the resource group, a pinned start date, actual and forecast alerts."""

from __future__ import annotations

import datetime as dt

import pytest

from components.azure import Budget, BudgetArgs
from tests.plans import Plan, record

CONFIG = {"azure-native:location": "eastus"}
SCOPE = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-ml"
ARGS = BudgetArgs(
    budget_name="mlplat-prod-azure",
    scope=SCOPE,
    amount_usd=6000,
    start_date=dt.date(2026, 12, 1),
    alert_emails=["ml-platform@example.com", "finops@example.com"],
    thresholds=[50, 80, 100],
    forecast_threshold=110,
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return record(lambda: Budget("budget", ARGS), config=CONFIG)


def test_budget_is_monthly_cost_on_the_resource_group(plan: Plan) -> None:
    inputs = plan.one("azure-native:consumption:Budget").inputs
    assert (inputs["scope"], inputs["amount"], inputs["category"], inputs["timeGrain"]) == (
        SCOPE,
        6000,
        "Cost",
        "Monthly",
    )
    assert inputs["budgetName"] == "mlplat-prod-azure"


def test_start_date_is_the_pinned_first_of_a_month_from_settings(plan: Plan) -> None:
    assert plan.one("azure-native:consumption:Budget").inputs["timePeriod"] == {
        "startDate": "2026-12-01T00:00:00Z"
    }


def test_actual_thresholds_and_the_forecast_alert_everyone_listed(plan: Plan) -> None:
    notifications = plan.one("azure-native:consumption:Budget").inputs["notifications"]
    kinds = {key: (n["thresholdType"], n["threshold"]) for key, n in notifications.items()}
    assert kinds == {
        "actual50": ("Actual", 50),
        "actual80": ("Actual", 80),
        "actual100": ("Actual", 100),
        "forecast110": ("Forecasted", 110),
    }
    for n in notifications.values():
        assert n["enabled"] is True
        assert n["operator"] == "GreaterThanOrEqualTo"
        assert n["contactEmails"] == ["ml-platform@example.com", "finops@example.com"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start_date": dt.date(2026, 12, 15)}, "first of a month"),
        ({"thresholds": [10, 25, 50, 80, 100]}, "4 actual-spend thresholds at most"),
        ({"alert_emails": []}, "give alert_emails"),
    ],
    ids=["mid-month-start", "six-notifications", "nobody-alerted"],
)
def test_budgets_azure_would_refuse_or_nobody_would_hear_are_refused(
    changes: dict[str, object], message: str
) -> None:
    args = BudgetArgs(**{**ARGS.__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        record(lambda: Budget("budget", args), config=CONFIG)
