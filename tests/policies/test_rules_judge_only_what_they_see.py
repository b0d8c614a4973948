"""Every resource rule judges only what it can see: nothing is reported for a resource with no property present
(what the engine sends for a resource excluded from a run) or with every property unknown."""

from __future__ import annotations

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.common import judged_types, sees_anything
from policies.pack import POLICIES
from tests.policies.harness import as_engine_sends, check

RESOURCE_RULES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
# A concrete type for a rule that declares a whole package.
_OF_PACKAGE = {"aws": "aws:s3/bucket:Bucket"}


def _types(policy: ResourceValidationPolicy) -> list[str]:
    declared = judged_types(policy) or frozenset()
    return sorted(_OF_PACKAGE[t.removesuffix(":*")] if t.endswith(":*") else t for t in declared)


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_a_resource_with_no_properties_is_not_reported(policy: ResourceValidationPolicy) -> None:
    for resource_type in _types(policy):
        assert check(policy, resource_type, {}) == [], resource_type
        assert check(policy, resource_type, {}, protect=True) == [], resource_type


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_a_resource_whose_every_property_is_unknown_is_not_reported(policy: ResourceValidationPolicy) -> None:
    unknown = {
        key: UNKNOWN_STRING_VALUE for key in ("name", "tags", "labels", "properties", "spec", "metadata")
    }
    for resource_type in _types(policy):
        assert check(policy, resource_type, unknown) == [], resource_type


def test_one_known_property_is_enough_to_be_judged() -> None:
    assert not sees_anything(as_engine_sends({}))
    assert not sees_anything(as_engine_sends({"name": UNKNOWN_STRING_VALUE, "tags": UNKNOWN_STRING_VALUE}))
    assert sees_anything(as_engine_sends({"name": UNKNOWN_STRING_VALUE, "forceDestroy": False}))
    assert not sees_anything(as_engine_sends({"tags": None}))  # null is absent
