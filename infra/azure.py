"""The Azure part of the platform: resource group, network, keys, storage, registry, Azure ML, AKS, budget.

The resolved profile maps onto explicit component arguments here, and only here:
`publicWorkspaceAccess: false` also closes the public endpoints of Key Vault, storage and the registry
(and so turns on etcd encryption, which needs the private vault and API server VNet integration, on
for a public cluster too); `privateClusterEndpoint` makes AKS private behind VNet integration;
`azCount` 3 makes storage, the registry and the system pool zone-redundant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native

from components.azure import (
    AksCluster,
    AksClusterArgs,
    Budget,
    BudgetArgs,
    ComputeCluster,
    ComputeInstanceUser,
    ContainerRegistry,
    ContainerRegistryArgs,
    KeyVault,
    KeyVaultArgs,
    MlWorkspace,
    MlWorkspaceArgs,
    Monitoring,
    MonitoringArgs,
    Network,
    NetworkArgs,
    ResourceGroup,
    ResourceGroupArgs,
    StorageAccount,
    StorageAccountArgs,
    SystemPool,
)
from components.azure.deploy_runner import runner_network_settings
from components.azure.private_link import PRIVATE_DNS_ZONES
from components.common.naming import RULES, physical_name
from infra.clusters import Handoff, handoff
from infra.gpu import gpu_pool_specs
from infra.kubernetes import member_namespaces
from infra.settings import Profile, StackSettings
from infra.settings.model import AzureDeployRunner, AzureSettings
from infra.settings.profiles import SYSTEM_INSTANCE_TYPES

_SUFFIX_LENGTH = 6
_ISOLATION: dict[str, Literal["AllowInternetOutbound", "AllowOnlyApprovedOutbound"]] = {
    "internet": "AllowInternetOutbound",
    "approvedOnly": "AllowOnlyApprovedOutbound",
}
_COMPUTE_CLUSTER = "cpu-cluster"
# Azure ML managed network docs (approved outbound only): environment builds install from PyPI and conda.
_PACKAGE_INDEXES = ("pypi.org", "files.pythonhosted.org", "conda.anaconda.org")
_SOFT_DELETE_DAYS = 30


def _unique_names(
    subscription_id: pulumi.Output[str], resource_group: str
) -> Callable[..., pulumi.Output[str]]:
    """Globally unique names end in a hash of subscription and resource group: stable, never random."""
    salt = subscription_id.apply(
        lambda sub: hashlib.sha256(f"{sub}/{resource_group}".encode()).hexdigest()[:_SUFFIX_LENGTH]
    )

    def unique(kind: str, *parts: str) -> pulumi.Output[str]:
        rule = RULES[kind]
        room = rule.max_length - _SUFFIX_LENGTH - len(rule.separator)
        head = physical_name(kind, *parts)[:room].rstrip(rule.separator)
        return salt.apply(lambda s: f"{head}{rule.separator}{s}")

    return unique


@dataclass(frozen=True)
class _Context:
    stack: StackSettings
    azure: AzureSettings
    tags: Mapping[str, str]
    profile: Profile
    location: str
    project: str
    prefix: str
    subscription: pulumi.Output[str]
    rg_name: str
    unique: Callable[..., pulumi.Output[str]]  # globally unique names (`_unique_names`)

    @property
    def tenant(self) -> str:
        return str(self.azure.tenant_id)

    @property
    def private_cluster(self) -> bool:
        kube = self.azure.kubernetes
        return (
            self.profile.private_cluster_endpoint if kube.private_endpoint is None else kube.private_endpoint
        )

    @property
    def private_services(self) -> bool:
        return not self.profile.public_workspace_access

    @property
    def zone_redundant(self) -> bool:
        return self.profile.az_count >= 3

    @property
    def etcd_encryption(self) -> bool:
        return self.azure.kubernetes.enabled and self.private_services

    @property
    def vnet_integration(self) -> bool:
        # The KMS plugin reaches the private vault through API server VNet integration, so a cluster with
        # encrypted etcd gets the delegated subnet even when its endpoint is public (allow-listed).
        return self.azure.kubernetes.enabled and (self.private_cluster or self.etcd_encryption)

    @property
    def browsers(self) -> list[str]:
        # A public workspace's users reach storage and the vault from their browsers (Studio data browsing).
        ws = self.azure.workspace
        return [str(c) for c in ws.public_access_cidrs] if ws.enabled else []

    @property
    def deploy_runner(self) -> AzureDeployRunner | None:
        kube = self.azure.kubernetes
        return kube.deploy_runner if kube.enabled else None


def _generation(azure: AzureSettings) -> str:
    """The name part that lets a destroyed stack come back before Azure releases its reserved names."""
    return f"g{azure.name_generation}" if azure.name_generation else ""


def build_azure(stack: StackSettings, azure: AzureSettings, tags: Mapping[str, str]) -> Handoff | None:
    cluster_handoff: Handoff | None = None  # what the cluster stack reads, when a cluster runs
    location = stack.providers.azure_location
    assert location is not None, "checked by the settings loader"
    project = pulumi.get_project()
    prefix = f"{project}-{stack.stack}"
    subscription = azure_native.authorization.get_client_config_output().subscription_id
    rg_name = physical_name("azure-resource-group", "rg", prefix)
    unique = _unique_names(subscription, rg_name)
    ctx = _Context(
        stack, azure, tags, stack.settings.resolved, location, project, prefix, subscription, rg_name, unique
    )

    group = _resource_group(ctx)
    network = _network(ctx, group)
    monitoring = _monitoring(ctx, group)
    vault = _keys(ctx, group, network, monitoring)
    storage = _storage(ctx, group, network, vault)
    registry = _registry(ctx, group, network)
    workspace = None
    if azure.workspace.enabled:
        workspace = _workspace(ctx, group, network, monitoring, vault, storage, registry)
    cluster = None
    if azure.kubernetes.enabled:
        cluster = _cluster(ctx, group, network, monitoring, vault, registry)
    _budget(ctx, group)

    pulumi.export("azureResourceGroup", group.resource_group_name)
    pulumi.export("azureVnetId", network.vnet_id)
    pulumi.export("azureSubnetIds", network.subnet_ids)
    pulumi.export("azureEgressIp", network.nat_public_ip)
    pulumi.export("azureStorageAccount", storage.account_name)
    pulumi.export("azureKeyVault", vault.vault_name)
    pulumi.export("azureContainerRegistry", registry.login_server)
    if workspace is not None:
        pulumi.export("azureWorkspaceName", workspace.workspace_name)
    if cluster is not None:
        pulumi.export("azureClusterName", cluster.cluster_name)
        pulumi.export("azureGpuPools", cluster.gpu_pool_names)
        _deploy_runner(ctx, group, network)
        cluster_handoff = handoff(
            "azure",
            cluster_name=cluster.cluster_name,
            resourceGroup=group.resource_group_name,
            diskEncryptionSetId=cluster.disk_encryption_set_id or "",
        )
    return cluster_handoff


def _resource_group(ctx: _Context) -> ResourceGroup:
    return ResourceGroup(
        f"{ctx.prefix}-rg",
        ResourceGroupArgs(
            resource_group_name=ctx.rg_name,
            location=ctx.location,
            tags=ctx.tags,
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _network(ctx: _Context, group: ResourceGroup) -> Network:
    n = ctx.azure.network
    subnets = {
        "aks": str(n.aks_subnet_cidr),
        "compute": str(n.compute_subnet_cidr),
        "endpoints": str(n.endpoints_subnet_cidr),
    }
    if ctx.vnet_integration:
        subnets["apiserver"] = str(n.api_server_subnet_cidr)
    if (runner := ctx.deploy_runner) is not None:
        subnets["runners"] = str(runner.subnet_cidr)
    return Network(
        f"{ctx.prefix}-net",
        NetworkArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            vnet_name=f"vnet-{ctx.prefix}",
            vnet_cidr=str(n.vnet_cidr),
            subnet_cidrs=subnets,
            tags=ctx.tags,
            # Storage and Key Vault deny the public network, so their endpoints always exist; the registry's and
            # the workspace's only when their services are private.
            private_dns_zones=tuple(PRIVATE_DNS_ZONES) if ctx.private_services else ("blob", "file", "vault"),
        ),
    )


def _monitoring(ctx: _Context, group: ResourceGroup) -> Monitoring:
    return Monitoring(
        f"{ctx.prefix}-monitoring",
        MonitoringArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            log_analytics_name=f"log-{ctx.prefix}",
            app_insights_name=f"appi-{ctx.prefix}",
            tags=ctx.tags,
            retention_days=ctx.profile.log_retention_days,
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _keys(ctx: _Context, group: ResourceGroup, network: Network, monitoring: Monitoring) -> KeyVault:
    """The Key Vault: the platform's customer-managed keys, and the workspace's secrets."""
    kube = ctx.azure.kubernetes
    return KeyVault(
        f"{ctx.prefix}-kv",
        KeyVaultArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            vault_name=ctx.unique("azure-key-vault", "kv", ctx.prefix, _generation(ctx.azure)),
            tenant_id=ctx.tenant,
            tags=ctx.tags,
            keys=(
                "storage",
                *(("disks",) if kube.enabled else ()),
                *(("etcd",) if ctx.etcd_encryption else ()),
            ),
            public_network_access=not ctx.private_services,
            allowed_cidrs=ctx.browsers,
            private_link=network.private_link(),
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            deletion_protection=ctx.profile.deletion_protection,
            soft_delete_retention_days=ctx.profile.vault_soft_delete_days,
        ),
    )


def _storage(ctx: _Context, group: ResourceGroup, network: Network, vault: KeyVault) -> StorageAccount:
    profile = ctx.profile
    return StorageAccount(
        f"{ctx.prefix}-storage",
        StorageAccountArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            account_name=ctx.unique("azure-storage-account", "st", ctx.project, ctx.stack.stack),
            tags=ctx.tags,
            subscription_id=ctx.subscription,
            replication="Standard_ZRS" if ctx.zone_redundant else "Standard_LRS",
            public_network_access=not ctx.private_services,
            allowed_cidrs=ctx.browsers,
            private_link=network.private_link(),
            customer_managed_key=vault.customer_managed_key("storage"),
            versioning=profile.bucket_versioning,
            soft_delete_days=_SOFT_DELETE_DAYS if profile.bucket_versioning else None,
            deletion_protection=profile.deletion_protection,
        ),
    )


def _registry(ctx: _Context, group: ResourceGroup, network: Network) -> ContainerRegistry:
    private = ctx.private_services
    return ContainerRegistry(
        f"{ctx.prefix}-registry",
        ContainerRegistryArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            registry_name=ctx.unique("azure-container-registry", "cr", ctx.project, ctx.stack.stack),
            tags=ctx.tags,
            sku="Premium" if private else "Basic",
            public_network_access=not private,
            private_link=network.private_link() if private else None,
            zone_redundancy=private and ctx.zone_redundant,
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _workspace(
    ctx: _Context,
    group: ResourceGroup,
    network: Network,
    monitoring: Monitoring,
    vault: KeyVault,
    storage: StorageAccount,
    registry: ContainerRegistry,
) -> MlWorkspace:
    ws, profile = ctx.azure.workspace, ctx.profile
    return MlWorkspace(
        f"{ctx.prefix}-ml",
        MlWorkspaceArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            workspace_name=physical_name("azure-ml-workspace", "mlw", ctx.prefix, _generation(ctx.azure)),
            tenant_id=ctx.tenant,
            tags=ctx.tags,
            storage_account_id=storage.account_id,
            key_vault_id=vault.vault_id,
            app_insights_id=monitoring.app_insights_id,
            container_registry_id=registry.registry_id,
            isolation_mode=_ISOLATION[profile.workspace_outbound],
            outbound_fqdns=_PACKAGE_INDEXES if profile.workspace_outbound == "approvedOnly" else (),
            public_network_access=profile.public_workspace_access,
            private_link=network.private_link() if not profile.public_workspace_access else None,
            cluster=ComputeCluster(
                compute_name=_COMPUTE_CLUSTER,
                vm_size=ws.compute_vm_size,
                max_nodes=ws.compute_max_nodes,
                low_priority=profile.spot,
            ),
            instances=[
                ComputeInstanceUser(
                    user=u.name,
                    # Compute instance names are unique per region, across subscriptions.
                    compute_name=ctx.unique("azure-ml-compute", "ci", u.name),
                    object_id=str(u.object_id),
                )
                for u in ws.users
            ],
            instance_vm_size=ws.instance_vm_size,
            idle_shutdown_minutes=profile.idle_shutdown_minutes,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            deletion_protection=profile.deletion_protection,
        ),
    )


def _cluster(
    ctx: _Context,
    group: ResourceGroup,
    network: Network,
    monitoring: Monitoring,
    vault: KeyVault,
    registry: ContainerRegistry,
) -> AksCluster:
    kube, n, profile = ctx.azure.kubernetes, ctx.azure.network, ctx.profile
    private_cluster, nodes = ctx.private_cluster, kube.system_nodes
    return AksCluster(
        f"{ctx.prefix}-aks",
        AksClusterArgs(
            resource_group_name=group.resource_group_name,
            location=ctx.location,
            cluster_name=physical_name("azure-aks-cluster", "aks", ctx.prefix),
            kubernetes_version=ctx.stack.settings.versions.kubernetes_for("azure"),
            tenant_id=ctx.tenant,
            subscription_id=ctx.subscription,
            vnet_id=network.vnet_id,
            node_subnet_id=network.subnet_ids["aks"],
            tags=ctx.tags,
            tier="Standard" if profile.cluster_tier == "standard" else "Free",
            private_cluster=private_cluster,
            api_server_subnet_id=network.subnet_ids.get("apiserver"),
            # Without VNet integration, nodes reach the public API from the NAT gateway's address.
            authorized_ip_ranges=(
                ()
                if private_cluster
                else (
                    *[str(c) for c in kube.public_access_cidrs],
                    *(() if ctx.vnet_integration else (network.nat_public_ip.apply(lambda ip: f"{ip}/32"),)),
                )
            ),
            admin_group_object_ids=[str(g) for g in kube.admin_group_object_ids],
            deployer_object_id=str(kube.deployer_object_id) if kube.deployer_object_id else None,
            # AKS system pools cannot run on spot (learn.microsoft.com/azure/aks/spot-node-pool).
            system_pool=SystemPool(
                vm_size=nodes.instance_type or SYSTEM_INSTANCE_TYPES[profile.system_node_class]["azure"],
                min_nodes=nodes.min_nodes_for(profile),
                max_nodes=nodes.max_nodes,
                os_disk_size_gb=profile.system_node_disk_gb,
                zones=[str(z) for z in range(1, profile.az_count + 1)],
            ),
            gpu_pools=gpu_pool_specs("azure", ctx.azure.gpu_pools, profile),
            pod_cidr=str(n.pod_cidr),
            service_cidr=str(n.service_cidr),
            etcd_encryption_key=vault.customer_managed_key("etcd") if ctx.etcd_encryption else None,
            registry_id=registry.registry_id,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            node_resource_group=f"{ctx.rg_name}-aks-nodes",
            deletion_protection=profile.deletion_protection,
            disk_encryption_key=vault.customer_managed_key("disks"),
            namespace_writers=member_namespaces(
                ctx.stack, lambda m: str(m.azure_object_id) if m.azure_object_id else None
            ),
        ),
    )


def _deploy_runner(
    ctx: _Context, group: ResourceGroup, network: Network
) -> azure_native.resources.Resource | None:
    """Where this stack's deploy job runs, so it reaches a private AKS API (README "Where each deploy runs")."""
    runner = ctx.deploy_runner
    if runner is None:
        return None
    settings = runner_network_settings(
        f"{ctx.prefix}-deploy-runner",
        resource_group_name=group.resource_group_name,
        location=ctx.location,
        settings_name=f"{ctx.prefix}-deploy-runners",
        subnet_id=network.subnet_ids["runners"],
        github_business_id=runner.github_business_id,
        tags=ctx.tags,
    )
    # The id GitHub's network configuration asks for (the resource's GitHubId tag).
    pulumi.export("azureDeployRunnerGitHubId", settings.tags.apply(lambda t: (t or {}).get("GitHubId", "")))
    return settings


def _budget(ctx: _Context, group: ResourceGroup) -> Budget:
    budget = ctx.stack.settings.budget
    return Budget(
        f"{ctx.prefix}-budget",
        BudgetArgs(
            budget_name=f"{ctx.prefix}-azure",
            scope=group.resource_group_id,
            amount_usd=budget.per_cloud.get("azure", budget.monthly_usd),
            start_date=budget.start_date,
            alert_emails=[str(e) for e in budget.alert_emails],
            thresholds=list(budget.thresholds),
            forecast_threshold=budget.forecast_threshold,
        ),
    )
