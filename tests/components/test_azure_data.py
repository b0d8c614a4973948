"""Azure data services: Key Vault, storage, registry and monitoring are closed, encrypted and protected in prod."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from components.azure import (
    ContainerRegistry,
    ContainerRegistryArgs,
    KeyVault,
    KeyVaultArgs,
    Monitoring,
    MonitoringArgs,
    PrivateLink,
    StorageAccount,
    StorageAccountArgs,
)
from tests.components.provider_facts import AZURE_BUILT_IN_ROLES as ROLES
from tests.components.provider_facts import AZURE_PRIVATE_DNS_ZONES as PRIVATE_DNS_ZONES
from tests.plans import Plan, Seen, record

TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
CONFIG = {"azure-native:location": "eastus"}
SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
TENANT = "7d2c1f0e-3b4a-4c5d-8e6f-0a1b2c3d4e5f"
LINK = PrivateLink(
    subnet_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-endpoints",
    dns_zone_ids={kind: f"/zones/{zone}" for kind, zone in PRIVATE_DNS_ZONES.items()},
)

VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
STORAGE = "azure-native:storage:StorageAccount"
BLOB = "azure-native:storage:BlobServiceProperties"
REGISTRY = "azure-native:containerregistry:Registry"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
LOCK = "azure-native:authorization:ManagementLockByScope"


@dataclass(frozen=True)
class Env:
    private: bool  # prod: closed public endpoints, protection, versioning


def build(env: Env) -> None:
    vault = KeyVault(
        "kv",
        KeyVaultArgs(
            resource_group_name="rg-ml",
            location="eastus",
            vault_name="kv-ml-123456",
            tenant_id=TENANT,
            tags=TAGS,
            keys=("storage", "etcd"),
            public_network_access=not env.private,
            allowed_cidrs=() if env.private else ("203.0.113.0/24",),
            private_link=LINK,
            log_analytics_workspace_id="/workspaces/log",
            deletion_protection=env.private,
        ),
    )
    StorageAccount(
        "st",
        StorageAccountArgs(
            resource_group_name="rg-ml",
            location="eastus",
            account_name="stml123456",
            tags=TAGS,
            subscription_id=SUBSCRIPTION,
            replication="Standard_ZRS" if env.private else "Standard_LRS",
            public_network_access=not env.private,
            allowed_cidrs=() if env.private else ("203.0.113.0/24",),
            private_link=LINK,
            customer_managed_key=vault.customer_managed_key("storage"),
            versioning=env.private,
            soft_delete_days=30 if env.private else None,
            deletion_protection=env.private,
        ),
    )
    ContainerRegistry(
        "cr",
        ContainerRegistryArgs(
            resource_group_name="rg-ml",
            location="eastus",
            registry_name="crml123456",
            tags=TAGS,
            sku="Premium" if env.private else "Basic",
            public_network_access=not env.private,
            private_link=LINK if env.private else None,
            zone_redundancy=env.private,
            deletion_protection=env.private,
        ),
    )
    Monitoring(
        "mon",
        MonitoringArgs(
            resource_group_name="rg-ml",
            location="eastus",
            log_analytics_name="log-ml",
            app_insights_name="appi-ml",
            tags=TAGS,
            retention_days=3653 if env.private else 7,
            deletion_protection=env.private,
        ),
    )


@pytest.fixture(scope="module")
def prod() -> Plan:
    return record(lambda: build(Env(private=True)), stack="prod", config=CONFIG)


@pytest.fixture(scope="module")
def dev() -> Plan:
    return record(lambda: build(Env(private=False)), stack="dev", config=CONFIG)


def endpoints_of(plan: Plan, target: Seen) -> list[tuple[list[str], list[str]]]:
    """(group ids, DNS zone ids) of each private endpoint that points at `target`."""
    found = []
    for endpoint in plan.of_type(ENDPOINT):
        if target.urn not in endpoint.property_dependencies.get("privateLinkServiceConnections", []):
            continue
        (connection,) = endpoint.inputs["privateLinkServiceConnections"]
        group = next(
            g
            for g in plan.of_type(ZONE_GROUP)
            if endpoint.urn in g.property_dependencies["privateEndpointName"]
        )
        zones = [z["privateDnsZoneId"] for z in group.inputs["privateDnsZoneConfigs"]]
        assert endpoint.inputs["subnet"]["id"] == LINK.subnet_id
        found.append((connection["groupIds"], zones))
    return found


def locked(plan: Plan, target: Seen) -> bool:
    return any(
        target.urn in lock.property_dependencies["scope"] and lock.inputs["level"] == "CanNotDelete"
        for lock in plan.of_type(LOCK)
    )


# --- Key Vault ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_key_vault_uses_rbac_purge_protection_soft_delete_and_denies_the_network(
    stack: str, request: pytest.FixtureRequest
) -> None:
    props = request.getfixturevalue(stack).one(VAULT).inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert (props["enableSoftDelete"], props["softDeleteRetentionInDays"]) == (True, 90)
    # The public dev vault lets in only the workspace users' networks, prod none at all.
    allowed = [{"value": "203.0.113.0/24"}] if stack == "dev" else None
    expected = {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        **({"ipRules": allowed} if allowed else {}),
    }
    assert props["networkAcls"] == expected
    assert props["tenantId"] == TENANT
    assert not props["enabledForDeployment"] and not props["enabledForTemplateDeployment"]


def test_key_vault_public_network_access_is_disabled_in_prod_only(prod: Plan, dev: Plan) -> None:
    assert prod.one(VAULT).inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert dev.one(VAULT).inputs["properties"]["publicNetworkAccess"] == "Enabled"


def test_key_vault_has_a_private_endpoint_in_the_vault_zone(prod: Plan) -> None:
    assert endpoints_of(prod, prod.one(VAULT)) == [(["vault"], ["/zones/privatelink.vaultcore.azure.net"])]


def test_keys_rotate_before_they_expire(prod: Plan) -> None:
    """Key Vault's docs: "rotate before expiry" needs an expiration date on the key, which the first version
    has none of; rotating after creation (11 months) renews every version, the first included, 30 days
    before a rotated one (expiry 1 year) expires. The near-expiry notice serves the rotated versions."""
    keys = prod.of_type(KEY)
    assert sorted(k.inputs["keyName"] for k in keys) == ["etcd-cmk", "storage-cmk"]
    for key in keys:
        props = key.inputs["properties"]
        assert (props["kty"], props["keySize"]) == ("RSA", 2048)
        assert "attributes" not in props  # no expiration date that would depend on the day of the run
        policy = props["rotationPolicy"]
        assert policy["attributes"]["expiryTime"] == "P1Y"
        actions = {a["action"]["type"]: a["trigger"] for a in policy["lifetimeActions"]}
        assert actions == {"rotate": {"timeAfterCreate": "P11M"}, "notify": {"timeBeforeExpiry": "P7D"}}


def test_key_vault_sends_its_audit_logs_to_log_analytics(prod: Plan) -> None:
    setting = prod.one("azure-native:monitor:DiagnosticSetting")
    assert prod.one(VAULT).urn in setting.property_dependencies["resourceUri"]
    assert setting.inputs["workspaceId"] == "/workspaces/log"
    assert setting.inputs["logs"] == [{"enabled": True, "categoryGroup": "audit"}]


# --- storage -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_storage_account_is_v2_tls12_https_only_without_public_blobs_or_shared_keys(
    stack: str, request: pytest.FixtureRequest
) -> None:
    inputs = request.getfixturevalue(stack).one(STORAGE).inputs
    assert inputs["kind"] == "StorageV2"
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    rule = {"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}
    allowed = {"ipRules": [rule]} if stack == "dev" else {}
    assert inputs["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices", **allowed}
    assert inputs["encryption"]["requireInfrastructureEncryption"] is True


def test_storage_public_network_access_is_disabled_in_prod_only(prod: Plan, dev: Plan) -> None:
    assert prod.one(STORAGE).inputs["publicNetworkAccess"] == "Disabled"
    assert dev.one(STORAGE).inputs["publicNetworkAccess"] == "Enabled"


def test_storage_is_encrypted_with_the_vault_key_through_an_identity_granted_before_creation(
    prod: Plan,
) -> None:
    account = prod.one(STORAGE)
    encryption = account.inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    assert encryption["keyVaultProperties"] == {
        "keyVaultUri": "https://kv-ml-123456.vault.azure.net/",
        "keyName": "storage-cmk",
    }
    identity = prod.one("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.urn in account.property_dependencies["encryption"]
    assert account.inputs["identity"]["type"] == "UserAssigned"
    assert identity.urn in account.property_dependencies["identity"]
    grant = prod.one("azure-native:authorization:RoleAssignment")
    assert grant.inputs["roleDefinitionId"].endswith(ROLES["Key Vault Crypto Service Encryption User"])
    assert grant.inputs["principalType"] == "ServicePrincipal"
    storage_key = next(k for k in prod.of_type(KEY) if k.inputs["keyName"] == "storage-cmk")
    assert storage_key.urn in grant.property_dependencies["scope"]
    recorded = next(r for r in prod.run.resources if r.urn == account.urn)
    assert grant.urn in recorded.dependencies


def test_blob_versioning_and_soft_delete_are_on_in_prod_and_off_in_dev(prod: Plan, dev: Plan) -> None:
    blob = prod.one(BLOB).inputs
    assert blob["isVersioningEnabled"] is True
    assert blob["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert blob["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert dev.one(BLOB).inputs["isVersioningEnabled"] is False
    assert dev.one(BLOB).inputs["deleteRetentionPolicy"] == {"enabled": False}


def test_storage_has_blob_and_file_private_endpoints_in_their_zones(dev: Plan) -> None:
    assert sorted(endpoints_of(dev, dev.one(STORAGE))) == [
        (["blob"], ["/zones/privatelink.blob.core.windows.net"]),
        (["file"], ["/zones/privatelink.file.core.windows.net"]),
    ]


# --- registry ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_registry_never_has_an_admin_user_or_anonymous_pull(
    stack: str, request: pytest.FixtureRequest
) -> None:
    inputs = request.getfixturevalue(stack).one(REGISTRY).inputs
    assert inputs["adminUserEnabled"] is False
    assert inputs["anonymousPullEnabled"] is False


def test_prod_registry_is_premium_closed_and_reached_through_a_private_endpoint(prod: Plan) -> None:
    registry = prod.one(REGISTRY)
    assert registry.inputs["sku"] == {"name": "Premium"}
    assert registry.inputs["publicNetworkAccess"] == "Disabled"
    assert registry.inputs["networkRuleSet"] == {"defaultAction": "Deny"}
    assert registry.inputs["zoneRedundancy"] == "Enabled"
    assert endpoints_of(prod, registry) == [(["registry"], ["/zones/privatelink.azurecr.io"])]


def test_dev_registry_is_the_cheaper_basic_sku_without_a_private_endpoint(dev: Plan) -> None:
    registry = dev.one(REGISTRY)
    assert registry.inputs["sku"] == {"name": "Basic"}
    assert registry.inputs["publicNetworkAccess"] == "Enabled"
    assert endpoints_of(dev, registry) == []


def test_a_private_registry_on_a_non_premium_sku_is_refused() -> None:
    args = ContainerRegistryArgs(
        resource_group_name="rg", location="eastus", registry_name="cr", tags=TAGS, sku="Standard"
    )
    with pytest.raises(ValueError, match="need the Premium SKU"):
        record(lambda: ContainerRegistry("cr", args), config=CONFIG)


# --- monitoring --------------------------------------------------------------------------------------------


def test_application_insights_is_workspace_based_on_the_log_analytics_workspace(prod: Plan) -> None:
    workspace = prod.one("azure-native:operationalinsights:Workspace")
    insights = prod.one("azure-native:applicationinsights:Component")
    assert insights.inputs["ingestionMode"] == "LogAnalytics"
    assert workspace.urn in insights.property_dependencies["workspaceResourceId"]
    assert workspace.inputs["features"]["disableLocalAuth"] is True


def test_log_retention_is_kept_within_what_log_analytics_accepts(prod: Plan, dev: Plan) -> None:
    assert prod.one("azure-native:operationalinsights:Workspace").inputs["retentionInDays"] == 730
    assert dev.one("azure-native:operationalinsights:Workspace").inputs["retentionInDays"] == 30


# --- protection --------------------------------------------------------------------------------------------


def test_prod_data_is_protected_retained_and_locked_in_azure(prod: Plan) -> None:
    for token in (STORAGE, VAULT):
        resource = prod.one(token)
        assert resource.protect and resource.retain_on_delete, token
        assert locked(prod, resource), token
    assert prod.of_type(KEY) and all(k.protect for k in prod.of_type(KEY))
    assert prod.one(REGISTRY).protect
    assert prod.one("azure-native:operationalinsights:Workspace").protect


def test_dev_data_is_neither_protected_nor_locked(dev: Plan) -> None:
    assert not any(r.protect for r in dev.resources)
    assert dev.of_type(LOCK) == []


def test_every_taggable_data_resource_carries_the_platform_tags(prod: Plan) -> None:
    untaggable = {
        BLOB,
        ZONE_GROUP,
        LOCK,
        "azure-native:authorization:RoleAssignment",
        "azure-native:monitor:DiagnosticSetting",
    }
    tagged = [r for r in prod.resources if r.type.startswith("azure-native:") and r.type not in untaggable]
    assert len(tagged) >= 10
    for r in tagged:
        assert TAGS.items() <= r.inputs["tags"].items(), r.name
