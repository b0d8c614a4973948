"""The Pulumi program: read the stack's settings, then compose the platform from components."""

from infra.platform_stack import build_platform
from infra.stack_config import settings_from_engine

build_platform(settings_from_engine())
