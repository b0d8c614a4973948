"""The typed model of a stack's `mlplat:` settings (camelCase keys, as in Pulumi.<stack>.yaml)."""

from __future__ import annotations

import datetime as dt
from ipaddress import IPv4Network
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, EmailStr, Field, SecretStr, StringConstraints

from components.aws.endpoints import InterfaceEndpoint as AwsInterfaceEndpoint
from components.catalog import Cloud, accelerators
from infra.settings.base import Model
from infra.settings.profiles import Profile, ProfileName, ProfileOverrides, resolve_profile

DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$")]
UserName = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
LabelKey = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
]
LabelValue = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$")]
TagValue = Annotated[str, StringConstraints(min_length=1, max_length=63)]
Version = Annotated[str, StringConstraints(pattern=r"^v?\d+\.\d+(\.\d+)?([-+][A-Za-z0-9.-]+)?$")]


def _known_accelerator(name: str) -> str:
    known = accelerators()
    if name not in known:
        raise ValueError(f"unknown accelerator {name!r}; the catalog has {', '.join(sorted(known))}")
    return name


AcceleratorName = Annotated[str, AfterValidator(_known_accelerator)]


class GpuPool(Model):
    """One GPU pool shape for every cloud; the catalog maps it to an instance type per cloud."""

    name: DnsLabel
    accelerator: AcceleratorName
    gpus_per_node: int = Field(default=1, ge=1, le=16)
    min_nodes: int = Field(default=0, ge=0, le=1000)
    max_nodes: int = Field(ge=1, le=1000)
    spot: bool | None = None  # None: the profile decides
    disk_size_gb: int = Field(default=100, ge=50, le=16384)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    zones: list[str] | None = Field(default=None, min_length=1)
    driver_strategy: Literal["cloud-managed", "gpu-operator"] = "cloud-managed"

    def uses_spot(self, profile: Profile) -> bool:
        return profile.spot if self.spot is None else self.spot


class User(Model):
    name: UserName
    email: EmailStr
    object_id: UUID | None = None  # Entra ID object id; Azure compute instances need it


class NodeGroup(Model):
    """The small CPU pool that runs system workloads."""

    instance_type: str | None = None  # None: the cloud's default for system nodes
    min_nodes: int | None = Field(default=None, ge=1, le=100)  # None: the profile's systemNodeMinNodes
    max_nodes: int = Field(default=3, ge=1, le=100)

    def min_nodes_for(self, profile: Profile) -> int:
        return profile.system_node_min_nodes if self.min_nodes is None else self.min_nodes


class Kubernetes(Model):
    enabled: bool = True
    private_endpoint: bool | None = None  # None: the profile decides
    public_access_cidrs: list[IPv4Network] = Field(default_factory=list)
    system_nodes: NodeGroup = NodeGroup()


class Workspace(Model):
    """What every cloud's workspace takes; each cloud adds only the keys it acts on."""

    enabled: bool = True
    users: list[User] = Field(default_factory=list)


class AwsWorkspace(Workspace):
    root_access: bool = False  # False: a lifecycle configuration revokes sudo at app start
    docker_access: bool = False


# What private SageMaker Studio needs and what keeps node image pulls and IRSA private (S3 always has its
# gateway endpoint). Without NAT, EKS nodes also need ec2 and eks-auth (settings check).
AWS_DEFAULT_INTERFACE_ENDPOINTS: tuple[AwsInterfaceEndpoint, ...] = (
    "sagemaker.api",
    "sagemaker.runtime",
    "studio",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
)
IamPrincipalArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")
]


class AwsNetwork(Model):
    cidr: IPv4Network = IPv4Network("10.10.0.0/16")
    availability_zones: list[str] | None = Field(default=None, min_length=2, max_length=3)
    flow_logs: bool = True
    # None: the defaults when the profile wants private service endpoints or there is no NAT, else none
    # (Studio in VpcOnly mode and EKS nodes reach AWS APIs through either endpoints or a NAT gateway).
    interface_endpoints: list[AwsInterfaceEndpoint] | None = None

    def endpoints_for(self, profile: Profile) -> list[AwsInterfaceEndpoint]:
        if self.interface_endpoints is not None:
            return list(self.interface_endpoints)
        wanted = profile.private_service_endpoints or profile.nat_strategy == "none"
        return list(AWS_DEFAULT_INTERFACE_ENDPOINTS) if wanted else []

    def zones_in(self, region: str, az_count: int) -> list[str]:
        """The VPC's zones, and every GPU pool's unless it pins its own: explicit, or region + a, b, c."""
        return list(self.availability_zones or [f"{region}{z}" for z in "abc"[:az_count]])


GithubRepositoryUrl = Annotated[
    str, StringConstraints(pattern=r"^https://github\.com/[A-Za-z0-9_.-]{1,39}/[A-Za-z0-9_.-]{1,100}$")
]
CodeConnectionArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$"
    ),
]


class AwsDeployRunner(Model):
    """A CodeBuild-hosted GitHub Actions runner in the VPC, for deploys that call a private EKS API."""

    repository: GithubRepositoryUrl
    connection_arn: CodeConnectionArn  # a CodeConnections GitHub connection, authorized once in the console


class AwsKubernetes(Kubernetes):
    # IAM roles/users that get cluster-admin through EKS access entries (the cluster deployer always does).
    admin_principal_arns: list[IamPrincipalArn] = Field(default_factory=list)
    deploy_runner: AwsDeployRunner | None = None
    # The role that deploys the cluster stack; default: role mlplat-<stack>-eks-deployer in the stack's account.
    deployer_role_arn: IamPrincipalArn | None = None


class AwsSettings(Model):
    network: AwsNetwork = AwsNetwork()
    buckets: list[DnsLabel] = Field(default_factory=lambda: ["data"], min_length=1)
    workspace: AwsWorkspace = AwsWorkspace()
    kubernetes: AwsKubernetes = AwsKubernetes()
    gpu_pools: list[GpuPool] = Field(default_factory=list)


class GcpNetwork(Model):
    subnet_cidr: IPv4Network = IPv4Network("10.20.0.0/20")
    pods_cidr: IPv4Network = IPv4Network("10.24.0.0/14")
    services_cidr: IPv4Network = IPv4Network("10.28.0.0/20")
    master_cidr: IPv4Network = IPv4Network("172.16.0.0/28")
    iap_ssh: bool = False
    flow_logs: bool = True


GcpZone = Annotated[str, StringConstraints(pattern=r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")]
GcpMachineType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$")]


class GcpKubernetes(Kubernetes):
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] = "REGULAR"


class GcpWorkspace(Workspace):
    root_access: bool = False  # False: Workbench metadata notebook-disable-root
    machine_type: GcpMachineType = "e2-standard-4"
    data_disk_size_gb: int = Field(default=100, ge=10, le=64000)


class GcpSettings(Model):
    billing_account: Annotated[str, StringConstraints(pattern=r"^[A-F0-9]{6}-[A-F0-9]{6}-[A-F0-9]{6}$")]
    zone: GcpZone | None = None  # None: "<gcp:region>-a"; the dev cluster and Workbench instances live here
    network: GcpNetwork = GcpNetwork()
    buckets: list[DnsLabel] = Field(default_factory=lambda: ["data"], min_length=1)
    workspace: GcpWorkspace = GcpWorkspace()
    kubernetes: GcpKubernetes = GcpKubernetes()
    gpu_pools: list[GpuPool] = Field(default_factory=list)

    def zone_in(self, region: str) -> str:
        return self.zone or f"{region}-a"


class AzureNetwork(Model):
    vnet_cidr: IPv4Network = IPv4Network("10.30.0.0/16")
    aks_subnet_cidr: IPv4Network = IPv4Network("10.30.0.0/20")
    compute_subnet_cidr: IPv4Network = IPv4Network("10.30.16.0/22")
    endpoints_subnet_cidr: IPv4Network = IPv4Network("10.30.20.0/24")
    # Delegated to AKS for API server VNet integration (private clusters); /28 at least.
    api_server_subnet_cidr: IPv4Network = IPv4Network("10.30.21.0/28")
    # AKS CNI overlay ranges: never routed outside the cluster, but must not overlap the VNet.
    pod_cidr: IPv4Network = IPv4Network("10.244.0.0/16")
    service_cidr: IPv4Network = IPv4Network("10.0.0.0/16")


class AzureDeployRunner(Model):
    """GitHub-hosted runners injected into the VNet (GitHub's Azure private networking)."""

    github_business_id: Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,19}$")]  # org databaseId
    subnet_cidr: IPv4Network  # delegated to GitHub.Network/networkSettings, inside vnetCidr


class AzureKubernetes(Kubernetes):
    admin_group_object_ids: list[UUID] = Field(default_factory=list)
    deploy_runner: AzureDeployRunner | None = None
    # The service principal that deploys the cluster stack (mlplat-<stack>-aks-deployer): made cluster admin.
    # Without it the deployer must be a member of one of admin_group_object_ids.
    deployer_object_id: UUID | None = None


AzureVmSize = Annotated[str, StringConstraints(pattern=r"^Standard_[A-Za-z0-9_]+$")]


class AzureWorkspace(Workspace):
    compute_vm_size: AzureVmSize = "Standard_DS3_v2"  # the AmlCompute cluster's nodes
    compute_max_nodes: int = Field(default=4, ge=1, le=100)  # the cluster always scales down to 0
    instance_vm_size: AzureVmSize = "Standard_DS3_v2"  # each user's compute instance
    # Where a public workspace's users browse from: Studio reads storage and the vault from the browser.
    public_access_cidrs: list[IPv4Network] = Field(default_factory=list)


class AzureSettings(Model):
    tenant_id: UUID
    # Names Azure keeps reserved after a delete carry "g<n>" when n > 0: a soft-deleted Key Vault keeps its
    # name for its retention period (purge protection forbids purging it), a soft-deleted Azure ML workspace
    # for 14 days. Raise it to deploy a destroyed stack again before then (README "Day two"); raising it on
    # a live stack replaces the vault, its keys and the workspace.
    name_generation: int = Field(default=0, ge=0, le=99)
    network: AzureNetwork = AzureNetwork()
    workspace: AzureWorkspace = AzureWorkspace()
    kubernetes: AzureKubernetes = AzureKubernetes()
    gpu_pools: list[GpuPool] = Field(default_factory=list)


class Budget(Model):
    monthly_usd: float = Field(gt=0)
    alert_emails: list[EmailStr] = Field(min_length=1)
    thresholds: list[int] = Field(default_factory=lambda: [50, 80, 100], min_length=1)
    forecast_threshold: int = Field(default=100, ge=1, le=1000)
    start_date: dt.date | None = None  # Azure budgets: None starts in the month of the first deploy
    per_cloud: dict[Cloud, float] = Field(default_factory=dict)
    peak_factor: float = Field(default=3.0, ge=1)


class ChartVersions(Model):
    nvidia_device_plugin: Version
    gpu_operator: Version
    dcgm_exporter: Version
    kueue: Version
    cluster_autoscaler: Version | None = None  # required with EKS GPU pools (settings check)


KubernetesMinor = Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")]


class KubernetesVersions(Model):
    """Each cloud's control-plane version: the clouds' support calendars differ (mlplat/data/kubernetes_versions.yaml)."""

    aws: KubernetesMinor | None = None
    gcp: KubernetesMinor | None = None
    azure: KubernetesMinor | None = None


class Versions(Model):
    """What moves between environments: promotion copies this block from dev to prod."""

    kubernetes: KubernetesVersions
    charts: ChartVersions
    images: dict[str, str] = Field(default_factory=dict)

    def kubernetes_for(self, cloud: Cloud) -> str:
        version = getattr(self.kubernetes, cloud)
        assert version is not None, "checked by the settings checks"
        return version


class TeamMember(Model):
    """One person of a team, as each cloud's cluster knows them."""

    email: EmailStr  # GKE: the member's Google identity
    aws_principal_arn: IamPrincipalArn | None = None  # EKS: the IAM role or user the member signs in as
    azure_object_id: UUID | None = None  # AKS: the member's Entra ID object id


class Team(Model):
    name: DnsLabel
    gpu_quota: int = Field(ge=0, le=10000)
    members: list[TeamMember] = Field(default_factory=list)


class Settings(Model):
    """Everything under `mlplat:` in one stack file.

    Fields marked `promotable` are what `mlplat promote` copies from one stack to the next.
    """

    environment: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,15}$")]
    profile: ProfileName | None = None  # None: the environment's name, when it is dev or prod
    profile_overrides: ProfileOverrides = ProfileOverrides()
    owner: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    cost_center: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    tags: dict[str, TagValue] = Field(default_factory=dict)
    budget: Budget
    alert_webhook_url: SecretStr | None = None
    versions: Versions = Field(json_schema_extra={"promotable": True})
    aws: AwsSettings | None = None
    gcp: GcpSettings | None = None
    azure: AzureSettings | None = None
    teams: list[Team] = Field(default_factory=list)

    @property
    def profile_name(self) -> ProfileName:
        if self.profile is not None:
            return self.profile
        assert self.environment in ("dev", "prod"), "checked by the loader"
        return self.environment  # type: ignore[return-value]

    @property
    def resolved(self) -> Profile:
        return resolve_profile(self.profile_name, self.profile_overrides)

    @property
    def clouds(self) -> list[Cloud]:
        return [c for c in ("aws", "gcp", "azure") if getattr(self, c) is not None]


class ProviderSettings(Model):
    """The provider keys the platform reads (outside the `mlplat:` namespace)."""

    aws_region: str | None = None
    gcp_project: str | None = None
    gcp_region: str | None = None
    azure_location: str | None = None


class StackSettings(Model):
    stack: str
    settings: Settings
    providers: ProviderSettings


def promotable_keys() -> list[str]:
    """Stack-file keys (camelCase) whose values move from dev to prod on promotion."""
    return [
        field.alias or name
        for name, field in Settings.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("promotable")
    ]
