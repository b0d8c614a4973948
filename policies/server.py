"""Serve the pack so a resource meets only the rules for its type.

The SDK's analyzer (pulumi-policy 1.21.0, `_PolicyAnalyzerServicer.Analyze`) walks every policy for
every resource and deserialises the resource's properties once per policy before the rule can even
look at the type; with over a hundred rules that is most of the pack's time. Each resource rule
declares the types it judges (`policies.common.judges`); this servicer reports every other rule as
disabled for the resource being analysed, which the SDK skips before any deserialisation. Verdicts
are unchanged: an undeclared rule still meets every resource, and `tests/policies/test_pack_server.py`
runs every rule against every type of the plans to show a rule never fires outside its declaration.
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as sdk

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
        self._applies: dict[tuple[str, str], bool] = {}

    def Analyze(self, request: Any, context: Any) -> Any:
        self._current.type = request.type
        try:
            return super().Analyze(request, context)
        finally:
            self._current.type = None

    def _get_enforcement_level(self, policy: Policy) -> EnforcementLevel:
        type_token = getattr(self._current, "type", None)
        if type_token is not None:
            key = (policy.name, type_token)
            applies = self._applies.get(key)
            if applies is None:
                applies = self._applies[key] = judges_type(policy, type_token)
            if not applies:
                return EnforcementLevel.DISABLED
        return super()._get_enforcement_level(policy)


def install() -> None:
    """Make `PolicyPack(...)` serve through `TypeDispatchServicer` (it looks the class up when built)."""
    sdk._PolicyAnalyzerServicer = TypeDispatchServicer  # pyright: ignore[reportPrivateUsage]
