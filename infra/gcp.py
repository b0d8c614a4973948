"""The GCP part of the platform: APIs, keys, network, buckets, Vertex AI workspace, GKE with GPU pools, budget."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from components.common.naming import physical_name
from components.common.tags import gcp_labels
from components.gcp import (
    Budget,
    BudgetArgs,
    GkeCluster,
    GkeClusterArgs,
    Keys,
    KeysArgs,
    Network,
    NetworkArgs,
    ProjectServices,
    ProjectServicesArgs,
    SecureBucket,
    SecureBucketArgs,
    SystemPool,
    VertexWorkspace,
    VertexWorkspaceArgs,
    WorkbenchUser,
)
from infra.clusters import Handoff, handoff
from infra.gpu import gpu_pool_specs
from infra.settings import Profile, StackSettings
from infra.settings.model import GcpSettings
from infra.settings.profiles import SYSTEM_INSTANCE_TYPES


@dataclass(frozen=True)
class _Context:
    stack: StackSettings
    gcp: GcpSettings
    labels: Mapping[str, str]
    profile: Profile
    project: str
    region: str
    zone: str  # the dev cluster's and the Workbench instances'
    prefix: str


def build_gcp(stack: StackSettings, gcp: GcpSettings, tags: Mapping[str, str]) -> Handoff | None:
    cluster_handoff: Handoff | None = None  # what the cluster stack reads, when a cluster runs
    project, region = stack.providers.gcp_project, stack.providers.gcp_region
    assert project is not None and region is not None, "checked by the settings loader"
    prefix = f"{pulumi.get_project()}-{stack.stack}"
    ctx = _Context(
        stack, gcp, gcp_labels(tags), stack.settings.resolved, project, region, gcp.zone_in(region), prefix
    )

    services = _services(ctx)
    keys = _keys(ctx, services)
    # Everything encrypted waits for the APIs and for its key grants.
    ready = pulumi.ResourceOptions(depends_on=[services, keys])
    network = _network(ctx, services)
    buckets = _buckets(ctx, keys, ready)
    workspace = None
    if gcp.workspace.enabled:
        workspace = _workspace(ctx, network, keys, buckets, ready)
    cluster = None
    if gcp.kubernetes.enabled:
        cluster = _cluster(ctx, network, keys, workspace, ready)
    budget = _budget(ctx, services, keys, ready)

    pulumi.export("gcpNetworkName", network.network_name)
    pulumi.export("gcpSubnetName", network.subnet_name)
    pulumi.export("gcpBuckets", {purpose: b.bucket_name for purpose, b in buckets.items()})
    pulumi.export("gcpKmsKeys", keys.key_ids)
    pulumi.export("gcpBudget", budget.budget_id)
    if workspace is not None:
        pulumi.export(
            "gcpVertex",
            {
                "serviceAccount": workspace.service_account_email,
                "metadataStore": workspace.metadata_store_id,
                "tensorboard": workspace.tensorboard_id,
                "repository": workspace.repository_url,
            },
        )
        pulumi.export("gcpWorkbenchInstances", workspace.workbench_instances)
    if cluster is not None:
        pulumi.export("gcpClusterName", cluster.cluster_name)
        pulumi.export("gcpClusterEndpoint", cluster.endpoint)
        pulumi.export("gcpKubeconfig", pulumi.Output.secret(cluster.kubeconfig))
        pulumi.export("gcpGpuPools", cluster.gpu_pool_names)
        cluster_handoff = handoff(
            "gcp",
            cluster_name=cluster.cluster_name,
            dnsEndpoint=cluster.dns_endpoint,
            diskKeyId=keys.key_ids["disks"],
        )
    return cluster_handoff


def _services(ctx: _Context) -> ProjectServices:
    return ProjectServices(f"{ctx.prefix}-services", ProjectServicesArgs(project=ctx.project))


def _keys(ctx: _Context, services: ProjectServices) -> Keys:
    agents = services.agents
    return Keys(
        f"{ctx.prefix}-keys",
        KeysArgs(
            project=ctx.project,
            location=ctx.region,
            purposes={
                # Artifact Registry stores images in Cloud Storage and shares its key.
                "storage": {"storage": agents["storage"], "artifactregistry": agents["artifactregistry"]},
                "vertex": {"aiplatform": agents["aiplatform"]},
                "gke-secrets": {"container": agents["container"]},
                # Compute Engine encrypts every persistent disk: GKE nodes and Workbench instances, whose
                # Notebooks agent must hold the key too (Workbench CMEK docs).
                "disks": {"compute": agents["compute"], "notebooks": agents["notebooks"]},
                "pubsub": {"pubsub": agents["pubsub"]},
            },
            labels=ctx.labels,
            deletion_protection=ctx.profile.deletion_protection,
        ),
        opts=pulumi.ResourceOptions(depends_on=[services]),
    )


def _network(ctx: _Context, services: ProjectServices) -> Network:
    n = ctx.gcp.network
    return Network(
        f"{ctx.prefix}-net",
        NetworkArgs(
            project=ctx.project,
            region=ctx.region,
            network_name=physical_name("gcp-resource", ctx.prefix, "vpc"),
            subnet_name=physical_name("gcp-resource", ctx.prefix, ctx.region),
            subnet_cidr=str(n.subnet_cidr),
            pods_cidr=str(n.pods_cidr),
            services_cidr=str(n.services_cidr),
            master_cidr=str(n.master_cidr),
            flow_logs=n.flow_logs,
            iap_ssh=n.iap_ssh,
        ),
        opts=pulumi.ResourceOptions(depends_on=[services]),
    )


def _buckets(ctx: _Context, keys: Keys, ready: pulumi.ResourceOptions) -> dict[str, SecureBucket]:
    profile = ctx.profile
    # Bucket names are global: a short hash of the project keeps two projects' stacks apart.
    project_hash = hashlib.sha256(ctx.project.encode()).hexdigest()[:6]
    return {
        purpose: SecureBucket(
            f"{ctx.prefix}-{purpose}",
            SecureBucketArgs(
                project=ctx.project,
                bucket_name=physical_name("gcs-bucket", ctx.prefix, purpose, project_hash),
                location=ctx.region,
                kms_key_name=keys.key_ids["storage"],
                labels=ctx.labels,
                versioning=profile.bucket_versioning,
                force_destroy=profile.force_destroy,
                deletion_protection=profile.deletion_protection,
            ),
            opts=ready,
        )
        for purpose in ctx.gcp.buckets
    }


def _workspace(
    ctx: _Context,
    network: Network,
    keys: Keys,
    buckets: Mapping[str, SecureBucket],
    ready: pulumi.ResourceOptions,
) -> VertexWorkspace:
    ws, profile = ctx.gcp.workspace, ctx.profile
    return VertexWorkspace(
        f"{ctx.prefix}-vertex",
        VertexWorkspaceArgs(
            project=ctx.project,
            region=ctx.region,
            zone=ctx.zone,
            name_prefix=ctx.prefix,
            service_account_id=physical_name("gcp-service-account", ctx.prefix, "vertex"),
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            vertex_kms_key_name=keys.key_ids["vertex"],
            repository_kms_key_name=keys.key_ids["storage"],
            disk_kms_key_name=keys.key_ids["disks"],
            labels=ctx.labels,
            users=[WorkbenchUser(name=u.name, email=str(u.email)) for u in ws.users],
            buckets={purpose: b.bucket_name for purpose, b in buckets.items()},
            machine_type=ws.machine_type,
            data_disk_size_gb=ws.data_disk_size_gb,
            disk_type="PD_STANDARD" if profile.economy_disks else "PD_BALANCED",
            idle_timeout_minutes=profile.idle_shutdown_minutes,
            root_access=ws.root_access,
            # Where outbound traffic is restricted, so is downloading data from notebooks.
            disable_downloads=profile.workspace_outbound == "approvedOnly",
            deletion_protection=profile.deletion_protection,
        ),
        opts=ready,
    )


def _cluster(
    ctx: _Context,
    network: Network,
    keys: Keys,
    workspace: VertexWorkspace | None,
    ready: pulumi.ResourceOptions,
) -> GkeCluster:
    kube, n, profile, s = ctx.gcp.kubernetes, ctx.gcp.network, ctx.profile, ctx.stack.settings
    private = profile.private_cluster_endpoint if kube.private_endpoint is None else kube.private_endpoint
    authorized = {f"allow-list-{cidr}": str(cidr) for cidr in kube.public_access_cidrs}
    authorized["platform-subnet"] = str(n.subnet_cidr)
    system = kube.system_nodes
    return GkeCluster(
        f"{ctx.prefix}-gke",
        GkeClusterArgs(
            project=ctx.project,
            # Zonal in dev: one control plane inside GKE's free monthly credit; regional in prod.
            location=ctx.zone if profile.zonal_cluster else ctx.region,
            cluster_name=physical_name("gke-cluster", ctx.prefix),
            node_service_account_id=physical_name("gcp-service-account", ctx.prefix, "gke-nodes"),
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            pods_range_name=network.pods_range_name,
            services_range_name=network.services_range_name,
            master_cidr=str(n.master_cidr),
            private_endpoint=private,
            authorized_networks=authorized,
            secrets_kms_key_name=keys.key_ids["gke-secrets"],
            disk_kms_key_name=keys.key_ids["disks"],
            labels=ctx.labels,
            deletion_protection=profile.deletion_protection,
            release_channel=kube.release_channel,
            kubernetes_version=s.versions.kubernetes_for("gcp"),
            system_pool=SystemPool(
                machine_type=system.instance_type or SYSTEM_INSTANCE_TYPES[profile.system_node_class]["gcp"],
                min_nodes=system.min_nodes_for(ctx.profile),
                max_nodes=system.max_nodes,
                disk_size_gb=profile.system_node_disk_gb or SystemPool.disk_size_gb,
                disk_type="pd-standard" if profile.economy_disks else "pd-balanced",
                spot=profile.system_node_spot,
            ),
            gpu_pools=gpu_pool_specs("gcp", ctx.gcp.gpu_pools, profile),
            image_repository=(ctx.region, workspace.repository.name) if workspace else None,
            member_emails=[str(m.email) for t in s.teams for m in t.members],
        ),
        opts=ready,
    )


def _budget(ctx: _Context, services: ProjectServices, keys: Keys, ready: pulumi.ResourceOptions) -> Budget:
    budget = ctx.stack.settings.budget
    return Budget(
        f"{ctx.prefix}-budget",
        BudgetArgs(
            project=ctx.project,
            project_number=services.project_number,
            billing_account=ctx.gcp.billing_account,
            display_name=f"{ctx.prefix} ({ctx.project})",
            topic_name=physical_name("gcp-resource", ctx.prefix, "budget-alerts"),
            amount_usd=budget.per_cloud.get("gcp", budget.monthly_usd),
            environment=ctx.labels["environment"],
            alert_emails=[str(e) for e in budget.alert_emails],
            pubsub_kms_key_name=keys.key_ids["pubsub"],
            labels=ctx.labels,
            thresholds=budget.thresholds,
            forecast_threshold=budget.forecast_threshold,
        ),
        opts=ready,
    )
