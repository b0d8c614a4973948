"""The pipeline's jobs and the names of their identities, on every cloud: one table, imported by all.

Each job runs in one GitHub environment and signs in with its own identity, trusted by GitHub's
OIDC issuer for exactly one subject, `repo:<owner>/<repo>:environment:<github environment>` (GitHub
docs, "OpenID Connect reference": the `sub` claim of a job that references an environment).

| job                                  | GitHub environment | identity (AWS role, GCP service account, Azure identity) |
|--------------------------------------|--------------------|----------------------------------------------------------|
| previewer of env E                   | `preview-E`        | `mlplat-E-previewer`                                     |
| platform deployer of E               | `E`                | `mlplat-E-deployer`                                      |
| cluster deployer of E-eks/-gke/-aks  | `E-eks` ...        | `mlplat-E-eks-deployer` ...                              |

The platform program grants cluster-admin to the cluster deployer by these names (EKS access entry
for the role, GKE `roles/container.admin` for the service account, AKS by the identity's object id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Cloud = Literal["aws", "gcp", "azure"]
JobKind = Literal["previewer", "deployer", "cluster-deployer"]

PROJECT = "mlplat"  # the platform's Pulumi project (repo root)
CLUSTER_PROJECT = "mlplat-clusters"  # the in-cluster objects' Pulumi project (clusters/)
# A self-managed backend locks a stack under its fully qualified name, organization/<project>/<stack>, whose
# organization is always "organization" (pulumi pkg/backend/diy/lock.go lockPath, diyBackendReference
# FullyQualifiedName); checkpoints, history and backups use <project>/<stack>.
LOCK_ORGANIZATION = "organization"
ENVIRONMENTS = ("dev", "prod")
CLUSTER_KIND: dict[Cloud, str] = {"aws": "eks", "gcp": "gke", "azure": "aks"}
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"

# GCP service account ids are 6-30 characters: `mlplat-<env>-gke-deployer` leaves 10 for the env.
_ENV = re.compile(r"[a-z][a-z0-9]{0,9}")
_REPO = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9_.-]{1,100}")


def check_environment(env: str) -> str:
    if not _ENV.fullmatch(env):
        raise ValueError(
            f"environment {env!r}: a lowercase letter, then up to 9 lowercase letters or digits (e.g. dev, prod)"
        )
    return env


def check_repo(repo: str) -> str:
    """`owner/name` as GitHub spells it; anything else would make a subject no token ever carries."""
    if not _REPO.fullmatch(repo) or repo.split("/")[1] in (".", ".."):
        raise ValueError(f"GitHub repository {repo!r} is not owner/name (e.g. acme/mlplat)")
    return repo


def platform_stack(env: str) -> str:
    return env


def cluster_stack(env: str, cloud: Cloud) -> str:
    return f"{env}-{CLUSTER_KIND[cloud]}"


@dataclass(frozen=True)
class Job:
    kind: JobKind
    env: str
    cloud: Cloud
    github_environment: str
    identity: str  # AWS role name, GCP service account id, Azure identity name

    def subject(self, repo: str) -> str:
        return f"repo:{repo}:environment:{self.github_environment}"

    @property
    def stacks(self) -> tuple[str, ...]:
        """The stacks whose state this job writes (the previewer writes only their lock files)."""
        if self.kind == "cluster-deployer":
            return (f"{CLUSTER_PROJECT}/{cluster_stack(self.env, self.cloud)}",)
        return (f"{PROJECT}/{platform_stack(self.env)}",)


def previewer(env: str, cloud: Cloud) -> Job:
    return Job("previewer", env, cloud, f"preview-{env}", f"{PROJECT}-{env}-previewer")


def deployer(env: str, cloud: Cloud) -> Job:
    return Job("deployer", env, cloud, env, f"{PROJECT}-{env}-deployer")


def cluster_deployer(env: str, cloud: Cloud) -> Job:
    stack = cluster_stack(env, cloud)
    return Job("cluster-deployer", env, cloud, stack, f"{PROJECT}-{stack}-deployer")


def jobs(env: str, cloud: Cloud) -> tuple[Job, Job, Job]:
    """The three jobs of one environment on one cloud, in the order a bootstrap creates them."""
    check_environment(env)
    return previewer(env, cloud), deployer(env, cloud), cluster_deployer(env, cloud)


def aws_role_arn(account: str, job: Job, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{job.identity}"


def gcp_service_account_email(project: str, job: Job) -> str:
    return f"{job.identity}@{project}.iam.gserviceaccount.com"
