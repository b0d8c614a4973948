"""Serve the pack so a resource meets only the rules for its type, and a stack is read once.

The SDK's analyzer (pulumi-policy 1.21.0, `_PolicyAnalyzerServicer`) walks every policy for every
resource and deserialises the resource's properties once per policy before the rule can even look at
the type, and AnalyzeStack rebuilds every resource of the stack once per stack policy; with over a
hundred rules that is nearly all of the pack's time. Here:

- each resource rule declares the types it judges (`policies.common.judges`), and every other rule
  counts as disabled for the resource being analysed, which the SDK skips before deserialising;
- AnalyzeStack builds the stack's resources once and hands the same (read-only) list to each stack
  policy, as the SDK would build it for each.

Verdicts are unchanged: an undeclared rule still meets every resource, and
`tests/policies/test_pack_server.py` shows a rule never reads a type outside its declaration and that
both servicers return the same diagnostics for the same stack.
"""

from __future__ import annotations

import asyncio
import threading
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel, Policy, PolicyResource, StackValidationArgs, StackValidationPolicy
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.common import judged_types


def judges_type(policy: Policy, type_token: str) -> bool:
    """Whether `policy` should meet a resource of `type_token` (undeclared rules meet everything)."""
    types = judged_types(policy)
    if types is None:
        return True
    return type_token in types or f"{type_token.split(':', 1)[0]}:*" in types


class TypeDispatchServicer(sdk._PolicyAnalyzerServicer):  # pyright: ignore[reportPrivateUsage]
    """The SDK's analyzer servicer, with rules for other types disabled per analysed resource."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The SDK serves from a thread pool: the resource being analysed is per thread.
        self._current = threading.local()
        self._applies: dict[tuple[int, str], bool] = {}
        self._runtime_configured = False

    def _configure_runtime_settings(self) -> None:
        # The SDK re-reads the process environment into the Pulumi runtime on every request; the
        # environment is fixed for the pack's life, so once gives the same settings.
        if not self._runtime_configured:
            super()._configure_runtime_settings()
            self._runtime_configured = True

    def Analyze(self, request: Any, context: Any) -> Any:
        self._current.type = request.type
        try:
            return super().Analyze(request, context)
        finally:
            self._current.type = None

    def Remediate(self, request: Any, context: Any) -> Any:
        """The SDK's Remediate, meeting only the rules for the resource's type, as Analyze does."""
        self._current.type = request.type
        try:
            return super().Remediate(request, context)
        finally:
            self._current.type = None

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        """The SDK's AnalyzeStack, with the stack's resources built once for all stack policies."""
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        for policy in self._PolicyAnalyzerServicer__policies:  # pyright: ignore[reportAttributeAccessIssue]
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED or not isinstance(policy, StackValidationPolicy):
                continue
            if level == EnforcementLevel.REMEDIATE:
                level = EnforcementLevel.MANDATORY  # stack policies cannot remediate
            if resources is None:
                resources = self._stack_resources(request)
            report = self._create_report_violation(
                response, policy.name, policy.description, level, policy.severity
            )
            args = StackValidationArgs(
                resources,
                self._get_policy_config(policy.name),
                self._PolicyAnalyzerServicer__stack_tags,  # pyright: ignore[reportAttributeAccessIssue]
            )
            try:
                result = policy.validate(args, report)
                if isawaitable(result):
                    loop = asyncio.new_event_loop()
                    try:
                        loop.run_until_complete(result)
                    finally:
                        loop.close()
            except UnknownValueError as error:
                name = self._PolicyAnalyzerServicer__policy_pack_name  # pyright: ignore[reportAttributeAccessIssue]
                version = self._PolicyAnalyzerServicer__policy_pack_version  # pyright: ignore[reportAttributeAccessIssue]
                response.diagnostics.append(
                    proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' "
                            f"during preview: {error.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=proto.ADVISORY,
                    )
                )
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The stack's resources with parents, dependencies and property dependencies linked, as the SDK does."""
        built: list[tuple[PolicyResource, Any]] = []
        for r in request.resources:
            props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(r.properties)))
            resource = PolicyResource(
                r.type,
                props,
                r.urn,
                r.name,
                self._get_resource_options(r),
                self._get_provider_resource(r),
                None,
                [],
                {},
            )
            built.append((resource, r))
        by_urn = {resource.urn: resource for resource, _ in built}
        for resource, r in built:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for key, deps in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
        return [resource for resource, _ in built]

    def _get_enforcement_level(self, policy: Policy) -> EnforcementLevel:
        type_token = getattr(self._current, "type", None)
        if type_token is not None:
            key = (id(policy), type_token)
            applies = self._applies.get(key)
            if applies is None:
                applies = self._applies[key] = judges_type(policy, type_token)
            if not applies:
                return EnforcementLevel.DISABLED
        return super()._get_enforcement_level(policy)


def install() -> None:
    """Make `PolicyPack(...)` serve through `TypeDispatchServicer` (it looks the class up when built)."""
    sdk._PolicyAnalyzerServicer = TypeDispatchServicer  # pyright: ignore[reportPrivateUsage]
