"""Private endpoints, one shape for every service: a subnet plus the private DNS zones to register in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

# The private DNS zone for each kind of endpoint the platform creates (Azure public cloud).
PRIVATE_DNS_ZONES: dict[str, str] = {
    "blob": "privatelink.blob.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
    "registry": "privatelink.azurecr.io",
    "amlApi": "privatelink.api.azureml.ms",
    "amlNotebooks": "privatelink.notebooks.azure.net",
}

# Private link sub-resource (group id) -> the zones its records go into.
GROUP_ZONES: dict[str, tuple[str, ...]] = {
    "blob": ("blob",),
    "file": ("file",),
    "vault": ("vault",),
    "registry": ("registry",),
    # Azure ML needs both zones, or notebooks fail to resolve (a common private-workspace pitfall).
    "amlworkspace": ("amlApi", "amlNotebooks"),
}


@dataclass(frozen=True)
class PrivateLink:
    """Where a service's private endpoints go: the endpoints subnet and the zone ids by kind."""

    subnet_id: pulumi.Input[str]
    dns_zone_ids: Mapping[str, pulumi.Input[str]]


def private_endpoint(
    name: str,
    *,
    link: PrivateLink,
    service_id: pulumi.Input[str],
    group_id: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> azure_native.network.PrivateEndpoint:
    """A private endpoint for one sub-resource of `service_id`, with its A records in the private zones."""
    child = pulumi.ResourceOptions(parent=parent)
    endpoint = azure_native.network.PrivateEndpoint(
        name,
        azure_native.network.PrivateEndpointArgs(
            resource_group_name=resource_group_name,
            location=location,
            subnet=azure_native.network.SubnetArgs(id=link.subnet_id),
            private_link_service_connections=[
                azure_native.network.PrivateLinkServiceConnectionArgs(
                    name=f"{name}-{group_id}",
                    private_link_service_id=service_id,
                    group_ids=[group_id],
                )
            ],
            tags=dict(tags),
        ),
        opts=child,
    )
    azure_native.network.PrivateDnsZoneGroup(
        f"{name}-dns",
        azure_native.network.PrivateDnsZoneGroupArgs(
            resource_group_name=resource_group_name,
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[
                azure_native.network.PrivateDnsZoneConfigArgs(
                    name=zone, private_dns_zone_id=link.dns_zone_ids[zone]
                )
                for zone in GROUP_ZONES[group_id]
            ],
        ),
        opts=child,
    )
    return endpoint
