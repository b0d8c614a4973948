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
from infra.settings import StackSettings
from infra.settings.model import AzureSettings
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


def _generation(azure: AzureSettings) -> str:
    """The name part that lets a destroyed stack come back before Azure releases its reserved names."""
    return f"g{azure.name_generation}" if azure.name_generation else ""


def build_azure(stack: StackSettings, azure: AzureSettings, tags: Mapping[str, str]) -> Handoff | None:
    cluster_handoff: Handoff | None = None  # what the cluster stack reads, when a cluster runs
    s = stack.settings
    profile = s.resolved
    location = stack.providers.azure_location
    assert location is not None, "checked by the settings loader"
    project = pulumi.get_project()
    prefix = f"{project}-{stack.stack}"
    tenant = str(azure.tenant_id)
    subscription = azure_native.authorization.get_client_config_output().subscription_id

    kube = azure.kubernetes
    private_cluster = (
        profile.private_cluster_endpoint if kube.private_endpoint is None else kube.private_endpoint
    )
    private_services = not profile.public_workspace_access
    zone_redundant = profile.az_count >= 3
    etcd_encryption = kube.enabled and private_services
    # The KMS plugin reaches the private vault through API server VNet integration, so a cluster with
    # encrypted etcd gets the delegated subnet even when its endpoint is public (allow-listed).
    vnet_integration = kube.enabled and (private_cluster or etcd_encryption)
    protect = profile.deletion_protection
    # A public workspace's users reach storage and the vault from their browsers (Studio data browsing).
    browsers = [str(c) for c in azure.workspace.public_access_cidrs] if azure.workspace.enabled else []

    rg_name = physical_name("azure-resource-group", "rg", prefix)
    unique = _unique_names(subscription, rg_name)
    group = ResourceGroup(
        f"{prefix}-rg",
        ResourceGroupArgs(
            resource_group_name=rg_name, location=location, tags=tags, deletion_protection=protect
        ),
    )
    rg = group.resource_group_name

    n = azure.network
    subnets = {
        "aks": str(n.aks_subnet_cidr),
        "compute": str(n.compute_subnet_cidr),
        "endpoints": str(n.endpoints_subnet_cidr),
    }
    if vnet_integration:
        subnets["apiserver"] = str(n.api_server_subnet_cidr)
    runner = kube.deploy_runner if kube.enabled else None
    if runner is not None:
        subnets["runners"] = str(runner.subnet_cidr)
    network = Network(
        f"{prefix}-net",
        NetworkArgs(
            resource_group_name=rg,
            location=location,
            vnet_name=f"vnet-{prefix}",
            vnet_cidr=str(n.vnet_cidr),
            subnet_cidrs=subnets,
            tags=tags,
            # Storage and Key Vault deny the public network, so their endpoints always exist; the registry's and
            # the workspace's only when their services are private.
            private_dns_zones=tuple(PRIVATE_DNS_ZONES) if private_services else ("blob", "file", "vault"),
        ),
    )
    link = network.private_link()

    monitoring = Monitoring(
        f"{prefix}-monitoring",
        MonitoringArgs(
            resource_group_name=rg,
            location=location,
            log_analytics_name=f"log-{prefix}",
            app_insights_name=f"appi-{prefix}",
            tags=tags,
            retention_days=profile.log_retention_days,
            deletion_protection=protect,
        ),
    )
    logs = monitoring.log_analytics_workspace_id

    vault = KeyVault(
        f"{prefix}-kv",
        KeyVaultArgs(
            resource_group_name=rg,
            location=location,
            vault_name=unique("azure-key-vault", "kv", prefix, _generation(azure)),
            tenant_id=tenant,
            tags=tags,
            keys=("storage", *(("disks",) if kube.enabled else ()), *(("etcd",) if etcd_encryption else ())),
            public_network_access=not private_services,
            allowed_cidrs=browsers,
            private_link=link,
            log_analytics_workspace_id=logs,
            deletion_protection=protect,
            soft_delete_retention_days=profile.vault_soft_delete_days,
        ),
    )
    storage = StorageAccount(
        f"{prefix}-storage",
        StorageAccountArgs(
            resource_group_name=rg,
            location=location,
            account_name=unique("azure-storage-account", "st", project, stack.stack),
            tags=tags,
            subscription_id=subscription,
            replication="Standard_ZRS" if zone_redundant else "Standard_LRS",
            public_network_access=not private_services,
            allowed_cidrs=browsers,
            private_link=link,
            customer_managed_key=vault.customer_managed_key("storage"),
            versioning=profile.bucket_versioning,
            soft_delete_days=_SOFT_DELETE_DAYS if profile.bucket_versioning else None,
            deletion_protection=protect,
        ),
    )
    registry = ContainerRegistry(
        f"{prefix}-registry",
        ContainerRegistryArgs(
            resource_group_name=rg,
            location=location,
            registry_name=unique("azure-container-registry", "cr", project, stack.stack),
            tags=tags,
            sku="Premium" if private_services else "Basic",
            public_network_access=not private_services,
            private_link=link if private_services else None,
            zone_redundancy=private_services and zone_redundant,
            deletion_protection=protect,
        ),
    )

    ws = azure.workspace
    workspace = None
    if ws.enabled:
        workspace = MlWorkspace(
            f"{prefix}-ml",
            MlWorkspaceArgs(
                resource_group_name=rg,
                location=location,
                workspace_name=physical_name("azure-ml-workspace", "mlw", prefix, _generation(azure)),
                tenant_id=tenant,
                tags=tags,
                storage_account_id=storage.account_id,
                key_vault_id=vault.vault_id,
                app_insights_id=monitoring.app_insights_id,
                container_registry_id=registry.registry_id,
                isolation_mode=_ISOLATION[profile.workspace_outbound],
                outbound_fqdns=_PACKAGE_INDEXES if profile.workspace_outbound == "approvedOnly" else (),
                public_network_access=profile.public_workspace_access,
                private_link=link if not profile.public_workspace_access else None,
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
                        compute_name=unique("azure-ml-compute", "ci", u.name),
                        object_id=str(u.object_id),
                    )
                    for u in ws.users
                ],
                instance_vm_size=ws.instance_vm_size,
                idle_shutdown_minutes=profile.idle_shutdown_minutes,
                log_analytics_workspace_id=logs,
                deletion_protection=protect,
            ),
        )

    cluster = None
    if kube.enabled:
        nodes = kube.system_nodes
        cluster = AksCluster(
            f"{prefix}-aks",
            AksClusterArgs(
                resource_group_name=rg,
                location=location,
                cluster_name=physical_name("azure-aks-cluster", "aks", prefix),
                kubernetes_version=s.versions.kubernetes_for("azure"),
                tenant_id=tenant,
                subscription_id=subscription,
                vnet_id=network.vnet_id,
                node_subnet_id=network.subnet_ids["aks"],
                tags=tags,
                tier="Standard" if profile.cluster_tier == "standard" else "Free",
                private_cluster=private_cluster,
                api_server_subnet_id=network.subnet_ids.get("apiserver"),
                # Without VNet integration, nodes reach the public API from the NAT gateway's address.
                authorized_ip_ranges=(
                    ()
                    if private_cluster
                    else (
                        *[str(c) for c in kube.public_access_cidrs],
                        *(() if vnet_integration else (network.nat_public_ip.apply(lambda ip: f"{ip}/32"),)),
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
                gpu_pools=gpu_pool_specs("azure", azure.gpu_pools, profile),
                pod_cidr=str(n.pod_cidr),
                service_cidr=str(n.service_cidr),
                etcd_encryption_key=vault.customer_managed_key("etcd") if etcd_encryption else None,
                registry_id=registry.registry_id,
                log_analytics_workspace_id=logs,
                node_resource_group=f"{rg_name}-aks-nodes",
                deletion_protection=protect,
                disk_encryption_key=vault.customer_managed_key("disks"),
                namespace_writers=member_namespaces(
                    stack, lambda m: str(m.azure_object_id) if m.azure_object_id else None
                ),
            ),
        )

    Budget(
        f"{prefix}-budget",
        BudgetArgs(
            budget_name=f"{prefix}-azure",
            scope=group.resource_group_id,
            amount_usd=s.budget.per_cloud.get("azure", s.budget.monthly_usd),
            start_date=s.budget.start_date,
            alert_emails=[str(e) for e in s.budget.alert_emails],
            thresholds=list(s.budget.thresholds),
            forecast_threshold=s.budget.forecast_threshold,
        ),
    )

    pulumi.export("azureResourceGroup", rg)
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
        if runner is not None:
            # The deploy job for this cluster runs here (README "Where each deploy runs").
            settings = runner_network_settings(
                f"{prefix}-deploy-runner",
                resource_group_name=rg,
                location=location,
                settings_name=f"{prefix}-deploy-runners",
                subnet_id=network.subnet_ids["runners"],
                github_business_id=runner.github_business_id,
                tags=tags,
            )
            # The id GitHub's network configuration asks for (the resource's GitHubId tag).
            pulumi.export(
                "azureDeployRunnerGitHubId", settings.tags.apply(lambda t: (t or {}).get("GitHubId", ""))
            )
        cluster_handoff = handoff(
            "azure",
            cluster_name=cluster.cluster_name,
            resourceGroup=rg,
            diskEncryptionSetId=cluster.disk_encryption_set_id or "",
        )
    return cluster_handoff
