"""A private GKE cluster (zonal or regional) with CMEK secrets, Workload Identity, Dataplane V2, a small
system pool and GPU pools that scale to zero behind an explicit taint."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.common.gpu import GPU_TAINT, GpuPoolSpec, NodeTaint
from components.common.naming import positional_alias, principal_key
from components.gcp.identity import service_account_with_roles
from components.gcp.network import GKE_NODE_TAG
from components.gcp.options import child_options

# The GKE-recommended minimal role for node service accounts (logs, metrics, metadata).
NODE_PROJECT_ROLES: tuple[str, ...] = ("roles/container.defaultNodeServiceAccount",)
IMAGE_PULL_ROLE = "roles/artifactregistry.reader"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# With the GPU operator, GKE must neither install drivers nor run its own device plugin.
NO_GKE_DEVICE_PLUGIN_LABEL = "gke-no-default-nvidia-gpu-device-plugin"
# NVIDIA's driver container for GKE runs on Ubuntu node images; with Google's installer on, COS
# (cloud.google.com/kubernetes-engine/docs/how-to/gpu-operator).
_IMAGE_TYPE = {"cloud-managed": "COS_CONTAINERD", "gpu-operator": "UBUNTU_CONTAINERD"}
# Team members fetch cluster credentials with container.clusters.get; RBAC in their namespace does the rest
# (cloud.google.com/kubernetes-engine/docs/how-to/role-based-access-control).
MEMBER_PROJECT_ROLE = "roles/container.clusterViewer"
_EFFECT = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


def node_taints(pool: GpuPoolSpec) -> tuple[NodeTaint, ...]:
    """Every taint a GPU pool's nodes carry: the GPU taint, which GKE would add itself; Spot adds none."""
    return (GPU_TAINT,)


CONTROL_PLANE_LOGS = ("SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER")


@dataclass(frozen=True)
class SystemPool:
    machine_type: str = "e2-standard-4"
    min_nodes: int = 1
    max_nodes: int = 3
    disk_size_gb: int = 100
    disk_type: str = "pd-balanced"
    spot: bool = False  # GKE reschedules system pods when a Spot VM is reclaimed; dev accepts that


@dataclass(frozen=True)
class GkeClusterArgs:
    project: str
    location: str  # a zone (zonal cluster) or the region (regional cluster)
    cluster_name: str  # see components.common.naming ("gke-cluster")
    node_service_account_id: str  # see components.common.naming ("gcp-service-account")
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    pods_range_name: str
    services_range_name: str
    master_cidr: str
    private_endpoint: bool
    authorized_networks: Mapping[str, str]  # display name -> CIDR allowed to reach the API; never 0.0.0.0/0
    secrets_kms_key_name: pulumi.Input[str]
    disk_kms_key_name: pulumi.Input[str]
    labels: Mapping[str, str]
    deletion_protection: bool
    release_channel: str = "REGULAR"
    kubernetes_version: str | None = None  # minimum control-plane version, e.g. "1.33"
    system_pool: SystemPool = SystemPool()
    gpu_pools: Sequence[GpuPoolSpec] = ()
    image_repository: tuple[str, pulumi.Input[str]] | None = None  # (location, repository) nodes pull from
    member_emails: Sequence[str] = ()  # Google identities of team members (may fetch credentials)

    def __post_init__(self) -> None:
        for label, cidr in self.authorized_networks.items():
            if cidr.endswith("/0"):
                raise ValueError(f"authorized network {label} ({cidr}) opens the API to everyone")


class GkeCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    ca_certificate: pulumi.Output[str]
    dns_endpoint: pulumi.Output[str]  # the IAM-authorized control-plane endpoint the kubeconfig uses
    kubeconfig: pulumi.Output[str]  # secret
    node_service_account_email: pulumi.Output[str]
    system_pool_name: pulumi.Output[str]
    gpu_pool_names: dict[str, pulumi.Output[str]]  # spec name -> node pool name

    def __init__(self, name: str, args: GkeClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:gcp:GkeCluster", name, None, opts)
        self._args = args
        self._opts = opts
        child = child_options(self, opts)
        self.node_service_account = service_account_with_roles(
            f"{name}-nodes",
            project=args.project,
            account_id=args.node_service_account_id,
            display_name="mlplat GKE nodes",
            description="Dedicated GKE node identity instead of the Compute Engine default account.",
            roles=NODE_PROJECT_ROLES,
            opts=child,
        )
        node_member = self.node_service_account.member
        if args.image_repository is not None:
            location, repository = args.image_repository
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-nodes-images",
                gcp.artifactregistry.RepositoryIamMemberArgs(
                    project=args.project,
                    location=location,
                    repository=repository,
                    role=IMAGE_PULL_ROLE,
                    member=node_member,
                ),
                opts=child,
            )

        # Named by the member, never by position: IAMMember adds one member to a role's binding and its
        # delete removes that member, so a rename (create the new, delete the old) would silently take the
        # member's access away. Aliases keep the positional names of stacks deployed before.
        for i, email in enumerate(sorted(set(args.member_emails))):
            member = f"{name}-member-{principal_key(email)}"
            gcp.projects.IAMMember(
                member,
                gcp.projects.IAMMemberArgs(
                    project=args.project, role=MEMBER_PROJECT_ROLE, member=f"user:{email}"
                ),
                opts=child_options(self, opts, aliases=positional_alias(member, f"{name}-member-{i}")),
            )

        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            self._cluster_args(),
            # Belt and braces in prod: Pulumi protect and GKE's own deletion protection.
            opts=child_options(self, opts, protect=args.deletion_protection),
        )
        self.system_pool = gcp.container.NodePool(
            f"{name}-system",
            self._system_pool_args(),
            opts=child,
        )
        self.gpu_pools = {
            spec.name: gcp.container.NodePool(
                f"{name}-gpu-{spec.name}", self._gpu_pool_args(spec), opts=child
            )
            for spec in args.gpu_pools
        }

        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.ca_certificate = self.cluster.master_auth.cluster_ca_certificate.apply(lambda ca: ca or "")
        self.dns_endpoint = self.cluster.control_plane_endpoints_config.apply(_dns_endpoint)
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.cluster.name, self.dns_endpoint).apply(lambda v: kubeconfig(v[0], v[1]))
        )
        self.node_service_account_email = self.node_service_account.email
        self.system_pool_name = self.system_pool.name
        self.gpu_pool_names = {spec: pool.name for spec, pool in self.gpu_pools.items()}
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "ca_certificate": self.ca_certificate,
                "dns_endpoint": self.dns_endpoint,
                "kubeconfig": self.kubeconfig,
                "node_service_account_email": self.node_service_account_email,
                "system_pool_name": self.system_pool_name,
                "gpu_pool_names": self.gpu_pool_names,
            }
        )

    def _cluster_args(self) -> gcp.container.ClusterArgs:
        args = self._args
        return gcp.container.ClusterArgs(
            project=args.project,
            name=args.cluster_name,
            location=args.location,
            network=args.network_id,
            subnetwork=args.subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            # The default pool would run as the Compute Engine default account; our pools replace it.
            remove_default_node_pool=True,
            initial_node_count=1,
            # The short-lived default pool still must not run as the Compute Engine default account.
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=self.node_service_account.email,
                oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=args.private_endpoint,
                master_ipv4_cidr_block=args.master_cidr,
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                        cidr_block=cidr, display_name=label
                    )
                    for label, cidr in args.authorized_networks.items()
                ],
                # Otherwise every Google Cloud public IP, anyone's VM included, may reach the API.
                gcp_public_cidrs_access_enabled=False,
            ),
            # The pipeline reaches the API through the DNS endpoint: every request is authorized by IAM
            # (container.clusters.connect), so hosted runners need no network path to the private IPs.
            # https://cloud.google.com/kubernetes-engine/docs/concepts/network-isolation#dns-based_endpoint
            control_plane_endpoints_config=gcp.container.ClusterControlPlaneEndpointsConfigArgs(
                dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                    allow_external_traffic=True
                )
            ),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            enable_legacy_abac=False,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{args.project}.svc.id.goog"
            ),
            enable_shielded_nodes=True,
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=args.secrets_kms_key_name
            ),
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=args.release_channel),
            min_master_version=args.kubernetes_version,
            # Dataplane V2 (Cilium) enforces NetworkPolicy without the Calico add-on.
            datapath_provider="ADVANCED_DATAPATH",
            cost_management_config=gcp.container.ClusterCostManagementConfigArgs(enabled=True),
            security_posture_config=gcp.container.ClusterSecurityPostureConfigArgs(
                mode="BASIC", vulnerability_mode="VULNERABILITY_BASIC"
            ),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=list(CONTROL_PLANE_LOGS)),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(
                    enabled=True
                ),
                gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                ),
            ),
            deletion_protection=args.deletion_protection,
            resource_labels=dict(args.labels),
        )

    def _system_pool_args(self) -> gcp.container.NodePoolArgs:
        pool = self._args.system_pool
        return gcp.container.NodePoolArgs(
            project=self._args.project,
            cluster=self.cluster.id,
            location=self.cluster.location,
            name="system",
            initial_node_count=1,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=pool.min_nodes,
                total_max_node_count=pool.max_nodes,
                location_policy="BALANCED",
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=self._node_config(
                machine_type=pool.machine_type,
                disk_size_gb=pool.disk_size_gb,
                disk_type=pool.disk_type,
                labels={"mlplat.io/pool": "system"},
                spot=pool.spot,
                image_type=_IMAGE_TYPE["cloud-managed"],
            ),
        )

    def _gpu_pool_args(self, spec: GpuPoolSpec) -> gcp.container.NodePoolArgs:
        operator = spec.driver_strategy == "gpu-operator"
        labels = {**spec.node_labels, **({NO_GKE_DEVICE_PLUGIN_LABEL: "true"} if operator else {})}
        return gcp.container.NodePoolArgs(
            project=self._args.project,
            cluster=self.cluster.id,
            location=self.cluster.location,
            name=f"gpu-{spec.name}",
            node_locations=list(spec.zones) if spec.zones else None,
            initial_node_count=spec.min_nodes,
            # Total counts with ANY: the autoscaler takes GPUs from whichever zone has them, and scales to zero.
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=spec.min_nodes,
                total_max_node_count=spec.max_nodes,
                location_policy="ANY",
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            # Upgrade in place: a surge node would need GPU quota that is rarely there.
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                strategy="SURGE", max_surge=0, max_unavailable=1
            ),
            node_config=self._node_config(
                machine_type=spec.instance_type,
                disk_size_gb=spec.disk_size_gb,
                labels=labels,
                spot=spec.spot,
                gpu=spec,
                image_type=_IMAGE_TYPE[spec.driver_strategy],
            ),
        )

    def _node_config(
        self,
        *,
        machine_type: str,
        disk_size_gb: int,
        disk_type: str = "pd-balanced",
        labels: Mapping[str, str],
        spot: bool,
        image_type: str,
        gpu: GpuPoolSpec | None = None,
    ) -> gcp.container.NodePoolNodeConfigArgs:
        args = self._args
        accelerators = None
        taints = None
        if gpu is not None:
            accelerators = [
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=gpu.accelerator_type or "",
                    count=gpu.gpus_per_node,
                    gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                        gpu_driver_version="INSTALLATION_DISABLED"
                        if gpu.driver_strategy == "gpu-operator"
                        else "DEFAULT"
                    ),
                )
            ]
            # GKE taints GPU pools itself; we set it explicitly to avoid a perpetual diff.
            taints = [
                gcp.container.NodePoolNodeConfigTaintArgs(key=t.key, value=t.value, effect=_EFFECT[t.effect])
                for t in node_taints(gpu)
            ]
        return gcp.container.NodePoolNodeConfigArgs(
            machine_type=machine_type,
            image_type=image_type,
            disk_size_gb=disk_size_gb,
            disk_type=disk_type,
            boot_disk_kms_key=args.disk_kms_key_name,
            service_account=self.node_service_account.email,
            oauth_scopes=[CLOUD_PLATFORM_SCOPE],
            workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                mode="GKE_METADATA"
            ),
            shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True
            ),
            metadata={"disable-legacy-endpoints": "true"},
            spot=spot,
            guest_accelerators=accelerators,
            taints=taints,
            labels=dict(labels),
            resource_labels=dict(args.labels),
            tags=[GKE_NODE_TAG],
        )


def _dns_endpoint(config: gcp.container.outputs.ClusterControlPlaneEndpointsConfig | None) -> str:
    dns = config.dns_endpoint_config if config else None
    return (dns.endpoint if dns else None) or ""


def kubeconfig(cluster: str, dns_endpoint: str) -> str:
    """A kubeconfig for the DNS endpoint, signed in by gke-gcloud-auth-plugin (no static credentials inside).

    The DNS endpoint serves a publicly trusted certificate, so no certificate authority is pinned, as in
    the kubeconfig `gcloud container clusters get-credentials --dns-endpoint` writes.
    """
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"server": f"https://{dns_endpoint}"}}],
            "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
            "current-context": cluster,
            "users": [
                {
                    "name": cluster,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "Install gke-gcloud-auth-plugin: "
                            "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl",
                            "provideClusterInfo": True,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )
