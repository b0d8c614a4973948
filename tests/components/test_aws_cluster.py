"""The EKS cluster and its node groups: locked-down API, encrypted secrets, audit logs, GPU pools from zero."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format

from components.aws import EksCluster, EksClusterArgs
from components.aws.cluster import check_endpoint
from components.common.gpu import DriverStrategy, GpuPoolSpec
from mlplat.engine.mocks import PlatformMocks, RecordingMonitor
from mlplat.engine.program import run_in_mock_engine
from mlplat.engine.report import SECRET_SIG
from tests.plans import Plan, Seen, record

TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
SECRETS_KEY = "arn:aws:kms:us-east-1:123456789012:key/eks-secrets"
VOLUMES_KEY = "arn:aws:kms:us-east-1:123456789012:key/eks-volumes"
LOGS_KEY = "arn:aws:kms:us-east-1:123456789012:key/logs"
SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "us-east-1c": "subnet-c"}
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG_TAG = "aws:autoscaling/tag:Tag"
CA = "k8s.io/cluster-autoscaler"


def pool(
    name: str,
    *,
    spot: bool,
    gpus: int = 1,
    instance: str = "g5.xlarge",
    driver_strategy: DriverStrategy = "cloud-managed",
    **extra: Any,
) -> GpuPoolSpec:
    return GpuPoolSpec(
        name=name,
        accelerator="nvidia-a10g",
        instance_type=instance,
        gpus_per_node=gpus,
        vcpus=4,
        memory_gib=16,
        min_nodes=0,
        max_nodes=4,
        spot=spot,
        disk_size_gb=200,
        driver_strategy=driver_strategy,
        **extra,
    )


PROD = EksClusterArgs(
    cluster_name="mlplat-prod",
    kubernetes_version="1.33",
    subnet_ids_by_zone=SUBNETS,
    secrets_kms_key_arn=SECRETS_KEY,
    volume_kms_key_arn=VOLUMES_KEY,
    logs_kms_key_arn=LOGS_KEY,
    region="us-east-1",
    tags=TAGS,
    private_endpoint=True,
    log_retention_days=365,
    admin_principal_arns=["arn:aws:iam::123456789012:role/ml-platform-admins"],
    deployer_principal_arn="arn:aws:iam::123456789012:role/mlplat-prod-eks-deployer",
    gpu_pools=[
        pool("a10g", spot=False, labels={"team": "research"}),
        pool("a100", spot=False, gpus=8, instance="p4d.24xlarge", zones=["us-east-1b"]),
    ],
    deletion_protection=True,
)
DEV = replace(
    PROD,
    cluster_name="mlplat-dev",
    subnet_ids_by_zone={k: v for k, v in SUBNETS.items() if k != "us-east-1c"},
    private_endpoint=False,
    public_access_cidrs=["203.0.113.0/24"],
    admin_principal_arns=[],
    log_retention_days=30,
    gpu_pools=[pool("t4", spot=True, instance="g4dn.xlarge", driver_strategy="gpu-operator")],
    deletion_protection=False,
)


class OptionsMonitor(RecordingMonitor):
    """Also keeps each registration's ignoreChanges, a resource option the engine receives."""

    def __init__(self) -> None:
        super().__init__(PlatformMocks())
        self.ignore_changes: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        self.ignore_changes[request.name] = list(request.ignoreChanges)
        return super().RegisterResource(request)


def cluster(args: EksClusterArgs, stack: str, monitor: RecordingMonitor | None = None) -> Plan:
    def body() -> None:
        built = EksCluster("eks", args)
        pulumi.export("kubeconfig", built.kubeconfig)

    config = {"aws:region": "us-east-1"}
    return Plan(run_in_mock_engine(body, stack=stack, config=config, monitor=monitor))


PROD_MONITOR = OptionsMonitor()


@pytest.fixture(scope="module")
def prod() -> Plan:
    return cluster(PROD, "prod", PROD_MONITOR)


@pytest.fixture(scope="module")
def dev() -> Plan:
    return cluster(DEV, "dev")


def the_cluster(plan: Plan) -> dict[str, Any]:
    return plan.one(CLUSTER).inputs


def node_group(plan: Plan, component: str) -> Seen:
    return next(r for r in plan.of_type(NODE_GROUP) if r.name == f"{component}-ng")


def template_of(plan: Plan, group: Seen) -> dict[str, Any]:
    (urn,) = group.property_dependencies["launchTemplate"]
    return plan.by_urn(urn).inputs


def asg_tags(plan: Plan, group: Seen) -> dict[str, str]:
    return {
        t.inputs["tag"]["key"]: t.inputs["tag"]["value"]
        for t in plan.of_type(ASG_TAG)
        if group.urn in t.property_dependencies["autoscalingGroupName"]
    }


# --- the control plane -----------------------------------------------------------------------------------


def test_prod_api_endpoint_is_private_only(prod: Plan) -> None:
    vpc = the_cluster(prod)["vpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, False)
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]


def test_dev_api_endpoint_is_public_only_to_the_allow_list(dev: Plan) -> None:
    vpc = the_cluster(dev)["vpcConfig"]
    assert (vpc["endpointPrivateAccess"], vpc["endpointPublicAccess"]) == (True, True)
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["10.0.0.0/8", "0.0.0.0/0"]])
def test_public_endpoint_without_a_narrow_allow_list_is_refused(cidrs: list[str]) -> None:
    with pytest.raises(ValueError, match="public_access_cidrs"):
        check_endpoint(False, cidrs)


def test_secrets_are_envelope_encrypted_with_the_secrets_key(prod: Plan) -> None:
    assert the_cluster(prod)["encryptionConfig"] == {
        "provider": {"keyArn": SECRETS_KEY},
        "resources": ["secrets"],
    }


def test_cluster_role_may_use_the_secrets_key(prod: Plan) -> None:
    policy = next(
        r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "eks-cluster-secrets-key"
    )
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Resource"] == [SECRETS_KEY]
    assert "kms:Encrypt" in statement["Action"] and "kms:Decrypt" in statement["Action"]


def test_api_audit_and_authenticator_logs_go_to_a_retained_encrypted_group_created_first(prod: Plan) -> None:
    c = prod.one(CLUSTER)
    assert c.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    group = next(r for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "eks-control-plane")
    assert group.inputs["name"] == "/aws/eks/mlplat-prod/cluster"
    assert (group.inputs["retentionInDays"], group.inputs["kmsKeyId"]) == (365, LOGS_KEY)
    assert group.urn in prod.run.resources[[r.urn for r in prod.run.resources].index(c.urn)].dependencies


def test_dev_logs_follow_the_dev_retention(dev: Plan) -> None:
    group = next(r for r in dev.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "eks-control-plane")
    assert group.inputs["retentionInDays"] == 30


def test_access_is_by_api_access_entries_with_no_hidden_creator_admin(prod: Plan) -> None:
    assert the_cluster(prod)["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }


def test_deployer_and_listed_admins_get_cluster_admin_through_access_entries(prod: Plan) -> None:
    entries = {e.inputs["principalArn"] for e in prod.of_type("aws:eks/accessEntry:AccessEntry")}
    # The named cluster-stack deployer, not the caller running the program (the mocks answer a user).
    assert entries == {
        "arn:aws:iam::123456789012:role/mlplat-prod-eks-deployer",
        "arn:aws:iam::123456789012:role/ml-platform-admins",
    }
    associations = prod.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert len(associations) == 2
    for a in associations:
        assert a.inputs["policyArn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
        assert a.inputs["accessScope"] == {"type": "cluster"}


def test_prod_cluster_is_protected_in_pulumi_and_in_eks(prod: Plan) -> None:
    c = prod.one(CLUSTER)
    assert (c.protect, c.inputs["deletionProtection"]) == (True, True)


def test_dev_cluster_is_not_protected(dev: Plan) -> None:
    c = dev.one(CLUSTER)
    assert (c.protect, c.inputs["deletionProtection"]) == (False, False)


def test_cluster_stays_on_standard_support_and_pins_the_version(prod: Plan) -> None:
    c = the_cluster(prod)
    assert (c["version"], c["upgradePolicy"]) == ("1.33", {"supportType": "STANDARD"})


def test_oidc_provider_trusts_the_cluster_issuer_for_sts_only(prod: Plan) -> None:
    oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]


def test_managed_addons_cover_networking_dns_pod_identity_and_ebs(prod: Plan) -> None:
    addons = {a.inputs["addonName"]: a for a in prod.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "eks-pod-identity-agent"}


def test_vpc_cni_uses_irsa_scoped_to_its_service_account(prod: Plan) -> None:
    addon = next(a for a in prod.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni")
    role = prod.by_urn(addon.property_dependencies["serviceAccountRoleArn"][0])
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = trust["Condition"]["StringEquals"]
    assert "system:serviceaccount:kube-system:aws-node" in conditions.values()


def test_ebs_csi_driver_uses_pod_identity_and_may_use_the_volume_key(prod: Plan) -> None:
    addon = next(
        a for a in prod.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "aws-ebs-csi-driver"
    )
    (association,) = addon.inputs["podIdentityAssociations"]
    assert association["serviceAccount"] == "ebs-csi-controller-sa"
    policy = next(r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "eks-ebs-csi")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert statements and all(s["Resource"] == [VOLUMES_KEY] for s in statements)


@pytest.mark.parametrize("component", ["eks-system", "eks-gpu-a10g"])
def test_nodes_join_after_the_networking_addons(prod: Plan, component: str) -> None:
    addons = {a.inputs["addonName"]: a.urn for a in prod.of_type("aws:eks/addon:Addon")}
    group = next(r for r in prod.run.resources if r.urn == node_group(prod, component).urn)
    assert {addons[a] for a in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")} <= set(group.dependencies)


@pytest.mark.parametrize("addon", ["coredns", "aws-ebs-csi-driver"])
def test_addons_that_run_pods_wait_for_the_system_nodes(prod: Plan, addon: str) -> None:
    urn = next(a.urn for a in prod.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == addon)
    registered = next(r for r in prod.run.resources if r.urn == urn)
    assert node_group(prod, "eks-system").urn in registered.dependencies


def test_node_role_has_no_cni_policy_because_the_cni_has_its_own_role(prod: Plan) -> None:
    attached = [
        a.inputs["policyArn"]
        for a in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("eks-node-")
    ]
    assert sorted(attached) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]


def test_kubeconfig_is_a_secret_with_an_aws_eks_get_token_user(prod: Plan) -> None:
    assert prod.run.stack_outputs is not None
    wrapped = json_format.MessageToDict(prod.run.stack_outputs)["kubeconfig"]
    assert wrapped[SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270"
    config = json.loads(wrapped["value"])
    (cluster_entry,) = config["clusters"]
    assert cluster_entry["cluster"]["server"].startswith("https://")
    assert cluster_entry["cluster"]["certificate-authority-data"]
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "mlplat-prod"]


# --- node groups -----------------------------------------------------------------------------------------


def test_system_node_group_is_small_on_demand_and_not_tainted(prod: Plan) -> None:
    system = node_group(prod, "eks-system").inputs
    assert system["scalingConfig"] == {"minSize": 1, "maxSize": 3, "desiredSize": 1}
    assert (system["capacityType"], system["amiType"]) == ("ON_DEMAND", "AL2023_x86_64_STANDARD")
    assert system["taints"] == []


@pytest.mark.parametrize("component", ["eks-system", "eks-gpu-a10g", "eks-gpu-a100"])
def test_every_node_launch_template_requires_imdsv2_with_hop_limit_1(prod: Plan, component: str) -> None:
    template = template_of(prod, node_group(prod, component))
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }


@pytest.mark.parametrize("component", ["eks-system", "eks-gpu-a10g", "eks-gpu-a100"])
def test_every_node_root_volume_is_encrypted_gp3_under_the_volume_key(prod: Plan, component: str) -> None:
    (mapping,) = template_of(prod, node_group(prod, component))["blockDeviceMappings"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert mapping["ebs"]["volumeType"] == "gp3"
    assert (mapping["ebs"]["encrypted"], mapping["ebs"]["kmsKeyId"]) == ("true", VOLUMES_KEY)


def test_gpu_pool_uses_the_nvidia_ami_the_catalog_instance_and_its_disk(prod: Plan) -> None:
    group = node_group(prod, "eks-gpu-a10g")
    assert (group.inputs["amiType"], group.inputs["instanceTypes"]) == ("AL2023_x86_64_NVIDIA", ["g5.xlarge"])
    (mapping,) = template_of(prod, group)["blockDeviceMappings"]
    assert mapping["ebs"]["volumeSize"] == 200


def test_gpu_operator_pool_boots_the_nvidia_ami_because_the_operator_driver_skips_amazon_linux(
    dev: Plan,
) -> None:
    # The operator's driver containers support Ubuntu and RHEL, not AL2023 (NVIDIA GPU operator platform
    # support); on EKS the AMI brings driver and toolkit and the operator runs with both off.
    assert node_group(dev, "eks-gpu-t4").inputs["amiType"] == "AL2023_x86_64_NVIDIA"


@pytest.mark.parametrize("component", ["eks-gpu-a10g", "eks-gpu-a100"])
def test_gpu_pool_is_tainted_and_labelled(prod: Plan, component: str) -> None:
    group = node_group(prod, component).inputs
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    pool_name = component.removeprefix("eks-gpu-")
    assert group["labels"]["mlplat.io/gpu-pool"] == pool_name
    assert group["labels"]["mlplat.io/accelerator"] == "nvidia-a10g"
    assert group["labels"]["nvidia.com/gpu.present"] == "true"


def test_user_labels_reach_the_gpu_nodes(prod: Plan) -> None:
    assert node_group(prod, "eks-gpu-a10g").inputs["labels"]["team"] == "research"


def test_gpu_pool_scales_from_zero_and_leaves_the_desired_size_to_the_autoscaler(prod: Plan) -> None:
    group = node_group(prod, "eks-gpu-a10g")
    assert group.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0}
    assert PROD_MONITOR.ignore_changes[group.name] == ["scalingConfig.desiredSize"]
    assert PROD_MONITOR.ignore_changes["eks-system-ng"] == ["scalingConfig.desiredSize"]


def test_prod_gpu_pools_are_on_demand_and_dev_pools_are_spot(prod: Plan, dev: Plan) -> None:
    assert {node_group(prod, c).inputs["capacityType"] for c in ("eks-gpu-a10g", "eks-gpu-a100")} == {
        "ON_DEMAND"
    }
    assert node_group(dev, "eks-gpu-t4").inputs["capacityType"] == "SPOT"


def test_gpu_pool_pinned_to_a_zone_uses_only_that_zones_subnet(prod: Plan) -> None:
    assert node_group(prod, "eks-gpu-a100").inputs["subnetIds"] == ["subnet-b"]
    assert node_group(prod, "eks-gpu-a10g").inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]


def test_gpu_pool_zone_without_a_subnet_is_refused() -> None:
    bad = replace(PROD, gpu_pools=[pool("x", spot=False, zones=["us-east-1f"])])
    with pytest.raises(ValueError, match="us-east-1f have no private subnet"):
        record(lambda: EksCluster("eks", bad), stack="prod")


def test_gpu_auto_scaling_group_carries_the_autoscaler_node_template_tags(prod: Plan) -> None:
    group = node_group(prod, "eks-gpu-a100")
    tags = asg_tags(prod, group)
    assert tags[f"{CA}/node-template/taint/nvidia.com/gpu"] == "present:NoSchedule"
    assert tags[f"{CA}/node-template/label/mlplat.io/gpu-pool"] == "a100"
    assert tags[f"{CA}/node-template/label/nvidia.com/gpu.present"] == "true"
    assert tags[f"{CA}/node-template/resources/nvidia.com/gpu"] == "8"
    assert tags[f"{CA}/enabled"] == "true"
    assert tags[f"{CA}/mlplat-prod"] == "owned"
    asg = next(
        t for t in prod.of_type(ASG_TAG) if group.urn in t.property_dependencies["autoscalingGroupName"]
    )
    assert asg.inputs["autoscalingGroupName"].startswith("eks-gpu-a100-")
    assert asg.inputs["tag"]["propagateAtLaunch"] is False


def test_node_group_tags_repeat_the_autoscaler_tags_for_discovery(prod: Plan) -> None:
    tags = node_group(prod, "eks-gpu-a10g").inputs["tags"]
    assert tags[f"{CA}/node-template/taint/nvidia.com/gpu"] == "present:NoSchedule"
    assert TAGS.items() <= tags.items()


def test_every_taggable_resource_carries_the_platform_tags(prod: Plan) -> None:
    tagged = [r for r in prod.resources if r.type.startswith("aws:") and "tags" in r.inputs]
    assert len(tagged) >= 15
    assert all(TAGS.items() <= r.inputs["tags"].items() for r in tagged)
