"""The control map: every control of the mapped benchmarks is implemented by a rule of the pack, marked not
applicable with a reason, or an open gap with the reason it is left; never silently unmapped."""

from __future__ import annotations

import re

from policies import controls
from policies.controls import BENCHMARKS, CONTROLS, IMPLEMENTED_BY, implements, status
from policies.pack import POLICIES


def test_every_control_is_covered_not_applicable_or_a_named_gap() -> None:
    assert [key for key, control in CONTROLS.items() if status(control) == "unmapped"] == []


def test_a_control_with_a_rule_carries_no_stale_reason() -> None:
    assert [key for key in IMPLEMENTED_BY if CONTROLS[key].not_applicable or CONTROLS[key].gap] == []


def test_implementing_rules_are_rules_of_the_pack() -> None:
    names = {p.name for p in POLICIES}
    assert {name for rules in IMPLEMENTED_BY.values() for name in rules} <= names


def test_controls_name_a_mapped_benchmark_and_a_published_id_and_title() -> None:
    for key, control in CONTROLS.items():
        assert control.benchmark in BENCHMARKS, key
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*\.\d+|\d+(\.\d+)*|[A-Z]{2}-\d+", control.id), key
        assert len(control.title.split()) >= 2, key  # MCSB BR-3 is "Monitor backups"
        assert not (control.not_applicable and control.gap), key


def test_benchmarks_say_which_version_and_where_their_list_came_from() -> None:
    assert all(b.version and b.source for b in BENCHMARKS.values())


def test_implements_refuses_a_control_outside_the_catalogue() -> None:
    rule = POLICIES[0]
    try:
        implements(rule, "cis-eks:9.9.9")
    except ValueError as error:
        assert "cis-eks:9.9.9" in str(error)
    else:
        raise AssertionError("an unknown control was accepted")
    assert controls.CONTROLS["cis-eks:5.4.2"].title.startswith(
        "Ensure clusters are created with Private Endpoint"
    )
