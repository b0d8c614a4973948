"""Azure: what the provider computes for the resources the platform creates (filled in with the azure components)."""

from __future__ import annotations

from mlplat.engine.fakes import CallFn, MockContext, OutputFn, Outputs


def fallback(token: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    return {}


OUTPUTS: dict[str, OutputFn] = {}
CALLS: dict[str, CallFn] = {}
