"""A Key Vault with RBAC, purge protection and a closed network, plus rotating keys for customer-managed encryption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.diagnostics import send_logs
from components.azure.locks import delete_lock
from components.azure.private_link import PrivateLink, private_endpoint


@dataclass(frozen=True)
class CustomerManagedKey:
    """One key as every consumer needs it: ARM ids for role scopes, URIs for the services."""

    vault_id: pulumi.Input[str]
    vault_uri: pulumi.Input[str]
    key_id: pulumi.Input[str]  # ARM id of the key: the narrowest scope to grant a service access
    key_name: pulumi.Input[str]
    key_uri_with_version: pulumi.Input[str]


@dataclass(frozen=True)
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vault_name: pulumi.Input[
        str
    ]  # 3-24 characters, globally unique; see components.common.naming ("azure-key-vault")
    tenant_id: str
    tags: Mapping[str, str]
    keys: Sequence[str] = ()  # one customer-managed key per purpose ("storage", "etcd", ...)
    public_network_access: bool = False
    allowed_cidrs: Sequence[str] = ()  # with public access: the only networks let through the firewall
    private_link: PrivateLink | None = None
    soft_delete_retention_days: int = 90
    key_size: int = 2048  # RSA 2048 works with every consumer here (Storage CMK, AKS KMS)
    # Key Vault key rotation (learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation): the
    # policy's expiry time sets the expiration date of each *rotated* version and "doesn't affect a current
    # key"; "rotate before expiry" and the near-expiry notification need that expiry time on the policy *and*
    # an expiration date on the key. The first version has none (a fixed date would be an input that changes
    # with the day the program runs), so rotation is timed after creation: every version, the first
    # included, is replaced `key_rotate_after` after it was made, 30 days before a rotated one expires.
    key_lifetime: str = "P1Y"  # ISO 8601 duration: rotated versions expire after it
    key_rotate_after: str = "P11M"  # at least 7 days after creation and 7 days before the expiry
    log_analytics_workspace_id: pulumi.Input[str] | None = None
    deletion_protection: bool = False


class KeyVault(pulumi.ComponentResource):
    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:KeyVault", name, None, opts)
        keep = pulumi.ResourceOptions(
            parent=self,
            protect=args.deletion_protection,
            retain_on_delete=args.deletion_protection,
            # Set at creation only ("can't be changed afterwards", Key Vault soft-delete overview): a vault
            # made with another retention keeps it rather than fail the update.
            ignore_changes=["properties.softDeleteRetentionInDays"],
        )
        self.vault = azure_native.keyvault.Vault(
            f"{name}-vault",
            azure_native.keyvault.VaultArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                vault_name=args.vault_name,
                properties=azure_native.keyvault.VaultPropertiesArgs(
                    tenant_id=args.tenant_id,
                    sku=azure_native.keyvault.SkuArgs(
                        family=azure_native.keyvault.SkuFamily.A, name=azure_native.keyvault.SkuName.STANDARD
                    ),
                    # Azure RBAC instead of access policies: one permission model, auditable in one place.
                    enable_rbac_authorization=True,
                    enable_soft_delete=True,
                    soft_delete_retention_in_days=args.soft_delete_retention_days,
                    # Once on it cannot be turned off: deleted keys stay recoverable for the retention period.
                    enable_purge_protection=True,
                    enabled_for_deployment=False,
                    enabled_for_disk_encryption=False,
                    enabled_for_template_deployment=False,
                    public_network_access="Enabled" if args.public_network_access else "Disabled",
                    network_acls=azure_native.keyvault.NetworkRuleSetArgs(
                        default_action=azure_native.keyvault.NetworkRuleAction.DENY,
                        # Trusted services (Storage, AKS KMS) reach the keys they were granted.
                        bypass=azure_native.keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
                        ip_rules=[azure_native.keyvault.IPRuleArgs(value=c) for c in args.allowed_cidrs]
                        if args.public_network_access and args.allowed_cidrs
                        else None,
                    ),
                ),
                tags=dict(args.tags),
            ),
            opts=keep,
        )
        vault_id = self.vault.id
        self.vault_uri = self.vault.properties.apply(lambda p: p.vault_uri)

        self.keys: dict[str, azure_native.keyvault.Key] = {}
        for purpose in args.keys:
            self.keys[purpose] = azure_native.keyvault.Key(
                f"{name}-{purpose}",
                azure_native.keyvault.KeyArgs(
                    resource_group_name=args.resource_group_name,
                    vault_name=self.vault.name,
                    key_name=f"{purpose}-cmk",
                    properties=azure_native.keyvault.KeyPropertiesArgs(
                        kty=azure_native.keyvault.JsonWebKeyType.RSA,
                        key_size=args.key_size,
                        key_ops=[
                            azure_native.keyvault.JsonWebKeyOperation.WRAP_KEY,
                            azure_native.keyvault.JsonWebKeyOperation.UNWRAP_KEY,
                            azure_native.keyvault.JsonWebKeyOperation.ENCRYPT,
                            azure_native.keyvault.JsonWebKeyOperation.DECRYPT,
                        ],
                        rotation_policy=azure_native.keyvault.RotationPolicyArgs(
                            attributes=azure_native.keyvault.KeyRotationPolicyAttributesArgs(
                                expiry_time=args.key_lifetime
                            ),
                            lifetime_actions=[
                                azure_native.keyvault.LifetimeActionArgs(
                                    action=azure_native.keyvault.ActionArgs(
                                        type=azure_native.keyvault.KeyRotationPolicyActionType.ROTATE
                                    ),
                                    trigger=azure_native.keyvault.TriggerArgs(
                                        time_after_create=args.key_rotate_after
                                    ),
                                ),
                                # Event Grid's near-expiry event for versions that carry an expiration date.
                                azure_native.keyvault.LifetimeActionArgs(
                                    action=azure_native.keyvault.ActionArgs(
                                        type=azure_native.keyvault.KeyRotationPolicyActionType.NOTIFY
                                    ),
                                    trigger=azure_native.keyvault.TriggerArgs(time_before_expiry="P7D"),
                                ),
                            ],
                        ),
                    ),
                    tags=dict(args.tags),
                ),
                # A deleted key makes everything encrypted with it unreadable.
                opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
            )

        if args.private_link is not None:
            private_endpoint(
                f"{name}-pe",
                link=args.private_link,
                service_id=vault_id,
                group_id="vault",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                parent=self,
            )
        if args.log_analytics_workspace_id is not None:
            send_logs(
                f"{name}-logs",
                resource_uri=vault_id,
                workspace_id=args.log_analytics_workspace_id,
                parent=self,
                category_group="audit",
            )
        if args.deletion_protection:
            delete_lock(f"{name}-lock", scope=vault_id, what="platform key vault", parent=self)

        self.vault_id = vault_id
        self.vault_name = self.vault.name
        self.register_outputs(
            {
                "vault_id": self.vault_id,
                "vault_name": self.vault_name,
                "vault_uri": self.vault_uri,
                "keys": {purpose: key.key_uri_with_version for purpose, key in self.keys.items()},
            }
        )

    def customer_managed_key(self, purpose: str) -> CustomerManagedKey:
        key = self.keys[purpose]
        return CustomerManagedKey(
            vault_id=self.vault_id,
            vault_uri=self.vault_uri,
            key_id=key.id,
            key_name=key.name,
            key_uri_with_version=key.key_uri_with_version,
        )
