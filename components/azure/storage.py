"""A StorageV2 account: Entra-only access, TLS 1.2, no public blobs, private endpoints, double encryption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.keyvault import CustomerManagedKey
from components.azure.locks import delete_lock
from components.azure.private_link import PrivateLink, private_endpoint
from components.azure.roles import assign_role

ENDPOINT_GROUPS = ("blob", "file")  # what Azure ML uses: artifacts in blob, notebooks in file shares


@dataclass(frozen=True)
class StorageAccountArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: pulumi.Input[str]  # 3-24 lowercase alphanumerics, globally unique
    tags: Mapping[str, str]
    subscription_id: pulumi.Input[str]
    replication: str = "Standard_LRS"  # Standard_ZRS where zones matter
    public_network_access: bool = False
    allowed_cidrs: Sequence[str] = ()  # with public access: the only networks let through the firewall
    private_link: PrivateLink | None = None
    customer_managed_key: CustomerManagedKey | None = None
    versioning: bool = False
    soft_delete_days: int | None = None  # blobs and containers; None turns soft delete off
    deletion_protection: bool = False


class StorageAccount(pulumi.ComponentResource):
    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: StorageAccountArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlplat:azure:StorageAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg = args.resource_group_name

        identity, encryption_key, ready = None, None, []
        cmk = args.customer_managed_key
        if cmk is not None:
            # Storage reads a customer-managed key through an identity that must exist, with access, first.
            self.encryption_identity = azure_native.managedidentity.UserAssignedIdentity(
                f"{name}-cmk-identity",
                azure_native.managedidentity.UserAssignedIdentityArgs(
                    resource_group_name=rg, location=args.location, tags=dict(args.tags)
                ),
                opts=child,
            )
            ready.append(
                assign_role(
                    f"{name}-cmk-access",
                    role="Key Vault Crypto Service Encryption User",
                    scope=cmk.key_id,
                    principal_id=self.encryption_identity.principal_id,
                    subscription_id=args.subscription_id,
                    parent=self,
                )
            )
            identity = azure_native.storage.IdentityArgs(
                type=azure_native.storage.IdentityType.USER_ASSIGNED,
                user_assigned_identities=[self.encryption_identity.id],
            )
            encryption_key = self.encryption_identity.id

        self.account = azure_native.storage.StorageAccount(
            f"{name}-account",
            azure_native.storage.StorageAccountArgs(
                resource_group_name=rg,
                location=args.location,
                account_name=args.account_name,
                kind=azure_native.storage.Kind.STORAGE_V2,
                sku=azure_native.storage.SkuArgs(name=args.replication),
                access_tier=azure_native.storage.AccessTier.HOT,
                minimum_tls_version=azure_native.storage.MinimumTlsVersion.TLS1_2,
                enable_https_traffic_only=True,
                allow_blob_public_access=False,
                # Entra ID only: no account keys, no SAS signed with them.
                allow_shared_key_access=False,
                default_to_o_auth_authentication=True,
                allow_cross_tenant_replication=False,
                allowed_copy_scope=azure_native.storage.AllowedCopyScope.PRIVATE_LINK,
                public_network_access=(
                    azure_native.storage.PublicNetworkAccess.ENABLED
                    if args.public_network_access
                    else azure_native.storage.PublicNetworkAccess.DISABLED
                ),
                network_rule_set=azure_native.storage.NetworkRuleSetArgs(
                    default_action=azure_native.storage.DefaultAction.DENY,
                    bypass=azure_native.storage.Bypass.AZURE_SERVICES,
                    ip_rules=[
                        azure_native.storage.IPRuleArgs(
                            i_p_address_or_range=c, action=azure_native.storage.Action.ALLOW
                        )
                        for c in args.allowed_cidrs
                    ]
                    if args.public_network_access and args.allowed_cidrs
                    else None,
                ),
                identity=identity,
                encryption=azure_native.storage.EncryptionArgs(
                    # A second, infrastructure-level layer of AES-256; it can only be chosen at creation.
                    require_infrastructure_encryption=True,
                    key_source=(
                        azure_native.storage.KeySource.MICROSOFT_KEYVAULT
                        if cmk
                        else azure_native.storage.KeySource.MICROSOFT_STORAGE
                    ),
                    # No key version: Storage follows the key's rotations by itself.
                    key_vault_properties=(
                        azure_native.storage.KeyVaultPropertiesArgs(
                            key_vault_uri=cmk.vault_uri, key_name=cmk.key_name
                        )
                        if cmk
                        else None
                    ),
                    encryption_identity=(
                        azure_native.storage.EncryptionIdentityArgs(
                            encryption_user_assigned_identity=encryption_key
                        )
                        if cmk
                        else None
                    ),
                    services=azure_native.storage.EncryptionServicesArgs(
                        blob=azure_native.storage.EncryptionServiceArgs(
                            enabled=True, key_type=azure_native.storage.KeyType.ACCOUNT
                        ),
                        file=azure_native.storage.EncryptionServiceArgs(
                            enabled=True, key_type=azure_native.storage.KeyType.ACCOUNT
                        ),
                    ),
                ),
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.deletion_protection,
                retain_on_delete=args.deletion_protection,
                depends_on=ready,
            ),
        )
        account_id = self.account.id

        retention = (
            azure_native.storage.DeleteRetentionPolicyArgs(enabled=True, days=args.soft_delete_days)
            if args.soft_delete_days
            else azure_native.storage.DeleteRetentionPolicyArgs(enabled=False)
        )
        self.blob_service = azure_native.storage.BlobServiceProperties(
            f"{name}-blob",
            azure_native.storage.BlobServicePropertiesArgs(
                resource_group_name=rg,
                account_name=self.account.name,
                blob_services_name="default",
                is_versioning_enabled=args.versioning,
                delete_retention_policy=retention,
                container_delete_retention_policy=retention,
            ),
            opts=child,
        )

        if args.private_link is not None:
            for group in ENDPOINT_GROUPS:
                private_endpoint(
                    f"{name}-pe-{group}",
                    link=args.private_link,
                    service_id=account_id,
                    group_id=group,
                    resource_group_name=rg,
                    location=args.location,
                    tags=args.tags,
                    parent=self,
                )
        if args.deletion_protection:
            delete_lock(f"{name}-lock", scope=account_id, what="platform storage account", parent=self)

        self.account_id = account_id
        self.account_name = self.account.name
        self.register_outputs({"account_id": self.account_id, "account_name": self.account_name})
