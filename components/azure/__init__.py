"""Azure components: resource group, network, Key Vault, storage, monitoring, registry, Azure ML, AKS, budget."""

from components.azure.budget import Budget, BudgetArgs
from components.azure.cluster import AksCluster, AksClusterArgs, SystemPool
from components.azure.keyvault import CustomerManagedKey, KeyVault, KeyVaultArgs
from components.azure.monitoring import Monitoring, MonitoringArgs
from components.azure.network import Network, NetworkArgs
from components.azure.private_link import PrivateLink
from components.azure.registry import ContainerRegistry, ContainerRegistryArgs
from components.azure.resource_group import ResourceGroup, ResourceGroupArgs
from components.azure.storage import StorageAccount, StorageAccountArgs
from components.azure.workspace import ComputeCluster, ComputeInstanceUser, MlWorkspace, MlWorkspaceArgs

__all__ = [
    "AksCluster",
    "AksClusterArgs",
    "Budget",
    "BudgetArgs",
    "ComputeCluster",
    "ComputeInstanceUser",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "CustomerManagedKey",
    "KeyVault",
    "KeyVaultArgs",
    "MlWorkspace",
    "MlWorkspaceArgs",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "PrivateLink",
    "ResourceGroup",
    "ResourceGroupArgs",
    "StorageAccount",
    "StorageAccountArgs",
    "SystemPool",
]
