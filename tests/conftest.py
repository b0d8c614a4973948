"""Shared fixtures: the project root, and stack files changed one key at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from infra.settings import StackSettings, load_settings
from mlplat.engine.stackfile import load_stack_config

ROOT = Path(__file__).resolve().parent.parent

_DELETE = object()


def stack_document(stack: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / f"Pulumi.{stack}.yaml").read_text())


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set `config.<key>` at a dotted path: 'mlplat:aws.gpuPools.0.maxNodes'. Returns a changed copy."""
    doc = copy.deepcopy(document)
    key, *rest = path.split(".")
    node: Any = doc["config"]
    parts: list[Any] = [key, *[int(p) if p.isdigit() else p for p in rest]]
    for part in parts[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return doc


def write_stack(directory: Path, stack: str, document: dict[str, Any]) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w") as f:
        yaml.dump(document, f)
    return path


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture
def load_changed(tmp_path: Path) -> Callable[..., StackSettings]:
    """Load a project stack file with one or more keys changed: load_changed("prod", {"mlplat:owner": "x"})."""

    def load(stack: str, changes: dict[str, Any] | None = None, document: dict[str, Any] | None = None) -> StackSettings:
        doc = document if document is not None else stack_document(stack)
        for path, value in (changes or {}).items():
            doc = set_path(doc, path, value)
        write_stack(tmp_path, stack, doc)
        config = load_stack_config(tmp_path, stack)
        return load_settings(stack, config.config, config.secret_keys)

    return load


DELETE = _DELETE
