"""Turn drawn stack documents into what the engine hands the program, through the real file reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import StackSettings, load_settings
from mlplat.engine.stackfile import StackConfig, parse_stack_config
from tests.conftest import yaml_text


def stack_config(stack: str, document: dict[str, Any]) -> StackConfig:
    """The config map of `document` as `Pulumi.<stack>.yaml`, read the way `mlplat plan` reads a file."""
    return parse_stack_config(yaml_text(document), stack, Path(f"Pulumi.{stack}.yaml"))


def settings_of(stack: str, document: dict[str, Any]) -> StackSettings:
    config = stack_config(stack, document)
    return load_settings(stack, config.config, config.secret_keys)
