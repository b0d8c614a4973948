"""Read Pulumi.<stack>.yaml the way the engine does and hand the program its config map."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.settings import NAMESPACE, Problem, SettingsError, stack_file

SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class StackConfig:
    stack: str
    path: Path
    config: dict[str, str]  # "namespace:key" -> value as the engine passes it (JSON text for objects)
    secret_keys: frozenset[str]


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    path = project_dir / stack_file(stack)
    if not path.is_file():
        raise SettingsError(path.name, [Problem("config", f"stack file not found in {project_dir}")])
    return parse_stack_config(path.read_text(), stack, path)


def parse_stack_config(text: str, stack: str, path: Path) -> StackConfig:
    """The config map of a stack file's text (used for files not yet written, e.g. a promotion)."""
    try:
        document = YAML(typ="safe").load(text) or {}
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "config"
        raise SettingsError(
            path.name, [Problem(where, f"not valid YAML: {getattr(error, 'problem', error)}")]
        ) from None
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise SettingsError(path.name, [Problem("config", "must be a mapping of keys to values")])

    config: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in raw.items():
        full = key if ":" in str(key) else f"{NAMESPACE}:{key}"  # bare keys belong to the project
        secret, plain = _reveal(value)
        if secret:
            secrets.add(full)
        config[full] = _engine_string(plain)
    return StackConfig(stack=stack, path=path, config=config, secret_keys=frozenset(secrets))


def _reveal(value: Any) -> tuple[bool, Any]:
    """Replace `secure:` ciphertexts with a placeholder (offline there is no key to decrypt them)."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return True, SECRET_PLACEHOLDER
        found = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            s, out[k] = _reveal(v)
            found |= s
        return found, out
    if isinstance(value, list):
        pairs = [_reveal(v) for v in value]
        return any(s for s, _ in pairs), [v for _, v in pairs]
    return False, value


def _engine_string(value: Any) -> str:
    """Scalars reach the program as strings and structured values as JSON, as with the Pulumi CLI."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json_default)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
