"""A monthly cost budget for one environment, alerting by email and through a KMS-encrypted SNS topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam


@dataclass(frozen=True)
class MonthlyBudgetArgs:
    budget_name: str
    amount_usd: float
    alert_emails: Sequence[str]
    kms_key_arn: pulumi.Input[str]  # its key policy must let budgets.amazonaws.com use it
    tags: Mapping[str, str]
    # Only costs tagged <tag_key>=<tag_value> count; the tag must be activated as a cost-allocation tag.
    tag_key: str = "environment"
    tag_value: str = ""
    actual_thresholds: Sequence[int] = (50, 80, 100)
    forecast_threshold: int | None = 100
    # An https endpoint (chat, paging) subscribed to the alerts topic; kept a Pulumi secret.
    webhook_url: pulumi.Input[str] | None = None


def tag_filter_value(key: str, value: str) -> str:
    """Budgets match user-defined cost-allocation tags only with the `user:` prefix; without it they show $0."""
    return f"user:{key}${value}"


class MonthlyBudget(pulumi.ComponentResource):
    budget_name: pulumi.Output[str]
    topic_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: MonthlyBudgetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not args.tag_value:
            raise ValueError("a budget needs the tag value it is scoped to")
        if not args.alert_emails:
            raise ValueError("a budget needs at least one alert email")
        super().__init__("mlplat:aws:MonthlyBudget", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            aws.sns.TopicArgs(
                name_prefix=f"{args.budget_name}-", kms_master_key_id=args.kms_key_arn, tags=tags
            ),
            opts=child,
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts",
            aws.sns.TopicPolicyArgs(
                arn=self.topic.arn,
                policy=iam.document(
                    iam.statement(
                        sid="AccountManagesTopic",
                        principals={"AWS": pulumi.Output.concat("arn:aws:iam::", account, ":root")},
                        actions=[
                            "sns:GetTopicAttributes",
                            "sns:SetTopicAttributes",
                            "sns:Subscribe",
                            "sns:ListSubscriptionsByTopic",
                            "sns:DeleteTopic",
                        ],
                        resources=self.topic.arn,
                    ),
                    iam.statement(
                        sid="BudgetsPublishForThisAccount",
                        principals={"Service": "budgets.amazonaws.com"},
                        actions=["sns:Publish"],
                        resources=self.topic.arn,
                        conditions={
                            "StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {
                                "aws:SourceArn": pulumi.Output.concat("arn:aws:budgets::", account, ":*")
                            },
                        },
                    ),
                    iam.statement(
                        sid="DenyInsecureTransport",
                        effect="Deny",
                        principals="*",
                        actions=["sns:Publish", "sns:Subscribe"],
                        resources=self.topic.arn,
                        conditions={"Bool": {"aws:SecureTransport": "false"}},
                    ),
                ),
            ),
            opts=child,
        )

        if args.webhook_url is not None:
            self.webhook = aws.sns.TopicSubscription(
                f"{name}-webhook",
                aws.sns.TopicSubscriptionArgs(
                    topic=self.topic.arn, protocol="https", endpoint=pulumi.Output.secret(args.webhook_url)
                ),
                opts=child,
            )

        def notification(kind: str, threshold: int) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=threshold,
                threshold_type="PERCENTAGE",
                subscriber_email_addresses=list(args.alert_emails),
                subscriber_sns_topic_arns=[self.topic.arn],
            )

        notifications = [notification("ACTUAL", t) for t in args.actual_thresholds]
        if args.forecast_threshold is not None:
            notifications.append(notification("FORECASTED", args.forecast_threshold))
        self.budget = aws.budgets.Budget(
            f"{name}-budget",
            aws.budgets.BudgetArgs(
                name=args.budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=f"{args.amount_usd:.2f}",
                limit_unit="USD",
                cost_filters=[
                    aws.budgets.BudgetCostFilterArgs(
                        name="TagKeyValue", values=[tag_filter_value(args.tag_key, args.tag_value)]
                    )
                ],
                notifications=notifications,
                tags=tags,
            ),
            # Budgets checks that it may publish before it accepts the subscriber.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.topic_policy]),
        )
        self.budget_name = self.budget.name
        self.topic_arn = self.topic.arn
        self.register_outputs({"budget_name": self.budget_name, "topic_arn": self.topic_arn})
