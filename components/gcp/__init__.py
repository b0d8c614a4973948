"""GCP components: project services, keys, network, buckets, Vertex AI workspace, GKE, budget."""

from components.gcp.bucket import SecureBucket, SecureBucketArgs
from components.gcp.budget import Budget, BudgetArgs
from components.gcp.cluster import GkeCluster, GkeClusterArgs, SystemPool
from components.gcp.kms import Keys, KeysArgs
from components.gcp.network import Network, NetworkArgs
from components.gcp.project import ProjectServices, ProjectServicesArgs
from components.gcp.workspace import VertexWorkspace, VertexWorkspaceArgs, WorkbenchUser

__all__ = [
    "Budget",
    "BudgetArgs",
    "GkeCluster",
    "GkeClusterArgs",
    "Keys",
    "KeysArgs",
    "Network",
    "NetworkArgs",
    "ProjectServices",
    "ProjectServicesArgs",
    "SecureBucket",
    "SecureBucketArgs",
    "SystemPool",
    "VertexWorkspace",
    "VertexWorkspaceArgs",
    "WorkbenchUser",
]
