"""What the engine would see of each resource registration: the shared record of a plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf import struct_pb2


@dataclass
class RecordedResource:
    """One `RegisterResource` call as the engine receives it (inputs in camelCase wire form)."""

    urn: str
    type: str
    name: str
    parent: str  # parent URN, "" for the stack itself
    custom: bool
    protect: bool
    retain_on_delete: bool
    provider: str
    inputs: struct_pb2.Struct  # the request's `object`, secrets still wrapped as the engine sends them
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    outputs: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)  # the mock's computed state
    # Resource options the engine passes on to the analyzer (AnalyzerResourceOptions).
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None  # None: not set by the program
    additional_secret_outputs: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # alias URNs
    custom_timeouts: tuple[float, float, float] = (0.0, 0.0, 0.0)  # create, update, delete in seconds
