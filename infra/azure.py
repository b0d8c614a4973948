"""The Azure part of the platform (built with the Azure issue)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from infra.settings import StackSettings
from infra.settings.model import AzureSettings


def build_azure(stack: StackSettings, settings: AzureSettings, tags: Mapping[str, str]) -> None:
    pulumi.log.warn("mlplat:azure is validated but its resources are not built yet in this version")
