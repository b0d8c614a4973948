"""The stack's resource group: every Azure resource of the platform lives in it, and the budget watches it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native


@dataclass(frozen=True)
class ResourceGroupArgs:
    resource_group_name: str  # see components.common.naming ("azure-resource-group")
    location: str
    tags: Mapping[str, str]
    deletion_protection: bool = False


class ResourceGroup(pulumi.ComponentResource):
    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: ResourceGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlplat:azure:ResourceGroup", name, None, opts)
        # No Azure lock on the group itself: it would also block routine deletes inside it (a pool, a PE).
        self.group = azure_native.resources.ResourceGroup(
            f"{name}-rg",
            azure_native.resources.ResourceGroupArgs(
                resource_group_name=args.resource_group_name, location=args.location, tags=dict(args.tags)
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        self.resource_group_name = self.group.name
        self.resource_group_id = self.group.id
        self.register_outputs(
            {"resource_group_name": self.resource_group_name, "resource_group_id": self.resource_group_id}
        )
