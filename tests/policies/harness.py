"""Run rules directly, with properties shaped exactly as the engine hands them to a rule.

Every non-compliant case starts from a compliant resource and changes one property (`changed`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

REMOVE = object()


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


OPTIONS = options()


def changed(base: Mapping[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `base` with one property changed (or removed with `REMOVE`)."""
    result = copy.deepcopy(dict(base))
    node: Any = result
    for key in path[:-1]:
        node = node[key]
    if value is REMOVE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


def secret(value: Any) -> dict[str, Any]:
    """A secret in the engine's wire form."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def as_engine_sends(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """Through a protobuf Struct, then deserialized and unknown-checked like the SDK's servicer does."""
    wire = struct_pb2.Struct()
    wire.update(dict(props))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(wire)))


def urn_of(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::mlplat::{resource_type}::{name}"


class Recorder:
    def __init__(self) -> None:
        self.reports: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.reports.append((message, urn))


def check(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    provider: PolicyProviderResource | None = None,
    config: Mapping[str, Any] | None = None,
    protect: bool = False,
) -> list[str]:
    """Messages `policy` reports for one resource, with the policy's config as the pack passes it."""
    args = ResourceValidationArgs(
        resource_type,
        as_engine_sends(props),
        urn_of(resource_type, "r"),
        "r",
        options(protect),
        provider,
        dict(config or {}),
    )
    recorder = Recorder()
    assert policy.validate(args, recorder) is None
    return [message for message, _ in recorder.reports]


def stack_resource(
    resource_type: str, name: str, props: Mapping[str, Any], *, protect: bool = False
) -> PolicyResource:
    return PolicyResource(
        resource_type,
        as_engine_sends(props),
        urn_of(resource_type, name),
        name,
        options(protect),
        None,
        None,
        [],
        {},
    )


def link(dependent: PolicyResource, property_name: str, target: PolicyResource) -> PolicyResource:
    """Record that `dependent.<property_name>` was computed from `target`, as the engine does."""
    dependent.property_dependencies.setdefault(property_name, []).append(target)
    dependent.dependencies.append(target)
    return dependent


def check_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource]
) -> list[tuple[str, str | None]]:
    recorder = Recorder()
    assert policy.validate(StackValidationArgs(resources), recorder) is None
    return recorder.reports
