"""A VNet with AKS, ML compute and private endpoint subnets, NSGs, NAT egress and private DNS zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from components.azure.private_link import PRIVATE_DNS_ZONES, PrivateLink

SUBNETS = ("aks", "compute", "endpoints")  # always present
# AKS API server VNet integration, when the cluster uses it; GitHub-hosted deploy runners, when configured.
OPTIONAL_SUBNETS = ("apiserver", "runners")
_NAT_SUBNETS = ("aks", "compute", "runners")  # private endpoints and the API server never initiate egress
_DELEGATIONS = {
    "apiserver": "Microsoft.ContainerService/managedClusters",
    "runners": "GitHub.Network/networkSettings",
}


@dataclass(frozen=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vnet_name: str
    vnet_cidr: str
    subnet_cidrs: Mapping[str, str]  # one per name in SUBNETS, plus any of OPTIONAL_SUBNETS
    tags: Mapping[str, str]
    private_dns_zones: Sequence[str] = field(default_factory=lambda: tuple(PRIVATE_DNS_ZONES))
    nat_idle_timeout_minutes: int = 10


class Network(pulumi.ComponentResource):
    vnet_id: pulumi.Output[str]
    vnet_name: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    nat_public_ip: pulumi.Output[str]
    dns_zone_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:Network", name, None, opts)
        missing = sorted(set(SUBNETS) - set(args.subnet_cidrs))
        unknown = sorted(set(args.subnet_cidrs) - set(SUBNETS) - set(OPTIONAL_SUBNETS))
        if missing or unknown:
            raise ValueError(f"subnet_cidrs: missing {missing}, unknown {unknown}")
        child = pulumi.ResourceOptions(parent=self)
        rg, tags = args.resource_group_name, dict(args.tags)

        self.vnet = azure_native.network.VirtualNetwork(
            f"{name}-vnet",
            azure_native.network.VirtualNetworkInitArgs(
                resource_group_name=rg,
                location=args.location,
                virtual_network_name=args.vnet_name,
                address_space=azure_native.network.AddressSpaceArgs(address_prefixes=[args.vnet_cidr]),
                tags=tags,
            ),
            opts=child,
        )
        self.public_ip = azure_native.network.PublicIPAddress(
            f"{name}-nat-ip",
            azure_native.network.PublicIPAddressInitArgs(
                resource_group_name=rg,
                location=args.location,
                public_ip_address_name=f"pip-{args.vnet_name}-egress",
                sku=azure_native.network.PublicIPAddressSkuArgs(
                    name=azure_native.network.PublicIPAddressSkuName.STANDARD,
                    tier=azure_native.network.PublicIPAddressSkuTier.REGIONAL,
                ),
                public_ip_allocation_method=azure_native.network.IPAllocationMethod.STATIC,
                public_ip_address_version=azure_native.network.IPVersion.I_PV4,
                tags=tags,
            ),
            opts=child,
        )
        self.nat_gateway = azure_native.network.NatGateway(
            f"{name}-nat",
            azure_native.network.NatGatewayInitArgs(
                resource_group_name=rg,
                location=args.location,
                nat_gateway_name=f"ng-{args.vnet_name}",
                sku=azure_native.network.NatGatewaySkuArgs(
                    name=azure_native.network.NatGatewaySkuName.STANDARD
                ),
                public_ip_addresses=[azure_native.network.SubResourceArgs(id=self.public_ip.id)],
                idle_timeout_in_minutes=args.nat_idle_timeout_minutes,
                tags=tags,
            ),
            opts=child,
        )

        self.security_groups: dict[str, azure_native.network.NetworkSecurityGroup] = {}
        self.subnets: dict[str, azure_native.network.Subnet] = {}
        previous: azure_native.network.Subnet | None = None
        for purpose in [p for p in (*SUBNETS, *OPTIONAL_SUBNETS) if p in args.subnet_cidrs]:
            nsg = azure_native.network.NetworkSecurityGroup(
                f"{name}-{purpose}-nsg",
                azure_native.network.NetworkSecurityGroupInitArgs(
                    resource_group_name=rg,
                    location=args.location,
                    network_security_group_name=f"nsg-{args.vnet_name}-{purpose}",
                    security_rules=[_deny_internet_inbound()],
                    tags=tags,
                ),
                opts=child,
            )
            subnet = azure_native.network.Subnet(
                f"{name}-{purpose}",
                azure_native.network.SubnetInitArgs(
                    resource_group_name=rg,
                    virtual_network_name=self.vnet.name,
                    subnet_name=f"snet-{purpose}",
                    address_prefix=args.subnet_cidrs[purpose],
                    network_security_group=azure_native.network.NetworkSecurityGroupArgs(id=nsg.id),
                    nat_gateway=(
                        azure_native.network.SubResourceArgs(id=self.nat_gateway.id)
                        if purpose in _NAT_SUBNETS
                        else None
                    ),
                    # No implicit outbound IP: egress goes through the NAT gateway or nowhere.
                    default_outbound_access=False,
                    delegations=(
                        [
                            azure_native.network.DelegationArgs(
                                name=purpose, service_name=_DELEGATIONS[purpose]
                            )
                        ]
                        if purpose in _DELEGATIONS
                        else None
                    ),
                    # NSG rules apply to private endpoints too, not only to NICs.
                    private_endpoint_network_policies=(
                        azure_native.network.VirtualNetworkPrivateEndpointNetworkPolicies.NETWORK_SECURITY_GROUP_ENABLED
                        if purpose == "endpoints"
                        else None
                    ),
                ),
                # Azure rejects concurrent writes to subnets of one VNet, so they are created one by one.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None),
            )
            self.security_groups[purpose] = nsg
            self.subnets[purpose] = subnet
            previous = subnet

        self.dns_zones: dict[str, azure_native.privatedns.PrivateZone] = {}
        for kind in args.private_dns_zones:
            zone = azure_native.privatedns.PrivateZone(
                f"{name}-dns-{kind}",
                azure_native.privatedns.PrivateZoneArgs(
                    resource_group_name=rg,
                    location="global",
                    private_zone_name=PRIVATE_DNS_ZONES[kind],
                    tags=tags,
                ),
                opts=child,
            )
            azure_native.privatedns.VirtualNetworkLink(
                f"{name}-dns-{kind}-link",
                azure_native.privatedns.VirtualNetworkLinkArgs(
                    resource_group_name=rg,
                    location="global",
                    private_zone_name=zone.name,
                    virtual_network_link_name=args.vnet_name,
                    virtual_network=azure_native.privatedns.SubResourceArgs(id=self.vnet.id),
                    registration_enabled=False,
                    tags=tags,
                ),
                opts=child,
            )
            self.dns_zones[kind] = zone

        self.vnet_id = self.vnet.id
        self.vnet_name = self.vnet.name
        self.subnet_ids = {purpose: subnet.id for purpose, subnet in self.subnets.items()}
        self.nat_public_ip = self.public_ip.ip_address.apply(lambda ip: ip or "")
        self.dns_zone_ids = {kind: zone.id for kind, zone in self.dns_zones.items()}
        self.register_outputs(
            {
                "vnet_id": self.vnet_id,
                "vnet_name": self.vnet_name,
                "subnet_ids": self.subnet_ids,
                "nat_public_ip": self.nat_public_ip,
                "dns_zone_ids": self.dns_zone_ids,
            }
        )

    def private_link(self) -> PrivateLink:
        """Where other components put their private endpoints."""
        return PrivateLink(subnet_id=self.subnet_ids["endpoints"], dns_zone_ids=self.dns_zone_ids)


def _deny_internet_inbound() -> azure_native.network.SecurityRuleArgs:
    """Azure's default rules drop it too; the explicit rule states the intent where reviews and policies see it."""
    return azure_native.network.SecurityRuleArgs(
        name="deny-internet-inbound",
        priority=4096,
        direction=azure_native.network.SecurityRuleDirection.INBOUND,
        access=azure_native.network.SecurityRuleAccess.DENY,
        protocol=azure_native.network.SecurityRuleProtocol.ASTERISK,
        source_address_prefix="Internet",
        source_port_range="*",
        destination_address_prefix="*",
        destination_port_range="*",
    )
