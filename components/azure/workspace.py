"""An Azure ML workspace in a managed network, with a scale-to-zero compute cluster and per-user instances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_azure_native as azure_native

from components.azure.diagnostics import send_logs
from components.azure.private_link import PrivateLink, private_endpoint
from components.azure.roles import assign_role

ml = azure_native.machinelearningservices

IsolationMode = Literal["AllowInternetOutbound", "AllowOnlyApprovedOutbound"]
# Azure ML docs (identity-based data access, storage without shared keys): who reads and writes what.
STORAGE_DATA_ROLES = ("Storage Blob Data Contributor", "Storage File Data Privileged Contributor")
USER_WORKSPACE_ROLE = "AzureML Data Scientist"


@dataclass(frozen=True)
class ComputeCluster:
    """An AmlCompute cluster: 0 nodes when idle, `max_nodes` at most."""

    compute_name: str  # 2-16 characters
    vm_size: str
    max_nodes: int
    low_priority: bool
    idle_scale_down_minutes: int = 15


@dataclass(frozen=True)
class ComputeInstanceUser:
    """One personal compute instance, assigned to a user's Entra object id."""

    user: str
    compute_name: pulumi.Input[str]  # 3-24 characters, unique in the region
    object_id: str


@dataclass(frozen=True)
class MlWorkspaceArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_name: str
    tenant_id: str
    tags: Mapping[str, str]
    storage_account_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    container_registry_id: pulumi.Input[str]
    isolation_mode: IsolationMode = "AllowOnlyApprovedOutbound"
    # With approved outbound only: hosts environment builds and jobs may reach (package indexes).
    # Azure ML runs a managed Azure Firewall for FQDN rules; Basic is the cheapest SKU that serves them.
    outbound_fqdns: Sequence[str] = ()
    public_network_access: bool = False
    private_link: PrivateLink | None = None
    cluster: ComputeCluster | None = None
    instances: Sequence[ComputeInstanceUser] = field(default_factory=tuple)
    instance_vm_size: str = "Standard_DS3_v2"
    idle_shutdown_minutes: int = 60
    log_analytics_workspace_id: pulumi.Input[str] | None = None
    deletion_protection: bool = False


class MlWorkspace(pulumi.ComponentResource):
    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    compute_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: MlWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:azure:MlWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rg = args.resource_group_name
        public = (
            ml.PublicNetworkAccessType.ENABLED
            if args.public_network_access
            else ml.PublicNetworkAccessType.DISABLED
        )
        self.workspace = ml.Workspace(
            f"{name}-workspace",
            ml.WorkspaceArgs(
                resource_group_name=rg,
                location=args.location,
                workspace_name=args.workspace_name,
                kind="Default",
                sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
                identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
                storage_account=args.storage_account_id,
                key_vault=args.key_vault_id,
                application_insights=args.app_insights_id,
                container_registry=args.container_registry_id,
                public_network_access=public,
                allow_public_access_when_behind_vnet=args.public_network_access,
                managed_network=ml.ManagedNetworkSettingsArgs(
                    isolation_mode=args.isolation_mode,
                    outbound_rules={
                        fqdn.replace(".", "-"): ml.FqdnOutboundRuleArgs(
                            type="FQDN", destination=fqdn, category=ml.RuleCategory.USER_DEFINED
                        )
                        for fqdn in args.outbound_fqdns
                    }
                    or None,
                    firewall_sku=ml.FirewallSku.BASIC if args.outbound_fqdns else None,
                ),
                # The workspace reaches its storage with its identity; the account has no keys to hand out.
                system_datastores_auth_mode=ml.SystemDatastoresAuthMode.IDENTITY,
                serverless_compute_settings=ml.ServerlessComputeSettingsArgs(
                    serverless_compute_no_public_ip=True
                ),
                # A private registry is unreachable for ACR Tasks, so environment images build on the cluster.
                image_build_compute=args.cluster.compute_name if args.cluster else None,
                v1_legacy_mode=False,
                tags=dict(args.tags),
            ),
            # No Azure lock here: it would also block removing a departed user's compute instance.
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        workspace_name = self.workspace.name

        if args.private_link is not None:
            private_endpoint(
                f"{name}-pe",
                link=args.private_link,
                service_id=self.workspace.id,
                group_id="amlworkspace",
                resource_group_name=rg,
                location=args.location,
                tags=args.tags,
                parent=self,
            )
        if args.log_analytics_workspace_id is not None:
            send_logs(
                f"{name}-logs",
                resource_uri=self.workspace.id,
                workspace_id=args.log_analytics_workspace_id,
                parent=self,
                category_group="audit",
            )

        computes: list[ml.Compute] = []
        if args.cluster is not None:
            c = args.cluster
            self.cluster = ml.Compute(
                f"{name}-{c.compute_name}",
                ml.ComputeArgs(
                    resource_group_name=rg,
                    workspace_name=workspace_name,
                    compute_name=c.compute_name,
                    location=args.location,
                    identity=ml.ManagedServiceIdentityArgs(
                        type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED
                    ),
                    properties=ml.AmlComputeArgs(
                        compute_type="AmlCompute",
                        # Entra ID only: no SSH keys or passwords on the nodes.
                        disable_local_auth=True,
                        properties=ml.AmlComputePropertiesArgs(
                            vm_size=c.vm_size,
                            vm_priority=ml.VmPriority.LOW_PRIORITY
                            if c.low_priority
                            else ml.VmPriority.DEDICATED,
                            scale_settings=ml.ScaleSettingsArgs(
                                min_node_count=0,
                                max_node_count=c.max_nodes,
                                node_idle_time_before_scale_down=f"PT{c.idle_scale_down_minutes}M",
                            ),
                            enable_node_public_ip=False,
                            remote_login_port_public_access=ml.RemoteLoginPortPublicAccess.DISABLED,
                            os_type=ml.OsType.LINUX,
                        ),
                    ),
                    tags=dict(args.tags),
                ),
                opts=child,
            )
            computes.append(self.cluster)

        self.instances: dict[str, ml.Compute] = {}
        for user in args.instances:
            self.instances[user.user] = ml.Compute(
                f"{name}-ci-{user.user}",
                ml.ComputeArgs(
                    resource_group_name=rg,
                    workspace_name=workspace_name,
                    compute_name=user.compute_name,
                    location=args.location,
                    properties=ml.ComputeInstanceArgs(
                        compute_type="ComputeInstance",
                        disable_local_auth=True,
                        properties=ml.ComputeInstancePropertiesArgs(
                            vm_size=args.instance_vm_size,
                            enable_node_public_ip=False,
                            enable_sso=True,
                            idle_time_before_shutdown=f"PT{args.idle_shutdown_minutes}M",
                            ssh_settings=ml.ComputeInstanceSshSettingsArgs(
                                ssh_public_access=ml.SshPublicAccess.DISABLED
                            ),
                            compute_instance_authorization_type=ml.ComputeInstanceAuthorizationType.PERSONAL,
                            personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                                assigned_user=ml.AssignedUserArgs(
                                    object_id=user.object_id, tenant_id=args.tenant_id
                                )
                            ),
                        ),
                    ),
                    tags={**args.tags, "assigned-user": user.user},
                ),
                opts=child,
            )
            computes.append(self.instances[user.user])

        self.workspace_id = self.workspace.id
        self.workspace_name = workspace_name
        self.principal_id = self.workspace.identity.apply(lambda i: i.principal_id if i else "")
        self._grant_data_access(name, args)
        self.compute_names = pulumi.Output.all(*[c.name for c in computes])
        self.register_outputs(
            {
                "workspace_id": self.workspace_id,
                "workspace_name": self.workspace_name,
                "principal_id": self.principal_id,
                "compute_names": self.compute_names,
            }
        )

    def _grant_data_access(self, name: str, args: MlWorkspaceArgs) -> None:
        """The storage account takes no shared keys, so every reader holds a data role on it.

        The workspace reaches its datastores and file share, the cluster's jobs read and write data, and
        each user browses data in Studio and runs notebooks (AzureML Data Scientist on the workspace).
        """
        subscription = azure_native.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).subscription_id

        def grant(
            suffix: str, role: str, scope: pulumi.Input[str], principal: pulumi.Input[str], *, user: bool
        ) -> None:
            assign_role(
                f"{name}-{suffix}",
                role=role,
                scope=scope,
                principal_id=principal,
                subscription_id=subscription,
                parent=self,
                user=user,
            )

        for role in STORAGE_DATA_ROLES:
            slug = "blob" if "Blob" in role else "file"
            grant(f"workspace-{slug}", role, args.storage_account_id, self.principal_id, user=False)
            for u in args.instances:
                grant(f"{u.user}-{slug}", role, args.storage_account_id, u.object_id, user=True)
        if args.cluster is not None:
            cluster_identity = self.cluster.identity.apply(lambda i: i.principal_id if i else "")
            grant(
                f"{args.cluster.compute_name}-blob",
                STORAGE_DATA_ROLES[0],
                args.storage_account_id,
                cluster_identity,
                user=False,
            )
        for u in args.instances:
            grant(f"{u.user}-data-scientist", USER_WORKSPACE_ROLE, self.workspace.id, u.object_id, user=True)
