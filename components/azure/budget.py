"""A monthly consumption budget on the platform's resource group, with actual and forecast alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

# Azure allows at most five notifications per budget.
MAX_NOTIFICATIONS = 5


@dataclass(frozen=True)
class BudgetArgs:
    budget_name: str
    scope: pulumi.Input[str]  # a resource group (or subscription) id
    amount_usd: float
    alert_emails: Sequence[str]
    # Consumption API (Budgets - Create Or Update): the first of a month, not before the current month
    # at creation. None: the month of the first deploy; later runs leave the start as Azure keeps it.
    start_date: dt.date | None = None
    thresholds: Sequence[int] = (50, 80, 100)  # percent of actual spend
    forecast_threshold: int = 100  # percent of forecast spend


def this_month() -> dt.date:
    """The first day of the current month (UTC): the earliest start Azure accepts for a new budget."""
    return dt.datetime.now(dt.UTC).date().replace(day=1)


class Budget(pulumi.ComponentResource):
    budget_id: pulumi.Output[str]

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:Budget", name, None, opts)
        if args.start_date is not None and args.start_date.day != 1:
            raise ValueError(
                f"{name}: a monthly budget starts on the first of a month, got {args.start_date}"
            )
        if len(args.thresholds) + 1 > MAX_NOTIFICATIONS:
            raise ValueError(f"{name}: Azure allows {MAX_NOTIFICATIONS - 1} actual-spend thresholds at most")
        if not args.alert_emails:
            raise ValueError(f"{name}: a budget nobody hears about protects nothing; give alert_emails")
        consumption = azure_native.consumption

        def notify(threshold: int, kind: consumption.ThresholdType) -> consumption.NotificationArgs:
            return consumption.NotificationArgs(
                enabled=True,
                operator=consumption.OperatorType.GREATER_THAN_OR_EQUAL_TO,
                threshold=threshold,
                threshold_type=kind,
                contact_emails=list(args.alert_emails),
            )

        notifications = {f"actual{t}": notify(t, consumption.ThresholdType.ACTUAL) for t in args.thresholds}
        notifications[f"forecast{args.forecast_threshold}"] = notify(
            args.forecast_threshold, consumption.ThresholdType.FORECASTED
        )
        self.budget = consumption.Budget(
            f"{name}-budget",
            consumption.BudgetArgs(
                scope=args.scope,
                budget_name=args.budget_name,
                amount=args.amount_usd,
                category=consumption.CategoryType.COST,
                time_grain=consumption.TimeGrainType.MONTHLY,
                time_period=consumption.BudgetTimePeriodArgs(
                    start_date=f"{(args.start_date or this_month()).isoformat()}T00:00:00Z"
                ),
                notifications=notifications,
            ),
            # Azure does not move a budget's start; a later month's run must not try to.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["timePeriod.startDate"]),
        )
        self.budget_id = self.budget.id
        self.register_outputs({"budget_id": self.budget_id})
