"""Stack settings: one typed, validated model of the `mlplat:` namespace."""

from infra.settings.errors import Problem, SettingsError
from infra.settings.loader import NAMESPACE, SECRET_KEYS, load_settings, stack_file
from infra.settings.model import GpuPool, Settings, StackSettings
from infra.settings.profiles import PROFILES, Profile

__all__ = [
    "NAMESPACE",
    "PROFILES",
    "SECRET_KEYS",
    "GpuPool",
    "Problem",
    "Profile",
    "Settings",
    "SettingsError",
    "StackSettings",
    "load_settings",
    "stack_file",
]
