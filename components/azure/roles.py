"""Built-in Azure role definitions the platform assigns, and one way to assign them."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native

# Built-in role definition GUIDs (identical in every Azure tenant).
ROLES: dict[str, str] = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    "Azure Kubernetes Service RBAC Writer": "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage File Data Privileged Contributor": "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The subscription-scoped id ARM reads back, so the assignment shows no diff after creation."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", ROLES[role]
    )


def assign_role(
    name: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    user: bool = False,
    principal_type: azure_native.authorization.PrincipalType | None = None,
    aliases: list[pulumi.Alias] | None = None,
) -> azure_native.authorization.RoleAssignment:
    """Grant a principal `role` on `scope` (a managed identity unless `user` or `principal_type` says otherwise)."""
    kind = azure_native.authorization.PrincipalType
    return azure_native.authorization.RoleAssignment(
        name,
        azure_native.authorization.RoleAssignmentArgs(
            scope=scope,
            role_definition_id=role_definition_id(subscription_id, role),
            principal_id=principal_id,
            # Declaring the type skips Entra replication checks that fail for identities created seconds ago.
            principal_type=principal_type or (kind.USER if user else kind.SERVICE_PRINCIPAL),
        ),
        opts=pulumi.ResourceOptions(parent=parent, aliases=aliases),
    )
