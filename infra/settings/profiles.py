"""Environment profiles: tables of defaults, not branches in components.

Every field can be overridden per stack under `mlplat:profileOverrides`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from infra.settings.base import Model

NatStrategy = Literal["none", "single", "perAz"]
SystemNodeClass = Literal["economy", "standard"]

# The system pool's default instance type per class and cloud (mlplat:<cloud>.kubernetes.systemNodes.instanceType
# overrides it). Economy is the smallest general-purpose size each cloud's system pool accepts for the
# platform's add-ons: AKS system pools need at least 4 vCPUs and 4 GB and no B-series
# (learn.microsoft.com/azure/aks/use-system-pools); D4as_v5 has no local disk, so its OS disk is managed.
SYSTEM_INSTANCE_TYPES: dict[SystemNodeClass, dict[str, str]] = {
    "economy": {"aws": "m6i.large", "gcp": "e2-standard-2", "azure": "Standard_D4as_v5"},
    "standard": {"aws": "m6i.large", "gcp": "e2-standard-4", "azure": "Standard_D4ds_v5"},
}
ProfileName = Literal["dev", "prod"]

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"log retention must be one of {', '.join(map(str, LOG_RETENTION_DAYS))} days")
    return days


RetentionDays = Annotated[int, AfterValidator(_retention)]


class Profile(Model):
    nat_strategy: NatStrategy
    az_count: int = Field(ge=2, le=3)
    spot: bool
    deletion_protection: bool
    private_cluster_endpoint: bool
    bucket_versioning: bool
    access_logging: bool
    force_destroy: bool
    log_retention_days: RetentionDays
    zonal_cluster: bool
    cluster_tier: Literal["free", "standard"]
    public_workspace_access: bool
    workspace_outbound: Literal["internet", "approvedOnly"]
    idle_shutdown_minutes: int = Field(ge=15, le=1440)
    # AWS interface endpoints for the AWS APIs Studio and EKS nodes call, even where a NAT gateway would carry
    # that traffic: off in dev. (Azure's storage and vault endpoints always exist: both deny public access.)
    private_service_endpoints: bool
    # The system pool: economy or standard sizes (SYSTEM_INSTANCE_TYPES), spot where the cloud allows it
    # (AWS, GCP; AKS system pools cannot be spot), and the node disk (None: each cloud's default).
    system_node_class: SystemNodeClass
    system_node_spot: bool
    system_node_disk_gb: int | None = Field(ge=30, le=2048)
    # The system pool's floor, in nodes across the pool's zones: CoreDNS, the autoscaler, Kueue and the GPU
    # operator's controllers run there, so prod keeps two (one zone or node lost, the add-ons still run).
    system_node_min_nodes: int = Field(ge=1, le=100)
    # Days a deleted Key Vault stays recoverable (7-90), its name reserved with it: set when the vault is
    # created and never changed afterwards (learn.microsoft.com/azure/key-vault/general/soft-delete-overview).
    vault_soft_delete_days: int = Field(ge=7, le=90)
    # Standard (HDD) persistent disks where the cloud offers them for node boot and notebook disks (GCP).
    economy_disks: bool


class ProfileOverrides(Model):
    """The same fields as Profile, each optional: what a stack changes about its profile."""

    nat_strategy: NatStrategy | None = None
    az_count: int | None = Field(default=None, ge=2, le=3)
    spot: bool | None = None
    deletion_protection: bool | None = None
    private_cluster_endpoint: bool | None = None
    bucket_versioning: bool | None = None
    access_logging: bool | None = None
    force_destroy: bool | None = None
    log_retention_days: RetentionDays | None = None
    zonal_cluster: bool | None = None
    cluster_tier: Literal["free", "standard"] | None = None
    public_workspace_access: bool | None = None
    workspace_outbound: Literal["internet", "approvedOnly"] | None = None
    idle_shutdown_minutes: int | None = Field(default=None, ge=15, le=1440)
    private_service_endpoints: bool | None = None
    system_node_class: SystemNodeClass | None = None
    system_node_spot: bool | None = None
    system_node_disk_gb: int | None = Field(default=None, ge=30, le=2048)
    system_node_min_nodes: int | None = Field(default=None, ge=1, le=100)
    vault_soft_delete_days: int | None = Field(default=None, ge=7, le=90)
    economy_disks: bool | None = None


PROFILES: dict[ProfileName, Profile] = {
    "dev": Profile(
        nat_strategy="single",
        az_count=2,
        spot=True,
        deletion_protection=False,
        private_cluster_endpoint=False,
        bucket_versioning=False,
        access_logging=False,
        force_destroy=True,
        log_retention_days=30,
        zonal_cluster=True,
        cluster_tier="free",
        public_workspace_access=True,
        workspace_outbound="internet",
        idle_shutdown_minutes=60,
        private_service_endpoints=False,
        system_node_class="economy",
        system_node_spot=True,
        system_node_disk_gb=30,
        system_node_min_nodes=1,
        vault_soft_delete_days=7,
        economy_disks=True,
    ),
    "prod": Profile(
        nat_strategy="perAz",
        az_count=3,
        spot=False,
        deletion_protection=True,
        private_cluster_endpoint=True,
        bucket_versioning=True,
        access_logging=True,
        force_destroy=False,
        log_retention_days=365,
        zonal_cluster=False,
        cluster_tier="standard",
        public_workspace_access=False,
        workspace_outbound="approvedOnly",
        idle_shutdown_minutes=120,
        private_service_endpoints=True,
        system_node_class="standard",
        system_node_spot=False,
        system_node_disk_gb=None,
        system_node_min_nodes=2,
        vault_soft_delete_days=90,
        economy_disks=False,
    ),
}


def resolve_profile(name: ProfileName, overrides: ProfileOverrides) -> Profile:
    explicit = overrides.model_dump(exclude_none=True)
    return PROFILES[name].model_copy(update=explicit)
