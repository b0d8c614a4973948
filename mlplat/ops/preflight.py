"""Before the first deploy: can this AWS account run the stack's GPU pools?

For each AWS GPU pool: is its instance type offered in every zone the pool may use; for each EC2
vCPU quota (instance family x on-demand or spot): does the account's quota cover every pool that
draws on it at full scale; and the stack's budget, which the deploy creates.

Two kinds of shortfall: what fails the deploy (`fail`, exit 1: a zone EKS does not support, Elastic IPs
or VPCs the network cannot get, standard vCPUs for the system nodes, a GPU type not offered where a pool
runs) and what only stops a pool scaling up later (`warn`, exit 0: GPU pools start at zero nodes, so a
GPU quota below maxNodes blocks scale-up, not the deploy). A check that cannot be made (no permission, an
emulator without the API) is `unknown`, never `fail`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from components.catalog import machine_shape
from infra.gpu import gpu_pool_specs
from infra.settings import StackSettings
from mlplat.ops import AwsError, describe, error_code

Status = Literal["ok", "warn", "fail", "unknown"]
Check = Literal["offering", "quota", "budget", "zone", "capacity", "endpoint"]


@dataclass(frozen=True)
class Finding:
    check: Check
    subject: str  # the pool(s) or setting the finding is about
    status: Status
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)  # machine-readable extras for --json


@dataclass(frozen=True)
class Preflight:
    stack: str
    region: str | None  # None: the stack has no AWS section, so nothing was asked of AWS
    account: str | None
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)

    def count(self, status: Status) -> int:
        return sum(f.status == status for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "account": self.account,
            "findings": [
                {"check": f.check, "subject": f.subject, "status": f.status, "message": f.message, **f.data}
                for f in self.findings
            ],
            "summary": {status: self.count(status) for status in ("ok", "warn", "fail", "unknown")},
        }


@dataclass(frozen=True)
class VcpuQuota:
    code: str
    name: str


# EC2 counts instances in vCPUs per region, by (catalog quotaFamily, spot). On-demand P covers every
# P generation; spot P5 has a quota of its own.
VCPU_QUOTAS: dict[tuple[str, bool], VcpuQuota] = {
    ("G", False): VcpuQuota("L-DB2E81BA", "Running On-Demand G and VT instances"),
    ("G", True): VcpuQuota("L-3819A6DF", "All G and VT Spot Instance Requests"),
    ("P", False): VcpuQuota("L-417A185B", "Running On-Demand P instances"),
    ("P", True): VcpuQuota("L-7212CCBC", "All P4, P3 and P2 Spot Instance Requests"),
    ("P5", False): VcpuQuota("L-417A185B", "Running On-Demand P instances"),
    ("P5", True): VcpuQuota("L-C4BD4855", "All P5 Spot Instance Requests"),
}


@dataclass(frozen=True)
class AwsPool:
    """A GPU pool as the preflight sees it: where it may run and how many vCPUs it may hold."""

    name: str
    instance_type: str
    vcpus: int
    max_nodes: int
    spot: bool
    quota_family: str | None
    zones: tuple[str, ...]
    min_nodes: int = 0

    @property
    def max_vcpus(self) -> int:
        return self.max_nodes * self.vcpus

    @property
    def min_vcpus(self) -> int:
        return self.min_nodes * self.vcpus


def aws_pools(stack: StackSettings) -> list[AwsPool]:
    aws, region = stack.settings.aws, stack.providers.aws_region
    if aws is None or region is None:
        return []
    profile = stack.settings.resolved
    network_zones = aws.network.zones_in(region, profile.az_count)
    return [
        AwsPool(
            name=spec.name,
            instance_type=spec.instance_type,
            vcpus=spec.vcpus,
            max_nodes=spec.max_nodes,
            spot=spec.spot,
            quota_family=machine_shape(spec.accelerator, "aws", spec.gpus_per_node).quota_family,
            zones=tuple(spec.zones or network_zones),
            min_nodes=spec.min_nodes,
        )
        for spec in gpu_pool_specs("aws", aws.gpu_pools, profile)
    ]


def run_preflight(
    stack: StackSettings,
    *,
    account: str,
    ec2: BaseClient,
    quotas: BaseClient,
    budgets: BaseClient,
) -> Preflight:
    region = stack.providers.aws_region or ""
    pools = aws_pools(stack)
    findings = [
        *check_offerings(ec2, pools, region),
        *check_quotas(quotas, pools, region),
        *check_budget(stack, budgets, account),
    ]
    return Preflight(stack.stack, region, account, tuple(findings))


def check_offerings(ec2: BaseClient, pools: Sequence[AwsPool], region: str) -> list[Finding]:
    if not pools:
        return []
    try:
        offered = _offered_zones(ec2, sorted({p.instance_type for p in pools}))
    except AwsError as error:
        return [
            Finding("offering", p.name, "unknown", f"instance type offerings unavailable: {describe(error)}")
            for p in pools
        ]
    findings = []
    for pool in pools:
        where = offered.get(pool.instance_type, set())
        missing = [z for z in pool.zones if z not in where]
        data = {"instanceType": pool.instance_type, "zones": list(pool.zones), "missingZones": missing}
        if not missing:
            message = f"{pool.instance_type} is offered in {', '.join(pool.zones)}"
            findings.append(Finding("offering", pool.name, "ok", message, data))
            continue
        message = f"{pool.instance_type} is not offered in {', '.join(missing)}; "
        message += (
            f"set the pool's zones to some of {', '.join(sorted(where))}"
            if where
            else f"it is not offered anywhere in {region}"
        )
        findings.append(Finding("offering", pool.name, "fail", message, data))
    return findings


def _offered_zones(ec2: BaseClient, instance_types: list[str]) -> dict[str, set[str]]:
    offered: dict[str, set[str]] = defaultdict(set)
    pages = ec2.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="availability-zone", Filters=[{"Name": "instance-type", "Values": instance_types}]
    )
    for page in pages:
        for offering in page["InstanceTypeOfferings"]:
            offered[offering["InstanceType"]].add(offering["Location"])
    return offered


def check_quotas(quotas: BaseClient, pools: Sequence[AwsPool], region: str) -> list[Finding]:
    """One finding per quota: every pool that draws on a quota adds its peak to it."""
    groups: dict[VcpuQuota, list[AwsPool]] = defaultdict(list)
    findings = []
    for pool in pools:
        quota = VCPU_QUOTAS.get((pool.quota_family or "", pool.spot))
        if quota is None:
            capacity = "spot" if pool.spot else "on-demand"
            message = (
                f"no known EC2 vCPU quota for {capacity} {pool.instance_type} "
                f"(catalog quotaFamily: {pool.quota_family})"
            )
            findings.append(Finding("quota", pool.name, "unknown", message))
        else:
            groups[quota].append(pool)
    findings += [_check_quota(quotas, quota, members, region) for quota, members in groups.items()]
    return findings


def _check_quota(quotas: BaseClient, quota: VcpuQuota, pools: Sequence[AwsPool], region: str) -> Finding:
    subject = ", ".join(p.name for p in pools)
    needed = sum(p.max_vcpus for p in pools)
    data: dict[str, Any] = {"quotaCode": quota.code, "quotaName": quota.name, "neededVcpus": needed}
    try:
        value = _quota_value(quotas, quota.code)
    except AwsError as error:
        message = f"{quota.name} ({quota.code}): unknown (service quotas unavailable: {describe(error)})"
        return Finding("quota", subject, "unknown", message, data)
    data["quotaVcpus"] = value
    peaks = " + ".join(f"{p.name} {p.max_nodes} x {p.vcpus}" for p in pools)
    head = f"{quota.name} ({quota.code}): {needed} vCPUs at full scale ({peaks}), quota {value:g}"
    if needed <= value:
        return Finding("quota", subject, "ok", head, data)
    request = f"request {quota.code} of at least {needed} in {region} (Service Quotas console)"
    at_deploy = sum(p.min_vcpus for p in pools)
    if at_deploy > value:
        return Finding(
            "quota", subject, "fail", f"{head}; the deploy starts {at_deploy} vCPUs; {request}", data
        )
    # GPU pools start at minNodes (usually 0): the deploy succeeds, scale-up stops at the quota.
    message = f"{head}; blocks scale-up beyond {value:g} vCPUs, not the deploy; {request}"
    return Finding("quota", subject, "warn", message, data)


def _quota_value(quotas: BaseClient, code: str, service: str = "ec2") -> float:
    """The applied quota; AWS answers NoSuchResource for a quota never changed, so then the default."""
    try:
        return float(quotas.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])
    except ClientError as error:
        if error_code(error) != "NoSuchResourceException":
            raise
    return float(quotas.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])


def check_budget(stack: StackSettings, budgets: BaseClient | None, account: str) -> list[Finding]:
    budget = stack.settings.budget
    aws_share = budget.per_cloud.get("aws")
    limit = f"{budget.monthly_usd:g} USD a month" + (f" ({aws_share:g} USD for AWS)" if aws_share else "")
    thresholds = ", ".join(f"{t}%" for t in budget.thresholds)
    data = {"monthlyUsd": budget.monthly_usd, "alertEmails": list(budget.alert_emails)}
    findings = [
        Finding(
            "budget",
            "mlplat:budget",
            "ok",
            f"{limit}; alerts at {thresholds} to {', '.join(budget.alert_emails)}",
            data,
        )
    ]
    if budgets is not None:
        try:
            budgets.describe_budgets(AccountId=account, MaxResults=1)
        except AwsError as error:
            message = f"AWS Budgets unreachable ({describe(error)}); the deploy creates the budget there"
            findings.append(Finding("budget", "AWS Budgets", "unknown", message))
    return findings


# --- what fails a first deploy on AWS -----------------------------------------------------------------------

# EKS docs ("Amazon EKS cluster VPC and subnet requirements"): a cluster cannot use subnets in these zones,
# named by zone id because zone names map to different zones in each account.
EKS_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3", "usw1-az2", "cac1-az3"})
ELASTIC_IPS = VcpuQuota("L-0263D0A3", "EC2-VPC Elastic IPs")
VPCS = VcpuQuota("L-F678F1CE", "VPCs per Region")
STANDARD_VCPUS = VcpuQuota("L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances")
SYSTEM_INSTANCE_TYPE = "m6i.large"  # infra/aws.py's default for the system node group


def check_deploy_capacity(stack: StackSettings, ec2: BaseClient, quotas: BaseClient) -> list[Finding]:
    aws, region = stack.settings.aws, stack.providers.aws_region
    if aws is None or region is None:
        return []
    profile = stack.settings.resolved
    zones = aws.network.zones_in(region, profile.az_count)
    findings = [_check_zone_ids(ec2, zones)]
    nat = {"perAz": len(zones), "single": 1}.get(profile.nat_strategy, 0)
    findings.append(
        _check_headroom(
            quotas,
            ELASTIC_IPS,
            "ec2",
            nat,
            "NAT gateways",
            lambda: len(ec2.describe_addresses()["Addresses"]),
        )
    )
    findings.append(
        _check_headroom(quotas, VPCS, "vpc", 1, "the VPC", lambda: len(ec2.describe_vpcs()["Vpcs"]))
    )
    if aws.kubernetes.enabled:
        findings.append(_check_system_vcpus(stack, ec2, quotas))
    return findings


def _check_zone_ids(ec2: BaseClient, zones: Sequence[str]) -> Finding:
    try:
        found = ec2.describe_availability_zones(ZoneNames=list(zones))["AvailabilityZones"]
    except AwsError as error:
        return Finding("zone", ", ".join(zones), "unknown", f"zone ids unavailable: {describe(error)}")
    ids = {z["ZoneName"]: z["ZoneId"] for z in found}
    bad = [f"{name} ({ids[name]})" for name in zones if ids.get(name) in EKS_UNSUPPORTED_ZONE_IDS]
    data = {"zoneIds": ids}
    if bad:
        message = (
            f"EKS does not support {', '.join(bad)} in this account; set mlplat:aws.network.availabilityZones "
            "to zones whose ids EKS supports"
        )
        return Finding("zone", ", ".join(zones), "fail", message, data)
    shown = ", ".join(f"{name} ({ids.get(name, '?')})" for name in zones)
    return Finding("zone", ", ".join(zones), "ok", f"EKS supports {shown}", data)


def _check_headroom(
    quotas: BaseClient, quota: VcpuQuota, service: str, needed: int, what: str, used: Any
) -> Finding:
    data: dict[str, Any] = {"quotaCode": quota.code, "needed": needed}
    try:
        value, in_use = _quota_value(quotas, quota.code, service), int(used())
    except AwsError as error:
        return Finding(
            "capacity",
            quota.name,
            "unknown",
            f"{quota.name} ({quota.code}): unknown ({describe(error)})",
            data,
        )
    data.update(quota=value, inUse=in_use)
    head = f"{quota.name} ({quota.code}): {in_use} in use of {value:g}; {what} need {needed}"
    if in_use + needed <= value:
        return Finding("capacity", quota.name, "ok", head, data)
    return Finding(
        "capacity", quota.name, "fail", f"{head}; free some or request more (Service Quotas)", data
    )


def _check_system_vcpus(stack: StackSettings, ec2: BaseClient, quotas: BaseClient) -> Finding:
    aws = stack.settings.aws
    assert aws is not None
    nodes = aws.kubernetes.system_nodes
    instance_type = nodes.instance_type or SYSTEM_INSTANCE_TYPE
    subject = f"system nodes ({instance_type})"
    try:
        (info,) = ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"]
        vcpus = int(info["VCpuInfo"]["DefaultVCpus"])
        value = _quota_value(quotas, STANDARD_VCPUS.code)
    except AwsError as error:
        return Finding("quota", subject, "unknown", f"{STANDARD_VCPUS.name}: unknown ({describe(error)})")
    at_deploy, peak = nodes.min_nodes_for(stack.settings.resolved) * vcpus, nodes.max_nodes * vcpus
    data = {
        "quotaCode": STANDARD_VCPUS.code,
        "quotaVcpus": value,
        "deployVcpus": at_deploy,
        "peakVcpus": peak,
    }
    head = (
        f"{STANDARD_VCPUS.name} ({STANDARD_VCPUS.code}): quota {value:g}; the deploy starts {at_deploy} vCPUs"
    )
    if at_deploy > value:
        return Finding("quota", subject, "fail", f"{head}; request at least {at_deploy}", data)
    if peak > value:
        return Finding(
            "quota", subject, "warn", f"{head}, scale-up needs {peak}; request at least {peak}", data
        )
    return Finding("quota", subject, "ok", head, data)
