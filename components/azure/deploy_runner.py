"""GitHub-hosted runners inside the platform VNet: where `pulumi up` reaches a private AKS API.

GitHub's Azure private networking places the NICs of GitHub-hosted runners in a subnet delegated to
`GitHub.Network/networkSettings`; this resource ties that subnet to the GitHub organization, and its
`GitHubId` tag is what the organization's network configuration names
(https://docs.github.com/en/organizations/managing-organization-settings/configuring-private-networking-for-github-hosted-runners-in-your-organization).
A runner there resolves the cluster's private DNS zone (linked to the VNet) and leaves through the NAT
gateway's static address, which a public dev cluster allow-lists.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_azure_native as azure_native

API_VERSION = "2024-04-02"


def runner_network_settings(
    name: str,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    settings_name: str,
    subnet_id: pulumi.Input[str],
    github_business_id: str,
    tags: Mapping[str, str],
) -> azure_native.resources.Resource:
    # Keyword arguments, not ResourceArgs: azure-native's *Args path passes `resource_name` twice.
    return azure_native.resources.Resource(
        name,
        resource_group_name=resource_group_name,
        resource_provider_namespace="GitHub.Network",
        parent_resource_path="",
        resource_type="networkSettings",
        resource_name_=settings_name,
        api_version=API_VERSION,
        location=location,
        properties={"subnetId": subnet_id, "businessId": github_business_id},
        tags=dict(tags),
    )
