"""Monthly cost of a plan from the price catalog: idle (nothing running) and peak (every pool full).

Estimators read resource inputs by the engine's camelCase names, the same view the policy pack
gets. A resource type with a fixed or per-node cost whose price is missing is reported as not
estimated, never as zero; usage-priced types (storage, logs, requests, traffic) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from ruamel.yaml import YAML

from mlplat.engine.recording import RecordedResource

_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"


@dataclass(frozen=True)
class Price:
    price: float
    unit: str  # hour | month | day | gbMonth | ratio
    source: str
    read: str
    verified: bool


@dataclass(frozen=True)
class CostItem:
    urn: str
    type: str
    name: str
    cloud: str
    component: str  # the nearest platform component (mlplat:*) above the resource
    idle_monthly: float
    peak_monthly: float
    basis: str
    verified: bool


@dataclass(frozen=True)
class NotEstimated:
    urn: str
    type: str
    name: str
    reason: str


@dataclass
class CostEstimate:
    currency: str
    items: list[CostItem] = field(default_factory=list)
    not_estimated: list[NotEstimated] = field(default_factory=list)

    def total(self, cloud: str | None = None) -> tuple[float, float]:
        chosen = [i for i in self.items if cloud is None or i.cloud == cloud]
        return round(sum(i.idle_monthly for i in chosen), 2), round(sum(i.peak_monthly for i in chosen), 2)

    def by_component(self) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for i in self.items:
            idle, peak = out.get(i.component, (0.0, 0.0))
            out[i.component] = (round(idle + i.idle_monthly, 2), round(peak + i.peak_monthly, 2))
        return dict(sorted(out.items()))

    @property
    def clouds(self) -> list[str]:
        return sorted({i.cloud for i in self.items})


@cache
def _catalog() -> dict[str, Any]:
    return YAML(typ="safe").load(_PRICES.read_text())


class PriceBook:
    """Prices for the stack's regions, one per cloud."""

    def __init__(self, regions: dict[str, str]) -> None:
        self.regions = regions
        data = _catalog()
        self.currency: str = data["currency"]
        self.hours: float = float(data["hoursPerMonth"])
        self.spot_discount = _price(data["spotDiscount"])

    def _table(self, cloud: str) -> dict[str, Any]:
        return _catalog().get(cloud, {}).get(self.regions.get(cloud, ""), {})

    def get(self, cloud: str, key: str) -> Price | None:
        entry = self._table(cloud).get(key)
        return None if entry is None else _price(entry)

    def instance(self, cloud: str, instance_type: str) -> Price | None:
        entry = self._table(cloud).get("instances", {}).get(instance_type)
        return None if entry is None else _price(entry)

    def accelerator(self, cloud: str, accelerator_type: str) -> Price | None:
        entry = self._table(cloud).get("accelerators", {}).get(accelerator_type)
        return None if entry is None else _price(entry)

    def monthly(self, price: Price, quantity: float = 1.0) -> float:
        per_month = {"hour": self.hours, "month": 1.0, "day": self.hours / 24, "gbMonth": 1.0}[price.unit]
        return price.price * per_month * quantity


def _price(entry: dict[str, Any]) -> Price:
    return Price(
        float(entry["price"]),
        str(entry["unit"]),
        str(entry.get("source", "")),
        str(entry.get("read", "")),
        bool(entry.get("verified", False)),
    )


@dataclass(frozen=True)
class Resource:
    """A planned resource as estimators see it: camelCase inputs, like the policy pack."""

    urn: str
    type: str
    name: str
    parent: str
    inputs: dict[str, Any]
    property_dependencies: dict[str, list[str]]


@dataclass(frozen=True)
class Estimate:
    idle: float
    peak: float
    basis: str
    verified: bool = True


@dataclass(frozen=True)
class Missing:
    reason: str


Result = Estimate | Missing


class Context:
    def __init__(self, resources: Sequence[Resource], book: PriceBook) -> None:
        self.book = book
        self.by_urn = {r.urn: r for r in resources}
        self.resources = resources
        self._gke_credit_used = False

    def linked(self, resource: Resource, prop: str) -> Resource | None:
        """The resource that `resource.<prop>` depends on, if the program registered it."""
        for urn in resource.property_dependencies.get(prop, []):
            if urn in self.by_urn:
                return self.by_urn[urn]
        return None

    def of_type(self, token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == token]

    def take_gke_credit(self) -> bool:
        """The free management credit covers one zonal cluster per billing account: the first one."""
        if self._gke_credit_used:
            return False
        self._gke_credit_used = True
        return True


Estimator = Callable[[Resource, Context], Result]


def _get(value: Any, *path: str | int, default: Any = None) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or len(value) <= step:
                return default
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return default
            value = value[step]
    return default if value is None else value


def _fixed(
    cloud: str, key: str, what: str, quantity: Callable[[Resource], float] = lambda _r: 1.0
) -> Estimator:
    def estimate(r: Resource, ctx: Context) -> Result:
        price = ctx.book.get(cloud, key)
        if price is None:
            return Missing(f"no {cloud} price for {key} in {ctx.book.regions.get(cloud, '?')}")
        n = quantity(r)
        monthly = ctx.book.monthly(price, n)
        count = f"{n:g} x " if n != 1 else ""
        return Estimate(monthly, monthly, f"{count}{what} ${price.price:g}/{price.unit}", price.verified)

    return estimate


def nodes(
    ctx: Context,
    cloud: str,
    instance_type: str,
    low: int,
    high: int,
    *,
    spot: bool,
    disk_gb: float = 0.0,
    disk_key: str | None = None,
    extra: Iterable[tuple[Price, float]] = (),
) -> Result:
    """`low`..`high` nodes of one instance type (plus attached accelerators and per-node disk)."""
    price = ctx.book.instance(cloud, instance_type)
    if price is None:
        return Missing(
            f"no {cloud} price for instance type {instance_type} in {ctx.book.regions.get(cloud, '?')}"
        )
    extras = list(extra)
    per_node = ctx.book.monthly(price) + sum(ctx.book.monthly(p, n) for p, n in extras)
    verified = price.verified and all(p.verified for p, _ in extras)
    if spot:
        per_node *= 1 - ctx.book.spot_discount.price
        verified = verified and ctx.book.spot_discount.verified
    disk = ctx.book.get(cloud, disk_key) if disk_key and disk_gb else None
    if disk is not None:
        per_node += ctx.book.monthly(disk, disk_gb)
        verified = verified and disk.verified
    kind = "spot" if spot else "on-demand"
    basis = f"{low}-{high} x {instance_type} {kind} (${price.price:g}/h" + (
        f" + {disk_gb:g} GB disk)" if disk else ")"
    )
    return Estimate(per_node * low, per_node * high, basis, verified)


# --- AWS -----------------------------------------------------------------------------------------


def _aws_node_group(r: Resource, ctx: Context) -> Result:
    types = r.inputs.get("instanceTypes") or []
    if not types:
        return Missing("no instanceTypes on the node group")
    scaling = r.inputs.get("scalingConfig", {})
    disk = float(r.inputs.get("diskSize") or 0)
    template = ctx.linked(r, "launchTemplate")
    if not disk and template is not None:
        disk = float(_get(template.inputs, "blockDeviceMappings", 0, "ebs", "volumeSize", default=0))
    return nodes(
        ctx,
        "aws",
        types[0],
        int(scaling.get("minSize", 0)),
        int(scaling.get("maxSize", 0)),
        spot=r.inputs.get("capacityType") == "SPOT",
        disk_gb=disk,
        disk_key="gp3",
    )


def _aws_endpoint(r: Resource, ctx: Context) -> Result:
    if r.inputs.get("vpcEndpointType") != "Interface":
        return Estimate(0.0, 0.0, "gateway endpoint: no hourly charge")
    return _fixed(
        "aws", "interfaceEndpoint", "interface endpoint ENI", lambda x: len(x.inputs.get("subnetIds", []))
    )(r, ctx)


# --- GCP -----------------------------------------------------------------------------------------


def _gke_zonal(location: str) -> bool:
    return location.count("-") >= 2  # "us-central1-a" is a zone, "us-central1" a region


def _gke_cluster(r: Resource, ctx: Context) -> Result:
    fee = _fixed("gcp", "gkeCluster", "GKE management fee")(r, ctx)
    if isinstance(fee, Missing) or not _gke_zonal(str(r.inputs.get("location", ""))):
        return fee
    credit = ctx.book.get("gcp", "gkeFreeCreditMonthly")
    if credit is None or not ctx.take_gke_credit():
        return fee
    covered = min(fee.idle, credit.price)
    return Estimate(
        fee.idle - covered, fee.peak - covered, f"{fee.basis}, zonal: free-tier credit applies", fee.verified
    )


def _gke_node_counts(r: Resource, ctx: Context) -> tuple[int, int]:
    auto = r.inputs.get("autoscaling") or {}
    if "totalMaxNodeCount" in auto:
        return int(auto.get("totalMinNodeCount", 0)), int(auto["totalMaxNodeCount"])
    zones = len(r.inputs.get("nodeLocations") or [])
    if not zones:
        cluster = ctx.linked(r, "cluster")
        location = str(cluster.inputs.get("location", "")) if cluster else str(r.inputs.get("location", ""))
        zones = 1 if _gke_zonal(location) else 3
    if "maxNodeCount" in auto:
        return int(auto.get("minNodeCount", 0)) * zones, int(auto["maxNodeCount"]) * zones
    fixed = int(r.inputs.get("nodeCount", r.inputs.get("initialNodeCount", 1))) * zones
    return fixed, fixed


def _gke_node_pool(r: Resource, ctx: Context) -> Result:
    config = r.inputs.get("nodeConfig", {})
    machine = config.get("machineType")
    if not machine:
        return Missing("no nodeConfig.machineType on the node pool")
    extra: list[tuple[Price, float]] = []
    for acc in config.get("guestAccelerators", []):
        # A2, A3 and G2 machines include their GPUs; N1 machines are billed for attached GPUs on top.
        if machine.startswith("n1-"):
            price = ctx.book.accelerator("gcp", acc.get("type", ""))
            if price is None:
                return Missing(f"no gcp price for accelerator {acc.get('type')}")
            extra.append((price, float(acc.get("count", 1))))
    low, high = _gke_node_counts(r, ctx)
    return nodes(
        ctx,
        "gcp",
        machine,
        low,
        high,
        spot=bool(config.get("spot") or config.get("preemptible")),
        disk_gb=float(config.get("diskSizeGb", 100)),
        disk_key="pdBalanced",
        extra=extra,
    )


def _cloud_nat(r: Resource, ctx: Context) -> Result:
    per_vm, per_ip = ctx.book.get("gcp", "cloudNatPerVm"), ctx.book.get("gcp", "cloudNatIp")
    if per_vm is None or per_ip is None:
        return Missing("no Cloud NAT price for the region")
    counts = [_gke_node_counts(p, ctx) for p in ctx.of_type("gcp:container/nodePool:NodePool")]
    idle_vms, peak_vms = sum(c[0] for c in counts), sum(c[1] for c in counts)
    ips = max(1, len(r.inputs.get("natIps", [])))

    def month(vms: int) -> float:
        return ctx.book.monthly(per_vm, min(vms, 32)) + ctx.book.monthly(per_ip, ips)

    basis = f"Cloud NAT for {idle_vms}-{peak_vms} VMs (${per_vm.price:g}/VM-h, max 32) + {ips} IP"
    return Estimate(month(idle_vms), month(peak_vms), basis, per_vm.verified and per_ip.verified)


def _workbench(r: Resource, ctx: Context) -> Result:
    setup = r.inputs.get("gceSetup", {})
    machine = setup.get("machineType")
    if not machine:
        return Missing("no gceSetup.machineType on the instance")
    running = nodes(ctx, "gcp", machine, 0, 1, spot=False)
    if isinstance(running, Missing):
        return running
    data_disks = setup.get("dataDisks") or []
    data_disks = data_disks if isinstance(data_disks, list) else [data_disks]  # one object in this provider
    disk_gb = float(_get(setup, "bootDisk", "diskSizeGb", default=150)) + sum(
        float(d.get("diskSizeGb", 0)) for d in data_disks
    )
    disk = ctx.book.get("gcp", "pdBalanced")
    disks = ctx.book.monthly(disk, disk_gb) if disk else 0.0
    # Idle shutdown stops the VM; its disks are billed either way.
    return Estimate(
        disks,
        running.peak + disks,
        f"{machine} when running (idle: stopped) + {disk_gb:g} GB disk",
        running.verified,
    )


# --- Azure ---------------------------------------------------------------------------------------


def _azure_pool(pool: dict[str, Any], ctx: Context) -> Result:
    size = pool.get("vmSize")
    if not size:
        return Missing("no vmSize on the agent pool")
    if pool.get("enableAutoScaling"):
        low, high = int(pool.get("minCount", 0)), int(pool.get("maxCount", 0))
    else:
        low = high = int(pool.get("count", 1))
    return nodes(ctx, "azure", size, low, high, spot=pool.get("scaleSetPriority") == "Spot")


def _aks(r: Resource, ctx: Context) -> Result:
    tier = _get(r.inputs, "sku", "tier", default="Free")
    fee: Result = Estimate(0.0, 0.0, "AKS Free tier")
    if tier in ("Standard", "Premium"):
        fee = _fixed("azure", f"aks{tier}", f"AKS {tier} tier")(r, ctx)
    if isinstance(fee, Missing):
        return fee
    idle, peak, verified, parts = fee.idle, fee.peak, fee.verified, [fee.basis]
    for pool in r.inputs.get("agentPoolProfiles", []):
        pool_cost = _azure_pool(pool, ctx)
        if isinstance(pool_cost, Missing):
            return pool_cost
        idle, peak, verified = idle + pool_cost.idle, peak + pool_cost.peak, verified and pool_cost.verified
        parts.append(f"{pool.get('name', 'pool')}: {pool_cost.basis}")
    return Estimate(idle, peak, "; ".join(parts), verified)


def _acr(r: Resource, ctx: Context) -> Result:
    sku = str(_get(r.inputs, "sku", "name", default="Basic"))
    return _fixed("azure", f"acr{sku}", f"container registry {sku}")(r, ctx)


def _aml_compute(r: Resource, ctx: Context) -> Result:
    props = r.inputs.get("properties", {})
    kind, inner = props.get("computeType"), props.get("properties", {})
    if kind == "AmlCompute":
        scale = inner.get("scaleSettings", {})
        spot = inner.get("vmPriority") == "LowPriority"
        return nodes(
            ctx,
            "azure",
            inner.get("vmSize", ""),
            int(scale.get("minNodeCount", 0)),
            int(scale.get("maxNodeCount", 0)),
            spot=spot,
        )
    if kind == "ComputeInstance":
        running = nodes(ctx, "azure", inner.get("vmSize", ""), 0, 1, spot=False)
        if isinstance(running, Missing):
            return running
        return Estimate(
            0.0, running.peak, f"{inner.get('vmSize')} when running (idle: shut down)", running.verified
        )
    return Estimate(0.0, 0.0, f"{kind}: no fixed cost")


def _aml_workspace(r: Resource, ctx: Context) -> Result:
    """Azure ML managed network: FQDN outbound rules bring a managed Azure Firewall (Azure ML docs)."""
    network = r.inputs.get("managedNetwork", {})
    rules = network.get("outboundRules", {}) or {}
    if not any(rule.get("type") == "FQDN" for rule in rules.values()):
        return Estimate(0.0, 0.0, "no FQDN outbound rules: no managed firewall")
    sku = network.get("firewallSku", "Standard")
    if sku != "Basic":
        return Missing(f"no azure price for a {sku} managed firewall")
    return _fixed("azure", "firewallBasic", "managed Azure Firewall Basic")(r, ctx)


ESTIMATORS: dict[str, Estimator] = {
    "aws:eks/cluster:Cluster": _fixed("aws", "eksCluster", "EKS control plane"),
    "aws:eks/nodeGroup:NodeGroup": _aws_node_group,
    "aws:ec2/natGateway:NatGateway": _fixed("aws", "natGateway", "NAT gateway"),
    "aws:ec2/eip:Eip": _fixed("aws", "publicIpv4", "public IPv4 address"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_endpoint,
    "aws:kms/key:Key": _fixed("aws", "kmsKey", "customer managed key"),
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:container/nodePool:NodePool": _gke_node_pool,
    "gcp:compute/routerNat:RouterNat": _cloud_nat,
    "gcp:workbench/instance:Instance": _workbench,
    "gcp:kms/cryptoKey:CryptoKey": _fixed("gcp", "kmsKeyVersion", "key version"),
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:containerservice:AgentPool": lambda r, ctx: _azure_pool(r.inputs, ctx),
    "azure-native:network:NatGateway": _fixed("azure", "natGateway", "NAT gateway"),
    "azure-native:network:PublicIPAddress": _fixed("azure", "publicIpStandard", "standard public IP"),
    "azure-native:network:PrivateEndpoint": _fixed("azure", "privateEndpoint", "private endpoint"),
    "azure-native:containerregistry:Registry": _acr,
    "azure-native:machinelearningservices:Compute": _aml_compute,
    "azure-native:machinelearningservices:Workspace": _aml_workspace,
}


def _component(r: RecordedResource, by_urn: dict[str, RecordedResource]) -> str:
    parent = by_urn.get(r.parent)
    while parent is not None and not parent.type.startswith("mlplat:"):
        parent = by_urn.get(parent.parent)
    return parent.name if parent is not None else "(stack)"


def estimate(resources: Sequence[RecordedResource], regions: dict[str, str]) -> CostEstimate:
    """`regions` maps a cloud to the stack's region for it (e.g. {"aws": "us-east-1"})."""
    book = PriceBook(regions)
    views = [
        Resource(
            r.urn, r.type, r.name, r.parent, json_format.MessageToDict(r.inputs), r.property_dependencies
        )
        for r in resources
    ]
    ctx = Context(sorted(views, key=lambda v: v.urn), book)
    by_urn = {r.urn: r for r in resources}
    result = CostEstimate(currency=book.currency)
    for r, view in sorted(zip(resources, views, strict=True), key=lambda pair: pair[0].urn):
        estimator = ESTIMATORS.get(r.type)
        if estimator is None:
            continue
        found = estimator(view, ctx)
        if isinstance(found, Missing):
            result.not_estimated.append(NotEstimated(r.urn, r.type, r.name, found.reason))
            continue
        cloud = "azure" if r.type.startswith("azure-native:") else r.type.split(":")[0]
        result.items.append(
            CostItem(
                r.urn,
                r.type,
                r.name,
                cloud,
                _component(r, by_urn),
                round(found.idle, 2),
                round(found.peak, 2),
                found.basis,
                found.verified,
            )
        )
    return result
