"""The constraints layer's vocabulary: a rule, a finding, and a read-only view of one plan.

A rule answers one question about one resource type: would the cloud's API accept this
registration? Each rule names the document it rests on. Rules read the engine's camelCase inputs
and, for names the provider fills in itself (autonaming), the offline fakes' computed outputs.
A value unknown during preview is skipped, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Res:
    """One registered resource as the constraints see it (plain values, secrets masked)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def value(self, *path: str | int) -> Any:
        """An input by path (`"tags"`, `"gceSetup", "bootDisk"`); None when unset or unknown."""
        return dig(self.inputs, *path)

    def physical(self, key: str) -> Any:
        """A name the program sets, else the one the provider fills in (the fakes compute it as it does)."""
        given = self.value(key)
        return given if given is not None else dig(self.outputs, key)


def dig(node: Any, *path: str | int) -> Any:
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and len(node) > part else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return None if node == UNKNOWN else node


def known(value: Any) -> bool:
    return value is not None and value != UNKNOWN and "[unknown]" not in str(value)


Check = Callable[[Res, "PlanView"], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    id: str
    types: tuple[str, ...]
    refuses: str  # what the cloud refuses, in one line
    source: str  # the document the rule rests on
    check: Check


@dataclass(frozen=True)
class Finding:
    rule: str
    urn: str
    type: str
    name: str
    message: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "source": self.source,
        }


class PlanView:
    """Every resource of one plan, with the links the rules follow (parents, dependencies, references)."""

    def __init__(self, resources: Sequence[Res], read_arns: Iterable[str] = ()) -> None:
        self.resources = list(resources)
        # ARNs the program read from the account through invokes: they exist by construction.
        self.read_arns = frozenset(read_arns)
        self.by_urn = {r.urn: r for r in self.resources}
        self._children: dict[str, list[Res]] = {}
        for r in self.resources:
            self._children.setdefault(r.parent, []).append(r)

    def of_type(self, token: str) -> list[Res]:
        return [r for r in self.resources if r.type == token]

    def descendants(self, urn: str) -> Iterator[Res]:
        for child in self._children.get(urn, []):
            yield child
            yield from self.descendants(child.urn)

    def waits_for(self, res: Res) -> set[str]:
        """Every URN `res` is created after: its dependencies, theirs, and a component's children."""
        seen: set[str] = set()
        todo = [*res.dependencies, *(u for deps in res.property_dependencies.values() for u in deps)]
        while todo:
            urn = todo.pop()
            if urn in seen:
                continue
            seen.add(urn)
            dep = self.by_urn.get(urn)
            if dep is None:
                continue
            todo.extend(dep.dependencies)
            todo.extend(u for deps in dep.property_dependencies.values() for u in deps)
            if not dep.custom:  # waiting for a component means waiting for everything in it
                todo.extend(d.urn for d in self.descendants(urn))
        return seen

    def with_output(self, token: str, key: str, value: Any) -> list[Res]:
        """Resources of `token` whose computed or given `key` equals `value` (an ARN, an id, a name)."""
        return [r for r in self.of_type(token) if known(value) and r.physical(key) == value]


def name_rule(
    rule_id: str,
    types: Sequence[str],
    key: str,
    pattern: str,
    *,
    what: str,
    source: str,
    min_length: int = 1,
    max_length: int,
    forbidden_prefixes: Sequence[str] = (),
) -> Rule:
    """A physical name the cloud checks: length, characters, first and last character, reserved prefixes."""
    regex = re.compile(pattern)

    def check(res: Res, plan: PlanView) -> Iterator[str]:
        name = res.physical(key)
        if not known(name):
            return
        text = str(name)
        if not min_length <= len(text) <= max_length:
            yield f"{key} {text!r} is {len(text)} characters; {what} must be {min_length}-{max_length}"
        elif not regex.fullmatch(text):
            yield f"{key} {text!r} does not match {pattern}: {what}"
        for prefix in forbidden_prefixes:
            if text.lower().startswith(prefix):
                yield f"{key} {text!r} starts with the reserved {prefix!r}"

    refuses = f"`{key}`: {what}, {min_length}-{max_length} characters"
    return Rule(rule_id, tuple(types), refuses, source, check)


def mapping_rule(
    rule_id: str,
    types: Sequence[str],
    key: str | Sequence[str],
    *,
    refuses: str,
    source: str,
    max_entries: int,
    entry: Callable[[str, Any], str | None],
) -> Rule:
    """Tags and labels: a cap on the number of entries and a rule for each key and value."""
    path = (key,) if isinstance(key, str) else tuple(key)

    def check(res: Res, plan: PlanView) -> Iterator[str]:
        values = res.value(*path)
        if not isinstance(values, dict):
            return
        if len(values) > max_entries:
            yield f"{'.'.join(path)} has {len(values)} entries; at most {max_entries} are accepted"
        for k, v in values.items():
            if known(v) and (problem := entry(k, v)):
                yield f"{'.'.join(path)}: {problem}"

    return Rule(rule_id, tuple(types), refuses, source, check)


def of_package(types: Iterable[str], package: str) -> tuple[str, ...]:
    return tuple(t for t in types if t.startswith(package + ":"))
