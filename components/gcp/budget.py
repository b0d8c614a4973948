"""A billing budget for one environment in one project: current-spend thresholds and a forecast alert,
delivered to an encrypted Pub/Sub topic and to email channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.common.naming import principal_key
from components.gcp.options import child_options

# Cloud Billing publishes budget notifications as this Google-managed account.
BUDGET_PUBLISHER = "serviceAccount:billing-budget-alert@system.gserviceaccount.com"
MAX_CHANNELS = 5  # what a budget's allUpdatesRule accepts


@dataclass(frozen=True)
class BudgetArgs:
    project: str
    project_number: pulumi.Input[str]
    billing_account: str
    display_name: str
    topic_name: str
    amount_usd: float
    environment: str  # the environment label value the budget follows
    alert_emails: Sequence[str]
    pubsub_kms_key_name: pulumi.Input[str]
    labels: Mapping[str, str]
    thresholds: Sequence[int] = (50, 80, 100)  # percent of the amount, current spend
    forecast_threshold: int = 100  # percent of the amount, forecasted spend

    def __post_init__(self) -> None:
        if not 1 <= len(self.alert_emails) <= MAX_CHANNELS:
            raise ValueError(
                f"a budget notifies 1 to {MAX_CHANNELS} email channels, got {len(self.alert_emails)}"
            )


class Budget(pulumi.ComponentResource):
    budget_id: pulumi.Output[str]
    topic_id: pulumi.Output[str]

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:gcp:Budget", name, None, opts)
        child = child_options(self, opts)
        self.topic = gcp.pubsub.Topic(
            f"{name}-alerts",
            gcp.pubsub.TopicArgs(
                project=args.project,
                name=args.topic_name,
                kms_key_name=args.pubsub_kms_key_name,
                message_retention_duration="604800s",
                labels=dict(args.labels),
            ),
            opts=child,
        )
        gcp.pubsub.TopicIAMMember(
            f"{name}-alerts-publisher",
            gcp.pubsub.TopicIAMMemberArgs(
                project=args.project,
                topic=self.topic.name,
                role="roles/pubsub.publisher",
                member=BUDGET_PUBLISHER,
            ),
            opts=child,
        )
        self.channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-email-{principal_key(email)}",
                gcp.monitoring.NotificationChannelArgs(
                    project=args.project,
                    type="email",
                    display_name=f"{args.display_name} ({email})",
                    labels={"email_address": email},
                    user_labels=dict(args.labels),
                    enabled=True,
                ),
                opts=child,
            )
            for email in args.alert_emails
        ]
        rules = [
            gcp.billing.BudgetThresholdRuleArgs(threshold_percent=t / 100, spend_basis="CURRENT_SPEND")
            for t in args.thresholds
        ]
        rules.append(
            gcp.billing.BudgetThresholdRuleArgs(
                threshold_percent=args.forecast_threshold / 100, spend_basis="FORECASTED_SPEND"
            )
        )
        self.budget = gcp.billing.Budget(
            f"{name}-budget",
            gcp.billing.BudgetArgs(
                billing_account=args.billing_account,
                display_name=args.display_name,
                budget_filter=gcp.billing.BudgetBudgetFilterArgs(
                    projects=[pulumi.Output.concat("projects/", args.project_number)],
                    labels={"environment": args.environment},
                    calendar_period="MONTH",
                    credit_types_treatment="INCLUDE_ALL_CREDITS",
                ),
                amount=gcp.billing.BudgetAmountArgs(
                    specified_amount=gcp.billing.BudgetAmountSpecifiedAmountArgs(
                        currency_code="USD", units=str(round(args.amount_usd))
                    )
                ),
                threshold_rules=rules,
                all_updates_rule=gcp.billing.BudgetAllUpdatesRuleArgs(
                    pubsub_topic=self.topic.id,
                    schema_version="1.0",
                    monitoring_notification_channels=[c.id for c in self.channels],
                    disable_default_iam_recipients=False,
                ),
            ),
            opts=child,
        )
        self.budget_id = self.budget.id
        self.topic_id = self.topic.id
        self.register_outputs({"budget_id": self.budget_id, "topic_id": self.topic_id})
