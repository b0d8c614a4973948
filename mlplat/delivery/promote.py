"""Promotion: copy what dev proved (pinned versions and other promotable settings) into the next stack.

The destination file is edited as a round trip (comments, order and quoting survive), planned
offline with its own strict policies, and written only when asked and only when it passes.
"""

from __future__ import annotations

import copy
import difflib
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from infra.settings import NAMESPACE, stack_file
from infra.settings.model import promotable_keys


class PromotionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Promotion:
    source: str
    target: str
    path: Path
    keys: list[str]  # promotable keys whose value changes in the target
    old_text: str
    new_text: str

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    def unified_diff(self) -> str:
        name = self.path.name
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(True), self.new_text.splitlines(True), f"a/{name}", f"b/{name}"
            )
        )


def _yaml() -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _dump(document: Any) -> str:
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    return buffer.getvalue()


def _find(config: Any, key: str) -> str | None:
    """The key as written in the file: namespaced (`mlplat:versions`) or bare (`versions`)."""
    for candidate in (f"{NAMESPACE}:{key}", key):
        if candidate in config:
            return candidate
    return None


def _plain(value: Any) -> Any:
    return YAML(typ="safe").load(_dump({"v": value}))["v"]


def deployed_source(project_dir: Path, source: str, ref: str | None) -> tuple[str, str] | None:
    """(ref, text) of the source's stack file as that stack runs it: at `ref`, or at its `deployed/<source>`
    marker when that tag exists (the release model in mlplat/delivery/release.py); None: use the working tree.
    """
    from mlplat.delivery.release import marker

    wanted = ref or marker(source)
    proc = subprocess.run(
        ["git", "show", f"{wanted}:./{stack_file(source)}"], cwd=project_dir, capture_output=True, text=True
    )
    if proc.returncode == 0:
        return wanted, proc.stdout
    if ref is not None:
        raise PromotionError(f"{stack_file(source)} not found at {ref}: {proc.stderr.strip()}")
    return None


def prepare(project_dir: Path, source: str, target: str, source_text: str | None = None) -> Promotion:
    """The target stack file with the source's promotable settings; nothing is written here.

    `source_text` is the source stack file as deployed (see `deployed_source`); default: the working tree's.
    """
    src_path, dst_path = project_dir / stack_file(source), project_dir / stack_file(target)
    for path in (dst_path,) if source_text is not None else (src_path, dst_path):
        if not path.is_file():
            raise PromotionError(f"{path.name} not found in {project_dir}")
    src = _yaml().load(source_text if source_text is not None else src_path.read_text())
    old_text = dst_path.read_text()
    dst = _yaml().load(old_text)
    src_config, dst_config = src.get("config") or {}, dst.get("config")
    if dst_config is None:
        raise PromotionError(f"{dst_path.name} has no config section")
    changed: list[str] = []
    for key in promotable_keys():
        src_key = _find(src_config, key)
        if src_key is None:
            raise PromotionError(f"{src_path.name}: {NAMESPACE}:{key} is not set, nothing to promote")
        dst_key = _find(dst_config, key) or f"{NAMESPACE}:{key}"
        if _plain(dst_config.get(dst_key)) != _plain(src_config[src_key]):
            changed.append(key)
            dst_config[dst_key] = copy.deepcopy(src_config[src_key])
    new_text = _dump(dst) if changed else old_text
    return Promotion(source, target, dst_path, changed, old_text, new_text)
