"""An AKS cluster with Entra ID RBAC, workload identity, CNI overlay, and GPU pools that scale to zero."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native
import yaml

from components.azure.diagnostics import send_logs
from components.azure.keyvault import CustomerManagedKey
from components.azure.roles import assign_role
from components.common.gpu import GPU_TAINT, GpuPoolSpec, NodeTaint
from components.common.naming import physical_name, positional_alias, principal_key

cs = azure_native.containerservice

# AKS adds this taint to every Spot pool (learn.microsoft.com/azure/aks/spot-node-pool); declaring it avoids
# a perpetual diff (and a pool replacement), and the GPU stack's daemons and flavors tolerate it.
SPOT_TAINT = NodeTaint("kubernetes.azure.com/scalesetpriority", "spot", "NoSchedule")
# The GPU operator's driver containers run on Ubuntu nodes, not Azure Linux
# (docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/platform-support.html).
_OS_SKU = {"cloud-managed": cs.OSSKU.AZURE_LINUX, "gpu-operator": cs.OSSKU.UBUNTU}


def node_taints(pool: GpuPoolSpec) -> tuple[NodeTaint, ...]:
    """Every taint a GPU pool's nodes carry: ours, and Azure's own on Spot nodes."""
    return (GPU_TAINT, SPOT_TAINT) if pool.spot else (GPU_TAINT,)


def _taint_text(t: NodeTaint) -> str:
    return f"{t.key}={t.value}:{t.effect}"


# Control-plane logs worth keeping: who changed what (not every read), and Entra authorization decisions.
AUDIT_LOG_CATEGORIES = ("kube-audit-admin", "guard")


# The cluster autoscaler owns an autoscaled pool's node count: `count` is only the size a pool starts at.
# Sent again on update it would ask AKS to resize the pool to it (learn.microsoft.com/azure/aks/
# cluster-autoscaler: with the autoscaler on, don't scale the pool by hand), so updates leave it out.
_AUTOSCALED = ["count"]
_AUTOSCALED_SYSTEM = ["agentPoolProfiles[0].count"]  # the system pool: the cluster's only inline pool


@dataclass(frozen=True)
class SystemPool:
    vm_size: str = "Standard_D4ds_v5"
    min_nodes: int = 1
    max_nodes: int = 3
    zones: Sequence[str] | None = None
    os_disk_size_gb: int | None = (
        None  # None: AKS's default (128 GB, ephemeral when the VM's local disk holds it)
    )


@dataclass(frozen=True)
class AksClusterArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    cluster_name: str
    kubernetes_version: str
    tenant_id: str
    subscription_id: pulumi.Input[str]
    vnet_id: pulumi.Input[str]  # the control plane's identity manages the node subnet and NAT egress in it
    node_subnet_id: pulumi.Input[str]
    tags: Mapping[str, str]
    tier: Literal["Free", "Standard"] = "Standard"
    private_cluster: bool = True
    # Delegated subnet for API server VNet integration: node-to-API traffic stays private, and a private
    # Key Vault can serve etcd encryption.
    api_server_subnet_id: pulumi.Input[str] | None = None
    authorized_ip_ranges: Sequence[pulumi.Input[str]] = ()  # required when the API is public
    admin_group_object_ids: Sequence[str] = ()
    deployer_object_id: str | None = None  # the cluster stack's deployer (service principal object id)
    system_pool: SystemPool = field(default_factory=SystemPool)
    gpu_pools: Sequence[GpuPoolSpec] = ()
    pod_cidr: str = "10.244.0.0/16"
    service_cidr: str = "10.0.0.0/16"
    etcd_encryption_key: CustomerManagedKey | None = None
    registry_id: pulumi.Input[str] | None = None  # nodes may pull from it (AcrPull for the kubelet identity)
    log_analytics_workspace_id: pulumi.Input[str] | None = None
    upgrade_channel: str = "patch"
    node_os_upgrade_channel: str = "NodeImage"
    node_resource_group: str | None = None
    deletion_protection: bool = False
    # Volumes of the cluster's default StorageClass are encrypted with this key through a disk encryption set.
    disk_encryption_key: CustomerManagedKey | None = None
    # Entra object id -> the namespaces the member may write in (Azure RBAC for Kubernetes).
    namespace_writers: Mapping[str, Sequence[str]] = field(default_factory=dict)


def gpu_agent_pool_name(pool: str) -> str:
    """AKS Linux pool names: up to 12 lowercase alphanumerics, starting with a letter."""
    return physical_name("azure-agent-pool", "gpu", pool)


def non_interactive_kubeconfig(kubeconfig: str) -> str:
    """AKS's user kubeconfig signs in with `kubelogin --login devicecode`, which waits for a human; rewrite
    every kubelogin user to `--login workloadidentity`, which reads the federated token file the deploy job
    keeps fresh (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID; what `kubelogin
    convert-kubeconfig -l workloadidentity` does: https://azure.github.io/kubelogin/concepts/login-modes/workloadidentity.html).
    The `azurecli` mode would take the job's `az login`, whose federated token expires within minutes.
    """
    config = yaml.safe_load(kubeconfig)
    for user in config.get("users") or []:
        exec_ = (user.get("user") or {}).get("exec")
        if not exec_ or exec_.get("command") != "kubelogin":
            continue
        args = list(exec_.get("args") or [])
        server_id = args[args.index("--server-id") + 1] if "--server-id" in args else None
        if server_id is None:
            raise ValueError(f"kubeconfig user {user.get('name')}: kubelogin without --server-id")
        exec_["args"] = ["get-token", "--login", "workloadidentity", "--server-id", server_id]
        exec_["interactiveMode"] = "Never"
    return json.dumps(config, indent=2)


def _validate(name: str, args: AksClusterArgs) -> None:
    if not args.private_cluster and not args.authorized_ip_ranges:
        raise ValueError(f"{name}: a public API server needs authorized_ip_ranges (never open to all)")
    for cidr in args.authorized_ip_ranges:
        if isinstance(cidr, str) and IPv4Network(cidr, strict=False).prefixlen == 0:
            raise ValueError(f"{name}: {cidr} opens the API server to the whole internet")
    if args.etcd_encryption_key is not None and args.api_server_subnet_id is None:
        raise ValueError(f"{name}: etcd encryption with a private Key Vault needs api_server_subnet_id")


def user_kubeconfig(
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[str]:
    """The cluster's user kubeconfig (Entra ID sign-in through kubelogin, non-interactive), as a secret.

    `listClusterUserCredential` needs the Azure Kubernetes Service Cluster User Role, more than Reader:
    only the cluster stack, deployed by an identity that holds it, asks for it.
    """
    credentials = cs.list_managed_cluster_user_credentials_output(
        resource_group_name=resource_group_name, resource_name=cluster_name, format="exec", opts=opts
    )
    return pulumi.Output.secret(
        credentials.kubeconfigs.apply(
            lambda configs: non_interactive_kubeconfig(base64.b64decode(configs[0].value).decode())
        )
    )


class AksCluster(pulumi.ComponentResource):
    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    gpu_pool_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:AksCluster", name, None, opts)
        _validate(name, args)
        self.identity = self._identity(name, args)
        grants = self._control_plane_grants(name, args)
        self.cluster = self._cluster(name, args, grants)
        cluster_name = self.cluster.name
        self.gpu_pools: dict[str, cs.AgentPool] = {
            spec.name: self._gpu_pool(name, spec, args, cluster_name) for spec in args.gpu_pools
        }
        self.kubelet_object_id = self.cluster.identity_profile.apply(
            lambda profiles: (profiles["kubeletidentity"].object_id or "") if profiles else ""
        )
        self._registry_pull(name, args)
        self._audit_logs(name, args)
        self.deployer_access = self._deployer_access(name, args)
        self.disk_encryption_set_id: pulumi.Output[str] | None = None
        if args.disk_encryption_key is not None:
            self.disk_encryption_set_id = self._disk_encryption_set(name, args, args.disk_encryption_key)
        self._members(name, args)

        self.cluster_id = self.cluster.id
        self.cluster_name = cluster_name
        self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else "")
        self.gpu_pool_names = pulumi.Output.all(*[pool.name for pool in self.gpu_pools.values()])
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "cluster_name": self.cluster_name,
                "oidc_issuer_url": self.oidc_issuer_url,
                "kubelet_object_id": self.kubelet_object_id,
                "gpu_pool_names": self.gpu_pool_names,
            }
        )

    def _identity(self, name: str, args: AksClusterArgs) -> azure_native.managedidentity.UserAssignedIdentity:
        """A user-assigned control-plane identity can be granted access before the cluster exists (KMS needs it)."""
        return azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            azure_native.managedidentity.UserAssignedIdentityArgs(
                resource_group_name=args.resource_group_name, location=args.location, tags=dict(args.tags)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _control_plane_grants(
        self, name: str, args: AksClusterArgs
    ) -> list[azure_native.authorization.RoleAssignment]:
        """What the control-plane identity holds before the cluster is created: the VNet, and the etcd key's vault."""
        grants = [
            assign_role(
                f"{name}-network",
                role="Network Contributor",
                scope=args.vnet_id,
                principal_id=self.identity.principal_id,
                subscription_id=args.subscription_id,
                parent=self,
            )
        ]
        key = args.etcd_encryption_key
        if key is not None:
            for role, suffix in (
                ("Key Vault Crypto User", "kms-crypto"),
                ("Key Vault Contributor", "kms-vault"),
            ):
                # Contributor on the vault lets AKS create the private link its KMS plugin uses.
                grants.append(
                    assign_role(
                        f"{name}-{suffix}",
                        role=role,
                        scope=key.vault_id,
                        principal_id=self.identity.principal_id,
                        subscription_id=args.subscription_id,
                        parent=self,
                    )
                )
        return grants

    @staticmethod
    def _kms(args: AksClusterArgs) -> cs.AzureKeyVaultKmsArgs | None:
        key = args.etcd_encryption_key
        if key is None:
            return None
        return cs.AzureKeyVaultKmsArgs(
            enabled=True,
            key_id=key.key_uri_with_version,
            key_vault_network_access=cs.KeyVaultNetworkAccessTypes.PRIVATE,
            key_vault_resource_id=key.vault_id,
        )

    def _cluster(
        self, name: str, args: AksClusterArgs, grants: Sequence[pulumi.Resource]
    ) -> cs.ManagedCluster:
        rg, tags = args.resource_group_name, dict(args.tags)
        service = IPv4Network(args.service_cidr)
        # Keyword arguments, not ManagedClusterArgs: azure-native's *Args path passes `resource_name` twice.
        return cs.ManagedCluster(
            f"{name}-cluster",
            # No Azure lock: it would also block deleting a GPU pool that settings no longer list.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.deletion_protection,
                depends_on=grants,
                ignore_changes=_AUTOSCALED_SYSTEM,
            ),
            resource_group_name=rg,
            location=args.location,
            resource_name_=args.cluster_name,
            dns_prefix=args.cluster_name,
            kubernetes_version=args.kubernetes_version,
            node_resource_group=args.node_resource_group,
            sku=cs.ManagedClusterSKUArgs(name=cs.ManagedClusterSKUName.BASE, tier=args.tier),
            support_plan=cs.KubernetesSupportPlan.KUBERNETES_OFFICIAL,
            identity=cs.ManagedClusterIdentityArgs(
                type=cs.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[self.identity.id]
            ),
            # Entra ID sign-in and Azure RBAC; no static admin kubeconfig that bypasses both.
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=cs.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=args.tenant_id,
                admin_group_object_ids=list(args.admin_group_object_ids),
            ),
            api_server_access_profile=cs.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=args.private_cluster,
                enable_private_cluster_public_fqdn=False if args.private_cluster else None,
                private_dns_zone="system" if args.private_cluster else None,
                authorized_ip_ranges=None if args.private_cluster else list(args.authorized_ip_ranges),
                enable_vnet_integration=True if args.api_server_subnet_id is not None else None,
                subnet_id=args.api_server_subnet_id,
            ),
            oidc_issuer_profile=cs.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=cs.ManagedClusterSecurityProfileArgs(
                workload_identity=cs.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                azure_key_vault_kms=self._kms(args),
                image_cleaner=cs.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=168
                ),
            ),
            network_profile=cs.ContainerServiceNetworkProfileArgs(
                network_plugin=cs.NetworkPlugin.AZURE,
                network_plugin_mode=cs.NetworkPluginMode.OVERLAY,
                network_dataplane=cs.NetworkDataplane.CILIUM,
                network_policy=cs.NetworkPolicy.CILIUM,
                pod_cidr=args.pod_cidr,
                service_cidr=args.service_cidr,
                dns_service_ip=str(service.network_address + 10),
                load_balancer_sku=cs.LoadBalancerSku.STANDARD,
                # Egress through the subnet's NAT gateway and its static IP, not a load balancer's.
                outbound_type=cs.OutboundType.USER_ASSIGNED_NAT_GATEWAY,
            ),
            auto_upgrade_profile=cs.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=args.upgrade_channel,
                node_os_upgrade_channel=args.node_os_upgrade_channel,
            ),
            agent_pool_profiles=[self._system_pool(args)],
            tags=tags,
        )

    def _registry_pull(self, name: str, args: AksClusterArgs) -> None:
        """Nodes pull images from the platform's registry with the kubelet identity."""
        if args.registry_id is not None:
            assign_role(
                f"{name}-acr-pull",
                role="AcrPull",
                scope=args.registry_id,
                principal_id=self.kubelet_object_id,
                subscription_id=args.subscription_id,
                parent=self,
            )

    def _audit_logs(self, name: str, args: AksClusterArgs) -> None:
        if args.log_analytics_workspace_id is not None:
            send_logs(
                f"{name}-audit",
                resource_uri=self.cluster.id,
                workspace_id=args.log_analytics_workspace_id,
                parent=self,
                categories=AUDIT_LOG_CATEGORIES,
            )

    def _deployer_access(
        self, name: str, args: AksClusterArgs
    ) -> azure_native.authorization.RoleAssignment | None:
        """Azure RBAC decides Kubernetes rights: the cluster stack's deployer gets cluster admin, as the EKS
        deployer gets AmazonEKSClusterAdminPolicy. Named in settings, never the caller: a preview run by
        another identity would otherwise show the assignment replaced."""
        if args.deployer_object_id is None:
            return None
        return assign_role(
            f"{name}-deployer",
            role="Azure Kubernetes Service RBAC Cluster Admin",
            scope=self.cluster.id,
            principal_id=args.deployer_object_id,
            subscription_id=args.subscription_id,
            parent=self,
        )

    def _disk_encryption_set(
        self, name: str, args: AksClusterArgs, key: CustomerManagedKey
    ) -> pulumi.Output[str]:
        """A disk encryption set on the platform's key for the default StorageClass's disks; the cluster's
        identity reads it to create them (learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys)."""
        des = azure_native.compute.DiskEncryptionSet(
            f"{name}-disks",
            azure_native.compute.DiskEncryptionSetArgs(
                resource_group_name=args.resource_group_name,
                location=args.location,
                encryption_type=azure_native.compute.DiskEncryptionSetType.ENCRYPTION_AT_REST_WITH_CUSTOMER_KEY,
                identity=azure_native.compute.EncryptionSetIdentityArgs(
                    type=azure_native.compute.DiskEncryptionSetIdentityType.SYSTEM_ASSIGNED
                ),
                active_key=azure_native.compute.KeyForDiskEncryptionSetArgs(
                    key_url=key.key_uri_with_version,
                    source_vault=azure_native.compute.SourceVaultArgs(id=key.vault_id),
                ),
                rotation_to_latest_key_version_enabled=True,
                tags=dict(args.tags),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        assign_role(
            f"{name}-disks-key",
            role="Key Vault Crypto Service Encryption User",
            scope=key.key_id,
            principal_id=des.identity.apply(lambda i: i.principal_id if i else ""),
            subscription_id=args.subscription_id,
            parent=self,
        )
        assign_role(
            f"{name}-disks-reader",
            role="Reader",
            scope=des.id,
            principal_id=self.identity.principal_id,
            subscription_id=args.subscription_id,
            parent=self,
        )
        return des.id

    def _members(self, name: str, args: AksClusterArgs) -> None:
        """Team members: the cluster user role to fetch a kubeconfig, RBAC Writer in their namespaces.

        Named by the member's object id (hashed) and the namespace, never by position: Azure refuses a
        second assignment of one role to one principal at one scope (409 RoleAssignmentExists), which a
        rename (create the new, then delete the old) would attempt. Aliases keep the positional names of
        stacks deployed before.
        """
        user = azure_native.authorization.PrincipalType.USER
        for i, (object_id, namespaces) in enumerate(sorted(args.namespace_writers.items())):
            member = f"{name}-member-{principal_key(object_id)}"
            assign_role(
                member,
                role="Azure Kubernetes Service Cluster User Role",
                scope=self.cluster.id,
                principal_id=object_id,
                subscription_id=args.subscription_id,
                parent=self,
                principal_type=user,
                aliases=positional_alias(member, f"{name}-member-{i}"),
            )
            for namespace in sorted(set(namespaces)):
                assign_role(
                    f"{member}-{namespace}",
                    role="Azure Kubernetes Service RBAC Writer",
                    scope=pulumi.Output.concat(self.cluster.id, "/namespaces/", namespace),
                    principal_id=object_id,
                    subscription_id=args.subscription_id,
                    parent=self,
                    principal_type=user,
                    aliases=positional_alias(f"{member}-{namespace}", f"{name}-member-{i}-{namespace}"),
                )

    @staticmethod
    def _system_pool(args: AksClusterArgs) -> cs.ManagedClusterAgentPoolProfileArgs:
        pool = args.system_pool
        return cs.ManagedClusterAgentPoolProfileArgs(
            name="system",
            mode=cs.AgentPoolMode.SYSTEM,
            type=cs.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
            vm_size=pool.vm_size,
            os_type=cs.OSType.LINUX,
            os_sku=cs.OSSKU.AZURE_LINUX,
            os_disk_size_gb=pool.os_disk_size_gb,
            enable_auto_scaling=True,
            count=pool.min_nodes,
            min_count=pool.min_nodes,
            max_count=pool.max_nodes,
            availability_zones=list(pool.zones) if pool.zones else None,
            vnet_subnet_id=args.node_subnet_id,
            enable_node_public_ip=False,
            # No CriticalAddonsOnly taint: the add-on controllers (Kueue, the GPU operator) run here too,
            # which costs nothing, where a separate always-on pool for them would.
            orchestrator_version=args.kubernetes_version,
            upgrade_settings=cs.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
            tags=dict(args.tags),
        )

    def _gpu_pool(
        self, name: str, spec: GpuPoolSpec, args: AksClusterArgs, cluster_name: pulumi.Input[str]
    ) -> cs.AgentPool:
        # Keyword arguments, not AgentPoolArgs: azure-native's *Args path passes `resource_name` twice.
        return cs.AgentPool(
            f"{name}-gpu-{spec.name}",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=_AUTOSCALED),
            resource_group_name=args.resource_group_name,
            resource_name_=cluster_name,
            agent_pool_name=gpu_agent_pool_name(spec.name),
            mode=cs.AgentPoolMode.USER,
            type=cs.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
            vm_size=spec.instance_type,
            os_type=cs.OSType.LINUX,
            os_sku=_OS_SKU[spec.driver_strategy],
            os_disk_size_gb=spec.disk_size_gb,
            enable_auto_scaling=True,
            count=spec.min_nodes,
            min_count=spec.min_nodes,
            max_count=spec.max_nodes,
            scale_down_mode=cs.ScaleDownMode.DELETE,
            availability_zones=list(spec.zones) if spec.zones else None,
            vnet_subnet_id=args.node_subnet_id,
            enable_node_public_ip=False,
            node_taints=[_taint_text(t) for t in node_taints(spec)],
            node_labels=spec.node_labels,
            # The GPU operator brings its own driver; AKS installing one too would conflict with it.
            gpu_profile=cs.GPUProfileArgs(
                driver=cs.GPUDriver.NONE if spec.driver_strategy == "gpu-operator" else cs.GPUDriver.INSTALL
            ),
            orchestrator_version=args.kubernetes_version,
            # Spot: evicted nodes are deleted (deallocated ones keep paying for disks), and the price cap
            # is the on-demand price (-1), so capacity is lost only to eviction, never to price.
            scale_set_priority=cs.ScaleSetPriority.SPOT if spec.spot else cs.ScaleSetPriority.REGULAR,
            scale_set_eviction_policy=cs.ScaleSetEvictionPolicy.DELETE if spec.spot else None,
            spot_max_price=-1.0 if spec.spot else None,
            tags={**args.tags, "gpu-pool": spec.name, "accelerator": spec.accelerator},
        )
