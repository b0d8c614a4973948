"""The one way the pack declares a rule (`policies.common`), built inside the tests rather than at import."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy

from policies.common import UNKNOWN, props_rule, resource_rule, show, stack_rule
from tests.policies.harness import check, check_stack, stack_resource, urn_of

BUCKET = "aws:s3/bucket:Bucket"


def _problems(props: object) -> list[str]:
    return ["first problem", "second problem"]


def test_a_resource_rule_judges_only_its_types_and_reports_every_problem_in_one_sentence() -> None:
    schema = PolicyConfigSchema(properties={"maxNodes": {"type": "integer"}})
    rule = resource_rule("example-rule", "An example.", [BUCKET], lambda args: _problems(args), schema)
    assert (rule.name, rule.description, rule.enforcement_level) == (
        "example-rule",
        "An example.",
        EnforcementLevel.MANDATORY,
    )
    assert rule.config_schema is schema
    assert check(rule, BUCKET, {}) == ["first problem; second problem."]
    assert check(rule, "aws:ec2/vpc:Vpc", {}) == []
    silent = resource_rule("silent-rule", "Finds nothing.", [BUCKET], lambda args: [])
    assert check(silent, BUCKET, {}) == []


def test_a_props_rule_is_handed_the_resource_properties() -> None:
    seen: list[object] = []
    rule = props_rule(
        "props-rule", "Reads props.", [BUCKET], lambda props: seen.append(props["a"]) or ["bad"]
    )
    assert isinstance(rule, ResourceValidationPolicy)
    assert (rule.name, rule.description, rule.enforcement_level) == (
        "props-rule",
        "Reads props.",
        EnforcementLevel.MANDATORY,
    )
    assert check(rule, BUCKET, {"a": 7}) == ["bad."]
    assert seen == [7]


def test_a_stack_rule_is_mandatory_and_reports_through_its_validate() -> None:
    def validate(args: object, report_violation: object) -> None:
        report_violation("stack problem", urn_of(BUCKET, "b"))  # type: ignore[operator]

    rule = stack_rule("stack-rule", "Whole stack.", validate)
    assert (rule.name, rule.description, rule.enforcement_level) == (
        "stack-rule",
        "Whole stack.",
        EnforcementLevel.MANDATORY,
    )
    assert check_stack(rule, [stack_resource(BUCKET, "b", {})]) == [("stack problem", urn_of(BUCKET, "b"))]


def test_values_are_shown_as_the_user_wrote_them_and_an_unknown_says_so() -> None:
    assert [show(None), show(True), show(3.0), show(2.5), show("x"), show([1])] == [
        "unset",
        "true",
        "3",
        "2.5",
        '"x"',
        "[1]",
    ]
    assert repr(UNKNOWN) == "<unknown>"
