"""Read the stack's config from the Pulumi runtime; a mistake stops the program with one message."""

from __future__ import annotations

import pulumi
import pulumi.runtime

from infra.settings import SettingsError, StackSettings, load_settings


def settings_from_engine() -> StackSettings:
    """All config the engine passed (explicitly set or via PULUMI_CONFIG), validated before any resource."""
    config: dict[str, str] = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = {k for k in config if pulumi.runtime.is_config_secret(k)}
    secret_keys |= set(pulumi.runtime.get_config_secret_keys_env())
    try:
        return load_settings(pulumi.get_stack(), config, secret_keys)
    except SettingsError as error:
        # RunError is printed by the engine as one line, without a Python traceback.
        raise pulumi.RunError(str(error)) from None
