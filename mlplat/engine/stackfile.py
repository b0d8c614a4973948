"""Read Pulumi.<stack>.yaml the way the engine does (the reader lives with the settings it feeds)."""

from infra.settings.stackfile import SECRET_PLACEHOLDER, StackConfig, load_stack_config, parse_stack_config

__all__ = ["SECRET_PLACEHOLDER", "StackConfig", "load_stack_config", "parse_stack_config"]
