"""The AWS network: private by default, NAT by profile strategy, flow logs on, S3 traffic kept private."""

from __future__ import annotations

from functools import cache
from typing import Literal

import pytest

from components.aws import Network, NetworkArgs
from components.aws.endpoints import INTERFACE_ENDPOINT_NAMES, endpoint_service_name
from components.aws.network import subnet_layout
from tests.components.provider_facts import AWS_INTERFACE_ENDPOINT_SERVICES_EU_WEST_1
from tests.plans import Plan, Seen, record

TAGS = {"environment": "dev", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "dev"}
ZONES3 = ("us-east-1a", "us-east-1b", "us-east-1c")


@cache  # one plan per distinct network: tests only read it
def network(
    nat: Literal["none", "single", "perAz"], zones: tuple[str, ...] = ZONES3, flow_logs: bool = True
) -> Plan:
    return record(
        lambda: Network(
            "net",
            NetworkArgs(
                cidr="10.10.0.0/16",
                availability_zones=zones,
                nat_strategy=nat,
                region="us-east-1",
                tags=TAGS,
                flow_logs=flow_logs,
                flow_log_retention_days=365,
                flow_log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/logs",
            ),
        )
    )


@pytest.mark.parametrize(("strategy", "expected"), [("none", 0), ("single", 1), ("perAz", 3)])
def test_nat_gateway_count_follows_the_strategy(
    strategy: Literal["none", "single", "perAz"], expected: int
) -> None:
    plan = network(strategy)
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == expected
    assert len(plan.of_type("aws:ec2/eip:Eip")) == expected


def test_per_az_nat_routes_each_private_subnet_through_its_own_zone() -> None:
    plan = network("perAz")
    nat_ids = {r.name.removeprefix("net-nat-"): r for r in plan.of_type("aws:ec2/natGateway:NatGateway")}
    private_tables = [r for r in plan.of_type("aws:ec2/routeTable:RouteTable") if "private" in r.name]
    assert len(private_tables) == 3
    run_ids = {r.urn: r for r in plan.run.resources}
    for table in private_tables:
        zone = table.name.removeprefix("net-private-")
        (route,) = table.inputs["routes"]
        nat_urn = table.property_dependencies["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert any(run_ids[u].name == nat_ids[zone].name for u in nat_urn)


def test_without_nat_private_subnets_have_no_route_to_the_internet() -> None:
    plan = network("none")
    private_tables = [r for r in plan.of_type("aws:ec2/routeTable:RouteTable") if "private" in r.name]
    assert private_tables and all(r.inputs.get("routes", []) == [] for r in private_tables)


def test_no_subnet_assigns_public_ips_on_launch() -> None:
    subnets = network("single").of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_subnets_carry_kubernetes_load_balancer_role_tags() -> None:
    subnets = network("single").of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if "public" in s.name]
    private = [s for s in subnets if "private" in s.name]
    assert public and private
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in private)


def test_default_security_group_is_adopted_with_no_rules() -> None:
    sg = network("single").one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs.get("ingress", []) == [] and sg.inputs.get("egress", []) == []


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group_with_retention() -> None:
    plan = network("single")
    flow = plan.one("aws:ec2/flowLog:FlowLog")
    group = plan.one("aws:cloudwatch/logGroup:LogGroup")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/logs"
    assert plan.by_urn(flow.property_dependencies["vpcId"][0]).type == "aws:ec2/vpc:Vpc"


def test_flow_logs_can_be_turned_off_explicitly() -> None:
    assert network("single", flow_logs=False).of_type("aws:ec2/flowLog:FlowLog") == []


def test_s3_gateway_endpoint_serves_every_private_route_table() -> None:
    plan = network("perAz")
    endpoint = plan.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint.inputs["vpcEndpointType"] == "Gateway"
    assert len(endpoint.inputs["routeTableIds"]) == 3


def test_every_network_resource_carries_the_platform_tags() -> None:
    plan = network("single")
    tagged = [
        r
        for r in plan.resources
        if r.type.startswith("aws:")
        and r.type != "aws:ec2/routeTableAssociation:RouteTableAssociation"
        and "tags" in r.inputs
    ]
    assert len(tagged) >= 15
    for r in tagged:
        assert TAGS.items() <= r.inputs["tags"].items(), r.name


def test_subnet_layout_gives_private_subnets_most_of_the_range_without_overlap() -> None:
    private, public = subnet_layout("10.10.0.0/16", 3)
    assert private == ["10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"]
    assert public == ["10.10.192.0/20", "10.10.208.0/20", "10.10.224.0/20"]


# --- interface endpoints ---------------------------------------------------------------------------------

STUDIO_AND_NODES = ["sagemaker.api", "sagemaker.runtime", "studio", "sts", "logs", "ecr.api", "ecr.dkr"]


@pytest.fixture(scope="module")
def private_endpoints() -> Plan:
    return record(
        lambda: Network(
            "net",
            NetworkArgs(
                cidr="10.20.0.0/16",
                availability_zones=ZONES3,
                nat_strategy="perAz",
                region="us-east-1",
                tags=TAGS,
                interface_endpoints=STUDIO_AND_NODES,
            ),
        )
    )


def interface_endpoints(plan: Plan) -> dict[str, Seen]:
    return {
        e.inputs["serviceName"]: e
        for e in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Interface"
    }


def test_interface_endpoints_cover_studio_and_private_nodes_with_their_service_names(
    private_endpoints: Plan,
) -> None:
    assert sorted(interface_endpoints(private_endpoints)) == sorted(
        [
            "com.amazonaws.us-east-1.sagemaker.api",
            "com.amazonaws.us-east-1.sagemaker.runtime",
            "aws.sagemaker.us-east-1.studio",
            "com.amazonaws.us-east-1.sts",
            "com.amazonaws.us-east-1.logs",
            "com.amazonaws.us-east-1.ecr.api",
            "com.amazonaws.us-east-1.ecr.dkr",
        ]
    )


def test_interface_endpoints_resolve_privately_in_every_private_subnet(private_endpoints: Plan) -> None:
    subnets = {s.urn for s in private_endpoints.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    for endpoint in interface_endpoints(private_endpoints).values():
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["subnetIds"]) == 3
        assert set(endpoint.property_dependencies["subnetIds"]) == subnets


def test_endpoint_security_group_admits_https_from_the_vpc_and_nothing_else(private_endpoints: Plan) -> None:
    group = private_endpoints.one("aws:ec2/securityGroup:SecurityGroup")
    (rule,) = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (
        "tcp",
        443,
        443,
        ["10.20.0.0/16"],
    )
    assert group.inputs["egress"] == []
    for endpoint in interface_endpoints(private_endpoints).values():
        assert endpoint.property_dependencies["securityGroupIds"] == [group.urn]


def test_without_interface_endpoints_no_endpoint_security_group_is_created() -> None:
    assert network("single").of_type("aws:ec2/securityGroup:SecurityGroup") == []


def test_every_settings_endpoint_name_maps_to_a_service() -> None:
    documented = AWS_INTERFACE_ENDPOINT_SERVICES_EU_WEST_1
    assert sorted(INTERFACE_ENDPOINT_NAMES) == sorted(documented)
    assert {name: endpoint_service_name(name, "eu-west-1") for name in documented} == documented
    with pytest.raises(ValueError, match="unknown interface endpoint"):
        endpoint_service_name("s3", "eu-west-1")
