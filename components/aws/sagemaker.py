"""A SageMaker Studio domain that lives only in the VPC: KMS-encrypted, least privilege, idle apps shut down."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import pulumi
import pulumi_aws as aws

from components.aws import iam

Outbound = Literal["internet", "approvedOnly"]
_Idle = TypeVar("_Idle")  # the idle-settings Args class of one app type

# Studio has no API switch for root in JupyterLab/Code Editor: the run-as user has sudo by default.
# This lifecycle configuration takes it away before the user's session starts.
REVOKE_SUDO_SCRIPT = """#!/bin/bash
# mlplat: workspace.rootAccess is false, so the run-as user loses sudo when the app starts.
set -eu
if sudo -n true 2>/dev/null; then
  sudo -n sh -c 'sed -i -E "/^(sagemaker-user|%sudo|%admin)[[:space:]]/d" /etc/sudoers; rm -f /etc/sudoers.d/*; gpasswd -d sagemaker-user sudo >/dev/null 2>&1 || true'
fi
"""

# Studio apps talk to each other on these ports and mount the home EFS on NFS (AWS's VpcOnly guidance).
_NFS_PORT = 2049
_APP_PORTS = (8192, 65535)

# SageMaker jobs started from Studio must run in the VPC and encrypt their volumes with a key.
_JOB_ACTIONS = ("CreateTrainingJob", "CreateProcessingJob", "CreateHyperParameterTuningJob")
# AWS Deep Learning Containers live in this account; training jobs pull them with the execution role.
_AWS_DLC_ACCOUNT = "763104351884"


@dataclass(frozen=True)
class SageMakerWorkspaceArgs:
    domain_name: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_ids: Sequence[pulumi.Input[str]]  # private subnets: Studio ENIs never get public addresses
    kms_key_arn: pulumi.Input[str]  # the domain's EFS and space EBS volumes
    bucket_arns: Sequence[pulumi.Input[str]]  # what the execution role may read and write
    data_kms_key_arns: Sequence[pulumi.Input[str]]  # keys those buckets are encrypted with
    region: str
    tags: Mapping[str, str]
    users: Sequence[str] = ()
    idle_timeout_minutes: int = 60
    outbound: Outbound = "approvedOnly"  # approvedOnly: HTTPS to the VPC's endpoints and S3 only
    s3_prefix_list_id: pulumi.Input[str] | None = None  # the S3 gateway endpoint's prefix list
    root_access: bool = False
    docker_access: bool = False
    retain_home_storage: bool = True  # keep the home EFS when the domain is deleted
    deletion_protection: bool = False
    # Every role the component creates carries it (the deployer may create roles only with it).
    permissions_boundary: pulumi.Input[str] | None = None


class SageMakerWorkspace(pulumi.ComponentResource):
    domain_id: pulumi.Output[str]
    domain_arn: pulumi.Output[str]
    studio_url: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    user_profile_names: list[str]

    def __init__(
        self, name: str, args: SageMakerWorkspaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.idle_timeout_minutes < 60:
            raise ValueError("SageMaker idle shutdown needs at least 60 minutes")
        if args.outbound == "approvedOnly" and args.s3_prefix_list_id is None:
            raise ValueError("approvedOnly outbound needs the S3 gateway endpoint's prefix list")
        super().__init__("mlplat:aws:SageMakerWorkspace", name, None, opts)
        self._boundary = args.permissions_boundary
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        self.security_group = self._security_group(name, args, tags)
        self.role = self._execution_role(name, args, tags)
        lifecycle_configs = {} if args.root_access else self._revoke_sudo(name, args, tags)
        sgs = [self.security_group.id]
        role_arn = self.role.arn

        def idle(args_type: Callable[..., _Idle]) -> _Idle:
            return args_type(
                lifecycle_management="ENABLED",
                idle_timeout_in_minutes=args.idle_timeout_minutes,
                min_idle_timeout_in_minutes=60,
                max_idle_timeout_in_minutes=args.idle_timeout_minutes,
            )

        jupyter = lifecycle_configs.get("JupyterLab")
        code_editor = lifecycle_configs.get("CodeEditor")
        s = aws.sagemaker
        user_settings = s.DomainDefaultUserSettingsArgs(
            execution_role=role_arn,
            security_groups=sgs,
            studio_web_portal="ENABLED",
            default_landing_uri="studio::",
            jupyter_lab_app_settings=s.DomainDefaultUserSettingsJupyterLabAppSettingsArgs(
                app_lifecycle_management=s.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementArgs(
                    idle_settings=idle(
                        s.DomainDefaultUserSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettingsArgs
                    )
                ),
                lifecycle_config_arns=[jupyter.arn] if jupyter else None,
                default_resource_spec=(
                    s.DomainDefaultUserSettingsJupyterLabAppSettingsDefaultResourceSpecArgs(
                        lifecycle_config_arn=jupyter.arn
                    )
                    if jupyter
                    else None
                ),
            ),
            code_editor_app_settings=s.DomainDefaultUserSettingsCodeEditorAppSettingsArgs(
                app_lifecycle_management=s.DomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagementArgs(
                    idle_settings=idle(
                        s.DomainDefaultUserSettingsCodeEditorAppSettingsAppLifecycleManagementIdleSettingsArgs
                    )
                ),
                lifecycle_config_arns=[code_editor.arn] if code_editor else None,
                default_resource_spec=(
                    s.DomainDefaultUserSettingsCodeEditorAppSettingsDefaultResourceSpecArgs(
                        lifecycle_config_arn=code_editor.arn
                    )
                    if code_editor
                    else None
                ),
            ),
        )
        # Shared spaces read these, not the user settings: without them a space runs in no security group.
        space_settings = s.DomainDefaultSpaceSettingsArgs(
            execution_role=role_arn,
            security_groups=sgs,
            jupyter_lab_app_settings=s.DomainDefaultSpaceSettingsJupyterLabAppSettingsArgs(
                app_lifecycle_management=s.DomainDefaultSpaceSettingsJupyterLabAppSettingsAppLifecycleManagementArgs(
                    idle_settings=idle(
                        s.DomainDefaultSpaceSettingsJupyterLabAppSettingsAppLifecycleManagementIdleSettingsArgs
                    )
                ),
                lifecycle_config_arns=[jupyter.arn] if jupyter else None,
                default_resource_spec=(
                    s.DomainDefaultSpaceSettingsJupyterLabAppSettingsDefaultResourceSpecArgs(
                        lifecycle_config_arn=jupyter.arn
                    )
                    if jupyter
                    else None
                ),
            ),
        )
        self.domain = s.Domain(
            f"{name}-domain",
            s.DomainArgs(
                domain_name=args.domain_name,
                auth_mode="IAM",
                app_network_access_type="VpcOnly",
                vpc_id=args.vpc_id,
                subnet_ids=list(args.subnet_ids),
                kms_key_id=args.kms_key_arn,
                default_user_settings=user_settings,
                default_space_settings=space_settings,
                domain_settings=s.DomainDomainSettingsArgs(
                    docker_settings=s.DomainDomainSettingsDockerSettingsArgs(
                        enable_docker_access="ENABLED" if args.docker_access else "DISABLED"
                    ),
                    # CloudTrail records which user profile made each call, not just the shared role.
                    execution_role_identity_config="USER_PROFILE_NAME",
                ),
                retention_policy=s.DomainRetentionPolicyArgs(
                    home_efs_file_system="Retain" if args.retain_home_storage else "Delete"
                ),
                tag_propagation="ENABLED",
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protection),
        )
        self.user_profiles: dict[str, aws.sagemaker.UserProfile] = {}
        for user in args.users:
            self.user_profiles[user] = s.UserProfile(
                f"{name}-{user}",
                s.UserProfileArgs(
                    domain_id=self.domain.id,
                    user_profile_name=user,
                    user_settings=s.UserProfileUserSettingsArgs(execution_role=role_arn, security_groups=sgs),
                    tags={**tags, "studiouserid": user},
                ),
                opts=child,
            )

        self.domain_id = self.domain.id
        self.domain_arn = self.domain.arn
        self.studio_url = self.domain.url
        self.execution_role_arn = role_arn
        self.security_group_id = self.security_group.id
        self.user_profile_names = list(args.users)
        self.register_outputs(
            {
                "domain_id": self.domain_id,
                "domain_arn": self.domain_arn,
                "studio_url": self.studio_url,
                "execution_role_arn": self.execution_role_arn,
                "security_group_id": self.security_group_id,
            }
        )

    def _security_group(
        self, name: str, args: SageMakerWorkspaceArgs, tags: dict[str, str]
    ) -> aws.ec2.SecurityGroup:
        within = [
            aws.ec2.SecurityGroupIngressArgs(
                description="Home EFS (NFS) between Studio apps",
                protocol="tcp",
                from_port=_NFS_PORT,
                to_port=_NFS_PORT,
                self=True,
            ),
            aws.ec2.SecurityGroupIngressArgs(
                description="Studio app-to-app traffic",
                protocol="tcp",
                from_port=_APP_PORTS[0],
                to_port=_APP_PORTS[1],
                self=True,
            ),
        ]
        if args.outbound == "internet":
            egress = [
                aws.ec2.SecurityGroupEgressArgs(
                    description="Anywhere, through the NAT gateway",
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ]
        else:
            assert args.s3_prefix_list_id is not None
            egress = [
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to the VPC's AWS service endpoints",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[args.vpc_cidr],
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to S3 through the gateway endpoint",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    prefix_list_ids=[args.s3_prefix_list_id],
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="Home EFS (NFS)",
                    protocol="tcp",
                    from_port=_NFS_PORT,
                    to_port=_NFS_PORT,
                    self=True,
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="Studio app-to-app traffic",
                    protocol="tcp",
                    from_port=_APP_PORTS[0],
                    to_port=_APP_PORTS[1],
                    self=True,
                ),
            ]
        return aws.ec2.SecurityGroup(
            f"{name}-apps",
            aws.ec2.SecurityGroupArgs(
                vpc_id=args.vpc_id,
                description="SageMaker Studio apps: no ingress from outside the group",
                ingress=within,
                egress=egress,
                tags={**tags, "Name": f"{name}-apps"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _execution_role(self, name: str, args: SageMakerWorkspaceArgs, tags: dict[str, str]) -> aws.iam.Role:
        """Least privilege: the platform's buckets and keys, SageMaker in this account, jobs only in the VPC."""
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        trust = iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                # SetSourceIdentity: the domain stamps each session with the user profile name.
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        )
        role = aws.iam.Role(
            f"{name}-execution",
            aws.iam.RoleArgs(
                permissions_boundary=self._boundary,
                description="SageMaker Studio execution role (mlplat, least privilege)",
                assume_role_policy=trust,
                tags=tags,
            ),
            opts=child,
        )
        in_account = pulumi.Output.concat("arn:aws:sagemaker:", args.region, ":", account, ":*")
        objects = [pulumi.Output.concat(arn, "/*") for arn in args.bucket_arns]
        keys = [args.kms_key_arn, *args.data_kms_key_arns]
        # SageMaker Python SDK (Session.default_bucket): jobs and pipelines stage code and output in
        # sagemaker-<region>-<account>, created on first use, unless a caller names another bucket.
        sdk_bucket = pulumi.Output.concat("arn:aws:s3:::sagemaker-", args.region, "-", account)
        statements = [
            iam.statement(
                sid="SdkDefaultBucket",
                actions=["s3:CreateBucket", "s3:ListBucket", "s3:GetBucketLocation"],
                resources=[sdk_bucket],
            ),
            iam.statement(
                sid="SdkDefaultBucketObjects",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources=[pulumi.Output.concat(sdk_bucket, "/*")],
            ),
            iam.statement(
                sid="ListPlatformBuckets",
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=list(args.bucket_arns),
            ),
            iam.statement(
                sid="ReadWritePlatformObjects",
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources=objects,
            ),
            iam.statement(
                sid="UsePlatformKeys",
                actions=[
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                resources=keys,
            ),
            iam.statement(
                sid="GrantPlatformKeysToSageMakerVolumes",
                actions=["kms:CreateGrant"],
                resources=keys,
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
            iam.statement(
                sid="SageMakerInThisAccount",
                actions=[
                    "sagemaker:Describe*",
                    "sagemaker:List*",
                    "sagemaker:Search",
                    "sagemaker:AddTags",
                    "sagemaker:CreateApp",
                    "sagemaker:DeleteApp",
                    "sagemaker:CreateSpace",
                    "sagemaker:UpdateSpace",
                    "sagemaker:DeleteSpace",
                    *(f"sagemaker:{a}" for a in _JOB_ACTIONS),
                    "sagemaker:CreateTransformJob",
                    "sagemaker:StopTrainingJob",
                    "sagemaker:StopProcessingJob",
                    "sagemaker:StopHyperParameterTuningJob",
                    "sagemaker:StopTransformJob",
                    "sagemaker:CreateModel",
                    "sagemaker:DeleteModel",
                    "sagemaker:CreateEndpointConfig",
                    "sagemaker:DeleteEndpointConfig",
                    "sagemaker:CreateEndpoint",
                    "sagemaker:UpdateEndpoint",
                    "sagemaker:DeleteEndpoint",
                    "sagemaker:InvokeEndpoint",
                    "sagemaker:CreateExperiment",
                    "sagemaker:CreateTrial",
                    "sagemaker:CreateTrialComponent",
                    "sagemaker:UpdateTrialComponent",
                    "sagemaker:AssociateTrialComponent",
                ],
                resources=in_account,
            ),
            iam.statement(
                sid="JobsRunInTheVpc",
                effect="Deny",
                actions=[f"sagemaker:{a}" for a in _JOB_ACTIONS],
                resources="*",
                conditions={"Null": {"sagemaker:VpcSubnets": "true"}},
            ),
            iam.statement(
                sid="JobVolumesUseAKey",
                effect="Deny",
                actions=[f"sagemaker:{a}" for a in _JOB_ACTIONS],
                resources="*",
                conditions={"Null": {"sagemaker:VolumeKmsKey": "true"}},
            ),
            iam.statement(
                sid="PassOnlyThisRoleOnlyToSageMaker",
                actions=["iam:PassRole"],
                resources=role.arn,
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            ),
            iam.statement(sid="EcrLogin", actions=["ecr:GetAuthorizationToken"], resources="*"),
            iam.statement(
                sid="PullAccountAndAwsDeepLearningImages",
                actions=[
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
                resources=[
                    pulumi.Output.concat("arn:aws:ecr:", args.region, ":", account, ":repository/*"),
                    f"arn:aws:ecr:{args.region}:{_AWS_DLC_ACCOUNT}:repository/*",
                ],
            ),
            iam.statement(
                sid="SageMakerLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                    "logs:GetLogEvents",
                ],
                resources=pulumi.Output.concat(
                    "arn:aws:logs:", args.region, ":", account, ":log-group:/aws/sagemaker/*"
                ),
            ),
            iam.statement(
                sid="SageMakerMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources="*",
                conditions={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}},
            ),
            # VPC-mode jobs attach ENIs in the private subnets; these EC2 calls take no resource ARNs.
            iam.statement(
                sid="JobNetworkInterfaces",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteNetworkInterfacePermission",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeDhcpOptions",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                ],
                resources="*",
            ),
        ]
        aws.iam.RolePolicy(
            f"{name}-execution",
            aws.iam.RolePolicyArgs(role=role.id, policy=iam.document(*statements)),
            opts=child,
        )
        return role

    def _revoke_sudo(
        self, name: str, args: SageMakerWorkspaceArgs, tags: dict[str, str]
    ) -> dict[str, aws.sagemaker.StudioLifecycleConfig]:
        content = base64.b64encode(REVOKE_SUDO_SCRIPT.encode()).decode()
        configs: dict[str, aws.sagemaker.StudioLifecycleConfig] = {}
        for app_type, suffix in (("JupyterLab", "jupyterlab"), ("CodeEditor", "codeeditor")):
            configs[app_type] = aws.sagemaker.StudioLifecycleConfig(
                f"{name}-no-sudo-{suffix}",
                aws.sagemaker.StudioLifecycleConfigArgs(
                    studio_lifecycle_config_name=f"{args.domain_name}-no-sudo-{suffix}",
                    studio_lifecycle_config_app_type=app_type,
                    studio_lifecycle_config_content=content,
                    tags=tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return configs
