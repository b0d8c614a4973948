"""Which input properties replace a resource when they change: `mlplat/data/replace_on_change.yaml`.

Each resource type the platform creates is listed with the top-level input properties whose change
forces a replacement and the document that says so (SDK docstring, provider source, cloud API
reference); a type with none is listed with `[]` and its source too. Re-record with
`tools/e2e/replace_on_change.py`. The stand-in provider plugins answer `Diff` from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from ruamel.yaml import YAML


@dataclass(frozen=True)
class Replacement:
    property: str
    source: str


class UnknownResourceType(KeyError):
    """A type the table does not list: record it with tools/e2e/replace_on_change.py."""


@cache
def table() -> dict[str, tuple[Replacement, ...]]:
    text = resources.files("mlplat").joinpath("data/replace_on_change.yaml").read_text()
    document = YAML(typ="safe").load(text)
    return {
        token: tuple(Replacement(entry["property"], entry["source"]) for entry in body["replaces"])
        for token, body in document.items()
    }


def replacing_properties(token: str) -> frozenset[str]:
    """The top-level input properties of `token` whose change replaces the resource."""
    try:
        return frozenset(r.property for r in table()[token])
    except KeyError:
        raise UnknownResourceType(token) from None
