"""The one way the pack declares a rule (`policies.common`), built inside the tests rather than at import."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.common import (
    UNKNOWN,
    Props,
    Unknown,
    elements,
    prop,
    props_rule,
    resource_rule,
    show,
    stack_rule,
)
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
    assert check(rule, BUCKET, {"bucket": "b"}) == ["first problem; second problem."]
    assert check(rule, "aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}) == []
    silent = resource_rule("silent-rule", "Finds nothing.", [BUCKET], lambda args: [])
    assert check(silent, BUCKET, {"bucket": "b"}) == []


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
    assert [show(None), show(True), show(3.0), show(2.5), show("x"), show([1]), show(UNKNOWN)] == [
        "unset",
        "true",
        "3",
        "2.5",
        '"x"',
        "[1]",
        "<unknown>",
    ]
    assert repr(UNKNOWN) == "<unknown>"


# A rule that shows what it reads at `path`: Python indexing (docs.python.org/3/reference/expressions.html
# #subscriptions) counts a negative index from the end; a missing index, or an index into text or a map, is unset.
READS: list[tuple[str, dict[str, Any], tuple[str | int, ...], str]] = [
    ("first-from-the-end", {"zones": ["a", "b"]}, ("zones", -2), 'zones: "a".'),
    ("last-from-the-end", {"zones": ["a", "b"]}, ("zones", -1), 'zones: "b".'),
    ("past-the-end", {"zones": ["a", "b"]}, ("zones", 2), "zones: unset."),
    ("before-the-start", {"zones": ["a", "b"]}, ("zones", -3), "zones: unset."),
    ("index-into-text", {"zones": "ab"}, ("zones", 0), "zones: unset."),
    ("index-into-a-map", {"zones": {"a": "1"}}, ("zones", 0), "zones: unset."),
    ("index-into-a-number", {"zones": 2}, ("zones", 0), "zones: unset."),
    ("unknown-element", {"zones": ["a", UNKNOWN_STRING_VALUE]}, ("zones", 1), "zones: <unknown>."),
]


@pytest.mark.parametrize(("props", "path", "message"), [c[1:] for c in READS], ids=[c[0] for c in READS])
def test_a_rule_reads_a_list_element_by_index_and_anything_else_as_unset(
    props: dict[str, Any], path: tuple[str | int, ...], message: str
) -> None:
    rule = props_rule("read-rule", "Shows a value.", [BUCKET], lambda p: [f"zones: {show(prop(p, *path))}"])
    assert check(rule, BUCKET, props) == [message]


# A rule that names every element of `zones`: a value that is not a list has no elements (`[]`, as when unset).
LISTS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("list", {"zones": ["a", "b"]}, ['zone "a"; zone "b".']),
    ("unknown-element", {"zones": [UNKNOWN_STRING_VALUE]}, ["zone <unknown>."]),
    ("unset", {}, []),
    ("unknown-list", {"zones": UNKNOWN_STRING_VALUE}, []),
    ("text", {"zones": "us-east-1a"}, []),
    ("map", {"zones": {"a": "1"}}, []),
    ("number", {"zones": 3}, []),
]


@pytest.mark.parametrize(("props", "messages"), [c[1:] for c in LISTS], ids=[c[0] for c in LISTS])
def test_a_rule_meets_every_element_of_a_list_and_none_of_a_value_that_is_not_one(
    props: dict[str, Any], messages: list[str]
) -> None:
    def each_zone(p: Props) -> list[str]:
        zones = elements(p, "zones")
        return [] if isinstance(zones, Unknown) else [f"zone {show(z)}" for z in zones]

    rule = props_rule("list-rule", "Names each zone.", [BUCKET], each_zone)
    assert check(rule, BUCKET, props) == messages
