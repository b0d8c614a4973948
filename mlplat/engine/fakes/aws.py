"""AWS: ids, ARNs and names as the AWS provider computes them."""

from __future__ import annotations

from typing import Any

from mlplat.engine.fakes import CallFn, MockContext, OutputFn, Outputs, short_hash

ACCOUNT_ID = "123456789012"


def arn(service: str, ctx: MockContext, resource: str) -> str:
    return f"arn:aws:{service}:{ctx.aws_region}:{ACCOUNT_ID}:{resource}"


def _bucket(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    bucket = inputs.get("bucket") or f"{inputs.get('bucketPrefix') or name + '-'}{short_hash(name, 7)}"
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{ctx.aws_region}.amazonaws.com",
        "region": ctx.aws_region,
    }


def prefixed(prefix: str) -> OutputFn:
    """Resources whose id is `<prefix>-<17 hex>` (vpc-, subnet-, sg-, ...)."""

    def build(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
        return {"id": f"{prefix}-{short_hash(name, 17)}"}

    return build


def _vpc(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    vpc = f"vpc-{short_hash(name, 17)}"
    return {
        "id": vpc,
        "arn": arn("ec2", ctx, f"vpc/{vpc}"),
        "defaultSecurityGroupId": f"sg-{short_hash(name + 'sg', 17)}",
        "defaultNetworkAclId": f"acl-{short_hash(name + 'acl', 17)}",
        "mainRouteTableId": f"rtb-{short_hash(name + 'rtb', 17)}",
        "ownerId": ACCOUNT_ID,
    }


def _eip(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    allocation = f"eipalloc-{short_hash(name, 17)}"
    return {
        "id": allocation,
        "allocationId": allocation,
        "publicIp": f"198.51.100.{int(short_hash(name, 4), 16) % 254 + 1}",
    }


def _kms_key(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    h = short_hash(name, 32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"id": key_id, "keyId": key_id, "arn": arn("kms", ctx, f"key/{key_id}")}


def _kms_alias(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    alias = inputs.get("name") or f"alias/{name}"
    return {"id": alias, "arn": arn("kms", ctx, alias)}


def named(name: str, inputs: Outputs) -> str:
    """The physical name the provider uses: explicit, or autonamed from a prefix or the logical name."""
    return inputs.get("name") or f"{inputs.get('namePrefix') or name + '-'}{short_hash(name, 7)}"


def _role(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    role = named(name, inputs)
    return {
        "id": role,
        "name": role,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{role}",
        "uniqueId": f"AROA{short_hash(name, 17).upper()}",
    }


def _log_group(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    group = named(name, inputs)
    return {"id": group, "name": group, "arn": arn("logs", ctx, f"log-group:{group}")}


OUTPUTS: dict[str, OutputFn] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": prefixed("subnet"),
    "aws:ec2/internetGateway:InternetGateway": prefixed("igw"),
    "aws:ec2/natGateway:NatGateway": prefixed("nat"),
    "aws:ec2/routeTable:RouteTable": prefixed("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": prefixed("rtbassoc"),
    "aws:ec2/securityGroup:SecurityGroup": prefixed("sg"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": prefixed("sg"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": prefixed("vpce"),
    "aws:ec2/flowLog:FlowLog": prefixed("fl"),
    "aws:ec2/eip:Eip": _eip,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
}


def fallback(token: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """Any other AWS resource gets an ARN in its service's namespace."""
    service = token.split(":")[1].split("/")[0]
    return {"arn": arn(service, ctx, name)}


def _caller_identity(_args: dict[str, Any], _ctx: MockContext) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mlplat-plan",
        "userId": "AIDAMLPLATPLAN",
        "id": ACCOUNT_ID,
    }


def _partition(_args: dict[str, Any], _ctx: MockContext) -> dict[str, Any]:
    return {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
        "id": "aws",
    }


def _region(_args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    return {"region": ctx.aws_region, "name": ctx.aws_region, "id": ctx.aws_region}


CALLS: dict[str, CallFn] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
}
