"""Mocks that answer like the clouds would: realistic computed outputs, recorded registrations.

Outputs are the inputs echoed back plus what the provider computes (ids, ARNs, names,
endpoints), derived deterministically from the URN so plans and inventories are stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime.mocks import MockMonitor

from mlplat.engine.recording import RecordedResource

ACCOUNT_ID = "123456789012"
AWS_REGION_DEFAULT = "us-east-1"

Outputs = dict[str, Any]


def short_hash(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _aws_arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


def _aws_bucket(name: str, inputs: Outputs, region: str) -> Outputs:
    bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix') or name + '-'}{short_hash(name, 7)}"
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        "region": region,
    }


def _aws_prefixed(prefix: str) -> Callable[[str, Outputs, str], Outputs]:
    def build(name: str, inputs: Outputs, region: str) -> Outputs:
        return {"id": f"{prefix}-{short_hash(name, 17)}"}

    return build


def _aws_vpc(name: str, inputs: Outputs, region: str) -> Outputs:
    vpc = f"vpc-{short_hash(name, 17)}"
    return {
        "id": vpc,
        "arn": _aws_arn("ec2", region, f"vpc/{vpc}"),
        "defaultSecurityGroupId": f"sg-{short_hash(name + 'sg', 17)}",
        "defaultNetworkAclId": f"acl-{short_hash(name + 'acl', 17)}",
        "mainRouteTableId": f"rtb-{short_hash(name + 'rtb', 17)}",
        "ownerId": ACCOUNT_ID,
    }


def _aws_eip(name: str, inputs: Outputs, region: str) -> Outputs:
    n = int(short_hash(name, 4), 16)
    return {
        "id": f"eipalloc-{short_hash(name, 17)}",
        "allocationId": f"eipalloc-{short_hash(name, 17)}",
        "publicIp": f"198.51.100.{n % 254 + 1}",
    }


def _aws_kms_key(name: str, inputs: Outputs, region: str) -> Outputs:
    h = short_hash(name, 32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"id": key_id, "keyId": key_id, "arn": _aws_arn("kms", region, f"key/{key_id}")}


def _aws_kms_alias(name: str, inputs: Outputs, region: str) -> Outputs:
    alias = inputs.get("name") or f"alias/{name}"
    return {"id": alias, "arn": _aws_arn("kms", region, alias)}


def _aws_role(name: str, inputs: Outputs, region: str) -> Outputs:
    role = inputs.get("name") or f"{inputs.get('namePrefix') or name + '-'}{short_hash(name, 7)}"
    return {
        "id": role,
        "name": role,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
        "uniqueId": f"AROA{short_hash(name, 17).upper()}",
    }


def _aws_log_group(name: str, inputs: Outputs, region: str) -> Outputs:
    group = inputs.get("name") or f"{inputs.get('namePrefix') or name + '-'}{short_hash(name, 7)}"
    return {"id": group, "name": group, "arn": _aws_arn("logs", region, f"log-group:{group}")}


AWS_OUTPUTS: dict[str, Callable[[str, Outputs, str], Outputs]] = {
    "aws:s3/bucket:Bucket": _aws_bucket,
    "aws:ec2/vpc:Vpc": _aws_vpc,
    "aws:ec2/subnet:Subnet": _aws_prefixed("subnet"),
    "aws:ec2/internetGateway:InternetGateway": _aws_prefixed("igw"),
    "aws:ec2/natGateway:NatGateway": _aws_prefixed("nat"),
    "aws:ec2/routeTable:RouteTable": _aws_prefixed("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _aws_prefixed("rtbassoc"),
    "aws:ec2/securityGroup:SecurityGroup": _aws_prefixed("sg"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _aws_prefixed("sg"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_prefixed("vpce"),
    "aws:ec2/flowLog:FlowLog": _aws_prefixed("fl"),
    "aws:ec2/eip:Eip": _aws_eip,
    "aws:kms/key:Key": _aws_kms_key,
    "aws:kms/alias:Alias": _aws_kms_alias,
    "aws:iam/role:Role": _aws_role,
    "aws:cloudwatch/logGroup:LogGroup": _aws_log_group,
}


def computed_outputs(
    typ: str, name: str, inputs: Outputs, region: str = AWS_REGION_DEFAULT
) -> tuple[str, Outputs]:
    """(id, outputs) for a resource: inputs echoed, then what the provider would compute."""
    outputs = dict(inputs)
    if typ in AWS_OUTPUTS:
        outputs.update(AWS_OUTPUTS[typ](name, inputs, region))
    elif typ.startswith("aws:"):
        service = typ.split(":")[1].split("/")[0]
        outputs.setdefault("arn", _aws_arn(service, region, f"{name}"))
    resource_id = str(outputs.pop("id", None) or f"{name}-{short_hash(typ + name)}")
    return resource_id, outputs


def _caller_identity(_args: dict[str, Any], _region: str) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mlplat-plan",
        "userId": "AIDAMLPLATPLAN",
        "id": ACCOUNT_ID,
    }


def _partition(_args: dict[str, Any], _region: str) -> dict[str, Any]:
    return {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    }


def _region(_args: dict[str, Any], region: str) -> dict[str, Any]:
    return {"region": region, "name": region, "id": region}


CALLS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
}


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self, aws_region: str = AWS_REGION_DEFAULT) -> None:
        self.aws_region = aws_region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return computed_outputs(args.typ, args.name, dict(args.inputs), self.aws_region)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        handler = CALLS.get(args.token)
        if handler is None:
            raise NotImplementedError(f"the offline engine has no answer for the invoke {args.token}")
        return handler(dict(args.args), self.aws_region), []


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration as the engine would receive it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.resource_outputs: dict[str, struct_pb2.Struct] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                provider=request.provider,
                inputs=request.object,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                outputs=response.object,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.resource_outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)
