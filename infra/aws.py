"""The AWS part of the platform: keys, network, buckets, SageMaker workspace, EKS with GPU pools, budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws_sdk

from components.aws import (
    EksCluster,
    EksClusterArgs,
    KmsKey,
    KmsKeyArgs,
    MonthlyBudget,
    MonthlyBudgetArgs,
    Network,
    NetworkArgs,
    SageMakerWorkspace,
    SageMakerWorkspaceArgs,
    SecureBucket,
    SecureBucketArgs,
    SystemNodes,
)
from components.aws.deploy_runner import DeployRunner, DeployRunnerArgs, deploy_runner_project
from components.common.gpu import GpuPoolSpec
from components.common.naming import physical_name
from infra.clusters import Handoff, handoff
from infra.gpu import gpu_pool_specs
from infra.kubernetes import member_namespaces
from infra.settings import Profile, SettingsError, StackSettings
from infra.settings.errors import Problem
from infra.settings.model import AwsSettings
from infra.settings.profiles import SYSTEM_INSTANCE_TYPES


@dataclass(frozen=True)
class _Context:
    stack: StackSettings
    aws: AwsSettings
    tags: Mapping[str, str]
    profile: Profile
    region: str
    prefix: str
    zones: Sequence[str]  # the VPC's
    gpu_pools: Sequence[GpuPoolSpec]  # each with the zones that offer its instance type
    # Every role the platform creates carries it: `mlplat bootstrap aws` lets the deployer create roles only
    # with this boundary, so no role it makes can change IAM or read state (mlplat/ops/identities.py).
    boundary: pulumi.Output[str]


def build_aws(stack: StackSettings, aws: AwsSettings, tags: Mapping[str, str]) -> Handoff | None:
    cluster_handoff: Handoff | None = None  # what the cluster stack reads, when a cluster runs
    region = stack.providers.aws_region
    assert region is not None, "checked by the settings loader"
    profile = stack.settings.resolved
    # Asked before anything is registered: a pool the region cannot place stops the program untouched.
    zones = _network_zones(stack, aws, profile.az_count)
    pools = _placed_pools(stack, gpu_pool_specs("aws", aws.gpu_pools, profile), zones)
    prefix = f"{pulumi.get_project()}-{stack.stack}"
    ctx = _Context(stack, aws, tags, profile, region, prefix, zones, pools, _arn(f"policy/{prefix}-boundary"))

    logs_key = _key(ctx, "logs", cloudwatch_logs=True)
    # S3 server access log delivery writes into a KMS-encrypted target bucket with this key.
    data_key = _key(ctx, "data", services=("logging.s3.amazonaws.com",))
    network = _network(ctx, logs_key)
    buckets = _buckets(ctx, data_key)
    keys = {"data": data_key, "logs": logs_key}

    if aws.workspace.enabled:
        keys["sagemaker"] = _key(ctx, "sagemaker")
        workspace = _workspace(ctx, network, buckets, keys["sagemaker"], data_key)
        pulumi.export("awsSagemakerDomainId", workspace.domain_id)
        pulumi.export("awsSagemakerStudioUrl", workspace.studio_url)
        pulumi.export("awsSagemakerExecutionRoleArn", workspace.execution_role_arn)

    if aws.kubernetes.enabled:
        keys["eks-secrets"] = _key(ctx, "eks-secrets")
        keys["eks-volumes"] = _key(ctx, "eks-volumes", autoscaling_volumes=True)
        runner = _deploy_runner(ctx, network, logs_key)
        cluster = _cluster(ctx, network, keys["eks-secrets"], keys["eks-volumes"], logs_key, runner)
        pulumi.export("awsClusterName", cluster.cluster_name)
        pulumi.export("awsClusterEndpoint", cluster.endpoint)
        pulumi.export("awsKubeconfig", pulumi.Output.secret(cluster.kubeconfig))
        pulumi.export("awsGpuPools", cluster.gpu_node_group_names)
        cluster_handoff = handoff(
            "aws",
            cluster_name=cluster.cluster_name,
            endpoint=cluster.endpoint,
            certificateAuthority=cluster.certificate_authority,
            volumeKeyArn=keys["eks-volumes"].arn,
        )

    # Budgets publish to an SNS topic encrypted with this key, so its policy lets them use it.
    keys["alerts"] = _key(ctx, "alerts", services=("budgets.amazonaws.com",))
    budget = _budget(ctx, keys["alerts"])

    pulumi.export("awsVpcId", network.vpc_id)
    pulumi.export("awsPrivateSubnetIds", network.private_subnet_ids)
    pulumi.export("awsPublicSubnetIds", network.public_subnet_ids)
    pulumi.export("awsBuckets", {purpose: b.bucket_name for purpose, b in buckets.items()})
    pulumi.export("awsKmsKeys", {purpose: k.arn for purpose, k in keys.items()})
    pulumi.export("awsBudgetName", budget.budget_name)
    pulumi.export("awsBudgetAlertsTopicArn", budget.topic_arn)
    return cluster_handoff


def _refuse(stack: StackSettings, path: str, message: str) -> pulumi.RunError:
    """A settings mistake only the cloud's answers reveal: one line, as the engine prints a RunError."""
    return pulumi.RunError(str(SettingsError(f"Pulumi.{stack.stack}.yaml", [Problem(path, message)])))


def _network_zones(stack: StackSettings, aws: AwsSettings, count: int) -> list[str]:
    """The VPC's zones: those in settings, else the region's first `count` available ones, as EC2 lists them.

    Zone names are not `<region>a, b, c` everywhere (some regions skip letters, some zones need opt-in).
    """
    available = aws_sdk.get_availability_zones(
        state="available",
        filters=[
            aws_sdk.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
        ],
    ).names
    if aws.network.availability_zones:
        for i, zone in enumerate(aws.network.availability_zones):
            if zone not in available:
                raise _refuse(
                    stack,
                    f"mlplat:aws.network.availabilityZones[{i}]",
                    f"{zone} is not an available zone of the region ({', '.join(available)})",
                )
        return list(aws.network.availability_zones)
    return list(available[:count])


def _placed_pools(
    stack: StackSettings, pools: Sequence[GpuPoolSpec], zones: Sequence[str]
) -> list[GpuPoolSpec]:
    """Each GPU pool in the VPC zones that offer its instance type (EC2 DescribeInstanceTypeOfferings)."""
    placed = []
    for i, pool in enumerate(pools):
        offered = aws_sdk.ec2.get_instance_type_offerings(
            location_type="availability-zone",
            filters=[
                aws_sdk.ec2.GetInstanceTypeOfferingsFilterArgs(
                    name="instance-type", values=[pool.instance_type]
                )
            ],
        ).locations
        wanted = list(pool.zones or zones)
        outside = [z for z in wanted if z not in zones]
        if outside:
            raise _refuse(
                stack,
                f"mlplat:aws.gpuPools[{i}].zones",
                f"{', '.join(outside)} not among the network's zones ({', '.join(zones)})",
            )
        usable = [z for z in wanted if z in offered] if not pool.zones else wanted
        missing = [z for z in wanted if z not in offered]
        if not usable or (pool.zones and missing):
            raise _refuse(
                stack,
                f"mlplat:aws.gpuPools[{i}].accelerator",
                f"{pool.accelerator} ({pool.instance_type}) is not offered in {', '.join(missing)}",
            )
        placed.append(replace(pool, zones=usable))
    return placed


def _key(
    ctx: _Context,
    purpose: str,
    *,
    services: tuple[str, ...] = (),
    cloudwatch_logs: bool = False,
    autoscaling_volumes: bool = False,
) -> KmsKey:
    return KmsKey(
        f"{ctx.prefix}-{purpose}",
        KmsKeyArgs(
            purpose=purpose,
            alias=f"alias/{ctx.prefix}-{purpose}",
            region=ctx.region,
            tags=ctx.tags,
            service_principals=services,
            allow_cloudwatch_logs=cloudwatch_logs,
            allow_autoscaling_volumes=autoscaling_volumes,
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _network(ctx: _Context, logs_key: KmsKey) -> Network:
    net = ctx.aws.network
    return Network(
        f"{ctx.prefix}-net",
        NetworkArgs(
            permissions_boundary=ctx.boundary,
            cidr=str(net.cidr),
            availability_zones=list(ctx.zones),
            nat_strategy=ctx.profile.nat_strategy,
            region=ctx.region,
            tags=ctx.tags,
            flow_logs=net.flow_logs,
            flow_log_retention_days=ctx.profile.log_retention_days,
            flow_log_kms_key_arn=logs_key.arn,
            interface_endpoints=net.endpoints_for(ctx.profile),
        ),
    )


def _buckets(ctx: _Context, data_key: KmsKey) -> dict[str, SecureBucket]:
    profile = ctx.profile

    def bucket(
        purpose: str, *, accepts_access_logs: bool = False, access_log_bucket: pulumi.Input[str] | None = None
    ) -> SecureBucket:
        return SecureBucket(
            f"{ctx.prefix}-{purpose}",
            SecureBucketArgs(
                bucket_prefix=physical_name("s3-bucket-prefix", ctx.prefix, purpose) + "-",
                kms_key_arn=data_key.arn,
                tags=ctx.tags,
                versioning=profile.bucket_versioning,
                force_destroy=profile.force_destroy,
                deletion_protection=profile.deletion_protection,
                accepts_access_logs=accepts_access_logs,
                access_log_bucket=access_log_bucket,
            ),
        )

    access_logs = bucket("access-logs", accepts_access_logs=True) if profile.access_logging else None
    log_target = access_logs.bucket_name if access_logs else None
    return {purpose: bucket(purpose, access_log_bucket=log_target) for purpose in ctx.aws.buckets}


def _workspace(
    ctx: _Context, network: Network, buckets: Mapping[str, SecureBucket], key: KmsKey, data_key: KmsKey
) -> SageMakerWorkspace:
    ws = ctx.aws.workspace
    return SageMakerWorkspace(
        f"{ctx.prefix}-sagemaker",
        SageMakerWorkspaceArgs(
            permissions_boundary=ctx.boundary,
            domain_name=physical_name("aws-sagemaker-domain", ctx.prefix),
            vpc_id=network.vpc_id,
            vpc_cidr=str(ctx.aws.network.cidr),
            subnet_ids=list(network.private_subnet_ids_by_zone.values()),
            kms_key_arn=key.arn,
            bucket_arns=[b.arn for b in buckets.values()],
            data_kms_key_arns=[data_key.arn],
            region=ctx.region,
            tags=ctx.tags,
            users=[u.name for u in ws.users],
            idle_timeout_minutes=ctx.profile.idle_shutdown_minutes,
            outbound=ctx.profile.workspace_outbound,
            s3_prefix_list_id=network.s3_prefix_list_id,
            root_access=ws.root_access,
            docker_access=ws.docker_access,
            retain_home_storage=ctx.profile.deletion_protection,
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _deploy_runner(ctx: _Context, network: Network, logs_key: KmsKey) -> DeployRunner | None:
    """Where this stack's deploy job runs, so it reaches a private EKS API (README "Where each deploy runs")."""
    runner = ctx.aws.kubernetes.deploy_runner
    if runner is None:
        return None
    built = DeployRunner(
        f"{ctx.prefix}-deploy-runner",
        DeployRunnerArgs(
            permissions_boundary=ctx.boundary,
            project_name=deploy_runner_project(pulumi.get_project(), ctx.stack.stack),
            repository_url=runner.repository,
            connection_arn=runner.connection_arn,
            vpc_id=network.vpc_id,
            subnet_ids=list(network.private_subnet_ids_by_zone.values()),
            logs_kms_key_arn=logs_key.arn,
            tags=ctx.tags,
            log_retention_days=ctx.profile.log_retention_days,
        ),
    )
    pulumi.export("awsDeployRunnerProject", built.project_name)
    return built


def _cluster(
    ctx: _Context,
    network: Network,
    secrets_key: KmsKey,
    volumes_key: KmsKey,
    logs_key: KmsKey,
    runner: DeployRunner | None,
) -> EksCluster:
    kube = ctx.aws.kubernetes
    private = ctx.profile.private_cluster_endpoint if kube.private_endpoint is None else kube.private_endpoint
    system = kube.system_nodes
    return EksCluster(
        f"{ctx.prefix}-eks",
        EksClusterArgs(
            permissions_boundary=ctx.boundary,
            cluster_name=physical_name("aws-eks-cluster", ctx.prefix),
            kubernetes_version=ctx.stack.settings.versions.kubernetes_for("aws"),
            subnet_ids_by_zone=network.private_subnet_ids_by_zone,
            secrets_kms_key_arn=secrets_key.arn,
            volume_kms_key_arn=volumes_key.arn,
            logs_kms_key_arn=logs_key.arn,
            region=ctx.region,
            tags=ctx.tags,
            private_endpoint=private,
            public_access_cidrs=[] if private else [str(c) for c in kube.public_access_cidrs],
            log_retention_days=ctx.profile.log_retention_days,
            admin_principal_arns=list(kube.admin_principal_arns),
            deployer_principal_arn=kube.deployer_role_arn or _cluster_deployer_role(ctx),
            api_client_security_group_ids={"deploy-runner": runner.security_group_id} if runner else {},
            namespace_editors=member_namespaces(ctx.stack, lambda m: m.aws_principal_arn),
            system_nodes=SystemNodes(
                instance_type=system.instance_type
                or SYSTEM_INSTANCE_TYPES[ctx.profile.system_node_class]["aws"],
                min_nodes=system.min_nodes_for(ctx.profile),
                max_nodes=system.max_nodes,
                disk_size_gb=ctx.profile.system_node_disk_gb or SystemNodes.disk_size_gb,
                spot=ctx.profile.system_node_spot,
            ),
            gpu_pools=list(ctx.gpu_pools),
            deletion_protection=ctx.profile.deletion_protection,
        ),
    )


def _arn(resource: str) -> pulumi.Output[str]:
    """An IAM ARN in the stack's account: the same whoever runs the program, so previews agree."""
    account = aws_sdk.get_caller_identity_output().account_id
    partition = aws_sdk.get_partition_output().partition
    return pulumi.Output.concat("arn:", partition, ":iam::", account, ":", resource)


def _cluster_deployer_role(ctx: _Context) -> pulumi.Output[str]:
    """The cluster stack's deployer, as `mlplat bootstrap aws` names it."""
    return _arn(f"role/{ctx.prefix}-eks-deployer")


def _budget(ctx: _Context, key: KmsKey) -> MonthlyBudget:
    budget = ctx.stack.settings.budget
    return MonthlyBudget(
        f"{ctx.prefix}-budget",
        MonthlyBudgetArgs(
            budget_name=f"{ctx.prefix}-monthly",
            amount_usd=budget.per_cloud.get("aws", budget.monthly_usd),
            alert_emails=list(budget.alert_emails),
            kms_key_arn=key.arn,
            tags=ctx.tags,
            tag_key="environment",
            tag_value=ctx.stack.settings.environment,
            actual_thresholds=list(budget.thresholds),
            forecast_threshold=budget.forecast_threshold,
            webhook_url=webhook.get_secret_value()
            if (webhook := ctx.stack.settings.alert_webhook_url)
            else None,
        ),
    )
