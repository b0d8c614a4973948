"""The monthly budget: scoped to the environment tag, alerting early and by forecast, over an encrypted topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws import MonthlyBudget, MonthlyBudgetArgs
from components.aws.budget import tag_filter_value
from tests.plans import Plan, record

TAGS = {"environment": "dev", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "dev"}
KEY = "arn:aws:kms:us-east-1:123456789012:key/alerts"
ARGS = MonthlyBudgetArgs(
    budget_name="mlplat-dev-monthly",
    amount_usd=1500,
    alert_emails=["ml-platform@example.com", "finops@example.com"],
    kms_key_arn=KEY,
    tags=TAGS,
    tag_value="dev",
)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return record(lambda: MonthlyBudget("budget", ARGS))


def budget(plan: Plan) -> dict[str, Any]:
    return plan.one("aws:budgets/budget:Budget").inputs


def test_budget_is_a_monthly_cost_limit_in_usd(plan: Plan) -> None:
    b = budget(plan)
    assert (b["budgetType"], b["timeUnit"], b["limitAmount"], b["limitUnit"]) == (
        "COST",
        "MONTHLY",
        "1500.00",
        "USD",
    )
    assert b["name"] == "mlplat-dev-monthly"


def test_budget_counts_only_costs_tagged_with_this_environment_using_the_user_prefix(plan: Plan) -> None:
    assert budget(plan)["costFilters"] == [{"name": "TagKeyValue", "values": ["user:environment$dev"]}]
    assert tag_filter_value("team", "research") == "user:team$research"


def test_alerts_at_50_80_100_percent_actual_and_100_percent_forecast(plan: Plan) -> None:
    notes = budget(plan)["notifications"]
    assert [(n["notificationType"], n["threshold"]) for n in notes] == [
        ("ACTUAL", 50),
        ("ACTUAL", 80),
        ("ACTUAL", 100),
        ("FORECASTED", 100),
    ]
    assert all(
        n["comparisonOperator"] == "GREATER_THAN" and n["thresholdType"] == "PERCENTAGE" for n in notes
    )


def test_every_alert_goes_to_the_emails_and_the_topic(plan: Plan) -> None:
    topic = plan.one("aws:sns/topic:Topic")
    for n in budget(plan)["notifications"]:
        assert n["subscriberEmailAddresses"] == ["ml-platform@example.com", "finops@example.com"]
        assert len(n["subscriberSnsTopicArns"]) == 1
    assert topic.urn in plan.one("aws:budgets/budget:Budget").property_dependencies["notifications"]


def test_topic_is_encrypted_with_the_alerts_key(plan: Plan) -> None:
    assert plan.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == KEY


def test_only_budgets_of_this_account_may_publish_and_only_over_tls(plan: Plan) -> None:
    policy = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    publish = by_sid["BudgetsPublishForThisAccount"]
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert publish["Action"] == ["sns:Publish"]
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert publish["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:budgets::123456789012:*"}
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow" and s.get("Principal") == "*"]


def test_budget_is_created_after_the_topic_policy_lets_it_publish(plan: Plan) -> None:
    registered = next(r for r in plan.run.resources if r.type == "aws:budgets/budget:Budget")
    assert plan.one("aws:sns/topicPolicy:TopicPolicy").urn in registered.dependencies


def test_budget_and_topic_carry_the_platform_tags(plan: Plan) -> None:
    for token in ("aws:budgets/budget:Budget", "aws:sns/topic:Topic"):
        assert TAGS.items() <= plan.one(token).inputs["tags"].items()


def test_without_a_forecast_threshold_only_actual_alerts_are_sent() -> None:
    from dataclasses import replace

    notes = budget(record(lambda: MonthlyBudget("b", replace(ARGS, forecast_threshold=None))))[
        "notifications"
    ]
    assert {n["notificationType"] for n in notes} == {"ACTUAL"}
