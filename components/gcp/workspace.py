"""The Vertex AI workspace: a least-privilege service account, CMEK metadata store, TensorBoard and
Docker repository, and one private, shielded Workbench instance per user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.gcp.identity import service_account_with_roles
from components.gcp.options import child_options

# What notebooks and pipelines running as the workspace account need in the project, and nothing more.
# Buckets and the repository are granted on the resource itself, not project-wide.
WORKSPACE_PROJECT_ROLES: tuple[str, ...] = (
    "roles/aiplatform.user",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
)
BUCKET_ROLE = "roles/storage.objectUser"
REPOSITORY_ROLE = "roles/artifactregistry.writer"
# An instance owner must be able to act as the account the instance runs as.
ACT_AS_ROLE = "roles/iam.serviceAccountUser"
WORKBENCH_TAG = "mlplat-workbench"
_DAY_SECONDS = 86400


@dataclass(frozen=True)
class WorkbenchUser:
    name: str  # lowercase, becomes part of the instance name
    email: str  # the instance owner


@dataclass(frozen=True)
class VertexWorkspaceArgs:
    project: str
    region: str
    zone: str  # Workbench instances are zonal
    name_prefix: str  # physical names: "<prefix>-<what>", within GCP limits
    service_account_id: str  # 6-30 characters, see components.common.naming ("gcp-service-account")
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    vertex_kms_key_name: pulumi.Input[str]  # metadata store and TensorBoard
    repository_kms_key_name: pulumi.Input[str]
    disk_kms_key_name: pulumi.Input[str]  # Workbench boot and data disks
    labels: Mapping[str, str]
    users: Sequence[WorkbenchUser] = ()
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # purpose -> bucket name
    machine_type: str = "e2-standard-4"
    boot_disk_size_gb: int = 150
    data_disk_size_gb: int = 100
    disk_type: str = "PD_BALANCED"  # boot and data disks: PD_STANDARD, PD_BALANCED or PD_SSD
    idle_timeout_minutes: int = 60
    root_access: bool = False
    disable_downloads: bool = False
    deletion_protection: bool = False
    untagged_image_days: int = 30
    images_kept: int = 10


class VertexWorkspace(pulumi.ComponentResource):
    service_account_email: pulumi.Output[str]
    metadata_store_id: pulumi.Output[str]
    tensorboard_id: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    workbench_instances: dict[str, pulumi.Output[str]]  # user -> instance name
    workbench_urls: dict[str, pulumi.Output[str]]  # user -> JupyterLab proxy URL

    def __init__(
        self, name: str, args: VertexWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlplat:gcp:VertexWorkspace", name, None, opts)
        child = child_options(self, opts)
        # Experiment history and images are data: protected and retained in prod.
        keep = child_options(
            self, opts, protect=args.deletion_protection, retain_on_delete=args.deletion_protection
        )

        self.service_account = service_account_with_roles(
            f"{name}-sa",
            project=args.project,
            account_id=args.service_account_id,
            display_name="mlplat Vertex AI workspace",
            description="Runs Workbench instances and Vertex AI jobs; least privilege.",
            roles=WORKSPACE_PROJECT_ROLES,
            opts=child,
        )
        member = self.service_account.member
        for purpose, bucket in dict(args.buckets).items():
            gcp.storage.BucketIAMMember(
                f"{name}-sa-bucket-{purpose}",
                gcp.storage.BucketIAMMemberArgs(bucket=bucket, role=BUCKET_ROLE, member=member),
                opts=child,
            )

        self.metadata_store = gcp.vertex.AiMetadataStore(
            f"{name}-metadata",
            gcp.vertex.AiMetadataStoreArgs(
                project=args.project,
                region=args.region,
                name=f"{args.name_prefix}-metadata",
                description="mlplat ML metadata (lineage of datasets, runs and models)",
                encryption_spec=gcp.vertex.AiMetadataStoreEncryptionSpecArgs(
                    kms_key_name=args.vertex_kms_key_name
                ),
            ),
            opts=keep,
        )
        self.tensorboard = gcp.vertex.AiTensorboard(
            f"{name}-tensorboard",
            gcp.vertex.AiTensorboardArgs(
                project=args.project,
                region=args.region,
                display_name=f"{args.name_prefix}-tensorboard",
                description="mlplat experiment tracking",
                encryption_spec=gcp.vertex.AiTensorboardEncryptionSpecArgs(
                    kms_key_name=args.vertex_kms_key_name
                ),
                labels=dict(args.labels),
            ),
            opts=keep,
        )
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-images",
            gcp.artifactregistry.RepositoryArgs(
                project=args.project,
                location=args.region,
                repository_id=f"{args.name_prefix}-images",
                format="DOCKER",
                description="mlplat training and serving images",
                kms_key_name=args.repository_kms_key_name,
                cleanup_policy_dry_run=False,
                cleanup_policies=[
                    gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                        id="delete-old-untagged",
                        action="DELETE",
                        condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                            tag_state="UNTAGGED", older_than=f"{args.untagged_image_days * _DAY_SECONDS}s"
                        ),
                    ),
                    gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                        id="keep-recent",
                        action="KEEP",
                        most_recent_versions=gcp.artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs(
                            keep_count=args.images_kept
                        ),
                    ),
                ],
                labels=dict(args.labels),
            ),
            opts=keep,
        )
        gcp.artifactregistry.RepositoryIamMember(
            f"{name}-sa-images",
            gcp.artifactregistry.RepositoryIamMemberArgs(
                project=args.project,
                location=args.region,
                repository=self.repository.name,
                role=REPOSITORY_ROLE,
                member=member,
            ),
            opts=child,
        )

        self.instances: dict[str, gcp.workbench.Instance] = {}
        for user in args.users:
            self.instances[user.name] = self._workbench(name, args, user, opts)

        self.service_account_email = self.service_account.email
        self.metadata_store_id = self.metadata_store.id
        self.tensorboard_id = self.tensorboard.name
        self.repository_url = self.repository.registry_uri
        self.workbench_instances = {user: i.name for user, i in self.instances.items()}
        self.workbench_urls = {user: i.proxy_uri for user, i in self.instances.items()}
        self.register_outputs(
            {
                "service_account_email": self.service_account_email,
                "metadata_store_id": self.metadata_store_id,
                "tensorboard_id": self.tensorboard_id,
                "repository_url": self.repository_url,
                "workbench_instances": self.workbench_instances,
                "workbench_urls": self.workbench_urls,
            }
        )

    def _workbench(
        self, name: str, args: VertexWorkspaceArgs, user: WorkbenchUser, opts: pulumi.ResourceOptions | None
    ) -> gcp.workbench.Instance:
        gcp.serviceaccount.IAMMember(
            f"{name}-{user.name}-act-as",
            gcp.serviceaccount.IAMMemberArgs(
                service_account_id=self.service_account.name, role=ACT_AS_ROLE, member=f"user:{user.email}"
            ),
            opts=child_options(self, opts),
        )
        metadata = {
            "notebook-disable-root": "false" if args.root_access else "true",
            "idle-timeout-seconds": str(args.idle_timeout_minutes * 60),
        }
        if args.disable_downloads:
            metadata["notebook-disable-downloads"] = "true"
        return gcp.workbench.Instance(
            f"{name}-{user.name}",
            gcp.workbench.InstanceArgs(
                project=args.project,
                location=args.zone,
                name=f"{args.name_prefix}-{user.name}",
                # Single-user access: only the owner opens JupyterLab.
                instance_owners=[user.email],
                enable_deletion_protection=args.deletion_protection,
                gce_setup=gcp.workbench.InstanceGceSetupArgs(
                    machine_type=args.machine_type,
                    disable_public_ip=True,
                    network_interfaces=[
                        gcp.workbench.InstanceGceSetupNetworkInterfaceArgs(
                            network=args.network_id, subnet=args.subnet_id, nic_type="GVNIC"
                        )
                    ],
                    service_accounts=[
                        gcp.workbench.InstanceGceSetupServiceAccountArgs(email=self.service_account.email)
                    ],
                    shielded_instance_config=gcp.workbench.InstanceGceSetupShieldedInstanceConfigArgs(
                        enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
                    ),
                    boot_disk=gcp.workbench.InstanceGceSetupBootDiskArgs(
                        disk_encryption="CMEK",
                        kms_key=args.disk_kms_key_name,
                        disk_size_gb=str(args.boot_disk_size_gb),
                        disk_type=args.disk_type,
                    ),
                    data_disks=gcp.workbench.InstanceGceSetupDataDisksArgs(
                        disk_encryption="CMEK",
                        kms_key=args.disk_kms_key_name,
                        disk_size_gb=str(args.data_disk_size_gb),
                        disk_type=args.disk_type,
                    ),
                    metadata=metadata,
                    tags=[WORKBENCH_TAG],
                ),
                labels={**args.labels, "user": user.name},
            ),
            # Protected, not retained: a removed user's instance must not keep running (and billing) unmanaged.
            opts=child_options(self, opts, protect=args.deletion_protection),
        )
