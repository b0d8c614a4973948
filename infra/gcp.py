"""The GCP part of the platform (built with the GCP issue)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from infra.settings import StackSettings
from infra.settings.model import GcpSettings


def build_gcp(stack: StackSettings, settings: GcpSettings, tags: Mapping[str, str]) -> None:
    pulumi.log.warn("mlplat:gcp is validated but its resources are not built yet in this version")
