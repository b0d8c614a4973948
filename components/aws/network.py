"""A VPC over 2-3 zones: public and private subnets, NAT by strategy, flow logs, private AWS endpoints."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.aws import iam
from components.aws.endpoints import endpoint_service_name

NatStrategy = Literal["none", "single", "perAz"]


@dataclass(frozen=True)
class NetworkArgs:
    cidr: str
    availability_zones: Sequence[str]
    nat_strategy: NatStrategy
    region: str
    tags: Mapping[str, str]
    flow_logs: bool = True
    flow_log_retention_days: int = 365
    flow_log_kms_key_arn: pulumi.Input[str] | None = None
    # Interface endpoints (names as in INTERFACE_ENDPOINT_NAMES), with private DNS, in the private subnets.
    interface_endpoints: Sequence[str] = ()
    # Every role the component creates carries it (the deployer may create roles only with it).
    permissions_boundary: pulumi.Input[str] | None = None


def subnet_layout(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private subnets take a quarter of the range each; public ones share the last quarter."""
    quarters = list(IPv4Network(cidr).subnets(prefixlen_diff=2))
    private = [str(q) for q in quarters[:zones]]
    public = [str(s) for s in list(quarters[3].subnets(prefixlen_diff=2))[:zones]]
    return private, public


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: pulumi.Output[list[str]]
    s3_prefix_list_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:aws:Network", name, None, opts)
        self._boundary = args.permissions_boundary
        child = pulumi.ResourceOptions(parent=self)
        zones = list(args.availability_zones)

        def tagged(suffix: str, **extra: str) -> dict[str, str]:
            return {**args.tags, "Name": f"{name}-{suffix}", **extra}

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            aws.ec2.VpcArgs(
                cidr_block=args.cidr, enable_dns_hostnames=True, enable_dns_support=True, tags=tagged("vpc")
            ),
            opts=child,
        )
        vpc_id = self.vpc.id
        # Adopt the default security group and strip its rules, so nothing lands in an open group by accident.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            aws.ec2.DefaultSecurityGroupArgs(vpc_id=vpc_id, ingress=[], egress=[], tags=tagged("default-sg")),
            opts=child,
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", aws.ec2.InternetGatewayArgs(vpc_id=vpc_id, tags=tagged("igw")), opts=child
        )

        private_cidrs, public_cidrs = subnet_layout(args.cidr, len(zones))
        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for zone, private_cidr, public_cidr in zip(zones, private_cidrs, public_cidrs, strict=True):
            self.public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{zone}",
                    aws.ec2.SubnetArgs(
                        vpc_id=vpc_id,
                        cidr_block=public_cidr,
                        availability_zone=zone,
                        map_public_ip_on_launch=False,
                        tags=tagged(f"public-{zone}", **{"kubernetes.io/role/elb": "1"}),
                    ),
                    opts=child,
                )
            )
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{zone}",
                    aws.ec2.SubnetArgs(
                        vpc_id=vpc_id,
                        cidr_block=private_cidr,
                        availability_zone=zone,
                        map_public_ip_on_launch=False,
                        tags=tagged(f"private-{zone}", **{"kubernetes.io/role/internal-elb": "1"}),
                    ),
                    opts=child,
                )
            )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            aws.ec2.RouteTableArgs(
                vpc_id=vpc_id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
                tags=tagged("public-rt"),
            ),
            opts=child,
        )
        for zone, subnet in zip(zones, self.public_subnets, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}",
                aws.ec2.RouteTableAssociationArgs(subnet_id=subnet.id, route_table_id=public_rt.id),
                opts=child,
            )

        nat_zones = {"none": [], "single": zones[:1], "perAz": zones}[args.nat_strategy]
        self.nat_gateways: dict[str, aws.ec2.NatGateway] = {}
        for zone, subnet in zip(zones, self.public_subnets, strict=True):
            if zone not in nat_zones:
                continue
            eip = aws.ec2.Eip(
                f"{name}-nat-{zone}", aws.ec2.EipArgs(domain="vpc", tags=tagged(f"nat-{zone}")), opts=child
            )
            self.nat_gateways[zone] = aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                aws.ec2.NatGatewayArgs(allocation_id=eip.id, subnet_id=subnet.id, tags=tagged(f"nat-{zone}")),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        self.private_route_tables: list[aws.ec2.RouteTable] = []
        for zone, subnet in zip(zones, self.private_subnets, strict=True):
            nat = self.nat_gateways.get(zone) or next(iter(self.nat_gateways.values()), None)
            routes = (
                [aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)] if nat else []
            )
            rt = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                aws.ec2.RouteTableArgs(vpc_id=vpc_id, routes=routes, tags=tagged(f"private-{zone}")),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}",
                aws.ec2.RouteTableAssociationArgs(subnet_id=subnet.id, route_table_id=rt.id),
                opts=child,
            )
            self.private_route_tables.append(rt)

        # S3 traffic from private subnets stays on the AWS network and skips NAT charges.
        s3_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3",
            aws.ec2.VpcEndpointArgs(
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{args.region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in self.private_route_tables],
                tags=tagged("s3"),
            ),
            opts=child,
        )

        self.endpoint_security_group: aws.ec2.SecurityGroup | None = None
        self.interface_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        if args.interface_endpoints:
            self._interface_endpoints(name, args, vpc_id, tagged)

        if args.flow_logs:
            self._flow_logs(name, args, vpc_id, tagged("flow-logs"))

        self.vpc_id = vpc_id
        self.cidr = args.cidr
        self.private_subnet_ids_by_zone: dict[str, pulumi.Output[str]] = {
            zone: subnet.id for zone, subnet in zip(zones, self.private_subnets, strict=True)
        }
        self.s3_prefix_list_id = s3_endpoint.prefix_list_id
        self.endpoint_security_group_id = (
            self.endpoint_security_group.id if self.endpoint_security_group is not None else None
        )
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in self.public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in self.private_subnets])
        self.private_route_table_ids = pulumi.Output.all(*[rt.id for rt in self.private_route_tables])
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "s3_prefix_list_id": self.s3_prefix_list_id,
            }
        )

    def _interface_endpoints(
        self, name: str, args: NetworkArgs, vpc_id: pulumi.Output[str], tagged: Callable[..., dict[str, str]]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # Every workload in the VPC (EKS nodes, Studio apps, jobs) reaches the endpoints on 443; a missing rule
        # here is why private GPU nodes fail to pull images and never join.
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            aws.ec2.SecurityGroupArgs(
                vpc_id=vpc_id,
                description="AWS interface endpoints: HTTPS from the VPC",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        description="HTTPS from workloads in the VPC",
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[args.cidr],
                    )
                ],
                egress=[],  # endpoints only answer; they never open connections
                tags=tagged("endpoints"),
            ),
            opts=child,
        )
        subnet_ids = [s.id for s in self.private_subnets]
        for endpoint in args.interface_endpoints:
            self.interface_endpoints[endpoint] = aws.ec2.VpcEndpoint(
                f"{name}-{endpoint.replace('.', '-')}",
                aws.ec2.VpcEndpointArgs(
                    vpc_id=vpc_id,
                    service_name=endpoint_service_name(endpoint, args.region),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=subnet_ids,
                    security_group_ids=[self.endpoint_security_group.id],
                    tags=tagged(endpoint.replace(".", "-")),
                ),
                opts=child,
            )

    def _flow_logs(
        self, name: str, args: NetworkArgs, vpc_id: pulumi.Output[str], tags: dict[str, str]
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            aws.cloudwatch.LogGroupArgs(
                name_prefix=f"/mlplat/vpc/{name}-",
                retention_in_days=args.flow_log_retention_days,
                kms_key_id=args.flow_log_kms_key_arn,
                tags=tags,
            ),
            opts=child,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        role = aws.iam.Role(
            f"{name}-flow-logs",
            aws.iam.RoleArgs(
                permissions_boundary=self._boundary,
                assume_role_policy=iam.assume_role_policy(
                    "vpc-flow-logs.amazonaws.com", source_account=account
                ),
                tags=tags,
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            aws.iam.RolePolicyArgs(
                role=role.id,
                policy=iam.document(
                    iam.statement(
                        sid="WriteFlowLogs",
                        actions=[
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogGroups",
                            "logs:DescribeLogStreams",
                        ],
                        resources=[group.arn, pulumi.Output.concat(group.arn, ":*")],
                    )
                ),
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            aws.ec2.FlowLogArgs(
                vpc_id=vpc_id,
                traffic_type="ALL",
                log_destination_type="cloud-watch-logs",
                log_destination=group.arn,
                iam_role_arn=role.arn,
                max_aggregation_interval=60,
                tags=tags,
            ),
            opts=child,
        )
