"""Compose the platform: one builder per cloud, all fed from the same validated settings."""

from __future__ import annotations

import pulumi

from components.common.tags import platform_tags
from infra.aws import build_aws
from infra.azure import build_azure
from infra.clusters import HANDOFF_OUTPUT, Handoff
from infra.gcp import build_gcp
from infra.settings import StackSettings


def build_platform(stack: StackSettings) -> None:
    s = stack.settings
    tags = platform_tags(
        environment=s.environment, owner=s.owner, cost_center=s.cost_center, stack=stack.stack, extra=s.tags
    )
    pulumi.export("environment", s.environment)
    pulumi.export("profile", s.profile_name)
    handoffs: dict[str, Handoff | None] = {}
    if s.aws is not None:
        handoffs["aws"] = build_aws(stack, s.aws, tags)
    if s.gcp is not None:
        handoffs["gcp"] = build_gcp(stack, s.gcp, tags)
    if s.azure is not None:
        handoffs["azure"] = build_azure(stack, s.azure, tags)
    # The cluster stacks (project mlplat-clusters) read their cluster from here through a StackReference.
    clusters = {cloud: values for cloud, values in handoffs.items() if values is not None}
    if clusters:
        pulumi.export(HANDOFF_OUTPUT, clusters)
