"""AWS components: network, keys, buckets, SageMaker workspace, EKS cluster with GPU node groups, budget."""

from components.aws.bucket import SecureBucket, SecureBucketArgs
from components.aws.budget import MonthlyBudget, MonthlyBudgetArgs
from components.aws.cluster import EksCluster, EksClusterArgs, SystemNodes
from components.aws.kms import KmsKey, KmsKeyArgs
from components.aws.network import Network, NetworkArgs
from components.aws.node_group import EksNodeGroup, EksNodeGroupArgs, Taint
from components.aws.sagemaker import SageMakerWorkspace, SageMakerWorkspaceArgs

__all__ = [
    "EksCluster",
    "EksClusterArgs",
    "EksNodeGroup",
    "EksNodeGroupArgs",
    "KmsKey",
    "KmsKeyArgs",
    "MonthlyBudget",
    "MonthlyBudgetArgs",
    "Network",
    "NetworkArgs",
    "SageMakerWorkspace",
    "SageMakerWorkspaceArgs",
    "SecureBucket",
    "SecureBucketArgs",
    "SystemNodes",
    "Taint",
]
