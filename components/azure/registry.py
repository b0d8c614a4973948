"""A container registry for training and serving images: Entra-only, private where it matters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.private_link import PrivateLink, private_endpoint


@dataclass(frozen=True)
class ContainerRegistryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    registry_name: pulumi.Input[str]  # 5-50 alphanumerics, globally unique
    tags: Mapping[str, str]
    # Private endpoints and closing the public endpoint need Premium; Basic is the cheap dev choice.
    sku: str = "Premium"
    public_network_access: bool = False
    private_link: PrivateLink | None = None
    zone_redundancy: bool = False
    untagged_retention_days: int = 30  # Premium only: untagged manifests are deleted after this many days
    deletion_protection: bool = False


class ContainerRegistry(pulumi.ComponentResource):
    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    login_server: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlplat:azure:ContainerRegistry", name, None, opts)
        premium = args.sku == azure_native.containerregistry.SkuName.PREMIUM
        if (args.private_link is not None or not args.public_network_access) and not premium:
            raise ValueError(f"{name}: private endpoints and a closed public endpoint need the Premium SKU")
        self.registry = azure_native.containerregistry.Registry(
            f"{name}-registry",
            azure_native.containerregistry.RegistryArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                registry_name=args.registry_name,
                sku=azure_native.containerregistry.SkuArgs(name=args.sku),
                # Pushes and pulls authenticate with Entra identities, never a shared admin password.
                admin_user_enabled=False,
                anonymous_pull_enabled=False,
                public_network_access=(
                    azure_native.containerregistry.PublicNetworkAccess.ENABLED
                    if args.public_network_access
                    else azure_native.containerregistry.PublicNetworkAccess.DISABLED
                ),
                network_rule_bypass_options=azure_native.containerregistry.NetworkRuleBypassOptions.AZURE_SERVICES,
                network_rule_set=(
                    azure_native.containerregistry.NetworkRuleSetArgs(
                        default_action=azure_native.containerregistry.DefaultAction.DENY
                    )
                    if premium
                    else None
                ),
                zone_redundancy=(
                    azure_native.containerregistry.ZoneRedundancy.ENABLED
                    if args.zone_redundancy
                    else azure_native.containerregistry.ZoneRedundancy.DISABLED
                ),
                policies=(
                    azure_native.containerregistry.PoliciesArgs(
                        retention_policy=azure_native.containerregistry.RetentionPolicyArgs(
                            days=args.untagged_retention_days,
                            status=azure_native.containerregistry.PolicyStatus.ENABLED,
                        )
                    )
                    if premium
                    else None
                ),
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        if args.private_link is not None:
            private_endpoint(
                f"{name}-pe",
                link=args.private_link,
                service_id=self.registry.id,
                group_id="registry",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                parent=self,
            )
        self.registry_id = self.registry.id
        self.registry_name = self.registry.name
        self.login_server = self.registry.login_server
        self.register_outputs(
            {
                "registry_id": self.registry_id,
                "registry_name": self.registry_name,
                "login_server": self.login_server,
            }
        )
