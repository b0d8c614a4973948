"""The concept-by-cloud matrix: every concept is guarded on every cloud, or the cell says why it does not apply."""

from __future__ import annotations

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policies import matrix
from policies.concepts import CLOUDS, CONCEPTS, NOT_APPLICABLE, guards
from policies.pack import POLICIES


def test_every_rule_of_the_pack_is_placed_in_the_matrix_once() -> None:
    assert sorted(p.name for p, _ in matrix.rules()) == sorted(p.name for p in POLICIES)


def test_every_rule_declares_at_least_one_concept() -> None:
    assert matrix.unclassified() == []


def test_every_concept_is_guarded_on_every_cloud_or_marked_not_applicable_with_a_reason() -> None:
    assert matrix.gaps(matrix.matrix()) == []


def test_no_not_applicable_reason_stands_on_a_cell_that_has_a_rule() -> None:
    assert matrix.stale_reasons(matrix.matrix()) == []


def test_not_applicable_cells_name_a_known_concept_and_cloud_and_give_a_reason() -> None:
    assert [cell for cell in NOT_APPLICABLE if cell[0] not in CONCEPTS or cell[1] not in CLOUDS] == []
    assert [cell for cell, reason in NOT_APPLICABLE.items() if len(reason.split()) < 4] == []


def _rule(name: str) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description="a rule for the matrix test",
        validate=lambda args, report: None,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def test_a_rule_guarding_a_concept_on_one_cloud_only_leaves_gaps_on_the_others() -> None:
    # A pack of one AWS rule guarding flow logs: GCP and Azure have no rule, Kubernetes has a reason.
    only = guards(_rule("matrix-test-flow-logs"), "flow-logs")
    cells = matrix.matrix([(only, ("aws",))])
    assert cells[("flow-logs", "aws")] == ["matrix-test-flow-logs"]
    found = matrix.gaps(cells)
    assert ("flow-logs", "gcp") in found and ("flow-logs", "azure") in found
    assert ("flow-logs", "aws") not in found and ("flow-logs", "kubernetes") not in found


def test_a_reason_on_a_cell_a_rule_now_guards_is_stale() -> None:
    pinned = guards(_rule("matrix-test-pinned-on-aws"), "pinned-versions")
    assert ("pinned-versions", "aws") in matrix.stale_reasons(matrix.matrix([(pinned, ("aws",))]))


def test_guards_refuses_a_concept_outside_the_vocabulary_and_an_empty_declaration() -> None:
    with pytest.raises(ValueError, match="matrix-test-typo"):
        guards(_rule("matrix-test-typo"), "encryption")
    with pytest.raises(ValueError, match="matrix-test-empty"):
        guards(_rule("matrix-test-empty"))


def test_columns_follow_the_types_a_rule_judges_and_stack_rules_their_module() -> None:
    clouds = {p.name: c for p, c in matrix.rules()}
    assert clouds["kubernetes-version-in-standard-support"] == ("aws", "azure", "gcp")
    assert clouds["required-tags"] == ("aws",)
    assert clouds["vpc-flow-logs-enabled"] == ("aws",)
    assert clouds["gpu-pools-have-scale-up-path"] == ("kubernetes",)
    assert clouds["cost-idle-within-budget"] == ("aws", "gcp", "azure")
