"""infra/aws.py maps the repository's dev and prod settings onto the components: what differs and what never does."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format

from mlplat.engine.report import SECRET_SIG
from tests.components.aws_stacks import aws_settings, build, repository_plan
from tests.plans import Plan, Seen


@pytest.fixture(scope="module")
def dev() -> Plan:
    return repository_plan("dev")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return repository_plan("prod")


def outputs(plan: Plan) -> dict[str, Any]:
    assert plan.run.stack_outputs is not None
    return json_format.MessageToDict(plan.run.stack_outputs)


def gpu_groups(plan: Plan) -> list[Seen]:
    return [g for g in plan.of_type("aws:eks/nodeGroup:NodeGroup") if "-gpu-" in g.name]


def test_prod_runs_a_nat_gateway_per_zone_and_dev_one(dev: Plan, prod: Plan) -> None:
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 3


def test_dev_gpu_pools_run_on_spot_and_prod_pools_on_demand(dev: Plan, prod: Plan) -> None:
    assert {g.inputs["capacityType"] for g in gpu_groups(dev)} == {"SPOT"}
    assert {g.inputs["capacityType"] for g in gpu_groups(prod)} == {"ON_DEMAND"}
    assert {g.inputs["scalingConfig"]["minSize"] for g in gpu_groups(dev) + gpu_groups(prod)} == {0}


def test_gpu_pools_come_from_the_catalog(dev: Plan, prod: Plan) -> None:
    assert [g.inputs["instanceTypes"] for g in gpu_groups(dev)] == [["g4dn.xlarge"]]
    assert sorted(g.inputs["instanceTypes"][0] for g in gpu_groups(prod)) == ["g5.xlarge", "p4d.24xlarge"]


def test_prod_cluster_api_is_private_and_dev_is_allow_listed(dev: Plan, prod: Plan) -> None:
    dev_vpc = dev.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    prod_vpc = prod.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert (dev_vpc["endpointPublicAccess"], dev_vpc["publicAccessCidrs"]) == (True, ["203.0.113.0/24"])
    assert prod_vpc["endpointPublicAccess"] is False


def test_prod_buckets_are_versioned_and_dev_buckets_are_not(dev: Plan, prod: Plan) -> None:
    def statuses(plan: Plan) -> set[str]:
        return {
            v.inputs["versioningConfiguration"]["status"]
            for v in plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
        }

    assert statuses(dev) == {"Suspended"}
    assert statuses(prod) == {"Enabled"}


@pytest.mark.parametrize(
    "token",
    ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:eks/cluster:Cluster", "aws:sagemaker/domain:Domain"],
)
def test_prod_data_stores_clusters_and_workspaces_are_protected_and_dev_ones_are_not(
    dev: Plan, prod: Plan, token: str
) -> None:
    assert prod.of_type(token) and all(r.protect for r in prod.of_type(token))
    assert dev.of_type(token) and not any(r.protect for r in dev.of_type(token))


def test_prod_deletion_protection_is_also_set_in_aws(dev: Plan, prod: Plan) -> None:
    assert prod.one("aws:eks/cluster:Cluster").inputs["deletionProtection"] is True
    assert prod.one("aws:sagemaker/domain:Domain").inputs["retentionPolicy"] == {
        "homeEfsFileSystem": "Retain"
    }
    assert dev.one("aws:sagemaker/domain:Domain").inputs["retentionPolicy"] == {"homeEfsFileSystem": "Delete"}


def test_prod_logs_bucket_access_and_keeps_logs_a_year(dev: Plan, prod: Plan) -> None:
    assert prod.of_type("aws:s3/bucketLogging:BucketLogging") and not dev.of_type(
        "aws:s3/bucketLogging:BucketLogging"
    )
    for plan, days in ((dev, 30), (prod, 365)):
        assert {g.inputs["retentionInDays"] for g in plan.of_type("aws:cloudwatch/logGroup:LogGroup")} == {
            days
        }


def test_studio_idle_timeout_and_outbound_follow_the_profile(dev: Plan, prod: Plan) -> None:
    for plan, minutes in ((dev, 60), (prod, 120)):
        idle = plan.one("aws:sagemaker/domain:Domain").inputs["defaultUserSettings"]["jupyterLabAppSettings"]
        assert idle["appLifecycleManagement"]["idleSettings"]["idleTimeoutInMinutes"] == minutes
    studio = "mlplat-prod-sagemaker-apps"
    egress = next(g for g in prod.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name == studio).inputs[
        "egress"
    ]
    assert ["0.0.0.0/0"] not in [r.get("cidrBlocks") for r in egress]


def test_each_configured_user_gets_a_profile(dev: Plan, prod: Plan) -> None:
    def users(plan: Plan) -> list[str]:
        return [p.inputs["userProfileName"] for p in plan.of_type("aws:sagemaker/userProfile:UserProfile")]

    assert users(dev) == ["alice"]
    assert users(prod) == ["alice", "bob"]


def test_interface_endpoints_follow_the_settings(dev: Plan, prod: Plan) -> None:
    def interface(plan: Plan) -> int:
        return sum(
            e.inputs["vpcEndpointType"] == "Interface"
            for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        )

    # Dev reaches AWS APIs through its NAT gateway (privateServiceEndpoints false); prod adds the node APIs.
    assert (interface(dev), interface(prod)) == (0, 10)


def test_one_key_per_purpose_each_rotating(prod: Plan) -> None:
    aliases = sorted(a.inputs["name"] for a in prod.of_type("aws:kms/alias:Alias"))
    assert aliases == [
        f"alias/mlplat-prod-{p}"
        for p in ("alerts", "data", "eks-secrets", "eks-volumes", "logs", "sagemaker")
    ]
    keys = prod.of_type("aws:kms/key:Key")
    assert len(keys) == len(aliases) and all(k.inputs["enableKeyRotation"] is True for k in keys)


def test_budget_is_the_stacks_aws_share_scoped_to_its_environment(prod: Plan) -> None:
    b = prod.one("aws:budgets/budget:Budget").inputs
    assert (b["limitAmount"], b["costFilters"][0]["values"]) == ("18000.00", ["user:environment$prod"])
    assert b["notifications"][0]["subscriberEmailAddresses"] == [
        "ml-platform@example.com",
        "finops@example.com",
    ]


def test_budget_uses_the_aws_share_when_one_is_set() -> None:
    stack = aws_settings(
        "dev",
        {"mlplat:budget": '{"monthlyUsd": 1500, "alertEmails": ["a@example.com"], "perCloud": {"aws": 900}}'},
    )
    assert stack.settings.budget.per_cloud == {"aws": 900}
    assert build(stack).one("aws:budgets/budget:Budget").inputs["limitAmount"] == "900.00"


def test_stack_exports_network_buckets_workspace_cluster_and_pools(prod: Plan) -> None:
    out = outputs(prod)
    assert out["awsVpcId"].startswith("vpc-")
    assert len(out["awsPrivateSubnetIds"]) == 3
    assert set(out["awsBuckets"]) == {"data", "artifacts"}
    # The exports are the domain's own outputs (what CreateDomain returns), not strings the program builds.
    [domain] = [r for r in prod.run.resources if r.type == "aws:sagemaker/domain:Domain"]
    domain_outputs = json_format.MessageToDict(domain.outputs)
    assert domain_outputs["arn"] and domain_outputs["url"]
    # A domain's ARN is arn:aws:sagemaker:<region>:<account>:domain/<domain-id> (SageMaker API, DescribeDomain).
    assert domain_outputs["arn"].endswith(f":domain/{out['awsSagemakerDomainId']}")
    assert out["awsSagemakerStudioUrl"] == domain_outputs["url"]
    assert out["awsClusterName"] == "mlplat-prod"
    assert out["awsClusterEndpoint"].startswith("https://")
    assert set(out["awsGpuPools"]) == {"a10g", "a100"}
    assert out["awsBudgetName"] == "mlplat-prod-monthly"


def test_kubeconfig_is_exported_only_as_a_secret(prod: Plan) -> None:
    kubeconfig = outputs(prod)["awsKubeconfig"]
    assert kubeconfig[SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270"
    assert '"command": "aws"' in kubeconfig["value"]


def test_disabling_the_workspace_and_cluster_leaves_network_buckets_and_budget() -> None:
    stack = aws_settings(
        "dev",
        {
            "mlplat:aws": '{"workspace": {"enabled": false}, "kubernetes": {"enabled": false}}',
        },
    )
    plan = build(stack)
    assert not plan.of_type("aws:sagemaker/domain:Domain") and not plan.of_type("aws:eks/cluster:Cluster")
    assert plan.one("aws:budgets/budget:Budget") and plan.of_type("aws:s3/bucket:Bucket")
