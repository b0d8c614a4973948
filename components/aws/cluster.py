"""An EKS cluster for GPU work: private or allow-listed API, KMS-encrypted secrets, audit logs, GPU pools."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network

import pulumi
import pulumi_aws as aws

from components.aws import iam
from components.aws.node_group import EksNodeGroup, EksNodeGroupArgs, Taint
from components.common.gpu import ACCELERATOR_LABEL, GPU_TAINT, POOL_LABEL, GpuPoolSpec, NodeTaint
from components.common.naming import positional_alias, principal_key

DEFAULT_LOG_TYPES = ("api", "audit", "authenticator")
# The label the NVIDIA device plugin's default affinity selects; set at boot so it never waits for discovery.
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
# Both strategies boot the NVIDIA AMI (driver and container toolkit ship in it): the GPU operator's driver
# containers do not support Amazon Linux 2023, so on EKS the operator runs with its driver and toolkit off.
_AMI_TYPE = {"cloud-managed": "AL2023_x86_64_NVIDIA", "gpu-operator": "AL2023_x86_64_NVIDIA"}
_MANAGED = "arn:aws:iam::aws:policy/"
_CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Team members run jobs in their namespaces (docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
_NAMESPACE_EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
AUTOSCALER_NAMESPACE = "kube-system"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"


def node_taints(pool: GpuPoolSpec) -> tuple[NodeTaint, ...]:
    """What a GPU node group's nodes carry: our GPU taint; EKS adds none of its own, Spot or not."""
    return (GPU_TAINT,)


@dataclass(frozen=True)
class _Role:
    """A role and what grants it permissions: users of the role wait for both (EKS cleans up with them)."""

    role: aws.iam.Role
    grants: list[pulumi.Resource]


@dataclass(frozen=True)
class SystemNodes:
    instance_type: str = "m6i.large"
    min_nodes: int = 1
    max_nodes: int = 3
    disk_size_gb: int = 50
    spot: bool = False  # add-ons restart elsewhere when a spot node is reclaimed; dev accepts that


@dataclass(frozen=True)
class EksClusterArgs:
    cluster_name: str  # physical name: the log group must exist under it before the cluster does
    kubernetes_version: str
    subnet_ids_by_zone: Mapping[str, pulumi.Input[str]]  # private subnets
    secrets_kms_key_arn: pulumi.Input[str]
    volume_kms_key_arn: pulumi.Input[str]
    logs_kms_key_arn: pulumi.Input[str]
    region: str
    tags: Mapping[str, str]
    private_endpoint: bool = True
    public_access_cidrs: Sequence[str] = ()  # required when the endpoint is public; never 0.0.0.0/0
    log_types: Sequence[str] = DEFAULT_LOG_TYPES
    log_retention_days: int = 365
    admin_principal_arns: Sequence[str] = ()
    # Security groups whose members may call the private API endpoint (the deploy runner's), by a stable key
    # ("deploy-runner") that names the rule admitting each.
    api_client_security_group_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # IAM principal ARN -> the namespaces it may edit (team members, through access entries).
    namespace_editors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The identity that deploys the in-cluster layer (the cluster stack's deployer role), made cluster admin.
    # Named, never read from the caller: a preview by another identity would otherwise show it replaced.
    deployer_principal_arn: pulumi.Input[str] | None = None
    system_nodes: SystemNodes = SystemNodes()
    gpu_pools: Sequence[GpuPoolSpec] = field(default_factory=tuple)
    deletion_protection: bool = False
    # Every role the component creates carries it (the deployer may create roles only with it).
    permissions_boundary: pulumi.Input[str] | None = None


def check_endpoint(private_endpoint: bool, public_access_cidrs: Sequence[str]) -> None:
    """A public API endpoint needs an explicit allow-list, and the allow-list is never the whole internet."""
    for cidr in public_access_cidrs:
        if IPv4Network(cidr).prefixlen == 0:
            raise ValueError(
                f"public_access_cidrs: {cidr} opens the API to the internet; list networks instead"
            )
    if not private_endpoint and not public_access_cidrs:
        raise ValueError("a public API endpoint needs public_access_cidrs (the networks that may reach it)")


def kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority: pulumi.Input[str],
    region: str,
) -> pulumi.Output[str]:
    """A kubeconfig (JSON is YAML) whose user gets a token from `aws eks get-token`; no secret is stored in it."""

    def build(values: list[str]) -> str:
        name, server, ca = values
        user = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
                "interactiveMode": "Never",
            }
        }
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}],
                "users": [{"name": name, "user": user}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
            },
            indent=2,
        )

    return pulumi.Output.all(cluster_name, endpoint, certificate_authority).apply(build)


class EksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    gpu_node_group_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_endpoint(args.private_endpoint, args.public_access_cidrs)
        super().__init__("mlplat:aws:EksCluster", name, None, opts)
        self._boundary = args.permissions_boundary
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        subnet_ids = list(args.subnet_ids_by_zone.values())

        # EKS writes control-plane logs here; created first so it has our retention and key, not "never expire".
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane",
            aws.cloudwatch.LogGroupArgs(
                name=f"/aws/eks/{args.cluster_name}/cluster",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_kms_key_arn,
                tags=tags,
            ),
            opts=child,
        )
        self.cluster_role = aws.iam.Role(
            f"{name}-cluster",
            aws.iam.RoleArgs(
                permissions_boundary=self._boundary,
                assume_role_policy=iam.document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "eks.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession"],
                    }
                ),
                tags=tags,
            ),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster",
            aws.iam.RolePolicyAttachmentArgs(
                role=self.cluster_role.name, policy_arn=f"{_MANAGED}AmazonEKSClusterPolicy"
            ),
            opts=child,
        )
        secrets_key = aws.iam.RolePolicy(
            f"{name}-cluster-secrets-key",
            aws.iam.RolePolicyArgs(
                role=self.cluster_role.id,
                policy=iam.document(
                    iam.statement(
                        sid="EnvelopeEncryptSecrets",
                        actions=["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                        resources=[args.secrets_kms_key_arn],
                    )
                ),
            ),
            opts=child,
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            aws.eks.ClusterArgs(
                name=args.cluster_name,
                version=args.kubernetes_version,
                role_arn=self.cluster_role.arn,
                vpc_config=aws.eks.ClusterVpcConfigArgs(
                    subnet_ids=subnet_ids,
                    endpoint_private_access=True,
                    endpoint_public_access=not args.private_endpoint,
                    public_access_cidrs=None if args.private_endpoint else list(args.public_access_cidrs),
                ),
                # Access entries only: who may do what is in the preview, not in a ConfigMap.
                access_config=aws.eks.ClusterAccessConfigArgs(
                    authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
                ),
                encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                    provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.secrets_kms_key_arn),
                    resources=["secrets"],
                ),
                enabled_cluster_log_types=list(args.log_types),
                # Managed add-ons below replace the self-managed defaults.
                bootstrap_self_managed_addons=False,
                # Extended support costs six times standard; upgrade instead of drifting into it.
                upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
                deletion_protection=args.deletion_protection,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.deletion_protection,
                depends_on=[self.log_group, cluster_policy, secrets_key],
            ),
        )
        cluster_name = self.cluster.name
        issuer = self.cluster.identities.apply(lambda ids: (ids[0].oidcs or [])[0].issuer or "")
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            aws.iam.OpenIdConnectProviderArgs(url=issuer, client_id_lists=["sts.amazonaws.com"], tags=tags),
            opts=child,
        )

        self._access(name, args, cluster_name, account)
        self._api_clients(name, args)
        node_role = self._node_role(name, tags)
        early = self._addons_before_nodes(name, args, cluster_name, issuer, tags)
        # pulumi_aws.eks.NodeGroup docs: the role's permissions are created before and deleted after the nodes.
        before_nodes = [*early, *node_role.grants]

        self.system_nodes = EksNodeGroup(
            f"{name}-system",
            EksNodeGroupArgs(
                cluster_name=cluster_name,
                node_role_arn=node_role.role.arn,
                subnet_ids=subnet_ids,
                instance_types=[args.system_nodes.instance_type],
                capacity_type="SPOT" if args.system_nodes.spot else "ON_DEMAND",
                ami_type="AL2023_x86_64_STANDARD",
                min_size=args.system_nodes.min_nodes,
                max_size=args.system_nodes.max_nodes,
                disk_size_gb=args.system_nodes.disk_size_gb,
                volume_kms_key_arn=args.volume_kms_key_arn,
                tags=tags,
                labels={"mlplat.io/node-role": "system"},
                autoscaler_tags=self._autoscaler_tags(args),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=before_nodes),
        )
        self._addons_after_nodes(name, args, cluster_name, account, tags, [self.system_nodes])
        self._autoscaler_identity(name, args, cluster_name, account, tags)

        self.gpu_pools: dict[str, EksNodeGroup] = {}
        for pool in args.gpu_pools:
            self.gpu_pools[pool.name] = self._gpu_pool(
                name, args, pool, cluster_name, node_role, before_nodes
            )

        self.cluster_name = cluster_name
        self.endpoint = self.cluster.endpoint
        self.certificate_authority = self.cluster.certificate_authority.apply(lambda ca: ca.data or "")
        self.oidc_provider_arn = self.oidc_provider.arn
        self.kubeconfig = pulumi.Output.secret(
            kubeconfig(cluster_name, self.endpoint, self.certificate_authority, args.region)
        )
        self.gpu_node_group_names = {p: g.node_group_name for p, g in self.gpu_pools.items()}
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
                "gpu_node_group_names": self.gpu_node_group_names,
            }
        )

    @staticmethod
    def _autoscaler_tags(args: EksClusterArgs) -> dict[str, str]:
        return {
            "k8s.io/cluster-autoscaler/enabled": "true",
            f"k8s.io/cluster-autoscaler/{args.cluster_name}": "owned",
        }

    def _gpu_pool(
        self,
        name: str,
        args: EksClusterArgs,
        pool: GpuPoolSpec,
        cluster_name: pulumi.Output[str],
        node_role: _Role,
        early: Sequence[pulumi.Resource],
    ) -> EksNodeGroup:
        zones = list(pool.zones or args.subnet_ids_by_zone)
        unknown = [z for z in zones if z not in args.subnet_ids_by_zone]
        if unknown:
            raise ValueError(f"GPU pool {pool.name}: zones {', '.join(unknown)} have no private subnet")
        return EksNodeGroup(
            f"{name}-gpu-{pool.name}",
            EksNodeGroupArgs(
                cluster_name=cluster_name,
                node_role_arn=node_role.role.arn,
                subnet_ids=[args.subnet_ids_by_zone[z] for z in zones],
                instance_types=[pool.instance_type],
                ami_type=_AMI_TYPE[pool.driver_strategy],
                capacity_type="SPOT" if pool.spot else "ON_DEMAND",
                min_size=pool.min_nodes,
                max_size=pool.max_nodes,
                disk_size_gb=pool.disk_size_gb,
                volume_kms_key_arn=args.volume_kms_key_arn,
                tags=tags_for_pool(args.tags, pool),
                labels={**pool.node_labels, GPU_PRESENT_LABEL: "true"},
                taints=[Taint(t.key, t.value, t.effect) for t in node_taints(pool)],
                autoscaler_tags=self._autoscaler_tags(args),
                template_resources={"nvidia.com/gpu": str(pool.gpus_per_node)},
                node_group_name_prefix=f"gpu-{pool.name}-",
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(early)),
        )

    def _access(
        self, name: str, args: EksClusterArgs, cluster_name: pulumi.Output[str], account: pulumi.Output[str]
    ) -> None:
        """One access entry per principal, named by the principal (never by its place in a list).

        EKS holds one access entry per principal (CreateAccessEntry answers ResourceInUseException for a
        second), so the settings refuse a principal in two roles; a member of several teams is one entry
        scoped to all of its namespaces. Aliases keep the positional names of stacks deployed before.
        """
        cluster_wide = aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
        if args.deployer_principal_arn is not None:
            self._access_entry(
                f"{name}-deployer",
                args,
                cluster_name,
                args.deployer_principal_arn,
                _CLUSTER_ADMIN,
                cluster_wide,
            )
        for i, arn in enumerate(args.admin_principal_arns):
            self._access_entry(
                f"{name}-admin-{principal_key(arn)}",
                args,
                cluster_name,
                arn,
                _CLUSTER_ADMIN,
                cluster_wide,
                old_name=f"{name}-admin-{i}",
            )
        for i, (principal, namespaces) in enumerate(sorted(args.namespace_editors.items())):
            scope = aws.eks.AccessPolicyAssociationAccessScopeArgs(
                type="namespace", namespaces=sorted(set(namespaces))
            )
            self._access_entry(
                f"{name}-member-{principal_key(principal)}",
                args,
                cluster_name,
                principal,
                _NAMESPACE_EDIT,
                scope,
                old_name=f"{name}-member-{i}",
            )

    def _access_entry(
        self,
        name: str,
        args: EksClusterArgs,
        cluster_name: pulumi.Output[str],
        principal: pulumi.Input[str],
        policy_arn: str,
        scope: aws.eks.AccessPolicyAssociationAccessScopeArgs,
        old_name: str | None = None,
    ) -> None:
        """An access entry for `principal` and the one access policy it holds, at `scope`."""
        opts = pulumi.ResourceOptions(parent=self, aliases=positional_alias(name, old_name))
        entry = aws.eks.AccessEntry(
            name,
            aws.eks.AccessEntryArgs(
                cluster_name=cluster_name, principal_arn=principal, type="STANDARD", tags=dict(args.tags)
            ),
            opts=opts,
        )
        aws.eks.AccessPolicyAssociation(
            name,
            aws.eks.AccessPolicyAssociationArgs(
                cluster_name=cluster_name,
                principal_arn=entry.principal_arn,
                policy_arn=policy_arn,
                access_scope=scope,
            ),
            opts=opts,
        )

    def _pod_identity_trust(
        self, account: pulumi.Output[str], namespace: str, service_account: str
    ) -> pulumi.Output[str]:
        """EKS User Guide (Pod Identity role trust): only this account's cluster, for one service account,
        may assume the role (confused-deputy conditions plus the session tags EKS sets)."""
        return iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account,
                        "aws:RequestTag/kubernetes-namespace": namespace,
                        "aws:RequestTag/kubernetes-service-account": service_account,
                    },
                    "ArnEquals": {"aws:SourceArn": self.cluster.arn},
                },
            }
        )

    def _autoscaler_identity(
        self,
        name: str,
        args: EksClusterArgs,
        cluster_name: pulumi.Output[str],
        account: pulumi.Output[str],
        tags: dict[str, str],
    ) -> None:
        """The cluster autoscaler's AWS identity through Pod Identity: it resizes only this cluster's groups
        (their `k8s.io/cluster-autoscaler/<cluster>` tag) and reads what it needs to build nodes from zero
        (github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md)."""
        trust = self._pod_identity_trust(account, AUTOSCALER_NAMESPACE, AUTOSCALER_SERVICE_ACCOUNT)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cluster-autoscaler",
            aws.iam.RoleArgs(permissions_boundary=self._boundary, assume_role_policy=trust, tags=tags),
            opts=child,
        )
        policy = iam.document(
            iam.statement(
                sid="ResizeThisClustersGroups",
                actions=["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{args.cluster_name}": "owned"
                    }
                },
            ),
            iam.statement(
                sid="DescribeGroupsAndInstanceTypes",
                actions=[
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                resources=["*"],
            ),
            iam.statement(
                sid="ReadThisClustersNodeGroups",
                actions=["eks:DescribeNodegroup"],
                resources=[
                    pulumi.Output.concat(
                        "arn:aws:eks:", args.region, ":", account, ":nodegroup/", args.cluster_name, "/*/*"
                    )
                ],
            ),
        )
        aws.iam.RolePolicy(
            f"{name}-cluster-autoscaler", aws.iam.RolePolicyArgs(role=role.id, policy=policy), opts=child
        )
        aws.eks.PodIdentityAssociation(
            f"{name}-cluster-autoscaler",
            aws.eks.PodIdentityAssociationArgs(
                cluster_name=cluster_name,
                namespace=AUTOSCALER_NAMESPACE,
                service_account=AUTOSCALER_SERVICE_ACCOUNT,
                role_arn=role.arn,
                tags=tags,
            ),
            opts=child,
        )

    def _api_clients(self, name: str, args: EksClusterArgs) -> None:
        """The private endpoint answers only what the cluster security group admits; admit HTTPS from the
        deploy runner (EKS docs, "Cluster private endpoint": allow 443 from the clients' security group).

        Rules are named by the client's key: EC2 refuses a duplicate rule (InvalidPermission.Duplicate), so a
        rename by position would fail; the alias keeps the name `api-client-0` of stacks deployed before.
        """
        cluster_sg = self.cluster.vpc_config.cluster_security_group_id
        for i, (key, client) in enumerate(args.api_client_security_group_ids.items()):
            rule_name = f"{name}-api-client-{key}"
            aws.vpc.SecurityGroupIngressRule(
                rule_name,
                aws.vpc.SecurityGroupIngressRuleArgs(
                    security_group_id=cluster_sg.apply(lambda sg: sg or ""),
                    referenced_security_group_id=client,
                    ip_protocol="tcp",
                    from_port=443,
                    to_port=443,
                    description="Kubernetes API from the deploy runner",
                    tags=dict(args.tags),
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, aliases=positional_alias(rule_name, f"{name}-api-client-{i}")
                ),
            )

    def _node_role(self, name: str, tags: dict[str, str]) -> _Role:
        """Nodes join and pull images; the CNI and CSI drivers get their own roles, not the node's."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-node",
            aws.iam.RoleArgs(
                permissions_boundary=self._boundary,
                assume_role_policy=iam.assume_role_policy("ec2.amazonaws.com"),
                tags=tags,
            ),
            opts=child,
        )
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                aws.iam.RolePolicyAttachmentArgs(role=role.name, policy_arn=f"{_MANAGED}{policy}"),
                opts=child,
            )
            for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
        ]
        return _Role(role, grants)

    def _service_account_role(
        self,
        name: str,
        *,
        trust: pulumi.Input[str],
        managed_policy: str,
        tags: dict[str, str],
        inline: pulumi.Input[str] | None = None,
    ) -> _Role:
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            aws.iam.RoleArgs(permissions_boundary=self._boundary, assume_role_policy=trust, tags=tags),
            opts=child,
        )
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                name,
                aws.iam.RolePolicyAttachmentArgs(role=role.name, policy_arn=f"{_MANAGED}{managed_policy}"),
                opts=child,
            )
        ]
        if inline is not None:
            grants.append(
                aws.iam.RolePolicy(name, aws.iam.RolePolicyArgs(role=role.id, policy=inline), opts=child)
            )
        return _Role(role, grants)

    def _addons_before_nodes(
        self,
        name: str,
        args: EksClusterArgs,
        cluster_name: pulumi.Output[str],
        issuer: pulumi.Output[str],
        tags: dict[str, str],
    ) -> list[pulumi.Resource]:
        """Networking add-ons nodes need to become Ready; the VPC CNI authenticates through IRSA."""
        host = issuer.apply(lambda url: url.removeprefix("https://"))
        cni_trust = iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": self.oidc_provider.arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        pulumi.Output.concat(host, ":sub"): "system:serviceaccount:kube-system:aws-node",
                        pulumi.Output.concat(host, ":aud"): "sts.amazonaws.com",
                    }
                },
            }
        )
        cni_role = self._service_account_role(
            f"{name}-vpc-cni", trust=cni_trust, managed_policy="AmazonEKS_CNI_Policy", tags=tags
        )
        return [
            self._addon(
                name,
                cluster_name,
                "vpc-cni",
                tags,
                service_account_role_arn=cni_role.role.arn,
                depends_on=cni_role.grants,
            ),
            self._addon(name, cluster_name, "kube-proxy", tags),
            self._addon(name, cluster_name, "eks-pod-identity-agent", tags),
        ]

    def _addons_after_nodes(
        self,
        name: str,
        args: EksClusterArgs,
        cluster_name: pulumi.Output[str],
        account: pulumi.Output[str],
        tags: dict[str, str],
        nodes: list[pulumi.Resource],
    ) -> None:
        """Add-ons that schedule pods wait for nodes; the EBS CSI driver authenticates through Pod Identity."""
        trust = self._pod_identity_trust(account, "kube-system", "ebs-csi-controller-sa")
        # Persistent volumes are encrypted with the platform's volume key, so the driver needs to use it.
        volume_key = iam.document(
            iam.statement(
                sid="EncryptVolumesWithThePlatformKey",
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                resources=[args.volume_kms_key_arn],
            ),
            iam.statement(
                sid="GrantTheKeyToAttachedVolumes",
                actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                resources=[args.volume_kms_key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        )
        ebs_role = self._service_account_role(
            f"{name}-ebs-csi",
            trust=trust,
            managed_policy="service-role/AmazonEBSCSIDriverPolicy",
            tags=tags,
            inline=volume_key,
        )
        self._addon(name, cluster_name, "coredns", tags, depends_on=nodes)
        self._addon(
            name,
            cluster_name,
            "aws-ebs-csi-driver",
            tags,
            depends_on=[*nodes, *ebs_role.grants],
            pod_identity=[
                aws.eks.AddonPodIdentityAssociationArgs(
                    service_account="ebs-csi-controller-sa", role_arn=ebs_role.role.arn
                )
            ],
        )

    def _addon(
        self,
        name: str,
        cluster_name: pulumi.Output[str],
        addon: str,
        tags: dict[str, str],
        *,
        service_account_role_arn: pulumi.Input[str] | None = None,
        pod_identity: Sequence[aws.eks.AddonPodIdentityAssociationArgs] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon}",
            aws.eks.AddonArgs(
                cluster_name=cluster_name,
                addon_name=addon,
                service_account_role_arn=service_account_role_arn,
                pod_identity_associations=list(pod_identity) if pod_identity else None,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )


def tags_for_pool(tags: Mapping[str, str], pool: GpuPoolSpec) -> dict[str, str]:
    """Platform tags plus the pool and accelerator, so GPU spend can be split by pool."""
    return {**tags, POOL_LABEL: pool.name, ACCELERATOR_LABEL: pool.accelerator}
