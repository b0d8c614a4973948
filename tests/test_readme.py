"""The README is the front door: its settings reference names every key the model accepts."""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel

from infra.settings import Settings
from infra.settings.profiles import Profile
from tests.conftest import ROOT


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def all_keys(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        for sub in _models(field.annotation):
            keys |= all_keys(sub, seen)
    return keys


def test_readme_settings_reference_names_every_settings_key() -> None:
    readme = (ROOT / "README.md").read_text()
    reference = readme[readme.index("## Settings reference") :]
    missing = sorted(
        key
        for key in all_keys(Settings) | all_keys(Profile)
        if not re.search(rf"[`.]{re.escape(key)}[`.( ]", reference)
    )
    assert missing == [], f"README settings reference lacks: {missing}"


def test_readme_commands_are_the_makefile_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("plan", "test", "setup", "bench", "inventory", "mutation"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_policy_reference_is_current_with_the_pack_and_its_configs() -> None:
    from mlplat.delivery.policy_docs import render

    current = (ROOT / "docs" / "policies.md").read_text()
    assert current == render(ROOT / "policies"), "run `mlplat policy-docs --write`"


def test_policy_reference_lists_every_rule_once() -> None:
    from policies.pack import POLICIES

    reference = (ROOT / "docs" / "policies.md").read_text()
    for policy in POLICIES:
        assert reference.count(f"| `{policy.name}` |") == 1, policy.name
