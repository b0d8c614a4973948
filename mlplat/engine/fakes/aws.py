"""AWS: ids, ARNs and names as the AWS provider computes them."""

from __future__ import annotations

import base64
from typing import Any

from mlplat.engine.fakes import FAKE_CLUSTER_CA_PEM, CallFn, MockContext, OutputFn, Outputs, short_hash

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


def _vpc_endpoint(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    endpoint = f"vpce-{short_hash(name, 17)}"
    out: Outputs = {"id": endpoint, "arn": arn("ec2", ctx, f"vpc-endpoint/{endpoint}"), "state": "available"}
    if inputs.get("vpcEndpointType") == "Gateway":
        out["prefixListId"] = f"pl-{short_hash(name, 8)}"
    else:
        service = str(inputs.get("serviceName", ""))
        out["dnsEntries"] = [
            {"dnsName": f"{endpoint}.{service}.vpce.amazonaws.com", "hostedZoneId": "Z7HUB22UULQXV"}
        ]
        out["networkInterfaceIds"] = [f"eni-{short_hash(name + s, 17)}" for s in inputs.get("subnetIds", [])]
    return out


def _security_group(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    group = f"sg-{short_hash(name, 17)}"
    return {"id": group, "arn": arn("ec2", ctx, f"security-group/{group}"), "ownerId": ACCOUNT_ID}


def _launch_template(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    template = f"lt-{short_hash(name, 17)}"
    return {
        "id": template,
        "arn": arn("ec2", ctx, f"launch-template/{template}"),
        "name": named(name, inputs),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


def _eks_cluster(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    cluster = inputs.get("name") or f"{name}-{short_hash(name, 7)}"
    h = short_hash(name, 32).upper()
    ca = base64.b64encode(FAKE_CLUSTER_CA_PEM.encode())
    return {
        "id": cluster,
        "name": cluster,
        "arn": arn("eks", ctx, f"cluster/{cluster}"),
        "endpoint": f"https://{h}.gr7.{ctx.aws_region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca.decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{ctx.aws_region}.amazonaws.com/id/{h}"}]}],
        "vpcConfig": {
            **(inputs.get("vpcConfig") or {}),
            "clusterSecurityGroupId": f"sg-{short_hash(name + 'cluster', 17)}",
            "vpcId": f"vpc-{short_hash(name + 'vpc', 17)}",
        },
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _eks_node_group(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    group = (
        inputs.get("nodeGroupName")
        or f"{inputs.get('nodeGroupNamePrefix') or name + '-'}{short_hash(name, 7)}"
    )
    cluster = inputs.get("clusterName", "cluster")
    h = short_hash(name, 32)
    return {
        "id": f"{cluster}:{group}",
        "nodeGroupName": group,
        "arn": arn(
            "eks", ctx, f"nodegroup/{cluster}/{group}/{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
        ),
        "resources": [
            {
                "autoscalingGroups": [
                    {"name": f"eks-{group}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"}
                ],
                "remoteAccessSecurityGroupId": "",
            }
        ],
        "status": "ACTIVE",
    }


def _eks_addon(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    cluster, addon = inputs.get("clusterName", "cluster"), inputs.get("addonName", name)
    return {
        "id": f"{cluster}:{addon}",
        "arn": arn("eks", ctx, f"addon/{cluster}/{addon}/{short_hash(name, 8)}"),
        "addonVersion": inputs.get("addonVersion") or "v1.0.0-eksbuild.1",
    }


def _eks_access_entry(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", "")
    return {
        "id": f"{cluster}:{principal}",
        "accessEntryArn": arn("eks", ctx, f"access-entry/{cluster}/{short_hash(name, 8)}"),
        "userName": principal,
    }


def _oidc_provider(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    host = str(inputs.get("url", "")).removeprefix("https://")
    provider = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    return {"id": provider, "arn": provider}


def _sagemaker_domain(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    domain = f"d-{short_hash(name, 12)}"
    return {
        "id": domain,
        "arn": arn("sagemaker", ctx, f"domain/{domain}"),
        "url": f"https://{domain}.studio.{ctx.aws_region}.sagemaker.aws",
        "homeEfsFileSystemId": f"fs-{short_hash(name, 17)}",
        "securityGroupIdForDomainBoundary": f"sg-{short_hash(name + 'boundary', 17)}",
    }


def _sagemaker_user_profile(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    profile = arn(
        "sagemaker", ctx, f"user-profile/{inputs.get('domainId', 'd-')}/{inputs.get('userProfileName', name)}"
    )
    return {"id": profile, "arn": profile, "homeEfsFileSystemUid": str(200000 + int(short_hash(name, 4), 16))}


def _studio_lifecycle_config(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    config = inputs.get("studioLifecycleConfigName") or name
    return {"id": config, "arn": arn("sagemaker", ctx, f"studio-lifecycle-config/{config}")}


def _sns_topic(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    topic = named(name, inputs)
    return {"id": arn("sns", ctx, topic), "arn": arn("sns", ctx, topic), "name": topic, "owner": ACCOUNT_ID}


def _budget(name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    budget = named(name, inputs)
    return {
        "id": f"{ACCOUNT_ID}:{budget}",
        "name": budget,
        "arn": f"arn:aws:budgets::{ACCOUNT_ID}:budget/{budget}",
    }


OUTPUTS: dict[str, OutputFn] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": prefixed("subnet"),
    "aws:ec2/internetGateway:InternetGateway": prefixed("igw"),
    "aws:ec2/natGateway:NatGateway": prefixed("nat"),
    "aws:ec2/routeTable:RouteTable": prefixed("rtb"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": prefixed("rtbassoc"),
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": prefixed("sg"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:ec2/flowLog:FlowLog": prefixed("fl"),
    "aws:ec2/eip:Eip": _eip,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:iam/role:Role": _role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:sagemaker/domain:Domain": _sagemaker_domain,
    "aws:sagemaker/userProfile:UserProfile": _sagemaker_user_profile,
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": _studio_lifecycle_config,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:budgets/budget:Budget": _budget,
}


def fallback(token: str, name: str, inputs: Outputs, ctx: MockContext) -> Outputs:
    """Any other AWS resource gets an ARN in its service's namespace."""
    service = token.split(":")[1].split("/")[0]
    return {"arn": arn(service, ctx, name)}


def _caller_identity(_args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{ctx.caller}",
        "userId": "AIDA" + ctx.caller.upper().replace("-", ""),
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


def _session_context(args: dict[str, Any], _ctx: MockContext) -> dict[str, Any]:
    """An assumed-role session ARN maps to its role; any other principal ARN is its own issuer."""
    session = str(args.get("arn", ""))
    issuer, role_name, session_name = session, "", ""
    if ":assumed-role/" in session:
        account = session.split(":")[4]
        role_name, session_name = session.split(":assumed-role/", 1)[1].split("/", 1)
        issuer = f"arn:aws:iam::{account}:role/{role_name}"
    return {
        "arn": session,
        "id": session,
        "issuerArn": issuer,
        "issuerId": "AROAMLPLATPLAN" if role_name else "",
        "issuerName": role_name,
        "sessionName": session_name,
    }


# Service-linked roles live under /aws-service-role/<service>/ (IAM User Guide, service-linked roles).
_SERVICE_LINKED = {"AWSServiceRoleForAutoScaling": "autoscaling.amazonaws.com"}


def _get_role(args: dict[str, Any], _ctx: MockContext) -> dict[str, Any]:
    """An existing role, as IAM GetRole answers; the offline account already has its service-linked roles."""
    name = str(args.get("name", ""))
    service = _SERVICE_LINKED.get(name)
    path = f"/aws-service-role/{service}/" if service else "/"
    return {
        "id": name,
        "name": name,
        "path": path,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role{path}{name}",
        "uniqueId": f"AROA{short_hash(name, 17).upper()}",
    }


# EC2 DescribeAvailabilityZones: zone names per region are not always a, b, c (zone ids map per account).
_ZONE_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}
# EC2 DescribeInstanceTypeOfferings: older zones lack newer families; us-east-1e offers no GPU instances.
_NO_GPU_ZONES = {"us-east-1e"}
_GPU_FAMILIES = ("g4dn.", "g5.", "g6.", "g6e.", "p3.", "p4d.", "p4de.", "p5.")


def _zones(ctx: MockContext) -> list[str]:
    return [f"{ctx.aws_region}{z}" for z in _ZONE_LETTERS.get(ctx.aws_region, "abc")]


def _availability_zones(args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    names = _zones(ctx)
    return {
        "id": ctx.aws_region,
        "names": names,
        "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))],
        "groupNames": [ctx.aws_region] * len(names),
    }


def _instance_type_offerings(args: dict[str, Any], ctx: MockContext) -> dict[str, Any]:
    wanted = [
        v for f in args.get("filters") or [] if f.get("name") == "instance-type" for v in f.get("values", [])
    ]
    rows = [
        (t, zone)
        for t in wanted
        for zone in _zones(ctx)
        if not (t.startswith(_GPU_FAMILIES) and zone in _NO_GPU_ZONES)
    ]
    return {
        "id": ctx.aws_region,
        "instanceTypes": [t for t, _ in rows],
        "locations": [z for _, z in rows],
        "locationTypes": ["availability-zone"] * len(rows),
    }


CALLS: dict[str, CallFn] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": _instance_type_offerings,
    "aws:iam/getRole:getRole": _get_role,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}
