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
PSS_ESCALATION_GAP = "team namespaces enforce the baseline Pod Security Standard, which allows privilege escalation; restricted, which refuses it, is only warned and audited so that GPU images keep running"

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
        _C("cis-eks", cid, title, gap=PSS_ESCALATION_GAP if cid == "4.2.5" else None)
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
    _C("cis-eks", "4.3.2", "Ensure that all Namespaces have Network Policies defined"),
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
    _C("cis-eks", "5.4.3", "Ensure clusters are created with Private Nodes"),
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
        None,
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
    ("EC2.9", "EC2 instances should not have a public IP address", None, None),
    ("EC2.10", "Amazon EC2 should be configured to use VPC endpoints", None, None),
    (
        "EC2.12",
        "Unused Amazon EC2 EIPs should be removed",
        "every Elastic IP the platform creates is its NAT gateway's",
        None,
    ),
    ("EC2.13", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22", None, None),
    ("EC2.14", "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389", None, None),
    ("EC2.15", "EC2 subnets should not automatically assign public IP addresses", None, None),
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
    ("EC2.25", "Amazon EC2 launch templates should not assign public IPs to network interfaces", None, None),
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
        None,
    ),
    (
        "KMS.2",
        "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
        None,
        None,
    ),
    ("KMS.3", "AWS KMS keys should not be unintentionally deleted", None, None),
    ("KMS.4", "AWS KMS key rotation should be enabled", None, None),
    ("KMS.5", "KMS keys should not be publicly accessible", None, None),
    (
        "S3.1",
        "S3 Block Public Access setting should be enabled",
        ACCOUNT + "; every bucket has its own block (S3.8)",
        None,
    ),
    ("S3.2", "S3 buckets should prohibit public read access", None, None),
    ("S3.3", "S3 buckets should prohibit public write access", None, None),
    ("S3.5", "S3 buckets should require requests to use Secure Socket Layer", None, None),
    (
        "S3.6",
        "Amazon S3 permissions granted to other AWS accounts in bucket policies should be restricted",
        None,
        None,
    ),
    (
        "S3.7",
        "S3 general purpose buckets should use cross-Region replication",
        None,
        "a stack lives in one region; cross-region recovery is not designed yet",
    ),
    ("S3.8", "S3 Block Public Access setting should be enabled at the bucket level", None, None),
    ("S3.9", "S3 bucket server access logging should be enabled", None, None),
    ("S3.10", "S3 buckets with versioning enabled should have lifecycle policies configured", None, None),
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
        None,
    ),
    ("S3.13", "S3 buckets should have lifecycle policies configured", None, None),
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
CONTROLS_LIST.extend(Control("aws-fsbp", cid, title, na, gap) for cid, title, na, gap in _FSBP)

# --- the Kubernetes benchmarks of GKE and AKS (kube-bench cfg/gke-1.9.0, cfg/aks-1.8) -------------------------
NO_LB_GCP = NO_LB + " (so no Google-managed certificate or SSL policy)"
DEFAULT_NS_GAP = "no rule yet refuses a namespaced object or Helm release in `default`"
SECRETS_GAP = (
    "team members bind the built-in edit role, which reads Secrets in their namespace; a narrower role "
    + IN_CLUSTER
)


def _rows(benchmark: str, rows: list[tuple[str, str, str | None, str | None]]) -> list[Control]:
    return [Control(benchmark, cid, title, na, gap) for cid, title, na, gap in rows]


_GKE: Final[list[tuple[str, str, str | None, str | None]]] = [
    *(
        (cid, title, NODE_FILES, None)
        for cid, title in (
            ("3.1.1", "Ensure that the kubeconfig file permissions are set to 644 or more restrictive"),
            ("3.1.2", "Ensure that the kubelet kubeconfig file ownership is set to root:root"),
            ("3.1.3", "Ensure that the kubelet configuration file has permissions set to 644"),
            ("3.1.4", "Ensure that the kubelet configuration file ownership is set to root:root"),
        )
    ),
    ("4.1.1", "Ensure that the cluster-admin role is only used where required", None, None),
    ("4.1.2", "Minimize access to secrets", None, SECRETS_GAP),
    ("4.1.3", "Minimize wildcard use in Roles and ClusterRoles", NO_ROLES, None),
    ("4.1.4", "Ensure that default service accounts are not actively used", WORKLOADS, None),
    ("4.1.5", "Ensure that Service Account Tokens are only mounted where necessary", WORKLOADS, None),
    ("4.1.6", "Avoid use of system:masters group", None, None),
    (
        "4.1.7",
        "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        None,
        None,
    ),
    ("4.1.8", "Avoid bindings to system:anonymous", None, None),
    ("4.1.9", "Avoid non-default bindings to system:unauthenticated", None, None),
    ("4.1.10", "Avoid non-default bindings to system:authenticated", None, None),
    (
        "4.2.1",
        "Ensure that the cluster enforces Pod Security Standard Baseline profile or stricter for all namespaces.",
        None,
        None,
    ),
    ("4.3.1", "Ensure that the CNI in use supports Network Policies", None, None),
    ("4.3.2", "Ensure that all Namespaces have Network Policies defined", None, None),
    ("4.4.1", "Prefer using secrets as files over secrets as environment variables", WORKLOADS, None),
    ("4.4.2", "Consider external secret storage", WORKLOADS, None),
    (
        "4.5.1",
        "Configure Image Provenance using ImagePolicyWebhook admission controller",
        None,
        "GKE's equivalent, Binary Authorization, is not designed yet; images come from pinned charts",
    ),
    ("4.6.1", "Create administrative boundaries between resources using namespaces", None, None),
    (
        "4.6.2",
        "Ensure that the seccomp profile is set to RuntimeDefault in your pod definitions",
        WORKLOADS,
        None,
    ),
    ("4.6.3", "Apply Security Context to Pods and Containers", WORKLOADS, None),
    ("4.6.4", "The default namespace should not be used", None, DEFAULT_NS_GAP),
    (
        "5.1.1",
        "Ensure Image Vulnerability Scanning is enabled",
        None,
        "Artifact Analysis (containerscanning.googleapis.com) is not among the project services yet",
    ),
    ("5.1.2", "Minimize user access to Container Image repositories", None, None),
    ("5.1.3", "Minimize cluster access to read-only for Container Image repositories", None, None),
    ("5.1.4", "Ensure only trusted container images are used", None, None),
    (
        "5.2.1",
        "Ensure GKE clusters are not running using the Compute Engine default service account",
        None,
        None,
    ),
    ("5.2.2", "Prefer using dedicated GCP Service Accounts and Workload Identity", None, None),
    ("5.3.1", "Ensure Kubernetes Secrets are encrypted using keys managed in Cloud KMS", None, None),
    ("5.4.1", "Ensure the GKE Metadata Server is Enabled", None, None),
    ("5.5.1", "Ensure Container-Optimized OS (cos_containerd) is used for GKE node images", None, None),
    ("5.5.2", "Ensure Node Auto-Repair is enabled for GKE nodes", None, None),
    ("5.5.3", "Ensure Node Auto-Upgrade is enabled for GKE nodes", None, None),
    (
        "5.5.4",
        "When creating New Clusters - Automate GKE version management using Release Channels",
        None,
        None,
    ),
    ("5.5.5", "Ensure Shielded GKE Nodes are Enabled", None, None),
    ("5.5.6", "Ensure Integrity Monitoring for Shielded GKE Nodes is Enabled", None, None),
    ("5.5.7", "Ensure Secure Boot for Shielded GKE Nodes is Enabled", None, None),
    (
        "5.6.1",
        "Enable VPC Flow Logs and Intranode Visibility",
        None,
        "subnet flow logs are enforced (subnet-flow-logs-enabled) but intranode visibility is not turned on",
    ),
    ("5.6.2", "Ensure use of VPC-native clusters", None, None),
    ("5.6.3", "Ensure Control Plane Authorized Networks is Enabled", None, None),
    (
        "5.6.4",
        "Ensure clusters are created with Private Endpoint Enabled and Public Access Disabled",
        None,
        None,
    ),
    ("5.6.5", "Ensure clusters are created with Private Nodes", None, None),
    ("5.6.6", "Consider firewalling GKE worker nodes", None, None),
    ("5.6.7", "Ensure use of Google-managed SSL Certificates", NO_LB_GCP, None),
    ("5.7.1", "Ensure Logging and Cloud Monitoring is Enabled", None, None),
    (
        "5.7.2",
        "Enable Linux auditd logging",
        None,
        "no auditd logging DaemonSet is deployed; node audit logs are not collected",
    ),
    ("5.8.1", "Ensure authentication using Client Certificates is Disabled", None, None),
    (
        "5.8.2",
        "Manage Kubernetes RBAC users with Google Groups for GKE",
        None,
        "team members are bound one identity at a time; Google Groups for RBAC is not configured",
    ),
    ("5.8.3", "Ensure Legacy Authorization (ABAC) is Disabled", None, None),
    (
        "5.9.1",
        "Enable Customer-Managed Encryption Keys (CMEK) for GKE Persistent Disks (PD)",
        None,
        "the StorageClasses " + IN_CLUSTER + "; no rule yet asks them for disk-encryption-kms-key",
    ),
    ("5.9.2", "Enable Customer-Managed Encryption Keys (CMEK) for Boot Disks", None, None),
    (
        "5.10.1",
        "Ensure Kubernetes Web UI is Disabled",
        "GKE no longer offers the Kubernetes Dashboard add-on; the platform installs no dashboard chart",
        None,
    ),
    ("5.10.2", "Ensure that Alpha clusters are not used for production workloads", None, None),
    (
        "5.10.3",
        "Consider GKE Sandbox for running untrusted workloads",
        None,
        "teams run their own training code; a gVisor sandbox pool for untrusted code is not designed",
    ),
    ("5.10.4", "Enable Security Posture", None, None),
]

_AKS: Final[list[tuple[str, str, str | None, str | None]]] = [
    ("2.1.1", "Enable audit Logs", None, None),
    *(
        (cid, title, NODE_FILES, None)
        for cid, title in (
            ("3.1.1", "Ensure that the kubeconfig file permissions are set to 644 or more restrictive"),
            ("3.1.2", "Ensure that the kubelet kubeconfig file ownership is set to root:root"),
            ("3.1.3", "Ensure that the azure.json file has permissions set to 644 or more restrictive"),
            ("3.1.4", "Ensure that the azure.json file ownership is set to root:root"),
            ("3.2.1", "Ensure that the --anonymous-auth argument is set to false"),
            ("3.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"),
            ("3.2.3", "Ensure that the --client-ca-file argument is set as appropriate"),
            ("3.2.4", "Ensure that the --read-only-port is secured"),
            ("3.2.5", "Ensure that the --streaming-connection-idle-timeout argument is not set to 0"),
            ("3.2.6", "Ensure that the --make-iptables-util-chains argument is set to true"),
            (
                "3.2.7",
                "Ensure that the --eventRecordQPS argument is set to 0 or a level which ensures appropriate "
                "event capture",
            ),
            ("3.2.8", "Ensure that the --rotate-certificates argument is not set to false"),
            ("3.2.9", "Ensure that the RotateKubeletServerCertificate argument is set to true"),
        )
    ),
    ("4.1.1", "Ensure that the cluster-admin role is only used where required", None, None),
    ("4.1.2", "Minimize access to secrets", None, SECRETS_GAP),
    ("4.1.3", "Minimize wildcard use in Roles and ClusterRoles", NO_ROLES, None),
    ("4.1.4", "Minimize access to create pods", None, None),
    ("4.1.5", "Ensure that default service accounts are not actively used", WORKLOADS, None),
    ("4.1.6", "Ensure that Service Account Tokens are only mounted where necessary", WORKLOADS, None),
    (
        "4.1.7",
        "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        None,
        None,
    ),
    ("4.1.8", "Minimize access to create Persistent Volumes", None, None),
    ("4.1.9", "Minimize access to the proxy sub-resource of Nodes", None, None),
    (
        "4.1.10",
        "Minimize access to the approval sub-resource of CertificateSigningRequests objects",
        None,
        None,
    ),
    ("4.1.11", "Minimize access to webhook configuration objects", None, None),
    ("4.1.12", "Minimize access to the service account token creation", None, None),
    *(
        (cid, title, None, PSS_ESCALATION_GAP if cid == "4.2.5" else None)
        for cid, title in (
            ("4.2.1", "Minimize the admission of privileged containers"),
            ("4.2.2", "Minimize the admission of containers wishing to share the host process ID namespace"),
            ("4.2.3", "Minimize the admission of containers wishing to share the host IPC namespace"),
            ("4.2.4", "Minimize the admission of containers wishing to share the host network namespace"),
            ("4.2.5", "Minimize the admission of containers with allowPrivilegeEscalation"),
        )
    ),
    ("4.4.1", "Ensure latest CNI version is used", None, None),
    ("4.4.2", "Ensure that all Namespaces have Network Policies defined", None, None),
    ("4.5.1", "Prefer using secrets as files over secrets as environment variables", WORKLOADS, None),
    ("4.5.2", "Consider external secret storage", WORKLOADS, None),
    ("4.6.1", "Create administrative boundaries between resources using namespaces", None, None),
    ("4.6.2", "Apply Security Context to Your Pods and Containers", WORKLOADS, None),
    ("4.6.3", "The default namespace should not be used", None, DEFAULT_NS_GAP),
    (
        "5.1.1",
        "Ensure Image Vulnerability Scanning using Microsoft Defender for Cloud (MDC) image scanning or a "
        "third party provider",
        ACCOUNT + " (the Defender for Containers plan is enabled per subscription)",
        None,
    ),
    ("5.1.2", "Minimize user access to Azure Container Registry (ACR)", None, None),
    ("5.1.3", "Minimize cluster access to read-only for Azure Container Registry (ACR)", None, None),
    ("5.1.4", "Minimize Container Registries to only those approved", None, None),
    ("5.2.1", "Prefer using dedicated AKS Service Accounts", None, None),
    ("5.3.1", "Ensure Kubernetes Secrets are encrypted", None, None),
    ("5.4.1", "Restrict Access to the Control Plane Endpoint", None, None),
    (
        "5.4.2",
        "Ensure clusters are created with Private Endpoint Enabled and Public Access Disabled",
        None,
        None,
    ),
    ("5.4.3", "Ensure clusters are created with Private Nodes", None, None),
    ("5.4.4", "Ensure Network Policy is Enabled and set as appropriate", None, None),
    ("5.4.5", "Encrypt traffic to HTTPS load balancers with TLS certificates", NO_LB, None),
    ("5.5.1", "Manage Kubernetes RBAC users with Azure AD", None, None),
    ("5.5.2", "Use Azure RBAC for Kubernetes Authorization", None, None),
]

# --- CIS Google Cloud Platform Foundation v5.0.0, sections 1-5 ------------------------------------------------
ORG = ACCOUNT + " (Google Workspace / Cloud Identity or the organisation node)"
NO_API_KEYS = "the platform creates no API key; workloads authenticate as service accounts"
NO_SA_KEYS = (
    "the platform creates no service account key; workloads use Workload Identity and attached accounts"
)
MONITORING = (
    ACCOUNT + "; project-wide log metrics and alert policies belong to the security team's monitoring project"
)
_CIS_GCP: Final[list[tuple[str, str, str | None, str | None]]] = [
    ("1.1.1", "Ensure Super Admin Email Address Is Not Tied To A Single User", ORG, None),
    ("1.1.2", "Ensure Super Admin Account Is Not Used For Google Cloud Administration", ORG, None),
    ("1.1.3", "Ensure Folders Are Structured By Environment And Sensitivity", ORG, None),
    ("1.1.4", "Ensure Organization Policies Are Configured For Centralized Constraints", ORG, None),
    ("1.2", "Ensure that Corporate Login Credentials are Used", ORG, None),
    ("1.3", "Ensure that Multi-Factor Authentication is 'Enabled' for All Non-Service Accounts", ORG, None),
    ("1.4", "Ensure that Security Key Enforcement is Enabled for All Admin Accounts", ORG, None),
    (
        "1.5",
        "Ensure That There Are Only GCP-Managed Service Account Keys for Each Service Account",
        NO_SA_KEYS,
        None,
    ),
    ("1.6", "Ensure That Service Account Has No Admin Privileges", None, None),
    (
        "1.7",
        "Ensure That IAM Users Are Not Assigned the Service Account User or Service Account Token Creator "
        "Roles at Project Level",
        None,
        "gcp-service-account-least-privilege refuses impersonation roles for the platform's service accounts, "
        "not for users",
    ),
    (
        "1.8",
        "Ensure User-Managed/External Keys for Service Accounts Are Rotated Every 90 Days or Fewer",
        NO_SA_KEYS,
        None,
    ),
    (
        "1.9",
        "Ensure That Separation of Duties Is Enforced While Assigning Service Account Related Roles to Users",
        "the platform grants no person a service account role; people are granted access outside the stack",
        None,
    ),
    ("1.10", "Ensure That Cloud KMS Cryptokeys Are Not Anonymously or Publicly Accessible", None, None),
    ("1.11", "Ensure KMS Encryption Keys Are Rotated Within a Period of 90 Days", None, None),
    (
        "1.12",
        "Ensure That Separation of Duties Is Enforced While Assigning KMS Related Roles to Users",
        "the platform grants KMS roles only to service agents (encrypter/decrypter), never to people",
        None,
    ),
    ("1.13", "Ensure API Keys Only Exist for Active Services", NO_API_KEYS, None),
    ("1.14", "Ensure API Keys Are Restricted To Use by Only Specified Hosts and Apps", NO_API_KEYS, None),
    ("1.15", "Ensure API Keys Are Restricted to Only APIs That Application Needs Access", NO_API_KEYS, None),
    ("1.16", "Ensure API Keys Are Rotated Every 90 Days", NO_API_KEYS, None),
    ("1.17", "Ensure Essential Contacts is Configured for Organization", ORG, None),
    (
        "1.18",
        "Ensure Secrets are Not Stored in Cloud Functions Environment Variables by Using Secret Manager",
        "the platform creates no Cloud Function",
        None,
    ),
    ("2.1", "Ensure That Cloud Audit Logging Is Configured Properly", None, None),
    (
        "2.2",
        "Ensure Google Workspace/Cloud Identity Data Sharing with Google Cloud is Enabled for Admin Audit Logging",
        ORG,
        None,
    ),
    (
        "2.3",
        "Ensure That Sinks Are Configured for All Log Entries",
        ACCOUNT + " (an organisation log sink)",
        None,
    ),
    (
        "2.4",
        "Ensure That Retention Policies on Cloud Storage Buckets Used for Exporting Logs Are Configured Using "
        "Bucket Lock",
        "the platform exports no logs to a bucket",
        None,
    ),
    *(
        (cid, title, MONITORING, None)
        for cid, title in (
            ("2.5", "Ensure Log Metric Filter and Alerts Exist for Project Ownership Assignments/Changes"),
            ("2.6", "Ensure That the Log Metric Filter and Alerts Exist for Audit Configuration Changes"),
            ("2.7", "Ensure That the Log Metric Filter and Alerts Exist for Custom Role Changes"),
            (
                "2.8",
                "Ensure That the Log Metric Filter and Alerts Exist for VPC Network Firewall Rule Changes",
            ),
            ("2.9", "Ensure That the Log Metric Filter and Alerts Exist for VPC Network Route Changes"),
            ("2.10", "Ensure That the Log Metric Filter and Alerts Exist for VPC Network Changes"),
            (
                "2.11",
                "Ensure That the Log Metric Filter and Alerts Exist for Cloud Storage IAM Permission Changes",
            ),
        )
    ),
    (
        "2.12",
        "Ensure That the Log Metric Filter and Alerts Exist for SQL Instance Configuration Changes",
        "the platform creates no Cloud SQL instance",
        None,
    ),
    (
        "2.13",
        "Ensure That Cloud DNS Logging Is Enabled for All VPC Networks",
        None,
        "no DNS policy with logging is created for the platform's VPC yet",
    ),
    ("2.14", "Ensure Cloud Asset Inventory Is Enabled", ACCOUNT + " (an API the security team owns)", None),
    ("2.15", "Ensure 'Access Transparency' is 'Enabled'", ORG, None),
    ("2.16", "Ensure 'Access Approval' is 'Enabled'", ORG, None),
    ("2.17", "Ensure Logging is enabled for HTTP(S) Load Balancer", NO_LB, None),
    (
        "3.1",
        "Ensure That the Default Network Does Not Exist in a Project",
        ACCOUNT
        + " (the compute.skipDefaultNetworkCreation organisation policy); the platform builds its own "
        "custom-mode VPC",
        None,
    ),
    ("3.2", "Ensure Legacy Networks Do Not Exist for Older Projects", None, None),
    *(
        (cid, title, "the platform creates no Cloud DNS zone", None)
        for cid, title in (
            ("3.3", "Ensure That DNSSEC Is Enabled for Cloud DNS"),
            ("3.4", "Ensure That RSASHA1 Is Not Used for the Key-Signing Key in Cloud DNS DNSSEC"),
            ("3.5", "Ensure That RSASHA1 Is Not Used for the Zone-Signing Key in Cloud DNS DNSSEC"),
        )
    ),
    ("3.6", "Ensure That SSH Access Is Restricted From the Internet", None, None),
    ("3.7", "Ensure That RDP Access Is Restricted From the Internet", None, None),
    (
        "3.8",
        "Ensure VPC Service Controls Is Enabled for Supported Google Cloud Services",
        ACCOUNT + " (service perimeters are organisation policy)",
        None,
    ),
    (
        "3.9",
        "Ensure Private Service Connect is Used for Access to Google APIs",
        None,
        "Google APIs are reached through Private Google Access (subnet-private-google-access), not a Private "
        "Service Connect endpoint",
    ),
    ("3.10", "Ensure that VPC Flow Logs is Enabled for Every Subnet in a VPC Network", None, None),
    (
        "3.11",
        "Ensure No HTTPS or SSL Proxy Load Balancers Permit SSL Policies With Weak Cipher Suites",
        NO_LB_GCP,
        None,
    ),
    (
        "3.12",
        "Use Identity Aware Proxy (IAP) to Ensure Only Traffic From Google IP Addresses are 'Allowed'",
        NO_LB + "; no ingress from the internet is allowed at all (firewall-no-public-ingress)",
        None,
    ),
    ("4.1", "Ensure That Instances Are Not Configured To Use the Default Service Account", None, None),
    (
        "4.2",
        "Ensure That Instances Are Not Configured To Use the Default Service Account With Full Access to All "
        "Cloud APIs",
        None,
        None,
    ),
    (
        "4.3",
        "Ensure “Block Project-Wide SSH Keys” Is Enabled for VM Instances",
        None,
        "no rule yet reads block-project-ssh-keys in the Workbench instance's metadata",
    ),
    ("4.4", "Ensure Oslogin Is Enabled for a Project", ACCOUNT + " (project metadata)", None),
    (
        "4.5",
        "Ensure ‘Enable Connecting to Serial Ports’ Is Not Enabled for VM Instance",  # noqa: RUF001  (as published)
        None,
        "no rule yet refuses serial-port-enable in instance metadata (Compute Engine's default is off)",
    ),
    (
        "4.6",
        "Ensure That IP Forwarding Is Not Enabled on Instances",
        "GKE nodes need IP forwarding and set it themselves; the Workbench instance API has no such setting",
        None,
    ),
    (
        "4.7",
        "Ensure VM Disks for Critical VMs Are Encrypted With Customer-Supplied Encryption Keys (CSEK)",
        "GKE nodes and Workbench disks cannot take customer-supplied keys; they are encrypted with Cloud KMS "
        "keys instead (gke-node-pool-hardened, workbench-disks-encrypted-with-cmek)",
        None,
    ),
    ("4.8", "Ensure Compute Instances Are Launched With Shielded VM Enabled", None, None),
    ("4.9", "Ensure That Compute Instances Do Not Have Public IP Addresses", None, None),
    (
        "4.10",
        "Ensure That App Engine Applications Enforce HTTPS Connections",
        "the platform creates no App Engine application",
        None,
    ),
    (
        "4.11",
        "Ensure That Compute Instances Have Confidential Computing Enabled",
        None,
        "Confidential GKE Nodes are not designed: they support few GPU machine types",
    ),
    (
        "4.12",
        "Ensure the Latest Operating System Updates Are Installed On Your Virtual Machines in All Projects",
        None,
        None,
    ),
    ("5.1", "Ensure That Cloud Storage Bucket Is Not Anonymously or Publicly Accessible", None, None),
    ("5.2", "Ensure That Cloud Storage Buckets Have Uniform Bucket-Level Access Enabled", None, None),
]

# --- Microsoft cloud security benchmark v1 (learn.microsoft.com/security/benchmark/azure/mcsb-*) -------------
TENANT = ACCOUNT + " (the Entra ID tenant or the subscription's Defender for Cloud plans)"
PROCESS = "an operating procedure of the security team, not a property of any resource"
_MCSB: Final[list[tuple[str, str, str | None, str | None]]] = [
    ("NS-1", "Establish network segmentation boundaries", None, None),
    ("NS-2", "Secure cloud native services with network controls", None, None),
    (
        "NS-3",
        "Deploy firewall at the edge of enterprise network",
        None,
        "egress leaves through the NAT gateway unfiltered (the ML workspace's managed network filters its "
        "own); an Azure Firewall is not designed",
    ),
    ("NS-4", "Deploy intrusion detection/intrusion prevention systems (IDS/IPS)", TENANT, None),
    (
        "NS-5",
        "Deploy DDOS protection",
        "prod exposes no public endpoint (private clusters and private endpoints); the NAT gateway's IP "
        "accepts no inbound connections",
        None,
    ),
    ("NS-6", "Deploy web application firewall", NO_LB, None),
    ("NS-7", "Simplify network security configuration", PROCESS, None),
    ("NS-8", "Detect and disable insecure services and protocols", None, None),
    (
        "NS-9",
        "Connect on-premises or cloud network privately",
        "the platform connects no on-premises network",
        None,
    ),
    ("NS-10", "Ensure Domain Name System (DNS) security", None, None),
    ("IM-1", "Use centralized identity and authentication system", None, None),
    ("IM-2", "Protect identity and authentication systems", TENANT, None),
    ("IM-3", "Manage application identities securely and automatically", None, None),
    ("IM-4", "Authenticate server and services", None, None),
    (
        "IM-5",
        "Use single sign-on (SSO) for application access",
        "the platform publishes no application",
        None,
    ),
    ("IM-6", "Use strong authentication controls", TENANT, None),
    ("IM-7", "Restrict resource access based on conditions", TENANT, None),
    ("IM-8", "Restrict the exposure of credentials and secrets", None, None),
    ("IM-9", "Secure user access to existing applications", "the platform publishes no application", None),
    ("PA-1", "Separate and limit highly privileged/administrative users", None, None),
    ("PA-2", "Avoid standing access for user accounts and permissions", TENANT, None),
    ("PA-3", "Manage lifecycle of identities and entitlements", TENANT, None),
    ("PA-4", "Review and reconcile user access regularly", PROCESS, None),
    ("PA-5", "Set up emergency access", TENANT, None),
    ("PA-6", "Use privileged access workstations", PROCESS, None),
    ("PA-7", "Follow just enough administration (least privilege) principle", None, None),
    ("PA-8", "Determine access process for cloud provider support", TENANT, None),
    ("DP-1", "Discover, classify, and label sensitive data", PROCESS, None),
    ("DP-2", "Monitor anomalies and threats targeting sensitive data", TENANT, None),
    ("DP-3", "Encrypt sensitive data in transit", None, None),
    ("DP-4", "Enable data at rest encryption by default", None, None),
    ("DP-5", "Use customer-managed key option in data at rest encryption when required", None, None),
    ("DP-6", "Use a secure key management process", None, None),
    ("DP-7", "Use a secure certificate management process", "the platform issues no certificate", None),
    ("DP-8", "Ensure security of key and certificate repository", None, None),
    ("LT-1", "Enable threat detection capabilities", TENANT, None),
    ("LT-2", "Enable threat detection for identity and access management", TENANT, None),
    ("LT-3", "Enable logging for security investigation", None, None),
    ("LT-4", "Enable network logging for security investigation", None, None),
    ("LT-5", "Centralize security log management and analysis", None, None),
    ("LT-6", "Configure log storage retention", None, None),
    (
        "LT-7",
        "Use approved time synchronization sources",
        "Azure hosts synchronise time for managed nodes",
        None,
    ),
    ("BR-1", "Ensure regular automated backups", None, None),
    ("BR-2", "Protect backup and recovery data", None, None),
    (
        "BR-3",
        "Monitor backups",
        "the platform keeps no Azure Backup vault; recovery is blob versions and soft delete (BR-1)",
        None,
    ),
    ("BR-4", "Regularly test backup", PROCESS, None),
    ("PV-1", "Define and establish secure configurations", PROCESS + " (this pack is the platform's)", None),
    (
        "PV-2",
        "Audit and enforce secure configurations",
        "this pack enforces the platform's configuration in every preview and deployment as a whole; the "
        "control asks for Azure Policy assignments, " + TENANT,
        None,
    ),
    ("PV-3", "Define and establish secure configurations for compute resources", None, None),
    ("PV-4", "Audit and enforce secure configurations for compute resources", None, None),
    ("PV-5", "Perform vulnerability assessments", TENANT, None),
    ("PV-6", "Rapidly and automatically remediate vulnerabilities", None, None),
    ("PV-7", "Conduct regular red team operations", PROCESS, None),
]

CONTROLS_LIST.extend(
    [*_rows("cis-gke", _GKE), *_rows("cis-aks", _AKS), *_rows("cis-gcp", _CIS_GCP), *_rows("mcsb", _MCSB)]
)

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
