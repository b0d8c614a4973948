"""The project's APIs, never disabled on destroy, and the Google service agents that use platform keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp.options import child_options

# Every API the platform's resources need.
PLATFORM_SERVICES: tuple[str, ...] = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "aiplatform.googleapis.com",
    "notebooks.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudkms.googleapis.com",
    "billingbudgets.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "iam.googleapis.com",
    "storage.googleapis.com",
)

# Service agents that only exist once asked for; `ServiceIdentity` creates them before any key grant.
_GENERATED_AGENTS: dict[str, str] = {
    "aiplatform": "aiplatform.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com",
    "pubsub": "pubsub.googleapis.com",
    # Workbench encrypts its disks through the Notebooks agent as well as Compute Engine's (Workbench CMEK docs).
    "notebooks": "notebooks.googleapis.com",
}
# Service agents that exist as soon as their API is enabled.
_FIXED_AGENTS: dict[str, str] = {
    "compute": "compute-system",
    "container": "container-engine-robot",
}


@dataclass(frozen=True)
class ProjectServicesArgs:
    project: str
    services: Sequence[str] = PLATFORM_SERVICES


class ProjectServices(pulumi.ComponentResource):
    """Enables the platform's APIs and names the service agents (as IAM members) that encrypt with CMEK."""

    project_number: pulumi.Output[str]
    agents: dict[
        str, pulumi.Output[str]
    ]  # "storage", "aiplatform", "artifactregistry", "pubsub", "notebooks", "compute", "container"

    def __init__(
        self, name: str, args: ProjectServicesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlplat:gcp:ProjectServices", name, None, opts)
        self.services = [
            gcp.projects.Service(
                f"{name}-{api.split('.')[0]}",
                gcp.projects.ServiceArgs(
                    project=args.project,
                    service=api,
                    # Disabling an API on destroy would break everything else in the project that uses it.
                    disable_on_destroy=False,
                    disable_dependent_services=False,
                ),
                opts=child_options(self, opts),
            )
            for api in args.services
        ]
        enabled = child_options(self, opts, depends_on=self.services)
        # Data Access audit logs are off by default (cloud.google.com/logging/docs/audit): without them nobody
        # can tell who read or changed a bucket's objects (CIS GCP Foundation 2.1).
        self.storage_audit = gcp.projects.IAMAuditConfig(
            f"{name}-storage-data-access",
            gcp.projects.IAMAuditConfigArgs(
                project=args.project,
                service="storage.googleapis.com",
                audit_log_configs=[
                    gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=kind)
                    for kind in ("DATA_READ", "DATA_WRITE")
                ],
            ),
            opts=enabled,
        )
        invoke = pulumi.InvokeOutputOptions(parent=self, depends_on=self.services)
        self.project_number = gcp.organizations.get_project_output(
            project_id=args.project, opts=invoke
        ).apply(lambda p: str(p.number))
        self.agents = {
            # Asking for the storage agent creates it, like `gcloud storage service-agent`.
            "storage": gcp.storage.get_project_service_account_output(
                project=args.project, opts=invoke
            ).member,
        }
        for key, api in _GENERATED_AGENTS.items():
            identity = gcp.projects.ServiceIdentity(
                f"{name}-{key}-agent",
                gcp.projects.ServiceIdentityArgs(project=args.project, service=api),
                opts=enabled,
            )
            self.agents[key] = identity.member
        for key, domain in _FIXED_AGENTS.items():
            self.agents[key] = pulumi.Output.concat(
                "serviceAccount:service-", self.project_number, "@", domain, ".iam.gserviceaccount.com"
            )
        self.register_outputs({"project_number": self.project_number, "agents": self.agents})
