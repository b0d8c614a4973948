"""Each Azure rule called directly, with properties shaped exactly as the engine hands them to a rule.

Every non-compliant case starts from a compliant resource and changes (or removes) one property.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi_azure_native as azure_native
import pytest
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from components.azure import (
    Budget,
    BudgetArgs,
    KeyVault,
    KeyVaultArgs,
    Network,
    NetworkArgs,
    ResourceGroup,
    ResourceGroupArgs,
    StorageAccount,
    StorageAccountArgs,
)
from components.common.tags import platform_tags
from mlplat.engine.analyzer import run_policy_pack
from policies import azure
from policies.common import show
from policies.pack import POLICIES
from tests.plans import record
from tests.policies.harness import REMOVE as _REMOVE
from tests.policies.harness import changed, check, check_stack, link
from tests.policies.harness import stack_resource as resource

CONFIG_DIR = Path(__file__).resolve().parents[2] / "policies" / "config"
TAGS = platform_tags(environment="prod", owner="ml-platform", cost_center="cc-ml-1234", stack="prod")
SUB = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-mlplat-prod/providers"

# --- compliant resources, as the prod plan records them ----------------------------------------------------

STORAGE_OK: dict[str, Any] = {
    "accountName": "stmlplatprod1a2b3c",
    "kind": "StorageV2",
    "sku": {"name": "Standard_ZRS"},
    "minimumTlsVersion": "TLS1_2",
    "enableHttpsTrafficOnly": True,
    "allowBlobPublicAccess": False,
    "allowSharedKeyAccess": False,
    "publicNetworkAccess": "Disabled",
    "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices"},
    "encryption": {
        "requireInfrastructureEncryption": True,
        "keySource": "Microsoft.Keyvault",
        "keyVaultProperties": {"keyVaultUri": "https://kv.vault.azure.net/", "keyName": "storage-cmk"},
    },
    "tags": TAGS,
}
BLOB_OK: dict[str, Any] = {
    "accountName": "stmlplatprod1a2b3c",
    "isVersioningEnabled": True,
    "deleteRetentionPolicy": {"enabled": True, "days": 30},
    "containerDeleteRetentionPolicy": {"enabled": True, "days": 30},
}
VAULT_OK: dict[str, Any] = {
    "vaultName": "kv-mlplat-prod-1a2b3c",
    "properties": {
        "tenantId": "7d2c1f0e-3b4a-4c5d-8e6f-0a1b2c3d4e5f",
        "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": True,
        "enablePurgeProtection": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"},
    },
    "tags": TAGS,
}
KEY_OK: dict[str, Any] = {
    "keyName": "storage-cmk",
    "properties": {
        "kty": "RSA",
        "keySize": 2048,
        "rotationPolicy": {
            "attributes": {"expiryTime": "P1Y"},
            "lifetimeActions": [
                {"action": {"type": "rotate"}, "trigger": {"timeBeforeExpiry": "P30D"}},
                {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P7D"}},
            ],
        },
    },
    "tags": TAGS,
}
REGISTRY_OK: dict[str, Any] = {
    "registryName": "crmlplatprod1a2b3c",
    "sku": {"name": "Premium"},
    "adminUserEnabled": False,
    "anonymousPullEnabled": False,
    "publicNetworkAccess": "Disabled",
    "policies": {"retentionPolicy": {"days": 30, "status": "enabled"}},
    "tags": TAGS,
}
WORKSPACE_OK: dict[str, Any] = {
    "workspaceName": "mlw-mlplat-prod",
    "identity": {"type": "SystemAssigned"},
    "systemDatastoresAuthMode": "Identity",
    "publicNetworkAccess": "Disabled",
    "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
    "v1LegacyMode": False,
    "tags": TAGS,
}
CLUSTER_COMPUTE_OK: dict[str, Any] = {
    "computeName": "cpu-cluster",
    "properties": {
        "computeType": "AmlCompute",
        "disableLocalAuth": True,
        "properties": {
            "vmSize": "Standard_DS3_v2",
            "enableNodePublicIp": False,
            "remoteLoginPortPublicAccess": "Disabled",
            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 8, "nodeIdleTimeBeforeScaleDown": "PT15M"},
        },
    },
    "tags": TAGS,
}
INSTANCE_OK: dict[str, Any] = {
    "computeName": "ci-alice-1a2b3c",
    "properties": {
        "computeType": "ComputeInstance",
        "disableLocalAuth": True,
        "properties": {
            "vmSize": "Standard_DS3_v2",
            "enableNodePublicIp": False,
            "idleTimeBeforeShutdown": "PT120M",
            "sshSettings": {"sshPublicAccess": "Disabled"},
            "personalComputeInstanceSettings": {
                "assignedUser": {"objectId": "4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31", "tenantId": "t"}
            },
        },
    },
    "tags": TAGS,
}
GPU_POOL_OK: dict[str, Any] = {
    "agentPoolName": "gput4",
    "mode": "User",
    "vmSize": "Standard_NC4as_T4_v3",
    "enableAutoScaling": True,
    "minCount": 0,
    "maxCount": 2,
    "count": 0,
    "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
    "enableNodePublicIP": False,
    "scaleSetPriority": "Regular",
    "tags": TAGS,
}
SPOT_POOL_OK: dict[str, Any] = {
    **GPU_POOL_OK,
    "scaleSetPriority": "Spot",
    "scaleSetEvictionPolicy": "Delete",
    "spotMaxPrice": -1,
    "nodeTaints": [
        "nvidia.com/gpu=present:NoSchedule",
        "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
    ],
}
AKS_OK: dict[str, Any] = {
    "resourceName": "aks-mlplat-prod",
    "sku": {"name": "Base", "tier": "Standard"},
    "disableLocalAccounts": True,
    "enableRBAC": True,
    "aadProfile": {"managed": True, "enableAzureRBAC": True, "adminGroupObjectIDs": ["g"]},
    "oidcIssuerProfile": {"enabled": True},
    "securityProfile": {
        "workloadIdentity": {"enabled": True},
        "azureKeyVaultKms": {"enabled": True, "keyId": "https://kv.vault.azure.net/keys/etcd-cmk/v1"},
    },
    "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay", "networkPolicy": "cilium"},
    "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
    "apiServerAccessProfile": {"enablePrivateCluster": True},
    "agentPoolProfiles": [
        {"name": "system", "mode": "System", "vmSize": "Standard_D4ds_v5", "enableNodePublicIP": False}
    ],
    "tags": TAGS,
}
PUBLIC_AKS_OK: dict[str, Any] = {
    **AKS_OK,
    "apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIPRanges": ["203.0.113.0/24"]},
}
NSG_OK: dict[str, Any] = {
    "securityRules": [
        {
            "name": "deny-internet-inbound",
            "direction": "Inbound",
            "access": "Deny",
            "sourceAddressPrefix": "Internet",
        },
        {
            "name": "allow-vnet",
            "direction": "Inbound",
            "access": "Allow",
            "sourceAddressPrefix": "VirtualNetwork",
        },
        {"name": "allow-out", "direction": "Outbound", "access": "Allow", "sourceAddressPrefix": "*"},
    ],
    "tags": TAGS,
}
SUBNET_OK: dict[str, Any] = {
    "subnetName": "snet-aks",
    "networkSecurityGroup": {"id": f"{SUB}/Microsoft.Network/networkSecurityGroups/nsg"},
    "defaultOutboundAccess": False,
}
ROLE_ASSIGNMENT_OK: dict[str, Any] = {
    "scope": f"{SUB}/Microsoft.ContainerRegistry/registries/crmlplatprod1a2b3c",
    # AcrPull (learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers).
    "roleDefinitionId": "/subscriptions/00000000-0000-4000-8000-000000000000/providers/Microsoft.Authorization/"
    "roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "principalId": "11111111-2222-4333-8444-555555555555",
    "principalType": "ServicePrincipal",
}
# The same settings as standalone resources have, inline (azure-native network.SecurityRule / network.Subnet).
SECURITY_RULE_OK: dict[str, Any] = {
    "securityRuleName": "allow-vnet-https",
    "networkSecurityGroupName": "nsg-aks",
    "direction": "Inbound",
    "access": "Allow",
    "protocol": "Tcp",
    "priority": 200,
    "sourceAddressPrefix": "VirtualNetwork",
    "destinationPortRange": "443",
}
VNET_OK: dict[str, Any] = {
    "virtualNetworkName": "vnet-ml",
    "addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
    "subnets": [{"name": "snet-aks", "addressPrefix": "10.30.0.0/20", **SUBNET_OK}],
    "tags": TAGS,
}
LOG_ANALYTICS_OK: dict[str, Any] = {
    "workspaceName": "log-mlplat-prod",
    "retentionInDays": 365,
    "sku": {"name": "PerGB2018"},
}
BUDGET_OK: dict[str, Any] = {
    "budgetName": "mlplat-prod-azure",
    "amount": 6000,
    "timeGrain": "Monthly",
    "timePeriod": {"startDate": "2026-12-01T00:00:00Z"},
    "notifications": {
        "actual80": {
            "enabled": True,
            "threshold": 80,
            "thresholdType": "Actual",
            "contactEmails": ["a@example.com"],
        },
        "forecast100": {
            "enabled": True,
            "threshold": 100,
            "thresholdType": "Forecasted",
            "contactEmails": ["a@example.com"],
        },
    },
}

# --- how the engine hands properties to a rule -------------------------------------------------------------


# --- resource rules: compliant, then one property changed --------------------------------------------------

COMPLIANT = [
    (azure.azure_log_analytics_retention, azure.LOG_ANALYTICS, LOG_ANALYTICS_OK),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK),
    (azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK),
    (azure.azure_storage_public_network_disabled, azure.STORAGE, STORAGE_OK),
    (azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK),
    (azure.azure_key_vault_secure, azure.VAULT, VAULT_OK),
    (azure.azure_key_vault_public_network_disabled, azure.VAULT, VAULT_OK),
    (azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK),
    (azure.azure_container_registry_secure, azure.REGISTRY, REGISTRY_OK),
    (azure.azure_container_registry_private, azure.REGISTRY, REGISTRY_OK),
    (azure.azure_container_registry_retention, azure.REGISTRY, REGISTRY_OK),
    (azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK),
    (azure.azure_ml_workspace_private, azure.ML_WORKSPACE, WORKSPACE_OK),
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK),
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK),
    (azure.azure_aks_private_cluster, azure.CLUSTER, AKS_OK),
    (azure.azure_aks_etcd_encryption, azure.CLUSTER, AKS_OK),
    (azure.azure_aks_standard_tier, azure.CLUSTER, AKS_OK),
    (azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK),
    (azure.azure_aks_gpu_pool, azure.CLUSTER, AKS_OK),
    (azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, GPU_POOL_OK),
    (azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK),
    (azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK),
    (azure.azure_subnet_closed, azure.SUBNET, SUBNET_OK),
    (azure.azure_nsg_no_internet_inbound, azure.SECURITY_RULE, SECURITY_RULE_OK),
    (azure.azure_role_assignments_least_privilege, azure.ROLE_ASSIGNMENT, ROLE_ASSIGNMENT_OK),
    (azure.azure_subnet_closed, azure.VNET, VNET_OK),
    (azure.azure_budget_pinned, azure.BUDGET, BUDGET_OK),
    (azure.azure_required_tags, azure.STORAGE, STORAGE_OK),
]


@pytest.mark.parametrize(
    ("policy", "resource_type", "props"), COMPLIANT, ids=lambda v: getattr(v, "name", None)
)
def test_compliant_resource_passes(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any]
) -> None:
    assert check(policy, resource_type, props) == []


NON_COMPLIANT = [
    ("log-retention-30", azure.azure_log_analytics_retention, azure.LOG_ANALYTICS, LOG_ANALYTICS_OK, ("retentionInDays",), 30, "retentionInDays is 30, expected at least 90"),
    ("log-retention-unset", azure.azure_log_analytics_retention, azure.LOG_ANALYTICS, LOG_ANALYTICS_OK, ("retentionInDays",), _REMOVE, "retentionInDays is 30, expected at least 90"),
    # storage
    ("tls-1.0", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("minimumTlsVersion",), "TLS1_0", 'minimumTlsVersion is "TLS1_0"'),
    ("tls-unset", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("minimumTlsVersion",), _REMOVE, "minimumTlsVersion is unset (Azure default \"TLS1_0\")"),
    ("http", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("enableHttpsTrafficOnly",), False, "enableHttpsTrafficOnly is false"),
    ("public-blobs", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("allowBlobPublicAccess",), True, "allowBlobPublicAccess is true"),
    ("shared-key-unset", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("allowSharedKeyAccess",), _REMOVE, "allowSharedKeyAccess is unset (Azure default true)"),
    ("network-allow", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("networkRuleSet", "defaultAction"), "Allow", 'networkRuleSet.defaultAction is "Allow"'),
    ("no-double-encryption", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("encryption", "requireInfrastructureEncryption"), _REMOVE, "requireInfrastructureEncryption is unset"),
    ("blob-storage-kind", azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, ("kind",), "BlobStorage", 'kind is "BlobStorage"'),
    ("microsoft-key", azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK, ("encryption", "keySource"), "Microsoft.Storage", 'encryption.keySource is "Microsoft.Storage"'),
    ("cmk-without-key", azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK, ("encryption", "keyVaultProperties"), _REMOVE, "keyVaultProperties.keyVaultUri is unset"),
    ("storage-public", azure.azure_storage_public_network_disabled, azure.STORAGE, STORAGE_OK, ("publicNetworkAccess",), _REMOVE, "publicNetworkAccess is unset (Azure default \"Enabled\")"),
    ("no-versioning", azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK, ("isVersioningEnabled",), False, "isVersioningEnabled is false"),
    ("no-soft-delete", azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK, ("deleteRetentionPolicy",), _REMOVE, "deleteRetentionPolicy.enabled is unset"),
    # key vault
    ("access-policies", azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, ("properties", "enableRbacAuthorization"), _REMOVE, "enableRbacAuthorization is unset"),
    ("purgeable", azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, ("properties", "enablePurgeProtection"), False, "enablePurgeProtection is false"),
    ("vault-network-allow", azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, ("properties", "networkAcls"), _REMOVE, 'networkAcls.defaultAction is unset (Azure default "Allow")'),
    ("vault-public", azure.azure_key_vault_public_network_disabled, azure.VAULT, VAULT_OK, ("properties", "publicNetworkAccess"), "Enabled", 'publicNetworkAccess is "Enabled"'),
    ("no-rotation", azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK, ("properties", "rotationPolicy"), _REMOVE, "no rotate action"),
    ("notify-only", azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK, ("properties", "rotationPolicy", "lifetimeActions", 0, "action", "type"), "notify", "no rotate action"),
    ("small-key", azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK, ("properties", "keySize"), 1024, "keySize is 1024"),
    ("no-expiry", azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK, ("properties", "rotationPolicy", "attributes"), _REMOVE, "expiryTime is unset"),
    # registry
    ("admin-user", azure.azure_container_registry_secure, azure.REGISTRY, REGISTRY_OK, ("adminUserEnabled",), True, "adminUserEnabled is true"),
    ("anonymous-pull", azure.azure_container_registry_secure, azure.REGISTRY, REGISTRY_OK, ("anonymousPullEnabled",), True, "anonymousPullEnabled is true"),
    ("registry-public", azure.azure_container_registry_private, azure.REGISTRY, REGISTRY_OK, ("publicNetworkAccess",), "Enabled", 'publicNetworkAccess is "Enabled"'),
    ("registry-basic", azure.azure_container_registry_private, azure.REGISTRY, REGISTRY_OK, ("sku", "name"), "Basic", 'sku.name is "Basic"'),
    ("untagged-kept", azure.azure_container_registry_retention, azure.REGISTRY, REGISTRY_OK, ("policies",), _REMOVE, 'policies.retentionPolicy.status is unset (Azure default "disabled")'),
    # Azure ML
    ("no-identity", azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, ("identity",), _REMOVE, "identity.type is unset"),
    ("key-datastores", azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, ("systemDatastoresAuthMode",), _REMOVE, 'systemDatastoresAuthMode is unset (Azure default "AccessKey")'),
    ("no-managed-network", azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, ("managedNetwork",), _REMOVE, 'managedNetwork.isolationMode is unset (Azure default "Disabled")'),
    ("v1-legacy", azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, ("v1LegacyMode",), True, "v1LegacyMode is true"),
    ("workspace-public", azure.azure_ml_workspace_private, azure.ML_WORKSPACE, WORKSPACE_OK, ("publicNetworkAccess",), "Enabled", 'publicNetworkAccess is "Enabled"'),
    ("internet-outbound", azure.azure_ml_workspace_private, azure.ML_WORKSPACE, WORKSPACE_OK, ("managedNetwork", "isolationMode"), "AllowInternetOutbound", 'isolationMode is "AllowInternetOutbound"'),
    ("cluster-public-ip", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "properties", "enableNodePublicIp"), _REMOVE, "enableNodePublicIp is unset (Azure default true)"),
    ("cluster-local-auth", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "disableLocalAuth"), False, "disableLocalAuth is false"),
    ("cluster-min-1", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "properties", "scaleSettings", "minNodeCount"), 1, "minNodeCount is 1"),
    ("cluster-no-idle", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "properties", "scaleSettings", "nodeIdleTimeBeforeScaleDown"), _REMOVE, "nodeIdleTimeBeforeScaleDown is unset"),
    ("cluster-ssh", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "properties", "remoteLoginPortPublicAccess"), "Enabled", 'remoteLoginPortPublicAccess is "Enabled"'),
    ("instance-never-idles", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK, ("properties", "properties", "idleTimeBeforeShutdown"), _REMOVE, "idleTimeBeforeShutdown is unset"),
    ("instance-public-ssh", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK, ("properties", "properties", "sshSettings", "sshPublicAccess"), "Enabled", 'sshPublicAccess is "Enabled"'),
    ("instance-shared", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK, ("properties", "properties", "personalComputeInstanceSettings"), _REMOVE, "assignedUser is unset"),
    ("instance-public-ip", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK, ("properties", "properties", "enableNodePublicIp"), True, "enableNodePublicIp is true"),
    # AKS
    ("local-accounts", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("disableLocalAccounts",), _REMOVE, "disableLocalAccounts is unset (Azure default false)"),
    ("kubernetes-rbac-only", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("aadProfile", "enableAzureRBAC"), False, "aadProfile.enableAzureRBAC is false"),
    ("no-entra", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("aadProfile",), _REMOVE, "aadProfile.managed is unset"),
    ("no-oidc", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("oidcIssuerProfile",), _REMOVE, "oidcIssuerProfile.enabled is unset"),
    ("no-workload-identity", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("securityProfile", "workloadIdentity", "enabled"), False, "workloadIdentity.enabled is false"),
    ("kubenet", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("networkProfile", "networkPlugin"), "kubenet", 'networkPlugin is "kubenet"'),
    ("no-network-policy", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("networkProfile", "networkPolicy"), _REMOVE, 'networkPolicy is unset (Azure default "none")'),
    ("no-upgrades", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("autoUpgradeProfile",), _REMOVE, 'upgradeChannel is unset (Azure default "none")'),
    ("public-without-allow-list", azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK, ("apiServerAccessProfile", "authorizedIPRanges"), _REMOVE, "open to the whole internet"),
    ("public-open-to-all", azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK, ("apiServerAccessProfile", "authorizedIPRanges"), ["203.0.113.0/24", "0.0.0.0/0"], 'allows "0.0.0.0/0"'),
    ("node-public-ip", azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, ("agentPoolProfiles", 0, "enableNodePublicIP"), True, "agentPoolProfiles[0].enableNodePublicIP is true"),
    ("public-api", azure.azure_aks_private_cluster, azure.CLUSTER, AKS_OK, ("apiServerAccessProfile", "enablePrivateCluster"), False, "enablePrivateCluster is false"),
    ("no-kms", azure.azure_aks_etcd_encryption, azure.CLUSTER, AKS_OK, ("securityProfile", "azureKeyVaultKms"), _REMOVE, "azureKeyVaultKms.enabled is unset"),
    ("kms-without-key", azure.azure_aks_etcd_encryption, azure.CLUSTER, AKS_OK, ("securityProfile", "azureKeyVaultKms", "keyId"), _REMOVE, "keyId is unset"),
    ("free-tier", azure.azure_aks_standard_tier, azure.CLUSTER, AKS_OK, ("sku", "tier"), "Free", 'sku.tier is "Free"'),
    ("untainted-gpu", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("nodeTaints",), [], "nodeTaints lacks nvidia.com/gpu"),
    ("prefer-no-schedule", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("nodeTaints",), ["nvidia.com/gpu=present:PreferNoSchedule"], "nodeTaints lacks"),
    ("no-autoscaling", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("enableAutoScaling",), _REMOVE, "enableAutoScaling is unset"),
    ("gpu-min-1", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("minCount",), 1, "minCount is 1, expected 0"),
    ("gpu-no-ceiling", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("maxCount",), _REMOVE, "maxCount is unset"),
    ("gpu-over-cap", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("maxCount",), 40, "above the cap of 16"),
    ("inline-gpu-untainted", azure.azure_aks_gpu_pool, azure.CLUSTER, AKS_OK, ("agentPoolProfiles",), [{**GPU_POOL_OK, "nodeTaints": []}], "agentPoolProfiles[0].nodeTaints lacks"),
    ("spot-deallocate", azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK, ("scaleSetEvictionPolicy",), "Deallocate", 'scaleSetEvictionPolicy is "Deallocate"'),
    ("spot-price-cap", azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK, ("spotMaxPrice",), 0.5, "spotMaxPrice is 0.5"),
    # network
    ("internet-allowed", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules", 1, "sourceAddressPrefix"), "Internet", 'rule "allow-vnet" allows inbound'),
    ("any-source-allowed", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules", 1, "sourceAddressPrefix"), "*", "allows inbound traffic from the internet"),
    ("open-prefix-list", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules", 1, "sourceAddressPrefixes"), ["10.0.0.0/8", "0.0.0.0/0"], "allows inbound traffic from the internet"),
    ("contributor-assigned", azure.azure_role_assignments_least_privilege, azure.ROLE_ASSIGNMENT, ROLE_ASSIGNMENT_OK, ("roleDefinitionId",), "/subscriptions/00000000-0000-4000-8000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c", "the built-in Contributor role"),
    ("owner-assigned", azure.azure_role_assignments_least_privilege, azure.ROLE_ASSIGNMENT, ROLE_ASSIGNMENT_OK, ("roleDefinitionId",), "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "the built-in Owner role"),
    ("standalone-rule-internet", azure.azure_nsg_no_internet_inbound, azure.SECURITY_RULE, SECURITY_RULE_OK, ("sourceAddressPrefix",), "Internet", 'rule "allow-vnet-https" allows inbound'),
    ("standalone-rule-open-list", azure.azure_nsg_no_internet_inbound, azure.SECURITY_RULE, SECURITY_RULE_OK, ("sourceAddressPrefixes",), ["0.0.0.0/0"], "allows inbound traffic from the internet"),
    ("inline-subnet-without-nsg", azure.azure_subnet_closed, azure.VNET, VNET_OK, ("subnets", 0, "networkSecurityGroup"), _REMOVE, "subnets[0].networkSecurityGroup is unset"),
    ("inline-subnet-default-outbound", azure.azure_subnet_closed, azure.VNET, VNET_OK, ("subnets", 0, "defaultOutboundAccess"), True, "subnets[0].defaultOutboundAccess is true"),
    ("subnet-without-nsg", azure.azure_subnet_closed, azure.SUBNET, SUBNET_OK, ("networkSecurityGroup",), _REMOVE, "networkSecurityGroup is unset"),
    ("default-outbound", azure.azure_subnet_closed, azure.SUBNET, SUBNET_OK, ("defaultOutboundAccess",), _REMOVE, "defaultOutboundAccess is unset (Azure default true)"),
    # budget and tags
    ("computed-start", azure.azure_budget_pinned, azure.BUDGET, BUDGET_OK, ("timePeriod", "startDate"), "2026-12-17T09:31:00Z", "expected the first of a month"),
    ("no-forecast", azure.azure_budget_pinned, azure.BUDGET, BUDGET_OK, ("notifications", "forecast100"), _REMOVE, "no Forecasted notification"),
    ("nobody-notified", azure.azure_budget_pinned, azure.BUDGET, BUDGET_OK, ("notifications", "actual80", "contactEmails"), [], "notifications.actual80 notifies nobody"),
    ("disabled-alert", azure.azure_budget_pinned, azure.BUDGET, BUDGET_OK, ("notifications", "actual80", "enabled"), False, "notifications.actual80 is disabled"),
    ("missing-owner-tag", azure.azure_required_tags, azure.STORAGE, STORAGE_OK, ("tags", "owner"), _REMOVE, "missing tags: owner"),
    ("no-tags", azure.azure_required_tags, azure.VAULT, VAULT_OK, ("tags",), _REMOVE, "missing tags: environment, owner"),
    ("foreign-manager", azure.azure_required_tags, azure.CLUSTER, AKS_OK, ("tags", "managed-by"), "terraform", 'managed-by is "terraform"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "resource_type", "base", "path", "value", "fragment"),
    [case[1:] for case in NON_COMPLIANT],
    ids=[case[0] for case in NON_COMPLIANT],
)
def test_one_insecure_property_is_reported(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    fragment: str,
) -> None:
    [message] = check(policy, resource_type, changed(base, path, value))
    assert fragment in message, message


# What Azure does with each property a rule requires, from the ARM API references: the values the rule
# accepts, Azure's value when the property is unset (None: the property is required), and one refused value.
# Storage: learn.microsoft.com/azure/templates/microsoft.storage/storageaccounts and .../blobservices;
# Key Vault: .../microsoft.keyvault/vaults; registry: .../microsoft.containerregistry/registries;
# Azure ML: .../microsoft.machinelearningservices/workspaces; AKS: .../microsoft.containerservice/managedclusters;
# subnets: .../microsoft.network/virtualnetworks/subnets.
REQUIRED_SETTINGS = [
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "kind", ["StorageV2"], None, "Storage"),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "minimumTlsVersion", ["TLS1_2", "TLS1_3"], "TLS1_0", "TLS1_1"),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "enableHttpsTrafficOnly", [True], True, False),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "allowBlobPublicAccess", [False], False, True),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "allowSharedKeyAccess", [False], True, True),
    (azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK, "encryption.keySource", ["Microsoft.Keyvault"], "Microsoft.Storage", "Microsoft.Storage"),
    (azure.azure_storage_public_network_disabled, azure.STORAGE, STORAGE_OK, "publicNetworkAccess", ["Disabled"], "Enabled", "Enabled"),
    (azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK, "isVersioningEnabled", [True], False, False),
    (azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK, "deleteRetentionPolicy.enabled", [True], False, False),
    (azure.azure_blob_versioning_and_soft_delete, azure.BLOB_SERVICE, BLOB_OK, "containerDeleteRetentionPolicy.enabled", [True], False, False),
    (azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, "properties.enableRbacAuthorization", [True], False, False),
    (azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, "properties.enablePurgeProtection", [True], False, False),
    (azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, "properties.enableSoftDelete", [True], True, False),
    (azure.azure_key_vault_secure, azure.VAULT, VAULT_OK, "properties.networkAcls.defaultAction", ["Deny"], "Allow", "Allow"),
    (azure.azure_key_vault_public_network_disabled, azure.VAULT, VAULT_OK, "properties.publicNetworkAccess", ["Disabled"], "Enabled", "Enabled"),
    (azure.azure_container_registry_secure, azure.REGISTRY, REGISTRY_OK, "adminUserEnabled", [False], False, True),
    (azure.azure_container_registry_secure, azure.REGISTRY, REGISTRY_OK, "anonymousPullEnabled", [False], False, True),
    (azure.azure_container_registry_private, azure.REGISTRY, REGISTRY_OK, "sku.name", ["Premium"], None, "Standard"),
    (azure.azure_container_registry_private, azure.REGISTRY, REGISTRY_OK, "publicNetworkAccess", ["Disabled"], "Enabled", "Enabled"),
    (azure.azure_container_registry_retention, azure.REGISTRY, REGISTRY_OK, "policies.retentionPolicy.status", ["enabled"], "disabled", "disabled"),
    (azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, "systemDatastoresAuthMode", ["Identity"], "AccessKey", "AccessKey"),
    (azure.azure_ml_workspace_private, azure.ML_WORKSPACE, WORKSPACE_OK, "publicNetworkAccess", ["Disabled"], "Enabled", "Enabled"),
    (azure.azure_ml_workspace_private, azure.ML_WORKSPACE, WORKSPACE_OK, "managedNetwork.isolationMode", ["AllowOnlyApprovedOutbound"], "Disabled", "AllowInternetOutbound"),
    (azure.azure_aks_private_cluster, azure.CLUSTER, AKS_OK, "apiServerAccessProfile.enablePrivateCluster", [True], False, False),
    (azure.azure_aks_etcd_encryption, azure.CLUSTER, AKS_OK, "securityProfile.azureKeyVaultKms.enabled", [True], False, False),
    (azure.azure_aks_standard_tier, azure.CLUSTER, AKS_OK, "sku.tier", ["Standard", "Premium"], "Free", "Free"),
    (azure.azure_subnet_closed, azure.SUBNET, SUBNET_OK, "defaultOutboundAccess", [False], True, True),
    # ManagedCluster properties and their defaults (learn.microsoft.com/rest/api/aks/managed-clusters/create-or-update;
    # auto-upgrade channels: learn.microsoft.com/azure/aks/auto-upgrade-cluster and auto-upgrade-node-os-image).
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "disableLocalAccounts", [True], False, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "enableRBAC", [True], True, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "aadProfile.managed", [True], False, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "aadProfile.enableAzureRBAC", [True], False, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "oidcIssuerProfile.enabled", [True], False, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "securityProfile.workloadIdentity.enabled", [True], False, False),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "networkProfile.networkPlugin", ["azure"], "kubenet", "kubenet"),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "networkProfile.networkPolicy", ["azure", "calico", "cilium"], "none", "none"),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "autoUpgradeProfile.upgradeChannel", ["patch", "stable", "rapid", "node-image"], "none", "none"),
    (azure.azure_aks_cluster_hardened, azure.CLUSTER, AKS_OK, "autoUpgradeProfile.nodeOSUpgradeChannel", ["NodeImage", "SecurityPatch"], "NodeImage", "Unmanaged"),
    # Key Vault key types (learn.microsoft.com/rest/api/keyvault/keys/create-key: EC, EC-HSM, RSA, RSA-HSM, oct, oct-HSM).
    (azure.azure_key_vault_key_rotation, azure.KEY, KEY_OK, "properties.kty", ["RSA", "RSA-HSM", "EC", "EC-HSM"], None, "oct"),
    # AmlCompute defaults (learn.microsoft.com/rest/api/azureml/compute/create-or-update).
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, "properties.disableLocalAuth", [True], False, False),
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, "properties.properties.enableNodePublicIp", [False], True, True),
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, "properties.properties.remoteLoginPortPublicAccess", ["Disabled"], "NotSpecified", "Enabled"),
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, "properties.properties.scaleSettings.minNodeCount", [0], 0, 1),
    # Compute instance SSH is closed unless sshPublicAccess says Enabled (learn.microsoft.com/rest/api/azureml/compute/create-or-update#sshpublicaccess;
    # the azure-native SshSettingsArgs default is "Disabled").
    (azure.azure_ml_compute_hardened, azure.ML_COMPUTE, INSTANCE_OK, "properties.properties.sshSettings.sshPublicAccess", ["Disabled"], "Disabled", "Enabled"),
    # The cluster autoscaler runs on a node pool only when enabled on it (learn.microsoft.com/azure/aks/cluster-autoscaler).
    (azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, "enableAutoScaling", [True], False, False),
    # Spot pools: eviction policy Delete and max price -1 (pay up to on-demand) are the defaults (learn.microsoft.com/azure/aks/spot-node-pool).
    (azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK, "scaleSetEvictionPolicy", ["Delete"], "Delete", "Deallocate"),
    (azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK, "spotMaxPrice", [-1], -1, 0.5),
    # Storage account defaults (learn.microsoft.com/rest/api/storagerp/storage-accounts/create).
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "networkRuleSet.defaultAction", ["Deny"], "Allow", "Allow"),
    (azure.azure_storage_account_secure, azure.STORAGE, STORAGE_OK, "encryption.requireInfrastructureEncryption", [True], False, False),
    # ML workspace managed network and legacy mode (learn.microsoft.com/rest/api/azureml/workspaces/create-or-update).
    (azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, "managedNetwork.isolationMode", ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"], "Disabled", "Disabled"),
    (azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, WORKSPACE_OK, "v1LegacyMode", [False], False, True),
]  # fmt: skip


def _expected(path: str, shown: str, allowed: list[Any]) -> str:
    return f"{path} is {shown}, expected {' or '.join(show(v) for v in allowed)}."


@pytest.mark.parametrize(
    ("policy", "resource_type", "base", "path", "allowed", "default", "refused"),
    REQUIRED_SETTINGS,
    ids=[f"{case[0].name}-{case[3]}" for case in REQUIRED_SETTINGS],
)
def test_each_required_setting_accepts_its_values_refuses_others_and_judges_unset_as_azure_does(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    path: str,
    allowed: list[Any],
    default: Any,
    refused: Any,
) -> None:
    at = tuple(path.split("."))
    for value in allowed:
        assert check(policy, resource_type, changed(base, at, value)) == [], value
    assert check(policy, resource_type, changed(base, at, refused)) == [
        _expected(path, show(refused), allowed)
    ]
    unset = check(policy, resource_type, changed(base, at, _REMOVE))
    if default in allowed:
        assert unset == []
    else:
        shown = "unset" if default is None else f"unset (Azure default {show(default)})"
        assert unset == [_expected(path, shown, allowed)]


def test_every_resource_rule_has_compliant_and_non_compliant_cases() -> None:
    # azure-resources-protected reads resource options, not properties: see its own test below.
    rules = {p.name for p in azure.POLICIES if isinstance(p, ResourceValidationPolicy)} - {
        "azure-resources-protected"
    }
    assert {policy.name for policy, *_ in COMPLIANT} == rules
    assert {case[1].name for case in NON_COMPLIANT} == rules


# The on-demand pool is compliant only where the stack does not ask for spot; its twin needs that config.
TWINS_ELSEWHERE = {
    ("azure-aks-gpu-pool-spot", "GPU_POOL_OK"): "test_dev_requires_gpu_pools_on_spot_through_policy_config"
}


def test_every_compliant_case_has_a_violating_twin_from_the_same_resource() -> None:
    """A compliant case alone passes against a rule that does nothing; its twin is what can fail."""
    bases = {id(value): name for name, value in globals().items() if name.endswith("_OK")}
    twins = {(case[1].name, case[2], id(case[3])) for case in NON_COMPLIANT}
    lonely = [
        (policy.name, bases[id(props)])
        for policy, resource_type, props in COMPLIANT
        if (policy.name, resource_type, id(props)) not in twins
    ]
    assert COMPLIANT
    assert {case: TWINS_ELSEWHERE.get(case) for case in lonely} == {
        case: test for case, test in TWINS_ELSEWHERE.items() if test in globals()
    }


def test_dev_requires_gpu_pools_on_spot_through_policy_config() -> None:
    assert (
        check(azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, SPOT_POOL_OK, config={"requireSpot": True})
        == []
    )
    [message] = check(
        azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, GPU_POOL_OK, config={"requireSpot": True}
    )
    assert 'scaleSetPriority is "Regular"' in message


def test_gpu_pool_cap_comes_from_policy_config() -> None:
    assert (
        check(
            azure.azure_aks_gpu_pool,
            azure.AGENT_POOL,
            changed(GPU_POOL_OK, ("maxCount",), 40),
            config={"maxNodes": 64},
        )
        == []
    )
    over = changed(GPU_POOL_OK, ("maxCount",), 40)
    assert len(check(azure.azure_aks_gpu_pool, azure.AGENT_POOL, over, config={"maxNodes": 39})) == 1


def test_cpu_pools_are_not_judged_as_gpu_pools() -> None:
    cpu = {**GPU_POOL_OK, "vmSize": "Standard_D8ds_v5", "nodeTaints": [], "minCount": 2}
    assert check(azure.azure_aks_gpu_pool, azure.AGENT_POOL, cpu) == []
    warm_untainted_gpu = {**cpu, "vmSize": GPU_POOL_OK["vmSize"]}
    assert len(check(azure.azure_aks_gpu_pool, azure.AGENT_POOL, warm_untainted_gpu)) == 1
    assert azure.is_gpu_vm_size("Standard_ND96isr_H100_v5") and not azure.is_gpu_vm_size("Standard_D4ds_v5")


def test_protection_rule_reads_the_resource_options() -> None:
    assert check(azure.azure_resources_protected, azure.STORAGE, STORAGE_OK, protect=True) == []
    [message] = check(azure.azure_resources_protected, azure.STORAGE, STORAGE_OK, protect=False)
    assert "not protected" in message


def test_unknown_values_never_crash_and_never_hide_a_known_bad_value() -> None:
    unknown_tls = changed(STORAGE_OK, ("minimumTlsVersion",), ENGINE_UNKNOWN)
    assert check(azure.azure_storage_account_secure, azure.STORAGE, unknown_tls) == []
    both = changed(unknown_tls, ("allowSharedKeyAccess",), True)
    [message] = check(azure.azure_storage_account_secure, azure.STORAGE, both)
    assert "allowSharedKeyAccess is true" in message and "minimumTlsVersion" not in message
    unknown_ranges = changed(PUBLIC_AKS_OK, ("apiServerAccessProfile", "authorizedIPRanges"), ENGINE_UNKNOWN)
    assert check(azure.azure_aks_cluster_hardened, azure.CLUSTER, unknown_ranges) == []
    open_ranges = changed(PUBLIC_AKS_OK, ("apiServerAccessProfile", "authorizedIPRanges"), ["0.0.0.0/0"])
    assert len(check(azure.azure_aks_cluster_hardened, azure.CLUSTER, open_ranges)) == 1
    unknown_notifications = changed(BUDGET_OK, ("notifications",), ENGINE_UNKNOWN)
    assert check(azure.azure_budget_pinned, azure.BUDGET, unknown_notifications) == []
    no_notifications = changed(BUDGET_OK, ("notifications",), {})
    assert len(check(azure.azure_budget_pinned, azure.BUDGET, no_notifications)) == 1
    everything_unknown = {k: ENGINE_UNKNOWN for k in AKS_OK}
    untainted_gpu_pool = {"name": "gpu", "mode": "User", "vmSize": "Standard_NC4as_T4_v3", "nodeTaints": []}
    everything_bad = {"agentPoolProfiles": [untainted_gpu_pool]}  # every other property unset
    for policy in (
        azure.azure_aks_cluster_hardened,
        azure.azure_aks_gpu_pool,
        azure.azure_aks_etcd_encryption,
    ):
        assert check(policy, azure.CLUSTER, everything_unknown) == []
        assert len(check(policy, azure.CLUSTER, everything_bad)) == 1


# --- stack rules -------------------------------------------------------------------------------------------


def data_stack() -> dict[str, PolicyResource]:
    """A storage account and vault with their endpoints, DNS groups, zone links, logs, locks and budget."""
    r = {
        "group": resource(azure.RESOURCE_GROUP, "rg", {"tags": TAGS}),
        "storage": resource(azure.STORAGE, "st", STORAGE_OK),
        "blob": resource(azure.BLOB_SERVICE, "st-blob", BLOB_OK),
        "vault": resource(azure.VAULT, "kv", VAULT_OK),
        "cluster": resource(azure.CLUSTER, "aks", AKS_OK),
        "pe-storage": resource(azure.PRIVATE_ENDPOINT, "st-pe", {"tags": TAGS}),
        "pe-vault": resource(azure.PRIVATE_ENDPOINT, "kv-pe", {"tags": TAGS}),
        "zone": resource(
            azure.PRIVATE_ZONE, "dns-blob", {"privateZoneName": "privatelink.blob.core.windows.net"}
        ),
        "zone-link": resource(azure.ZONE_LINK, "dns-blob-link", {}),
        "budget": resource(azure.BUDGET, "budget", BUDGET_OK),
        "vnet": resource(azure.VNET, "vnet", {**VNET_OK, "subnets": []}),
        "subnet": resource(azure.SUBNET, "snet", SUBNET_OK),
        "vnet-flow-log": resource(azure.FLOW_LOG, "vnet-flow", {"enabled": True}),
    }
    link(r["subnet"], "virtualNetworkName", r["vnet"])
    link(r["vnet-flow-log"], "targetResourceId", r["vnet"])
    link(r["blob"], "accountName", r["storage"])
    link(r["pe-storage"], "privateLinkServiceConnections", r["storage"])
    link(r["pe-vault"], "privateLinkServiceConnections", r["vault"])
    link(r["zone-link"], "privateZoneName", r["zone"])
    link(r["budget"], "scope", r["group"])
    for name in ("pe-storage", "pe-vault"):
        group = resource(
            azure.DNS_ZONE_GROUP, f"{name}-dns", {"privateDnsZoneConfigs": [{"privateDnsZoneId": "/zones/z"}]}
        )
        r[f"{name}-dns"] = link(group, "privateEndpointName", r[name])
    for name in ("vault", "cluster"):
        r[f"{name}-logs"] = link(
            resource(azure.DIAGNOSTICS, f"{name}-logs", {"workspaceId": "/ws"}), "resourceUri", r[name]
        )
    for name in ("storage", "vault"):
        r[f"{name}-lock"] = link(
            resource(azure.LOCK, f"{name}-lock", {"level": "CanNotDelete"}), "scope", r[name]
        )
    return r


STACK_RULES = [
    azure.azure_data_stores_locked,
    azure.azure_storage_account_has_blob_service,
    azure.azure_private_endpoints,
    azure.azure_private_endpoints_in_dns,
    azure.azure_private_dns_zones_linked,
    azure.azure_audit_logs,
    azure.azure_vnet_flow_logs,
    azure.azure_stack_has_budget,
]


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_compliant_stack_passes(policy: StackValidationPolicy) -> None:
    assert check_stack(policy, list(data_stack().values())) == []


@pytest.mark.parametrize(
    ("policy", "removed", "flagged", "fragment"),
    [
        (azure.azure_data_stores_locked, "storage-lock", "storage", "has no management lock"),
        (azure.azure_storage_account_has_blob_service, "blob", "storage", "has no BlobServiceProperties"),
        (azure.azure_private_endpoints, "pe-vault", "vault", "has no private endpoint"),
        (azure.azure_private_endpoints_in_dns, "pe-storage-dns", "pe-storage", "has no PrivateDnsZoneGroup"),
        (azure.azure_private_dns_zones_linked, "zone-link", "zone", "has no VirtualNetworkLink"),
        (azure.azure_audit_logs, "cluster-logs", "cluster", "has no diagnostic setting"),
        (azure.azure_vnet_flow_logs, "vnet-flow-log", "vnet", "has no enabled FlowLog"),
        (azure.azure_stack_has_budget, "budget", None, "no consumption Budget"),
    ],
    ids=lambda v: v.name if hasattr(v, "name") else None,
)
def test_stack_missing_one_companion_is_reported_on_the_resource_it_protects(
    policy: StackValidationPolicy, removed: str, flagged: str | None, fragment: str
) -> None:
    resources = data_stack()
    target = resources[flagged].urn if flagged else None
    del resources[removed]
    [(message, urn)] = check_stack(policy, list(resources.values()))
    assert fragment in message and urn == target


def test_a_public_registry_needs_no_private_endpoint_but_a_closed_one_does() -> None:
    public = resource(azure.REGISTRY, "cr", {**REGISTRY_OK, "publicNetworkAccess": "Enabled"})
    closed = resource(azure.REGISTRY, "cr-closed", REGISTRY_OK)
    reports = check_stack(azure.azure_private_endpoints, [*data_stack().values(), public, closed])
    assert [urn for _, urn in reports] == [closed.urn]


def test_a_standalone_outbound_or_deny_rule_is_not_internet_inbound() -> None:
    for path, value in ((("direction",), "Outbound"), (("access",), "Deny")):
        rule = changed(changed(SECURITY_RULE_OK, ("sourceAddressPrefix",), "*"), path, value)
        assert check(azure.azure_nsg_no_internet_inbound, azure.SECURITY_RULE, rule) == []


def test_a_virtual_network_whose_subnets_are_separate_resources_has_none_inline_to_judge() -> None:
    assert check(azure.azure_subnet_closed, azure.VNET, changed(VNET_OK, ("subnets",), _REMOVE)) == []


def test_basic_and_standard_registries_have_no_retention_policy_to_ask_for() -> None:
    # Retention of untagged manifests is a Premium feature (learn.microsoft.com/azure/container-registry/
    # container-registry-retention-policy).
    for sku in ("Basic", "Standard"):
        props = changed(changed(REGISTRY_OK, ("sku", "name"), sku), ("policies",), _REMOVE)
        assert check(azure.azure_container_registry_retention, azure.REGISTRY, props) == []


def test_flow_logs_on_every_subnet_cover_the_vnet_but_a_disabled_one_does_not() -> None:
    resources = data_stack()
    del resources["vnet-flow-log"]
    subnet_log = link(
        resource(azure.FLOW_LOG, "snet-flow", {"enabled": True}), "targetResourceId", resources["subnet"]
    )
    assert check_stack(azure.azure_vnet_flow_logs, [*resources.values(), subnet_log]) == []
    off = link(
        resource(azure.FLOW_LOG, "snet-flow", {"enabled": False}), "targetResourceId", resources["subnet"]
    )
    [(_, urn)] = check_stack(azure.azure_vnet_flow_logs, [*resources.values(), off])
    assert urn == resources["vnet"].urn


def test_a_budget_scoped_elsewhere_leaves_the_resource_group_unwatched() -> None:
    resources = data_stack()
    resources["budget"] = resource(azure.BUDGET, "budget", BUDGET_OK)  # scope not linked to the group
    [(message, urn)] = check_stack(azure.azure_stack_has_budget, list(resources.values()))
    assert urn == resources["group"].urn and "unwatched" in message


def test_stacks_without_azure_resources_need_no_azure_budget() -> None:
    other = resource("aws:s3/bucket:Bucket", "b", {})
    assert check_stack(azure.azure_stack_has_budget, [other]) == []
    group = resource(azure.RESOURCE_GROUP, "rg", {"tags": TAGS})
    assert len(check_stack(azure.azure_stack_has_budget, [other, group])) == 1


# --- the pack and its configs ------------------------------------------------------------------------------


def test_every_azure_rule_is_in_the_pack_and_enforced_by_default() -> None:
    names = {p.name for p in POLICIES}
    # Advisory until the network component creates VNet flow logs; prod would otherwise fail on every VNet.
    advisory = {"azure-vnet-flow-logs"}
    for policy in azure.POLICIES:
        assert policy.name in names
        assert policy.name.startswith("azure-")
        expected = EnforcementLevel.ADVISORY if policy.name in advisory else EnforcementLevel.MANDATORY
        assert policy.enforcement_level == expected


def test_what_dev_relaxes_prod_enforces() -> None:
    dev = json.loads((CONFIG_DIR / "dev.json").read_text())
    prod = json.loads((CONFIG_DIR / "prod.json").read_text())
    ours = {name: level for name, level in dev.items() if name.startswith("azure-")}
    assert ours["azure-aks-gpu-pool-spot"] == {"enforcementLevel": "mandatory", "requireSpot": True}
    relaxed = {name for name, level in ours.items() if level == "advisory"}
    assert relaxed == {
        "azure-storage-public-network-disabled",
        "azure-blob-versioning-and-soft-delete",
        "azure-key-vault-public-network-disabled",
        "azure-container-registry-private",
        "azure-ml-workspace-private",
        "azure-aks-private-cluster",
        "azure-aks-etcd-encryption",
        "azure-aks-standard-tier",
        "azure-resources-protected",
        "azure-data-stores-locked",
        "azure-log-analytics-retention",
    }
    assert all(prod[name] == "mandatory" for name in ours)


# --- the real pack over the analyzer protocol --------------------------------------------------------------


def _mixed_platform() -> None:
    """Real components (prod settings) next to two hand-made resources that break the rules."""
    group = ResourceGroup("rg", ResourceGroupArgs("rg-ml", "eastus", TAGS, deletion_protection=True))
    rg = group.resource_group_name
    cidrs = {"aks": "10.30.0.0/20", "compute": "10.30.16.0/22", "endpoints": "10.30.20.0/24"}
    net = Network("net", NetworkArgs(rg, "eastus", "vnet-ml", "10.30.0.0/16", cidrs, TAGS))
    vault = KeyVault(
        "kv",
        KeyVaultArgs(
            rg,
            "eastus",
            "kv-ml-123456",
            "7d2c1f0e-3b4a-4c5d-8e6f-0a1b2c3d4e5f",
            TAGS,
            keys=("storage",),
            private_link=net.private_link(),
            log_analytics_workspace_id="/workspaces/log",
            deletion_protection=True,
        ),
    )
    StorageAccount(
        "st",
        StorageAccountArgs(
            rg,
            "eastus",
            "stml123456",
            TAGS,
            "00000000-0000-4000-8000-000000000000",
            private_link=net.private_link(),
            customer_managed_key=vault.customer_managed_key("storage"),
            versioning=True,
            soft_delete_days=30,
            deletion_protection=True,
        ),
    )
    Budget(
        "budget",
        BudgetArgs(
            "ml-azure", group.resource_group_id, 100, ["a@example.com"], start_date=dt.date(2026, 12, 1)
        ),
    )
    azure_native.storage.StorageAccount(
        "loose",
        azure_native.storage.StorageAccountArgs(
            resource_group_name=rg,
            kind=azure_native.storage.Kind.STORAGE_V2,
            sku=azure_native.storage.SkuArgs(name="Standard_LRS"),
        ),
    )
    azure_native.network.NetworkSecurityGroup(
        "open-ssh",
        azure_native.network.NetworkSecurityGroupInitArgs(
            resource_group_name=rg,
            security_rules=[
                azure_native.network.SecurityRuleArgs(
                    name="ssh",
                    priority=100,
                    direction="Inbound",
                    access="Allow",
                    protocol="Tcp",
                    source_address_prefix="Internet",
                    destination_port_range="22",
                )
            ],
            tags=TAGS,
        ),
    )


@pytest.fixture(scope="module")
def engine_reports() -> dict[str, Any]:
    plan = record(_mixed_platform, stack="prod", config={"azure-native:location": "eastus"})
    pack = CONFIG_DIR.parent
    return {
        stack: [
            v
            for v in run_policy_pack(
                plan.run.resources,
                pack_dir=pack,
                stack=stack,
                project="mlplat",
                config_file=CONFIG_DIR / f"{stack}.json",
            ).violations
            # The network component creates no VNet flow log yet; that advisory gap has its own tests above.
            if v.policy.startswith("azure-") and v.policy != azure.azure_vnet_flow_logs.name
        ]
        for stack in ("dev", "prod")
    }


def test_through_the_analyzer_the_components_pass_and_only_the_hand_made_resources_fail(
    engine_reports: dict[str, Any],
) -> None:
    flagged = {(v.policy, v.urn.rsplit("::", 1)[1]) for v in engine_reports["prod"]}
    assert {name for _, name in flagged} == {"loose", "open-ssh"}
    assert {
        ("azure-storage-account-secure", "loose"),
        ("azure-storage-account-cmk", "loose"),
        ("azure-storage-public-network-disabled", "loose"),
        ("azure-required-tags", "loose"),
        ("azure-resources-protected", "loose"),
        ("azure-data-stores-locked", "loose"),
        ("azure-storage-account-has-blob-service", "loose"),
        ("azure-private-endpoints", "loose"),
        ("azure-nsg-no-internet-inbound", "open-ssh"),
    } == flagged


def test_through_the_analyzer_dev_relaxes_only_what_its_config_lists(engine_reports: dict[str, Any]) -> None:
    levels = {(v.policy, v.level) for v in engine_reports["dev"]}
    assert ("azure-storage-public-network-disabled", "advisory") in levels
    assert ("azure-resources-protected", "advisory") in levels
    assert ("azure-storage-account-secure", "mandatory") in levels
    assert ("azure-nsg-no-internet-inbound", "mandatory") in levels
    assert {v.level for v in engine_reports["prod"]} == {"mandatory"}
    message = next(v.message for v in engine_reports["prod"] if v.policy == "azure-nsg-no-internet-inbound")
    assert message == 'rule "ssh" allows inbound traffic from the internet.'


def test_an_empty_managed_by_tag_is_missing_not_foreign() -> None:
    blank = changed(STORAGE_OK, ("tags", "managed-by"), "")
    assert check(azure.azure_required_tags, azure.STORAGE, blank) == ["missing tags: managed-by."]


def test_a_diagnostic_setting_that_sends_logs_nowhere_does_not_count() -> None:
    resources = data_stack()
    resources["cluster-logs"] = link(
        resource(azure.DIAGNOSTICS, "cluster-logs", {}), "resourceUri", resources["cluster"]
    )
    assert check_stack(azure.azure_audit_logs, list(resources.values())) == [
        (
            "aks has no diagnostic setting sending its logs to Log Analytics, so control-plane and key access go "
            "unaudited.",
            resources["cluster"].urn,
        )
    ]


def test_an_aks_api_server_not_declared_private_is_public_and_needs_an_allow_list() -> None:
    # enablePrivateCluster defaults to false (learn.microsoft.com/azure/aks/private-clusters); a public API
    # server without authorizedIPRanges accepts every address (learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges).
    unset = changed(PUBLIC_AKS_OK, ("apiServerAccessProfile",), {"authorizedIPRanges": []})
    assert check(azure.azure_aks_cluster_hardened, azure.CLUSTER, unset) == [
        "the API server is public and apiServerAccessProfile.authorizedIPRanges is empty, "
        "so it is open to the whole internet."
    ]
    private = changed(unset, ("apiServerAccessProfile", "enablePrivateCluster"), True)
    assert check(azure.azure_aks_cluster_hardened, azure.CLUSTER, private) == []


# Budget notifications (learn.microsoft.com/rest/api/consumption/budgets/create-or-update): thresholdType is
# Actual unless set to Forecasted; recipients are contactEmails, contactGroups or contactRoles.
NO_ACTUAL = "no Actual notification, so spend goes unnoticed"
NO_FORECAST = "no Forecasted notification, so a forecast overrun goes unnoticed"
ACTUAL = BUDGET_OK["notifications"]["actual80"]
FORECAST = BUDGET_OK["notifications"]["forecast100"]
BUDGET_NOTIFICATIONS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("threshold-type-defaults-to-actual", {"a": {**ACTUAL, "thresholdType": _REMOVE}, "f": FORECAST}, []),
    ("untyped-is-not-a-forecast", {"a": {**ACTUAL, "thresholdType": _REMOVE}}, [NO_FORECAST]),
    ("forecast-only", {"f": FORECAST}, [NO_ACTUAL]),
    ("neither", {}, [NO_ACTUAL, NO_FORECAST]),
    ("action-groups-are-recipients", {"a": {**ACTUAL, "contactEmails": [], "contactGroups": ["/ag"]}, "f": FORECAST}, []),
    ("roles-are-recipients", {"a": {**ACTUAL, "contactEmails": [], "contactRoles": ["Owner"]}, "f": FORECAST}, []),
    ("nobody", {"a": {**ACTUAL, "contactEmails": []}, "f": FORECAST}, ["notifications.a notifies nobody"]),
    ("recipients-known-later", {"a": {**ACTUAL, "contactEmails": ENGINE_UNKNOWN}, "f": FORECAST}, []),
    ("a-notification-known-later", {"a": ENGINE_UNKNOWN}, []),
    ("judged-after-one-known-later", {"u": ENGINE_UNKNOWN, "a": {**ACTUAL, "enabled": False}}, ["notifications.a is disabled"]),
    ("a-type-known-later", {"a": {**ACTUAL, "thresholdType": ENGINE_UNKNOWN}}, []),
    (
        "every-notification-is-judged",
        {"a": {**ACTUAL, "enabled": False}, "f": {**FORECAST, "enabled": False}},
        ["notifications.a is disabled", "notifications.f is disabled"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("notifications", "messages"),
    [row[1:] for row in BUDGET_NOTIFICATIONS],
    ids=[row[0] for row in BUDGET_NOTIFICATIONS],
)
def test_a_budget_alerts_someone_on_actual_and_forecast_spend(
    notifications: dict[str, Any], messages: list[str]
) -> None:
    cleaned = {
        k: {f: v for f, v in n.items() if v is not _REMOVE} if isinstance(n, dict) else n
        for k, n in notifications.items()
    }
    found = check(azure.azure_budget_pinned, azure.BUDGET, changed(BUDGET_OK, ("notifications",), cleaned))
    assert found == ([] if not messages else ["; ".join(messages) + "."])


def test_a_budget_start_is_the_first_of_a_month_and_an_unset_one_is_reported_as_unset() -> None:
    # Azure fixes a budget's start date at creation; it must be the first of a month
    # (learn.microsoft.com/rest/api/consumption/budgets/create-or-update#budgettimeperiod).
    assert check(azure.azure_budget_pinned, azure.BUDGET, changed(BUDGET_OK, ("timePeriod",), _REMOVE)) == [
        "timePeriod.startDate is unset, expected the first of a month from settings (Azure never lets it change)."
    ]
    computed = changed(BUDGET_OK, ("timePeriod", "startDate"), "2026-12-17T09:31:00Z")
    assert check(azure.azure_budget_pinned, azure.BUDGET, computed) == [
        'timePeriod.startDate is "2026-12-17T09:31:00Z", expected the first of a month from settings (Azure never '
        "lets it change)."
    ]


def test_an_rsa_key_is_at_least_2048_bits_and_2048_when_unset() -> None:
    # Key Vault RSA keys default to 2048 bits (learn.microsoft.com/rest/api/keyvault/keys/create-key).
    for kty in ("RSA", "RSA-HSM"):
        small = changed(changed(KEY_OK, ("properties", "kty"), kty), ("properties", "keySize"), 1024)
        assert check(azure.azure_key_vault_key_rotation, azure.KEY, small) == [
            "properties.keySize is 1024, expected at least 2048."
        ]
        unset = changed(changed(KEY_OK, ("properties", "kty"), kty), ("properties", "keySize"), _REMOVE)
        assert check(azure.azure_key_vault_key_rotation, azure.KEY, unset) == []
    # keySize is RSA's; an EC key names a curve instead.
    ec = changed(changed(KEY_OK, ("properties", "kty"), "EC"), ("properties", "keySize"), 1024)
    assert check(azure.azure_key_vault_key_rotation, azure.KEY, ec) == []


def test_an_unset_spot_priority_is_regular_and_on_demand() -> None:
    # scaleSetPriority defaults to Regular (learn.microsoft.com/rest/api/aks/agent-pools/create-or-update).
    unset = changed(GPU_POOL_OK, ("scaleSetPriority",), _REMOVE)
    assert check(azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, unset, config={"requireSpot": True}) == [
        'scaleSetPriority is "Regular", so this stack\'s GPU pool is on-demand.'
    ]
    assert check(azure.azure_aks_gpu_pool_spot, azure.AGENT_POOL, unset) == []


def test_a_workspace_without_a_managed_identity_is_reported_with_its_identity_type() -> None:
    # Managed identity types: SystemAssigned, UserAssigned, "SystemAssigned,UserAssigned", None
    # (learn.microsoft.com/rest/api/azureml/workspaces/create-or-update#managedserviceidentitytype).
    none = changed(WORKSPACE_OK, ("identity", "type"), "None")
    assert check(azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, none) == [
        'identity.type is "None", expected a managed identity (SystemAssigned).'
    ]
    for managed in ("UserAssigned", "SystemAssigned,UserAssigned"):
        ok = changed(WORKSPACE_OK, ("identity", "type"), managed)
        assert check(azure.azure_ml_workspace_secure, azure.ML_WORKSPACE, ok) == []


def test_a_dns_zone_group_without_a_zone_leaves_the_endpoint_on_public_dns() -> None:
    # A private endpoint's name resolves privately only through a zone in its PrivateDnsZoneGroup
    # (learn.microsoft.com/azure/private-link/private-endpoint-dns).
    resources = data_stack()
    empty = resource(azure.DNS_ZONE_GROUP, "st-pe-dns", {"privateDnsZoneConfigs": []})
    resources["pe-storage-dns"] = link(empty, "privateEndpointName", resources["pe-storage"])
    assert check_stack(azure.azure_private_endpoints_in_dns, list(resources.values())) == [
        (
            "private endpoint st-pe has no PrivateDnsZoneGroup with a zone, so the service's name still resolves "
            "to its public address.",
            resources["pe-storage"].urn,
        )
    ]


# Compute instances (learn.microsoft.com/azure/machine-learning/how-to-create-compute-instance): an idle shutdown
# time stops a forgotten instance; assignedUser.objectId names the one user who may use it.
INSTANCE_CASES = [
    ("no-idle-shutdown", ("properties", "properties", "idleTimeBeforeShutdown"), _REMOVE, ["properties.properties.idleTimeBeforeShutdown is unset, so an idle instance runs on"]),
    ("idle-shutdown-known-later", ("properties", "properties", "idleTimeBeforeShutdown"), ENGINE_UNKNOWN, []),
    ("no-owner", ("properties", "properties", "personalComputeInstanceSettings", "assignedUser", "objectId"), "", ["properties.properties.personalComputeInstanceSettings.assignedUser is unset"]),
    ("owner-known-later", ("properties", "properties", "personalComputeInstanceSettings", "assignedUser", "objectId"), ENGINE_UNKNOWN, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "messages"), [c[1:] for c in INSTANCE_CASES], ids=[c[0] for c in INSTANCE_CASES]
)
def test_a_compute_instance_shuts_down_when_idle_and_belongs_to_one_user(
    path: tuple[str, ...], value: Any, messages: list[str]
) -> None:
    found = check(azure.azure_ml_compute_hardened, azure.ML_COMPUTE, changed(INSTANCE_OK, path, value))
    assert found == ([] if not messages else ["; ".join(messages) + "."])


# Key rotation policy (learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation): a lifetime action
# of type Rotate rotates the key; attributes.expiryTime (ISO 8601 duration) sets when new versions expire.
NO_ROTATE = "properties.rotationPolicy has no rotate action, so the key never rotates"
NO_EXPIRY = "properties.rotationPolicy.attributes.expiryTime is unset, so key versions never expire"
ROTATION_CASES = [
    ("notify-only", ("properties", "rotationPolicy", "lifetimeActions"), [{"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P7D"}}], [NO_ROTATE]),
    ("rotate-capitalised", ("properties", "rotationPolicy", "lifetimeActions"), [{"action": {"type": "Rotate"}, "trigger": {"timeAfterCreate": "P90D"}}], []),
    ("action-known-later", ("properties", "rotationPolicy", "lifetimeActions"), [ENGINE_UNKNOWN], []),
    ("empty-expiry", ("properties", "rotationPolicy", "attributes", "expiryTime"), "", [NO_EXPIRY]),
    ("expiry-known-later", ("properties", "rotationPolicy", "attributes", "expiryTime"), ENGINE_UNKNOWN, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "messages"), [c[1:] for c in ROTATION_CASES], ids=[c[0] for c in ROTATION_CASES]
)
def test_a_key_rotates_and_its_versions_expire(
    path: tuple[str, ...], value: Any, messages: list[str]
) -> None:
    found = check(azure.azure_key_vault_key_rotation, azure.KEY, changed(KEY_OK, path, value))
    assert found == ([] if not messages else ["; ".join(messages) + "."])


def test_every_inline_gpu_pool_is_judged_after_one_whose_priority_is_known_later() -> None:
    pools = [{**GPU_POOL_OK, "scaleSetPriority": ENGINE_UNKNOWN}, GPU_POOL_OK]
    cluster = changed(AKS_OK, ("agentPoolProfiles",), pools)
    assert check(azure.azure_aks_gpu_pool_spot, azure.CLUSTER, cluster, config={"requireSpot": True}) == [
        'agentPoolProfiles[1].scaleSetPriority is "Regular", so this stack\'s GPU pool is on-demand.'
    ]


# --- the whole message a user reads, and values known only after preview ----------------------------------

OPEN_SSH_RULE: dict[str, Any] = {
    "name": "ssh",
    "direction": "Inbound",
    "access": "Allow",
    "sourceAddressPrefix": "*",
    "destinationPortRange": "22",
}
UNTAINTED_GPU_POOL: dict[str, Any] = {**GPU_POOL_OK, "nodeTaints": []}
API_RANGES = ("apiServerAccessProfile", "authorizedIPRanges")
# One changed property and every word the user then reads (None: nothing reported). A /0 prefix spans every
# address whatever address it is written from (RFC 4632 section 3.1), so it is the whole internet.
EXACT_MESSAGES = [
    ("cluster-no-idle-scale-down", azure.azure_ml_compute_hardened, azure.ML_COMPUTE, CLUSTER_COMPUTE_OK, ("properties", "properties", "scaleSettings", "nodeIdleTimeBeforeScaleDown"), _REMOVE, "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is unset."),
    ("kms-without-key", azure.azure_aks_etcd_encryption, azure.CLUSTER, AKS_OK, ("securityProfile", "azureKeyVaultKms", "keyId"), _REMOVE, "securityProfile.azureKeyVaultKms.keyId is unset."),
    # A customer-managed key needs both keyVaultUri and keyName (learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-existing-account).
    ("cmk-without-key-name", azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK, ("encryption", "keyVaultProperties", "keyName"), _REMOVE, "encryption.keyVaultProperties.keyName is unset."),
    ("cmk-without-vault-uri", azure.azure_storage_account_cmk, azure.STORAGE, STORAGE_OK, ("encryption", "keyVaultProperties", "keyVaultUri"), _REMOVE, "encryption.keyVaultProperties.keyVaultUri is unset."),
    # A subnet's networkSecurityGroup is a reference to an NSG by id (learn.microsoft.com/rest/api/virtualnetwork/subnets/create-or-update);
    # the SDK's NetworkSecurityGroupArgs also takes securityRules, but rules written there without an id attach nothing.
    ("nsg-rules-without-an-nsg", azure.azure_subnet_closed, azure.SUBNET, SUBNET_OK, ("networkSecurityGroup",), {"securityRules": NSG_OK["securityRules"]}, "networkSecurityGroup is unset, so nothing filters traffic into the subnet."),
    ("gpu-node-public-ip", azure.azure_aks_gpu_pool, azure.AGENT_POOL, GPU_POOL_OK, ("enableNodePublicIP",), True, "enableNodePublicIP is true."),
    ("inline-gpu-node-public-ip", azure.azure_aks_gpu_pool, azure.CLUSTER, AKS_OK, ("agentPoolProfiles",), [{**GPU_POOL_OK, "enableNodePublicIP": True}], "agentPoolProfiles[0].enableNodePublicIP is true."),
    # N-series sizes are Azure's GPU VMs (learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/nvadsa10v5-series).
    ("partial-a10-is-a-gpu", azure.azure_aks_gpu_pool, azure.AGENT_POOL, UNTAINTED_GPU_POOL, ("vmSize",), "Standard_NV12ads_A10_v5", "nodeTaints lacks nvidia.com/gpu=...:NoSchedule, so any pod may land on GPUs."),
    ("vm-size-known-later", azure.azure_aks_gpu_pool, azure.AGENT_POOL, UNTAINTED_GPU_POOL, ("vmSize",), ENGINE_UNKNOWN, None),
    ("api-range-slash-zero-typo", azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK, API_RANGES, ["10.0.0.0/0"], 'apiServerAccessProfile.authorizedIPRanges allows "10.0.0.0/0", the whole internet.'),
    ("api-range-ipv6-any-spelled-out", azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK, API_RANGES, ["0::/0"], 'apiServerAccessProfile.authorizedIPRanges allows "0::/0", the whole internet.'),
    ("api-range-known-later", azure.azure_aks_cluster_hardened, azure.CLUSTER, PUBLIC_AKS_OK, API_RANGES, [ENGINE_UNKNOWN, "203.0.113.0/24"], None),
    ("nsg-slash-zero-typo", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules", 1, "sourceAddressPrefix"), "10.0.0.0/0", 'rule "allow-vnet" allows inbound traffic from the internet.'),
    ("nsg-ipv6-any-spelled-out", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules", 1, "sourceAddressPrefix"), "0::/0", 'rule "allow-vnet" allows inbound traffic from the internet.'),
    ("nsg-rules-known-later", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules",), ENGINE_UNKNOWN, None),
    ("nsg-judged-after-a-rule-known-later", azure.azure_nsg_no_internet_inbound, azure.NSG, NSG_OK, ("securityRules",), [ENGINE_UNKNOWN, OPEN_SSH_RULE], 'rule "ssh" allows inbound traffic from the internet.'),
    ("rule-prefix-list-known-later", azure.azure_nsg_no_internet_inbound, azure.SECURITY_RULE, SECURITY_RULE_OK, ("sourceAddressPrefixes",), ENGINE_UNKNOWN, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "resource_type", "base", "path", "value", "message"),
    [case[1:] for case in EXACT_MESSAGES],
    ids=[case[0] for case in EXACT_MESSAGES],
)
def test_one_changed_property_reads_exactly_as_the_user_sees_it(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    message: str | None,
) -> None:
    found = check(policy, resource_type, changed(base, path, value))
    assert found == ([] if message is None else [message])


def test_an_unprotected_resource_is_told_what_a_stack_change_can_do() -> None:
    assert check(azure.azure_resources_protected, azure.VAULT, VAULT_OK) == [
        "the resource is not protected (protect: true), so a stack change can delete it."
    ]


@pytest.mark.parametrize(("max_count", "messages"), [(4, []), (5, ["maxCount is 5, above the cap of 4."])])
def test_a_gpu_pool_may_reach_the_configured_cap_but_not_pass_it(max_count: int, messages: list[str]) -> None:
    pool = changed(GPU_POOL_OK, ("maxCount",), max_count)
    assert check(azure.azure_aks_gpu_pool, azure.AGENT_POOL, pool, config={"maxNodes": 4}) == messages


# Changes one compliant stack (data_stack) and returns every (message, URN) the rule then reports.
StackChange = Callable[[dict[str, PolicyResource]], list[tuple[str, str | None]]]


def _second_vnet(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    resources["vnet-b"] = resource(azure.VNET, "vnet-b", {**VNET_OK, "subnets": []})
    return [
        (
            "vnet-b has no enabled FlowLog whose targetResourceId comes from it (or from each of its subnets), so "
            "its traffic is not logged.",
            resources["vnet-b"].urn,
        )
    ]


def _flow_log_to_an_outside_id(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    # A targetResourceId written as a literal id depends on no resource of the stack.
    expected = _second_vnet(resources)
    resources["outside-flow"] = resource(azure.FLOW_LOG, "outside-flow", {"targetResourceId": f"{SUB}/x"})
    return expected


def _no_budget(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    del resources["budget"]
    return [("the stack creates Azure resources but no consumption Budget watches their cost.", None)]


def _budget_scoped_elsewhere(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    resources["budget"] = resource(azure.BUDGET, "budget", BUDGET_OK)
    return [
        (
            "no Budget's scope comes from this resource group, so its spend is unwatched.",
            resources["group"].urn,
        )
    ]


def _vault_without_endpoint(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    del resources["pe-vault"], resources["pe-vault-dns"]
    return [
        (
            "kv has no private endpoint whose privateLinkServiceConnections point at it, so nothing in the VNet "
            "can reach it.",
            resources["vault"].urn,
        )
    ]


def _vault_logs_to_storage_only(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    # A diagnostic setting may send to a storage account, an event hub or Log Analytics (workspaceId)
    # (learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings#destinations).
    archive = resource(azure.DIAGNOSTICS, "vault-logs", {"storageAccountId": f"{SUB}/st", "logs": []})
    resources["vault-logs"] = link(archive, "resourceUri", resources["vault"])
    return [
        (
            "kv has no diagnostic setting sending its logs to Log Analytics, so control-plane and key access go "
            "unaudited.",
            resources["vault"].urn,
        )
    ]


def _zone_configs_known_later(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    group = resource(azure.DNS_ZONE_GROUP, "st-pe-dns", {"privateDnsZoneConfigs": ENGINE_UNKNOWN})
    resources["pe-storage-dns"] = link(group, "privateEndpointName", resources["pe-storage"])
    return []


def _zone_config_known_later(resources: dict[str, PolicyResource]) -> list[tuple[str, str | None]]:
    group = resource(azure.DNS_ZONE_GROUP, "st-pe-dns", {"privateDnsZoneConfigs": [ENGINE_UNKNOWN]})
    resources["pe-storage-dns"] = link(group, "privateEndpointName", resources["pe-storage"])
    return []


STACK_CHANGES = [
    ("second-vnet-unlogged", azure.azure_vnet_flow_logs, _second_vnet),
    ("flow-log-to-an-outside-id", azure.azure_vnet_flow_logs, _flow_log_to_an_outside_id),
    ("no-budget", azure.azure_stack_has_budget, _no_budget),
    ("budget-scoped-elsewhere", azure.azure_stack_has_budget, _budget_scoped_elsewhere),
    ("vault-without-endpoint", azure.azure_private_endpoints, _vault_without_endpoint),
    ("vault-logs-to-storage-only", azure.azure_audit_logs, _vault_logs_to_storage_only),
    ("zone-configs-known-later", azure.azure_private_endpoints_in_dns, _zone_configs_known_later),
    ("a-zone-config-known-later", azure.azure_private_endpoints_in_dns, _zone_config_known_later),
]


@pytest.mark.parametrize(
    ("policy", "change"), [c[1:] for c in STACK_CHANGES], ids=[c[0] for c in STACK_CHANGES]
)
def test_a_changed_stack_reads_exactly_as_the_user_sees_it_on_the_resource_at_fault(
    policy: StackValidationPolicy, change: StackChange
) -> None:
    resources = data_stack()
    expected = change(resources)
    assert check_stack(policy, list(resources.values())) == expected
