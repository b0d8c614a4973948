"""A CodeBuild-hosted GitHub Actions runner inside the platform VPC: where `pulumi up` reaches a private EKS API.

A workflow job with `runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}` starts a
build of this project, which registers itself as an ephemeral runner for that one job
(https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html). The build runs in the private
subnets, so the cluster's private endpoint resolves and answers; it leaves through the VPC's NAT for
GitHub, the clouds' APIs and the state backend. It holds no deploy rights: the job still assumes its
deploy role through GitHub's OIDC token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws import iam

# CodeBuild's curated Ubuntu 22.04 image: git, node and the AWS CLI v2 (`aws eks get-token`); actions/setup-python
# supports Ubuntu runners.
RUNNER_IMAGE = "aws/codebuild/standard:7.0"

# (type, pattern) of the one webhook filter group: queued jobs of the workflows that deploy, check drift or
# destroy (their `name:`), on main only. README "Where each deploy runs" says why each is needed.
RUNNER_WEBHOOK_FILTERS = (
    ("EVENT", "WORKFLOW_JOB_QUEUED"),
    ("WORKFLOW_NAME", "^(deploy|drift|destroy)$"),
    ("HEAD_REF", "^(refs/heads/)?main$"),
)


def deploy_runner_project(project: str, stack: str) -> str:
    """The CodeBuild project of a stack's runner; deploy jobs name it in `runs-on` (see deploy.yml)."""
    return f"{project}-{stack}-deploy"


@dataclass(frozen=True)
class DeployRunnerArgs:
    project_name: str  # the `codebuild-<project_name>-...` label workflow jobs run on
    repository_url: str  # https://github.com/<owner>/<repo>: the only repository whose jobs it runs
    connection_arn: str  # a CodeConnections GitHub connection, authorized once by hand
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]  # private subnets (NAT egress)
    logs_kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    log_retention_days: int = 365
    compute_type: str = "BUILD_GENERAL1_SMALL"  # 2 vCPU / 3 GB; a deploy is network-bound
    # Every role the component creates carries it (the deployer may create roles only with it).
    permissions_boundary: pulumi.Input[str] | None = None


class DeployRunner(pulumi.ComponentResource):
    project_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: DeployRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:aws:DeployRunner", name, None, opts)
        self._boundary = args.permissions_boundary
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        # Outbound HTTPS only (GitHub, cloud APIs, the EKS endpoint); nothing may connect to a runner.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            aws.ec2.SecurityGroupArgs(
                vpc_id=args.vpc_id,
                description="mlplat deploy runner: HTTPS out, nothing in",
                egress=[
                    aws.ec2.SecurityGroupEgressArgs(
                        protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"]
                    )
                ],
                tags=tags,
            ),
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            aws.cloudwatch.LogGroupArgs(
                name=f"/aws/codebuild/{args.project_name}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_kms_key_arn,
                tags=tags,
            ),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            aws.iam.RoleArgs(
                permissions_boundary=self._boundary,
                assume_role_policy=iam.assume_role_policy("codebuild.amazonaws.com", source_account=account),
                tags=tags,
            ),
            opts=child,
        )
        # What a VPC build needs (docs: "Allow CodeBuild access to AWS services to create a VPC network
        # interface"), its logs, and the GitHub connection; no deploy rights.
        network_interface = pulumi.Output.concat("arn:aws:ec2:", region, ":", account, ":network-interface/*")
        aws.iam.RolePolicy(
            f"{name}-role",
            aws.iam.RolePolicyArgs(
                role=self.role.id,
                policy=iam.document(
                    iam.statement(
                        sid="Logs",
                        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources=[pulumi.Output.concat(self.log_group.arn, ":*")],
                    ),
                    iam.statement(
                        sid="DescribeNetwork",
                        actions=[
                            "ec2:CreateNetworkInterface",
                            "ec2:DescribeDhcpOptions",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DeleteNetworkInterface",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeVpcs",
                        ],
                        resources=["*"],
                    ),
                    iam.statement(
                        sid="AttachToThePrivateSubnets",
                        actions=["ec2:CreateNetworkInterfacePermission"],
                        resources=[network_interface],
                        conditions={"StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"}},
                    ),
                    iam.statement(
                        sid="GitHubConnection",
                        actions=["codeconnections:GetConnectionToken", "codeconnections:GetConnection"],
                        resources=[args.connection_arn],
                    ),
                ),
            ),
            opts=child,
        )
        self.project = aws.codebuild.Project(
            f"{name}-project",
            aws.codebuild.ProjectArgs(
                name=args.project_name,
                description="Ephemeral GitHub Actions runners for mlplat deploys, inside the platform VPC",
                service_role=self.role.arn,
                source=aws.codebuild.ProjectSourceArgs(
                    type="GITHUB",
                    location=args.repository_url,
                    auth=aws.codebuild.ProjectSourceAuthArgs(
                        type="CODECONNECTIONS", resource=args.connection_arn
                    ),
                ),
                artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
                environment=aws.codebuild.ProjectEnvironmentArgs(
                    type="LINUX_CONTAINER",
                    compute_type=args.compute_type,
                    image=RUNNER_IMAGE,
                    image_pull_credentials_type="CODEBUILD",
                ),
                vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                    vpc_id=args.vpc_id,
                    subnets=list(args.subnet_ids),
                    security_group_ids=[self.security_group.id],
                ),
                logs_config=aws.codebuild.ProjectLogsConfigArgs(
                    cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                        group_name=self.log_group.name, status="ENABLED"
                    )
                ),
                # A first deploy of three clouds can run long; CodeBuild stops a build at this limit.
                build_timeout=180,
                tags=tags,
            ),
            opts=child,
        )
        # Starts a build only for a queued job of main's deploy, drift or destroy workflow: one filter group,
        # every filter of which must match (CodeBuild "GitHub webhook events": a group triggers when all its
        # filters match; WORKFLOW_NAME and HEAD_REF apply to WORKFLOW_JOB_QUEUED,
        # https://docs.aws.amazon.com/codebuild/latest/userguide/github-webhook.html). A pull request's own
        # workflow naming this runner runs on its branch, so HEAD_REF refuses it.
        aws.codebuild.Webhook(
            f"{name}-webhook",
            aws.codebuild.WebhookArgs(
                project_name=self.project.name,
                build_type="BUILD",
                filter_groups=[
                    aws.codebuild.WebhookFilterGroupArgs(
                        filters=[
                            aws.codebuild.WebhookFilterGroupFilterArgs(type=kind, pattern=pattern)
                            for kind, pattern in RUNNER_WEBHOOK_FILTERS
                        ]
                    )
                ],
            ),
            opts=child,
        )
        self.project_name = self.project.name
        self.security_group_id = self.security_group.id
        self.register_outputs(
            {"project_name": self.project_name, "security_group_id": self.security_group_id}
        )
