"""Mocks that answer like the clouds would: realistic computed outputs, recorded registrations.

Outputs are the inputs echoed back plus what the provider computes (ids, ARNs, names,
endpoints, see `fakes/<cloud>.py`), derived deterministically from the name so plans and
inventories are stable.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockMonitor

from mlplat.engine.fakes import MockContext, Outputs, short_hash
from mlplat.engine.fakes import aws as aws_fakes
from mlplat.engine.fakes import azure as azure_fakes
from mlplat.engine.fakes import gcp as gcp_fakes
from mlplat.engine.fakes import kubernetes as kubernetes_fakes
from mlplat.engine.recording import RecordedResource

_BY_PACKAGE: dict[str, ModuleType] = {
    "aws": aws_fakes,
    "gcp": gcp_fakes,
    "azure-native": azure_fakes,
    "kubernetes": kubernetes_fakes,
}


def computed_outputs(typ: str, name: str, inputs: Outputs, ctx: MockContext) -> tuple[str, Outputs]:
    """(id, outputs) for a resource: inputs echoed, then what the provider would compute."""
    outputs = dict(inputs)
    fakes = _BY_PACKAGE.get(typ.split(":")[0])
    if fakes is not None:
        build = fakes.OUTPUTS.get(typ)
        outputs.update(build(name, inputs, ctx) if build else fakes.fallback(typ, name, inputs, ctx))
    resource_id = str(outputs.pop("id", None) or f"{name}-{short_hash(typ + name)}")
    return resource_id, outputs


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self, ctx: MockContext | None = None) -> None:
        self.ctx = ctx or MockContext()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return computed_outputs(args.typ, args.name, dict(args.inputs), self.ctx)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        fakes = _BY_PACKAGE.get(args.token.split(":")[0])
        handler = fakes.CALLS.get(args.token) if fakes else None
        if handler is None:
            raise NotImplementedError(f"the offline engine has no answer for the invoke {args.token}")
        return handler(dict(args.args), self.ctx), []


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration as the engine would receive it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.resource_outputs: dict[str, struct_pb2.Struct] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                provider=request.provider,
                inputs=request.object,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                outputs=response.object,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.resource_outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)
