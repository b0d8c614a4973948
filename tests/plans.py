"""Read recorded registrations the way the engine sees them (camelCase inputs, secrets masked)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mlplat.engine.program import ProgramRun, run_in_mock_engine
from mlplat.engine.recording import RecordedResource
from mlplat.engine.report import struct_to_dict


@dataclass(frozen=True)
class Seen:
    """One registered resource: its type, name, parent URN, options and inputs as the engine saw them."""

    type: str
    name: str
    urn: str
    parent: str
    protect: bool
    retain_on_delete: bool
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]]

    @classmethod
    def of(cls, r: RecordedResource) -> Seen:
        return cls(
            r.type,
            r.name,
            r.urn,
            r.parent,
            r.protect,
            r.retain_on_delete,
            struct_to_dict(r.inputs),
            r.property_dependencies,
        )


class Plan:
    def __init__(self, run: ProgramRun) -> None:
        self.run = run
        self.resources = [Seen.of(r) for r in run.resources]

    def of_type(self, token: str) -> list[Seen]:
        return sorted((r for r in self.resources if r.type == token), key=lambda r: r.name)

    def one(self, token: str) -> Seen:
        found = self.of_type(token)
        assert len(found) == 1, f"expected one {token}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Seen:
        return next(r for r in self.resources if r.urn == urn)

    def types(self) -> set[str]:
        return {r.type for r in self.resources}


def record(body: Callable[[], Any], *, stack: str = "dev", config: dict[str, str] | None = None) -> Plan:
    """Run `body` (which builds components) against the recording mocks, with every output known."""
    return Plan(run_in_mock_engine(body, stack=stack, config=config or {"aws:region": "us-east-1"}))


def names(resources: Iterable[Seen]) -> list[str]:
    return [r.name for r in resources]
