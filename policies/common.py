"""Small helpers shared by the rules: safe property reads and property-dependency links.

The SDK hands rules the engine's camelCase properties wrapped in a proxy that raises
`UnknownValueError` when a value is not known yet (preview). Rules read through `prop`/`elements`
instead, so an unknown becomes the `UNKNOWN` marker: the rule skips what it cannot judge and
still reports every known bad value. Secrets arrive already unwrapped to their plain values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any, Final, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceRemediation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

# The engine sends every unknown as one of these strings (in practice the string one).
_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class Unknown:
    """Type of `UNKNOWN`: a value that cannot be known until the update runs."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Final = Unknown()


def is_unknown(value: object) -> bool:
    """True for the `UNKNOWN` marker and for a raw engine sentinel that bypassed the proxy."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def _step(container: object, key: str | int) -> object:
    """One lookup step: the value, `None` when absent or of the wrong shape, or `UNKNOWN`."""
    try:
        if isinstance(key, str):
            if not isinstance(container, Mapping):
                return None
            value = container.get(key)
        else:
            if isinstance(container, str | bytes) or not isinstance(container, Sequence):
                return None
            value = container[key] if -len(container) <= key < len(container) else None
    except UnknownValueError:
        return UNKNOWN
    return UNKNOWN if is_unknown(value) else value


def prop(props: Mapping[str, Any], *path: str | int, default: Any = None) -> Any:
    """The value at `path` (camelCase keys, list indexes); `default` when unset or null, `UNKNOWN` if unknown.

    Pass the provider's default as `default` so that an unset property is judged like the cloud would.
    """
    value: object = props
    for key in path:
        value = _step(value, key)
        if value is None:
            return default
        if value is UNKNOWN:
            return UNKNOWN
    return value


def elements(props: Mapping[str, Any], *path: str | int) -> list[Any] | Unknown:
    """The list at `path` with unknown elements replaced by `UNKNOWN`; `[]` when unset; `UNKNOWN` if unknown."""
    value = prop(props, *path)
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        return []
    return [_step(value, i) for i in range(len(value))]


def entries(props: Mapping[str, Any], *path: str | int) -> dict[str, Any] | Unknown:
    """The map at `path` with unknown values replaced by `UNKNOWN`; `{}` when unset; `UNKNOWN` if unknown."""
    value = prop(props, *path)
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, Mapping):
        return {}
    # Iterating keys never touches values, so it cannot raise on an unknown.
    return {str(key): _step(value, key) for key in value}


def has_key(props: Mapping[str, Any], key: str) -> bool:
    """Whether `key` is present at all (even if its value is unknown); `in` on the proxy raises instead."""
    return any(k == key for k in props)


def of_type(resources: Iterable[PolicyResource], types: Iterable[str]) -> list[PolicyResource]:
    """The resources whose type token is one of `types`, in stack order."""
    wanted = frozenset(types)
    return [r for r in resources if r.resource_type in wanted]


def linked_through(
    resources: Iterable[PolicyResource], types: Iterable[str], property_name: str
) -> dict[str, list[PolicyResource]]:
    """Map target URN -> resources of `types` whose `property_name` depends on that target.

    Uses the engine's property dependencies, so a link is the real data flow (`bucket=bucket.id`),
    not a guess from names.
    """
    links: dict[str, list[PolicyResource]] = {}
    for resource in of_type(resources, types):
        for target in resource.property_dependencies.get(property_name, []):
            links.setdefault(target.urn, []).append(resource)
    return links


Props = Mapping[str, Any]


def show(value: object) -> str:
    """A property value as the user wrote it in the program (JSON-ish)."""
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # numbers arrive as floats through protobuf
    return json.dumps(value) if isinstance(value, bool | int | float | str) else repr(value)


# The attribute that names the resource types a resource rule judges (see `judges` and policies/server.py).
JUDGED_TYPES: Final = "mlplat_judged_types"


def sees_anything(props: Mapping[str, Any]) -> bool:
    """Whether at least one property is present (not null) and known.

    The engine sends a resource excluded from a run (`--target`, `--exclude`) with no properties, and a
    resource built from outputs of resources not created yet may have nothing known; neither says anything
    a rule could judge.
    """
    return any(not (value is None or is_unknown(value)) for value in (_step(props, key) for key in props))


def _declared(resource_type: str, types: frozenset[str]) -> bool:
    return resource_type in types or f"{resource_type.split(':', 1)[0]}:*" in types


def _judging_only_what_it_sees(validate: Any, types: frozenset[str]) -> Any:
    def judged(args: ResourceValidationArgs, report_violation: ReportViolation) -> Any:
        # The type first: a rule reads nothing of a type it does not declare (policies/server.py dispatch).
        if _declared(args.resource_type, types) and not sees_anything(args.props):
            return None
        return validate(args, report_violation)

    return judged


def judges(policy: ResourceValidationPolicy, types: Iterable[str]) -> ResourceValidationPolicy:
    """Declare the type tokens `policy` judges, so the pack calls it for those resources only.

    A token ending in `:*` stands for a whole package (`aws:*`). A rule without a declaration meets
    every resource, as the SDK would call it. Every declared rule judges only what it can see: a
    resource of its types with no property present and known (`sees_anything`) is never reported.
    """
    declared = frozenset(types)
    policy.validate = _judging_only_what_it_sees(policy.validate, declared)  # type: ignore[method-assign]
    setattr(policy, JUDGED_TYPES, declared)
    return policy


def judged_types(policy: object) -> frozenset[str] | None:
    return getattr(policy, JUDGED_TYPES, None)


# Policy name -> the properties its remediation sets (listed in docs/policies.md).
REMEDIATIONS: dict[str, Mapping[str, Any]] = {}


def with_remediation(policy: ResourceValidationPolicy, sets: Mapping[str, Any]) -> ResourceValidationPolicy:
    """`policy`, which at the `remediate` level also fixes a resource it would flag by setting `sets`.

    The engine (pulumi/pulumi `pkg/resource/deploy/step_generator.go`) calls Remediate before Analyze
    and deploys the remediated properties, so the rule then judges the fixed resource; a resource the
    rule would not flag is left as it is. Only settings with one safe value are remediated.
    """

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        flagged: list[str] = []
        policy.validate(args, lambda message, urn=None: flagged.append(message or ""))
        if not flagged:
            return None
        props = cast(MutableMapping[str, Any], args.props)  # the SDK's proxy writes through to the resource
        for key, value in sets.items():
            props[key] = value  # written through the SDK's proxy: unknown values elsewhere stay unknown
        return props

    fixed = ResourceValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=policy.validate,
        # The SDK's type says awaitable; its servicer takes a plain mapping as well.
        remediate=cast(ResourceRemediation, remediate),
        enforcement_level=policy.enforcement_level,
        config_schema=policy.config_schema,
    )
    REMEDIATIONS[policy.name] = dict(sets)
    types = judged_types(policy)
    return fixed if types is None else judges(fixed, types)


def resource_rule(
    name: str,
    description: str,
    types: Iterable[str],
    check: Callable[[ResourceValidationArgs], list[str]],
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A rule for `types`: `check` returns the problems, reported together as one message."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        problems = check(args)
        if problems:
            report_violation("; ".join(problems) + ".", None)

    return judges(
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=config_schema,
        ),
        wanted,
    )


def props_rule(
    name: str, description: str, types: Iterable[str], check: Callable[[Props], list[str]]
) -> ResourceValidationPolicy:
    return resource_rule(name, description, types, lambda args: check(args.props))


def stack_rule(
    name: str, description: str, validate: Callable[[StackValidationArgs, ReportViolation], None]
) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )
