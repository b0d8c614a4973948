"""Turn a stack's config map (what the engine hands the program) into validated settings."""

from __future__ import annotations

import difflib
import json
import typing
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from infra.settings.checks import check
from infra.settings.errors import Problem, SettingsError, key_path
from infra.settings.model import ProviderSettings, Settings, StackSettings

NAMESPACE = "mlplat"
SECRET_KEYS = frozenset({"alertWebhookUrl"})  # keys whose value must be a Pulumi secret
PROVIDER_KEYS = {
    "aws:region": "aws_region",
    "gcp:project": "gcp_project",
    "gcp:region": "gcp_region",
    "azure-native:location": "azure_location",
}


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def load_settings(stack: str, config: Mapping[str, str], secret_keys: Iterable[str] = ()) -> StackSettings:
    """Validate `config` ({"mlplat:owner": "...", "aws:region": "..."}, values as the engine passes them).

    Raises SettingsError naming Pulumi.<stack>.yaml and the key path of the first problem.
    """
    file = stack_file(stack)
    secrets = set(secret_keys)
    ours = {k.split(":", 1)[1]: _decode(v) for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}

    plain = [k for k in SECRET_KEYS if k in ours and f"{NAMESPACE}:{k}" not in secrets]
    if plain:
        key = sorted(plain)[0]
        raise SettingsError(
            file,
            [
                Problem(
                    f"{NAMESPACE}:{key}", f"must be a secret: run `pulumi config set --secret {key} <value>`"
                )
            ],
        )
    try:
        settings = Settings.model_validate(ours)
    except ValidationError as error:
        errors = _without_renamed(error.errors())
        raise SettingsError(file, [_problem(e, secrets) for e in errors]) from None

    providers = ProviderSettings(**{field: config.get(key) for key, field in PROVIDER_KEYS.items()})
    stack_settings = StackSettings(stack=stack, settings=settings, providers=providers)
    problems = check(stack_settings)
    if problems:
        raise SettingsError(file, problems)
    return stack_settings


def _decode(raw: str) -> Any:
    """The engine passes structured values as JSON text and scalars as plain strings."""
    if raw.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _without_renamed(errors: list[Any]) -> list[Any]:
    """A misspelt key shows as an unknown key and a missing one; keep only the unknown key (with its hint)."""
    unknown = {(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"}

    def renamed(e: Any) -> bool:
        parent, key = tuple(e["loc"][:-1]), str(e["loc"][-1])
        typos = [k for p, k in unknown if p == parent]
        return e["type"] == "missing" and bool(difflib.get_close_matches(key, typos, n=1))

    return [e for e in errors if not renamed(e)]


def _problem(error: Any, secrets: set[str]) -> Problem:
    loc = tuple(error["loc"])
    path = key_path(NAMESPACE, loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return Problem(path, _unknown_key(loc))
    if kind == "missing":
        return Problem(path, "required key is missing")
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    secret = f"{NAMESPACE}:{loc[0]}" in secrets
    if "input" in error and not secret and not isinstance(error["input"], dict | list):
        message += f", got {error['input']!r}"
    return Problem(path, message)


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    allowed = _allowed_keys(loc[:-1])
    message = f"unknown key {loc[-1]!r}"
    if allowed:
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message += f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
    return message


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """Walk the model along `loc` to list the keys allowed at that place."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    return sorted((f.alias or name) for name, f in model.model_fields.items())


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
