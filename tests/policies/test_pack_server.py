"""The pack meets each resource with the rules for its type only, and no verdict changes for it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as apb
from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from policies import aws, azure, gcp, kubernetes, versions
from policies.common import judged_types, judges
from policies.pack import POLICIES
from policies.server import TypeDispatchServicer
from tests.policies.harness import OPTIONS, urn_of

RESOURCE_RULES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
_TYPE_TOKEN = re.compile(r"^[a-z][a-z-]*:[A-Za-z0-9/._-]+:[A-Za-z0-9]+$")


def _named_types() -> set[str]:
    """Every type token the rule modules name (their module-level constants), declared or not."""
    found: set[str] = set()
    for module in (aws, azure, gcp, kubernetes, versions):
        for value in vars(module).values():
            values = value if isinstance(value, tuple | list | frozenset | set) else (value,)
            found.update(v for v in values if isinstance(v, str) and _TYPE_TOKEN.match(v))
    return found


DECLARED = sorted({t for p in RESOURCE_RULES for t in judged_types(p) or ()} | _named_types())
# Types no rule judges, from every package the platform uses, plus the engine's own.
OTHER_TYPES = [
    "aws:ec2/instance:Instance",
    "gcp:compute/instance:Instance",
    "azure-native:compute:VirtualMachine",
    "kubernetes:core/v1:Pod",
    "pulumi:providers:aws",
    "mlplat:aws:Platform",
]


class PropertiesNotToBeRead(Mapping[str, Any]):
    """Properties that fail the test when a rule reads them: a rule must leave foreign types alone."""

    def __getitem__(self, key: str) -> Any:
        raise AssertionError(f"read property {key!r}")

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("iterated the properties")

    def __len__(self) -> int:
        raise AssertionError("counted the properties")


def test_every_resource_rule_declares_the_types_it_judges() -> None:
    assert RESOURCE_RULES
    assert [p.name for p in RESOURCE_RULES if not judged_types(p)] == []


def _foreign_types(policy: ResourceValidationPolicy) -> list[str]:
    declared = judged_types(policy) or frozenset()
    packages = {t.removesuffix(":*") for t in declared if t.endswith(":*")}
    return [t for t in (*DECLARED, *OTHER_TYPES) if t not in declared and t.split(":", 1)[0] not in packages]


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_a_rule_reads_nothing_of_a_type_it_does_not_declare(policy: ResourceValidationPolicy) -> None:
    """The dispatch may skip a rule for a type only if the rule would have ignored that type."""
    foreign = _foreign_types(policy)
    assert foreign
    for resource_type in foreign:
        args = ResourceValidationArgs(
            resource_type, PropertiesNotToBeRead(), urn_of(resource_type, "r"), "r", OPTIONS, None, {}
        )

        def report(message: str, urn: str | None = None, resource_type: str = resource_type) -> None:
            raise AssertionError(f"{policy.name} reported {message!r} for a {resource_type}")

        assert policy.validate(args, report) is None, resource_type


def _rule(name: str, seen: list[str], types: list[str] | None) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        seen.append(name)
        report_violation(f"{name} judged {args.resource_type}", None)

    rule = ResourceValidationPolicy(
        name=name, description=name, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )
    return judges(rule, types) if types is not None else rule


def test_the_servicer_runs_only_the_rules_for_the_analysed_type_and_every_undeclared_rule() -> None:
    seen: list[str] = []
    policies = [
        _rule("for-buckets", seen, ["aws:s3/bucket:Bucket"]),
        _rule("for-keys", seen, ["aws:kms/key:Key"]),
        _rule("for-all-aws", seen, ["aws:*"]),
        _rule("undeclared", seen, None),
    ]
    servicer = TypeDispatchServicer("pack", "0.0.1", policies, EnforcementLevel.MANDATORY)
    properties = struct_pb2.Struct()
    properties.update({"bucket": "data"})
    request = apb.AnalyzeRequest(
        urn=urn_of("aws:s3/bucket:Bucket", "data"),
        type="aws:s3/bucket:Bucket",
        name="data",
        properties=properties,
    )

    response = servicer.Analyze(request, None)

    assert seen == ["for-buckets", "for-all-aws", "undeclared"]
    assert [d.policyName for d in response.diagnostics] == seen
    assert {d.enforcementLevel for d in response.diagnostics} == {apb.MANDATORY}


def test_the_servicer_judges_a_stack_exactly_as_the_sdks_own_servicer() -> None:
    """Same Configure, same requests: the SDK's servicer and the pack's give the same diagnostics."""
    from pulumi_policy import policy as sdk

    from mlplat.engine import analyzer
    from mlplat.engine import plan as plan_module
    from tests.conftest import ROOT
    from tests.reliability.stackfiles import stack_config
    from tests.reliability.test_preview_secrets_scale import weakened_prod

    run = plan_module.run_program(ROOT, stack_config("prod", weakened_prod()))
    by_urn = {r.urn: r for r in run.resources}
    requests = [
        apb.AnalyzeRequest(
            urn=r.urn,
            type=r.type,
            name=r.name,
            properties=r.inputs,
            options=analyzer._options(r),
            provider=analyzer._provider(r, by_urn),
        )
        for r in run.resources
    ]
    stack = apb.AnalyzeStackRequest(
        resources=[analyzer._stack_resource(r, by_urn, remediated=r.inputs) for r in run.resources]
    )
    configure = apb.ConfigureAnalyzerRequest(
        policyConfig={"vpc-flow-logs-enabled": apb.PolicyConfig(enforcementLevel=apb.ADVISORY)}
    )

    def diagnostics(servicer: Any) -> list[tuple[str, str, str, int]]:
        servicer.Configure(configure, None)
        responses = [servicer.Analyze(r, None) for r in requests] + [servicer.AnalyzeStack(stack, None)]
        return [
            (d.policyName, d.urn, d.message, d.enforcementLevel) for x in responses for d in x.diagnostics
        ]

    stock = diagnostics(sdk._PolicyAnalyzerServicer("pack", "0.0.1", POLICIES, EnforcementLevel.MANDATORY))
    ours = diagnostics(TypeDispatchServicer("pack", "0.0.1", POLICIES, EnforcementLevel.MANDATORY))

    assert len({d[0] for d in stock}) > 5  # the weakened stack breaks many rules, resource and stack ones
    assert ours == stock
