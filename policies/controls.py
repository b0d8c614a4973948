"""The published controls the pack is measured against: five benchmarks, each control's id and title, and for
each either the rules that implement it (declared next to the rules with `implements`), the reason it does not
apply to what the platform creates, or an open gap with the reason it is left.

`mlplat compliance STACK` joins this map with a plan's verdicts; `mlplat compliance-docs --write` prints it into
docs/compliance.md; tests/policies/test_control_map.py keeps it whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeVar

from pulumi_policy import Policy


@dataclass(frozen=True)
class Benchmark:
    key: str
    title: str
    version: str
    source: str  # where this list of ids and titles was taken from
    cloud: str  # the provider package whose resources it judges: a plan without them is not measured by it


BENCHMARKS: Final[dict[str, Benchmark]] = {
    b.key: b
    for b in (
        Benchmark(
            "cis-eks",
            "CIS Amazon Elastic Kubernetes Service (EKS) Benchmark",
            "v1.8.0 (Kubernetes 1.35 clusters)",
            "aquasecurity/kube-bench cfg/eks-1.8.0 (commit a73ce378)",
            "aws",
        ),
        Benchmark(
            "cis-gke",
            "CIS Google Kubernetes Engine (GKE) Benchmark",
            "v1.9.0",
            "aquasecurity/kube-bench cfg/gke-1.9.0 (commit a73ce378)",
            "gcp",
        ),
        Benchmark(
            "cis-aks",
            "CIS Azure Kubernetes Service (AKS) Benchmark",
            "v1.8.0",
            "aquasecurity/kube-bench cfg/aks-1.8 (commit a73ce378)",
            "azure-native",
        ),
        Benchmark(
            "aws-fsbp",
            "AWS Foundational Security Best Practices",
            "v1.0.0, controls for S3, KMS, EC2/VPC, EKS, SageMaker, IAM, SNS, CodeBuild",
            "prowler-cloud/prowler prowler/compliance/aws/aws_foundational_security_best_practices_aws.json "
            "(commit 3e000faa); CloudWatch Logs has no FSBP control in that list",
            "aws",
        ),
        Benchmark(
            "cis-gcp",
            "CIS Google Cloud Platform Foundation Benchmark",
            "v5.0.0, sections 1-5 (IAM, logging, networking, VMs, storage); Cloud SQL, BigQuery, Dataproc unused",
            "prowler-cloud/prowler prowler/compliance/gcp/cis_5.0_gcp.json (commit 3e000faa)",
            "gcp",
        ),
        Benchmark(
            "mcsb",
            "Microsoft cloud security benchmark",
            "v1, controls the Azure ML, AKS, Storage, Key Vault and networking baselines map",
            "learn.microsoft.com/security/benchmark/azure (mcsb-network-security, -identity-management, "
            "-privileged-access, -data-protection, -logging-threat-detection, -backup-recovery, "
            "-posture-vulnerability-management)",
            "azure-native",
        ),
    )
}


@dataclass(frozen=True)
class Control:
    benchmark: str
    id: str
    title: str
    not_applicable: str | None = None  # why it does not apply to what the platform creates
    gap: str | None = None  # an applicable control no rule implements yet, and why it is left

    @property
    def key(self) -> str:
        return f"{self.benchmark}:{self.id}"


# --- reasons shared by many controls ------------------------------------------------------------------------
NODE_FILES = (
    "node file permissions and kubelet flags come from the managed node image (EKS AMI, COS, AKS Azure Linux); "
    "the platform's launch templates and pools set none of them"
)
WORKLOADS = (
    "a property of the pods the teams and charts run, decided when they are admitted; no resource in the plan "
    "holds it"
)
NO_ROLES = (
    "the platform defines no Role or ClusterRole; the pinned charts' own roles are reviewed with the chart"
)
NO_LB = "the platform creates no load balancer, Service of type LoadBalancer or Ingress"
NO_REGISTRY_AWS = "the platform creates no ECR repository; images come from the pinned charts' registries"
NO_USERS_AWS = "the platform creates no IAM user, access key or password policy; people and CI use roles"
ACCOUNT = (
    "an account- or organisation-wide setting outside any stack; the platform owns only its own resources"
)
IN_CLUSTER = "needs an object in every team namespace (components/kubernetes, the in-cluster layer another change owns)"

_C = Control


def _k8s(b: str, extra: dict[str, tuple[str, str | None, str | None]]) -> list[Control]:
    return [Control(b, cid, title, na, gap) for cid, (title, na, gap) in extra.items()]


CONTROLS_LIST: Final[list[Control]] = [
    # --- CIS EKS v1.8.0 ---
    _C("cis-eks", "2.1.1", "Enable audit Logs"),
    _C("cis-eks", "2.1.2", "Ensure audit logs are collected and managed"),
    *(
        _C("cis-eks", cid, title, NODE_FILES)
        for cid, title in (
            ("3.1.1", "Ensure that the kubeconfig file permissions are set to 644 or more restrictive"),
            ("3.1.2", "Ensure that the kubelet kubeconfig file ownership is set to root:root"),
            (
                "3.1.3",
                "Ensure that the kubelet configuration file has permissions set to 644 or more restrictive",
            ),
            ("3.1.4", "Ensure that the kubelet configuration file ownership is set to root:root"),
            ("3.2.1", "Ensure that the Anonymous Auth is Not Enabled"),
            ("3.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"),
            ("3.2.3", "Ensure that a Client CA File is Configured"),
            ("3.2.4", "Ensure that the --read-only-port is disabled"),
            ("3.2.5", "Ensure that the --streaming-connection-idle-timeout argument is not set to 0"),
            ("3.2.6", "Ensure that the --make-iptables-util-chains argument is set to true"),
            (
                "3.2.7",
                "Ensure that the --eventRecordQPS argument is set to 0 or a level which ensures appropriate "
                "event capture",
            ),
            ("3.2.8", "Ensure that the --rotate-certificates argument is not present or is set to true"),
            ("3.2.9", "Ensure that the RotateKubeletServerCertificate argument is set to true"),
        )
    ),
    _C("cis-eks", "4.1.1", "Ensure that the cluster-admin role is only used where required"),
    _C(
        "cis-eks",
        "4.1.2",
        "Minimize access to secrets",
        gap="team members bind the built-in edit role, which "
        "reads Secrets in their namespace; a narrower role " + IN_CLUSTER,
    ),
    _C("cis-eks", "4.1.3", "Minimize wildcard use in Roles and ClusterRoles", NO_ROLES),
    _C("cis-eks", "4.1.4", "Minimize access to create pods"),
    _C("cis-eks", "4.1.5", "Ensure that default service accounts are not actively used.", WORKLOADS),
    _C("cis-eks", "4.1.6", "Ensure that Service Account Tokens are only mounted where necessary", WORKLOADS),
    _C(
        "cis-eks",
        "4.1.7",
        "Cluster Access Manager API to streamline and enhance the management of access "
        "controls within EKS clusters",
    ),
    _C(
        "cis-eks",
        "4.1.8",
        "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    ),
    _C("cis-eks", "4.1.9", "Minimize access to create PersistentVolume objects"),
    _C("cis-eks", "4.1.10", "Minimize access to the proxy sub-resource of Node objects"),
    _C("cis-eks", "4.1.11", "Minimize access to webhook configuration objects"),
    _C("cis-eks", "4.1.12", "Minimize access to the service account token creation"),
    *(
        _C("cis-eks", cid, title, gap="Pod Security Standards labels on the team namespaces " + IN_CLUSTER)
        for cid, title in (
            ("4.2.1", "Minimize the admission of privileged containers"),
            ("4.2.2", "Minimize the admission of containers wishing to share the host process ID namespace"),
            ("4.2.3", "Minimize the admission of containers wishing to share the host IPC namespace"),
            ("4.2.4", "Minimize the admission of containers wishing to share the host network namespace"),
            ("4.2.5", "Minimize the admission of containers with allowPrivilegeEscalation"),
        )
    ),
    _C(
        "cis-eks",
        "4.3.1",
        "Ensure CNI plugin supports network policies",
        gap="the VPC CNI add-on's network "
        "policy agent is not switched on (enableNetworkPolicy) and no rule asks for it",
    ),
    _C(
        "cis-eks",
        "4.3.2",
        "Ensure that all Namespaces have Network Policies defined",
        gap="NetworkPolicy " + IN_CLUSTER,
    ),
    _C("cis-eks", "4.4.1", "Prefer using secrets as files over secrets as environment variables", WORKLOADS),
    _C("cis-eks", "4.4.2", "Consider external secret storage", WORKLOADS),
    _C("cis-eks", "4.5.1", "Create administrative boundaries between resources using namespaces"),
    _C(
        "cis-eks",
        "4.5.2",
        "The default namespace should not be used",
        gap="no rule yet refuses a namespaced object or Helm release in `default`",
    ),
    _C(
        "cis-eks",
        "5.1.1",
        "Ensure Image Vulnerability Scanning using Amazon ECR image scanning or a third party provider",
        NO_REGISTRY_AWS,
    ),
    _C("cis-eks", "5.1.2", "Minimize user access to Amazon ECR", NO_REGISTRY_AWS),
    _C("cis-eks", "5.1.3", "Minimize cluster access to read-only for Amazon ECR", NO_REGISTRY_AWS),
    _C("cis-eks", "5.1.4", "Minimize Container Registries to only those approved"),
    _C("cis-eks", "5.2.1", "Prefer using dedicated Amazon EKS Service Accounts"),
    _C(
        "cis-eks",
        "5.3.1",
        "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS",
    ),
    _C("cis-eks", "5.4.1", "Restrict Access to the Control Plane Endpoint"),
    _C(
        "cis-eks",
        "5.4.2",
        "Ensure clusters are created with Private Endpoint Enabled and Public Access Disabled",
    ),
    _C(
        "cis-eks",
        "5.4.3",
        "Ensure clusters are created with Private Nodes",
        gap="node groups run in the private subnets, but no rule refuses a node group in a public subnet",
    ),
    _C("cis-eks", "5.4.4", "Ensure Network Policy is Enabled and set as appropriate", gap="as 4.3.1"),
    _C("cis-eks", "5.4.5", "Encrypt traffic to HTTPS load balancers with TLS certificates", NO_LB),
    _C(
        "cis-eks",
        "5.5.1",
        "Manage Kubernetes RBAC users with AWS IAM Authenticator for Kubernetes or Upgrade to "
        "AWS CLI v1.16.156 or greater",
    ),
]

NO_NOTEBOOK_INSTANCE = (
    "the platform creates no SageMaker notebook instance; Studio's equivalent is guarded by "
)
_FSBP: Final[list[tuple[str, str, str | None, str | None]]] = [
    (
        "CodeBuild.1",
        "CodeBuild Bitbucket source repository URLs should not contain sensitive credentials",
        None,
        None,
    ),
    (
        "CodeBuild.2",
        "CodeBuild project environment variables should not contain clear text credentials",
        None,
        "no rule yet reads the runner's environment variables (it sets none today)",
    ),
    ("CodeBuild.3", "CodeBuild S3 logs should be encrypted", None, None),
    ("CodeBuild.4", "CodeBuild project environments should have a logging configuration", None, None),
    ("CodeBuild.5", "CodeBuild project environments should not have privileged mode enabled", None, None),
    (
        "CodeBuild.7",
        "CodeBuild report group exports should be encrypted at rest",
        "the platform creates no CodeBuild report group",
        None,
    ),
    (
        "EC2.1",
        "Amazon EBS snapshots should not be public, determined by the ability to be restorable by anyone",
        "the platform creates no EBS snapshot",
        None,
    ),
    ("EC2.2", "VPC default security groups should not allow inbound or outbound traffic", None, None),
    ("EC2.3", "Attached EBS volumes should be encrypted at rest", None, None),
    (
        "EC2.4",
        "Stopped EC2 instances should be removed after a specified time period",
        "the platform creates no standalone instance; node groups replace their own",
        None,
    ),
    ("EC2.6", "VPC flow logging should be enabled in all VPCs", None, None),
    (
        "EC2.7",
        "EBS default encryption should be enabled",
        ACCOUNT + "; every volume the platform launches is encrypted explicitly (EC2.3)",
        None,
    ),
    ("EC2.8", "EC2 instances should use IMDSv2", None, None),
    (
        "EC2.9",
        "EC2 instances should not have a public IP address",
        None,
        "nodes sit in private subnets, but no "
        "rule refuses a public IP on a launch template or a node group in a public subnet",
    ),
    ("EC2.10", "Amazon EC2 should be configured to use VPC endpoints", None, None),
    (
        "EC2.12",
        "Unused Amazon EC2 EIPs should be removed",
        "every Elastic IP the platform creates is its NAT gateway's",
        None,
    ),
    ("EC2.13", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22", None, None),
    ("EC2.14", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389", None, None),
    (
        "EC2.15",
        "EC2 subnets should not automatically assign public IP addresses",
        None,
        "no rule yet reads mapPublicIpOnLaunch on the subnets",
    ),
    (
        "EC2.16",
        "Unused network access control lists should be removed",
        "the platform creates no network ACL",
        None,
    ),
    (
        "EC2.17",
        "EC2 instances should not use multiple ENIs",
        "the platform creates no standalone instance or ENI",
        None,
    ),
    (
        "EC2.18",
        "Security groups should only allow unrestricted incoming traffic for authorized ports",
        None,
        None,
    ),
    ("EC2.19", "Security groups should not allow unrestricted access to ports with high risk", None, None),
    (
        "EC2.20",
        "Both VPN tunnels for an AWS Site-to-Site VPN connection should be up",
        "the platform creates no VPN connection",
        None,
    ),
    (
        "EC2.21",
        "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
        "the platform creates no network ACL (the VPC's default one is filtered by the security groups)",
        None,
    ),
    ("EC2.22", "[RETIRED] Unused Amazon EC2 security groups should be removed", "retired by AWS", None),
    (
        "EC2.23",
        "EC2 Transit Gateways should not automatically accept VPC attachment requests",
        "the platform creates no transit gateway",
        None,
    ),
    (
        "EC2.24",
        "Paravirtual EC2 instance types should not be used",
        "EKS node groups take only HVM (Nitro) instance types",
        None,
    ),
    (
        "EC2.25",
        "Amazon EC2 launch templates should not assign public IPs to network interfaces",
        None,
        "no rule yet reads the launch templates' network interfaces (they set none today)",
    ),
    (
        "EC2.28",
        "EBS volumes should be covered by a backup plan",
        "node volumes are disposable; data lives in versioned S3 buckets",
        None,
    ),
    (
        "EC2.51",
        "EC2 Client VPN endpoints should have client connection logging enabled",
        "the platform creates no Client VPN endpoint",
        None,
    ),
    ("EKS.1", "EKS cluster endpoints should not be publicly accessible", None, None),
    ("EKS.2", "EKS clusters should run on a supported Kubernetes version", None, None),
    ("EKS.3", "EKS clusters should use encrypted Kubernetes secrets", None, None),
    ("EKS.8", "EKS clusters should have audit logging enabled", None, None),
    ("IAM.1", "IAM policies should not allow full '*' administrative privileges", None, None),
    *(
        (cid, title, NO_USERS_AWS, None)
        for cid, title in (
            ("IAM.2", "IAM users should not have IAM policies attached"),
            ("IAM.3", "IAM users' access keys should be rotated every 90 days or less"),
            ("IAM.5", "MFA should be enabled for all IAM users that have a console password"),
            ("IAM.7", "Password policies for IAM users should have strong configurations"),
            ("IAM.8", "Unused IAM user credentials should be removed"),
            ("IAM.10", "Password policies for IAM users should have strong AWS Configurations"),
            ("IAM.19", "MFA should be enabled for all IAM users"),
            ("IAM.22", "IAM user credentials unused for 45 days should be removed"),
        )
    ),
    *(
        (cid, title, ACCOUNT + " (the root user)", None)
        for cid, title in (
            ("IAM.4", "IAM root user access key should not exist"),
            ("IAM.6", "Hardware MFA should be enabled for the root user"),
            ("IAM.9", "MFA should be enabled for the root user"),
        )
    ),
    (
        "IAM.21",
        "IAM customer managed policies that you create should not allow wildcard actions for services",
        None,
        None,
    ),
    (
        "IAM.26",
        "Expired SSL/TLS certificates managed in IAM should be removed",
        "the platform uploads no certificate to IAM",
        None,
    ),
    (
        "KMS.1",
        "IAM customer managed policies should not allow decryption actions on all KMS keys",
        None,
        "iam-policy-no-admin-wildcards refuses kms:* on every key, not kms:Decrypt on every key",
    ),
    (
        "KMS.2",
        "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
        None,
        "as KMS.1",
    ),
    ("KMS.3", "AWS KMS keys should not be unintentionally deleted", None, None),
    ("KMS.4", "AWS KMS key rotation should be enabled", None, None),
    ("KMS.5", "KMS keys should not be publicly accessible", None, "no rule yet reads the key policies"),
    (
        "S3.1",
        "S3 Block Public Access setting should be enabled",
        ACCOUNT + "; every bucket has its own block (S3.8)",
        None,
    ),
    ("S3.2", "S3 buckets should prohibit public read access", None, None),
    ("S3.3", "S3 buckets should prohibit public write access", None, None),
    (
        "S3.5",
        "S3 buckets should require requests to use Secure Socket Layer",
        None,
        "the bucket policies deny insecure transport, but no rule checks it",
    ),
    (
        "S3.6",
        "Amazon S3 permissions granted to other AWS accounts in bucket policies should be restricted",
        None,
        "no rule yet reads the bucket policies' principals",
    ),
    (
        "S3.7",
        "S3 general purpose buckets should use cross-Region replication",
        None,
        "a stack lives in one region; cross-region recovery is not designed yet",
    ),
    ("S3.8", "S3 Block Public Access setting should be enabled at the bucket level", None, None),
    (
        "S3.9",
        "S3 bucket server access logging should be enabled",
        None,
        "the data buckets log to the logs bucket, but no rule checks it",
    ),
    (
        "S3.10",
        "S3 buckets with versioning enabled should have lifecycle policies configured",
        None,
        "every bucket has a lifecycle configuration, but no rule checks it",
    ),
    (
        "S3.11",
        "S3 buckets should have event notifications enabled",
        None,
        "nothing consumes bucket events yet",
    ),
    (
        "S3.12",
        "S3 access control lists (ACLs) should not be used to manage user access to buckets",
        None,
        "ownership controls are BucketOwnerEnforced, but no rule checks it",
    ),
    ("S3.13", "S3 buckets should have lifecycle policies configured", None, "as S3.10"),
    ("S3.14", "S3 general purpose buckets should have versioning enabled", None, None),
    (
        "S3.15",
        "S3 general purpose buckets should have Object Lock enabled",
        None,
        "versioning and protect keep data; WORM retention is not designed yet",
    ),
    ("S3.17", "S3 general purpose buckets should be encrypted at rest with AWS KMS keys", None, None),
    (
        "S3.19",
        "S3 access points should have block public access settings enabled",
        "the platform creates no S3 access point",
        None,
    ),
    (
        "S3.20",
        "S3 general purpose buckets should have MFA delete enabled",
        "MFA delete can be turned on only by "
        "the root user with an MFA device, never through the API a deployment uses",
        None,
    ),
    ("SNS.1", "SNS topics should be encrypted at rest using AWS KMS", None, None),
    (
        "SNS.2",
        "Logging of delivery status should be enabled for notification messages sent to a topic",
        None,
        "the budget topic logs no delivery status yet",
    ),
    ("SNS.4", "SNS topic access policies should not allow public access", None, None),
    (
        "SageMaker.1",
        "SageMaker notebook instances should not have direct internet access",
        NO_NOTEBOOK_INSTANCE + "sagemaker-domain-vpc-only",
        None,
    ),
    (
        "SageMaker.2",
        "SageMaker notebook instances should be launched in a custom VPC",
        NO_NOTEBOOK_INSTANCE + "sagemaker-domain-vpc-only",
        None,
    ),
    (
        "SageMaker.3",
        "Users should not have root access to SageMaker notebook instances",
        NO_NOTEBOOK_INSTANCE + "sagemaker-domain-docker-access-disabled",
        None,
    ),
    (
        "SageMaker.4",
        "SageMaker AI endpoint production variants should have an initial instance count greater than 1",
        "the platform creates no SageMaker endpoint",
        None,
    ),
    (
        "SageMaker.5",
        "SageMaker models should block inbound traffic",
        "the platform creates no SageMaker model",
        None,
    ),
]
CONTROLS_LIST += [Control("aws-fsbp", cid, title, na, gap) for cid, title, na, gap in _FSBP]

CONTROLS: Final[dict[str, Control]] = {c.key: c for c in CONTROLS_LIST}

# Control key -> the names of the rules that implement it (filled by `implements` beside each rule).
IMPLEMENTED_BY: dict[str, list[str]] = {}

P = TypeVar("P", bound=Policy)


def implements(policy: P, *controls: str) -> P:
    """Declare the published controls `policy` implements (keys of `CONTROLS`); returns the policy unchanged."""
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown or not controls:
        raise ValueError(
            f"{policy.name}: implements needs controls from policies.controls.CONTROLS, got {unknown}"
        )
    for key in controls:
        names = IMPLEMENTED_BY.setdefault(key, [])
        if policy.name not in names:
            names.append(policy.name)
    return policy


def status(control: Control) -> str:
    """`covered`, `not applicable`, `gap`, or `unmapped` (no rule, no reason: the test refuses it)."""
    if IMPLEMENTED_BY.get(control.key):
        return "covered"
    if control.not_applicable:
        return "not applicable"
    return "gap" if control.gap else "unmapped"
