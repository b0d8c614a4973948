"""AWS components: network, keys, buckets (and, with the AWS issue, SageMaker, EKS, budget)."""

from components.aws.bucket import SecureBucket, SecureBucketArgs
from components.aws.kms import KmsKey, KmsKeyArgs
from components.aws.network import Network, NetworkArgs

__all__ = ["KmsKey", "KmsKeyArgs", "Network", "NetworkArgs", "SecureBucket", "SecureBucketArgs"]
