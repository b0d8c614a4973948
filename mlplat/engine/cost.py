"""Monthly cost of a plan from the price catalog: idle (nothing running) and peak (every pool full).

Estimators read resource inputs by the engine's camelCase names, the same view the policy pack
gets. A resource type with a fixed or per-node cost whose price is missing is reported as not
estimated, never as zero; usage-priced types (storage, logs, requests, traffic) are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from ruamel.yaml import YAML

from mlplat.engine import versions
from mlplat.engine.recording import RecordedResource

_PRICES = Path(__file__).parent.parent / "data" / "prices.yaml"


@dataclass(frozen=True)
class Price:
    key: str  # where in prices.yaml: "aws.us-east-1.eksCluster"
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
    prices: tuple[Price, ...] = ()


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
        self.spot_discount = _price(data["spotDiscount"], "spotDiscount")

    def _table(self, cloud: str) -> dict[str, Any]:
        return _catalog().get(cloud, {}).get(self.regions.get(cloud, ""), {})

    def _key(self, cloud: str, *path: str) -> str:
        return ".".join((cloud, self.regions.get(cloud, "?"), *path))

    def get(self, cloud: str, key: str) -> Price | None:
        entry = self._table(cloud).get(key)
        return None if entry is None else _price(entry, self._key(cloud, key))

    def instance(self, cloud: str, instance_type: str) -> Price | None:
        entry = self._table(cloud).get("instances", {}).get(instance_type)
        return None if entry is None else _price(entry, self._key(cloud, "instances", instance_type))

    def accelerator(self, cloud: str, accelerator_type: str) -> Price | None:
        entry = self._table(cloud).get("accelerators", {}).get(accelerator_type)
        return None if entry is None else _price(entry, self._key(cloud, "accelerators", accelerator_type))

    def monthly(self, price: Price, quantity: float = 1.0) -> float:
        per_month = {"hour": self.hours, "month": 1.0, "day": self.hours / 24, "gbMonth": 1.0}[price.unit]
        return price.price * per_month * quantity


def _price(entry: dict[str, Any], key: str) -> Price:
    return Price(
        key,
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
    prices: tuple[Price, ...] = ()  # every catalog entry the figure rests on


@dataclass(frozen=True)
class Missing:
    reason: str


Result = Estimate | Missing


class Context:
    def __init__(
        self, resources: Sequence[Resource], book: PriceBook, today: dt.date, gke_credit: bool = True
    ) -> None:
        self.book = book
        self.by_urn = {r.urn: r for r in resources}
        self.resources = resources
        self.today = today
        # False when another stack on the same billing account holds the GKE free-tier credit.
        self._gke_credit_used = not gke_credit

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
        return Estimate(
            monthly, monthly, f"{count}{what} ${price.price:g}/{price.unit}", price.verified, (price,)
        )

    return estimate


def _plus(base: Estimate, price: Price, monthly: float, basis: str, *, idle: bool = True) -> Estimate:
    """`base` with one more fixed monthly charge (also idle unless `idle=False`)."""
    return Estimate(
        base.idle + (monthly if idle else 0.0),
        base.peak + monthly,
        f"{base.basis} + {basis}",
        base.verified and price.verified,
        (*base.prices, price),
    )


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
    per_node_fixed: Iterable[Price] = (),
) -> Result:
    """`low`..`high` nodes of one instance type: attached accelerators (`extra`, discounted on spot with the
    node), a per-GB disk, and flat per-node charges such as a managed OS disk (`per_node_fixed`)."""
    price = ctx.book.instance(cloud, instance_type)
    if price is None:
        return Missing(
            f"no {cloud} price for instance type {instance_type} in {ctx.book.regions.get(cloud, '?')}"
        )
    extras = list(extra)
    fixed = list(per_node_fixed)
    used: list[Price] = [price, *(p for p, _ in extras), *fixed]
    per_node = ctx.book.monthly(price) + sum(ctx.book.monthly(p, n) for p, n in extras)
    if spot:
        per_node *= 1 - ctx.book.spot_discount.price
        used.append(ctx.book.spot_discount)
    disk = ctx.book.get(cloud, disk_key) if disk_key and disk_gb else None
    if disk is not None:
        per_node += ctx.book.monthly(disk, disk_gb)
        used.append(disk)
    per_node += sum(ctx.book.monthly(p) for p in fixed)
    kind = "spot" if spot else "on-demand"
    disks = [f"{disk_gb:g} GB disk"] if disk else []
    disks += [p.key.rsplit(".", 1)[-1] for p in fixed]
    basis = f"{low}-{high} x {instance_type} {kind} (${price.price:g}/h" + (
        f" + {' + '.join(disks)})" if disks else ")"
    )
    return Estimate(per_node * low, per_node * high, basis, all(p.verified for p in used), tuple(used))


def _rotation_horizon(ctx: Context) -> float:
    return float(_catalog()["rotationHorizonDays"])


# --- AWS -----------------------------------------------------------------------------------------


def _eks_cluster(r: Resource, ctx: Context) -> Result:
    version = r.inputs.get("version")
    state, support = versions.status("aws", version, ctx.today)
    # Without upgradePolicy.supportType STANDARD, a cluster past standard support stays and bills extended.
    stays = _get(r.inputs, "upgradePolicy", "supportType", default="EXTENDED") != "STANDARD"
    if state == "extended" and support is not None and stays:
        what = f"EKS control plane in extended support ({version}: standard support ended {support.standard_ends})"
        return _fixed("aws", "eksClusterExtended", what)(r, ctx)
    return _fixed("aws", "eksCluster", "EKS control plane")(r, ctx)


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


def _aws_kms_key(r: Resource, ctx: Context) -> Result:
    base = _fixed("aws", "kmsKey", "customer managed key")(r, ctx)
    if isinstance(base, Missing) or not r.inputs.get("enableKeyRotation"):
        return base
    rotation = ctx.book.get("aws", "kmsKeyRotation")
    if rotation is None:
        return Missing("no aws price for kmsKeyRotation")
    period = float(r.inputs.get("rotationPeriodInDays") or 365)
    # Only the first two rotations of a key are billed.
    rotations = min(2, int(_rotation_horizon(ctx) // period))
    return _plus(
        base,
        rotation,
        ctx.book.monthly(rotation, rotations),
        f"{rotations} rotated version(s) after a year (${rotation.price:g}/month each)",
    )


# --- GCP -----------------------------------------------------------------------------------------


def _gke_zonal(location: str) -> bool:
    return location.count("-") >= 2  # "us-central1-a" is a zone, "us-central1" a region


def _gke_cluster(r: Resource, ctx: Context) -> Result:
    fee = _fixed("gcp", "gkeCluster", "GKE management fee")(r, ctx)
    if isinstance(fee, Missing):
        return fee
    version = r.inputs.get("minMasterVersion")
    state, support = versions.status("gcp", version, ctx.today)
    # Only the Extended channel keeps a version past standard support (and bills for it).
    if (
        state == "extended"
        and support is not None
        and _get(r.inputs, "releaseChannel", "channel") == "EXTENDED"
    ):
        extended = ctx.book.get("gcp", "gkeExtendedSupport")
        if extended is None:
            return Missing("no gcp price for gkeExtendedSupport")
        fee = _plus(
            fee,
            extended,
            ctx.book.monthly(extended),
            f"extended support for {version} (standard support ended {support.standard_ends})",
        )
    if not _gke_zonal(str(r.inputs.get("location", ""))):
        return fee
    credit = ctx.book.get("gcp", "gkeFreeCreditMonthly")
    if credit is None or not ctx.take_gke_credit():
        return Estimate(
            fee.idle,
            fee.peak,
            f"{fee.basis}, zonal: the billing account's free-tier credit is used by another stack",
            fee.verified,
            fee.prices,
        )
    covered = min(fee.idle, credit.price)
    return Estimate(
        fee.idle - covered,
        fee.peak - covered,
        f"{fee.basis}, zonal: free-tier credit applies",
        fee.verified and credit.verified,
        (*fee.prices, credit),
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


# Persistent disk types as GKE node pools ("pd-standard") and Workbench ("PD_STANDARD") name them.
_GCP_DISKS = {"pd-standard": "pdStandard", "pd-balanced": "pdBalanced", "pd-ssd": "pdSsd"}


def _gcp_disk_key(disk_type: object, default: str = "pd-balanced") -> str:
    name = str(disk_type or default).lower().replace("_", "-")
    return _GCP_DISKS.get(name, "pdBalanced")


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
        disk_key=_gcp_disk_key(config.get("diskType")),
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
    return Estimate(
        month(idle_vms), month(peak_vms), basis, per_vm.verified and per_ip.verified, (per_vm, per_ip)
    )


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
    # Idle shutdown stops the VM; its disks are billed either way.
    disks = [(_get(setup, "bootDisk", "diskType"), float(_get(setup, "bootDisk", "diskSizeGb", default=150)))]
    disks += [(d.get("diskType"), float(d.get("diskSizeGb", 0))) for d in data_disks]
    monthly, used = 0.0, list(running.prices)
    for disk_type, gb in disks:
        price = ctx.book.get("gcp", _gcp_disk_key(disk_type))
        if price is None:
            return Missing(f"no gcp price for disk type {disk_type}")
        monthly += ctx.book.monthly(price, gb)
        used.append(price)
    total_gb = sum(gb for _, gb in disks)
    return Estimate(
        monthly,
        running.peak + monthly,
        f"{machine} when running (idle: stopped) + {total_gb:g} GB disk",
        all(p.verified for p in used),
        tuple(used),
    )


def _gcp_kms_key(r: Resource, ctx: Context) -> Result:
    price = ctx.book.get("gcp", "kmsKeyVersion")
    if price is None:
        return Missing("no gcp price for kmsKeyVersion")
    period = str(r.inputs.get("rotationPeriod") or "")
    # Rotation adds a version; old versions stay enabled (and billed) until someone destroys them.
    days = float(period.rstrip("s")) / 86400 if period.rstrip("s").replace(".", "").isdigit() else 0
    versions_after_a_year = 1 + (int(_rotation_horizon(ctx) // days) if days else 0)
    monthly = ctx.book.monthly(price, versions_after_a_year)
    basis = f"{versions_after_a_year} key version(s) after a year (${price.price:g}/month each)"
    return Estimate(monthly, monthly, basis, price.verified, (price,))


# --- Azure ---------------------------------------------------------------------------------------

# Premium SSD OS disks are billed by tier: the smallest tier at least as large as the disk.
_PREMIUM_SSD_TIERS = ((32, "P4"), (64, "P6"), (128, "P10"), (256, "P15"), (512, "P20"), (1024, "P30"))
# AKS's OS disk when osDiskSizeGB is unset (learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disk).
_AKS_DEFAULT_OS_DISK_GB = 128


def _premium_ssd(ctx: Context, size_gb: float) -> Price | None:
    for limit, tier in _PREMIUM_SSD_TIERS:
        if size_gb <= limit:
            return ctx.book.get("azure", f"premiumSsd{tier}")
    return None


def _aks_os_disk(pool: dict[str, Any], ctx: Context) -> list[Price] | Missing:
    """The managed OS disk each node of `pool` pays for; none when the OS disk is ephemeral."""
    size = float(pool.get("osDiskSizeGB") or _AKS_DEFAULT_OS_DISK_GB)
    kind = pool.get("osDiskType")
    if kind is None:
        # AKS picks an ephemeral OS disk when the VM's local disk can hold it, else a managed one.
        local = _get(
            _catalog(), "azure", ctx.book.regions.get("azure", ""), "instances", pool.get("vmSize", "")
        )
        kind = "Ephemeral" if float((local or {}).get("localDiskGb", 0)) >= size else "Managed"
    if kind == "Ephemeral":
        return []
    price = _premium_ssd(ctx, size)
    return Missing(f"no azure price for a {size:g} GB premium SSD") if price is None else [price]


def _azure_pool(pool: dict[str, Any], ctx: Context) -> Result:
    size = pool.get("vmSize")
    if not size:
        return Missing("no vmSize on the agent pool")
    if pool.get("enableAutoScaling"):
        low, high = int(pool.get("minCount", 0)), int(pool.get("maxCount", 0))
    else:
        low = high = int(pool.get("count", 1))
    os_disk = _aks_os_disk(pool, ctx)
    if isinstance(os_disk, Missing):
        return os_disk
    spot = pool.get("scaleSetPriority") == "Spot"
    return nodes(ctx, "azure", size, low, high, spot=spot, per_node_fixed=os_disk)


def _aks(r: Resource, ctx: Context) -> Result:
    tier = _get(r.inputs, "sku", "tier", default="Free")
    fee: Result = Estimate(0.0, 0.0, "AKS Free tier")
    if tier in ("Standard", "Premium"):
        fee = _fixed("azure", f"aks{tier}", f"AKS {tier} tier")(r, ctx)
    if isinstance(fee, Missing):
        return fee
    idle, peak, verified, parts, used = fee.idle, fee.peak, fee.verified, [fee.basis], list(fee.prices)
    for pool in r.inputs.get("agentPoolProfiles", []):
        pool_cost = _azure_pool(pool, ctx)
        if isinstance(pool_cost, Missing):
            return pool_cost
        idle, peak, verified = idle + pool_cost.idle, peak + pool_cost.peak, verified and pool_cost.verified
        parts.append(f"{pool.get('name', 'pool')}: {pool_cost.basis}")
        used += pool_cost.prices
    return Estimate(idle, peak, "; ".join(parts), verified, tuple(used))


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
        disk = ctx.book.get("azure", "computeInstanceOsDisk")
        if disk is None:
            return Missing("no azure price for computeInstanceOsDisk")
        # A stopped compute instance keeps (and pays for) its OS disk.
        return _plus(
            Estimate(
                0.0,
                running.peak,
                f"{inner.get('vmSize')} when running (idle: shut down)",
                running.verified,
                running.prices,
            ),
            disk,
            ctx.book.monthly(disk),
            f"OS disk ${disk.price:g}/month",
        )
    return Estimate(0.0, 0.0, f"{kind}: no fixed cost")


def _key_vault_key(r: Resource, ctx: Context) -> Result:
    policy = _get(r.inputs, "properties", "rotationPolicy", default={})
    rotates = any(
        _get(action, "action", "type", default="").lower() == "rotate"
        for action in policy.get("lifetimeActions", [])
    )
    if not rotates:
        return Estimate(0.0, 0.0, "software key: billed per operation only")
    price = ctx.book.get("azure", "keyVaultRotation")
    if price is None:
        return Missing("no azure price for keyVaultRotation")
    lifetime = _iso_days(_get(policy, "attributes", "expiryTime", default="P1Y"))
    before = next(
        (
            _iso_days(_get(a, "trigger", "timeBeforeExpiry", default="P30D"))
            for a in policy.get("lifetimeActions", [])
            if _get(a, "action", "type", default="").lower() == "rotate"
        ),
        30.0,
    )
    per_year = 365 / max(1.0, lifetime - before)
    monthly = price.price * per_year / 12
    basis = f"{per_year:.2g} scheduled rotation(s) a year (${price.price:g} each)"
    return Estimate(monthly, monthly, basis, price.verified, (price,))


def _iso_days(duration: object) -> float:
    """Days in an ISO 8601 duration such as "P1Y", "P90D" or "P2M" (what Key Vault rotation policies take)."""
    text = str(duration or "").upper()
    if not text.startswith("P"):
        return 0.0
    total, number = 0.0, ""
    for ch in text[1:]:
        if ch.isdigit():
            number += ch
        elif number:
            total += int(number) * {"Y": 365, "M": 30, "W": 7, "D": 1}.get(ch, 0)
            number = ""
    return total


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
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _aws_node_group,
    "aws:ec2/natGateway:NatGateway": _fixed("aws", "natGateway", "NAT gateway"),
    "aws:ec2/eip:Eip": _fixed("aws", "publicIpv4", "public IPv4 address"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_endpoint,
    "aws:kms/key:Key": _aws_kms_key,
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:container/nodePool:NodePool": _gke_node_pool,
    "gcp:compute/routerNat:RouterNat": _cloud_nat,
    "gcp:workbench/instance:Instance": _workbench,
    "gcp:kms/cryptoKey:CryptoKey": _gcp_kms_key,
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:containerservice:AgentPool": lambda r, ctx: _azure_pool(r.inputs, ctx),
    "azure-native:network:NatGateway": _fixed("azure", "natGateway", "NAT gateway"),
    "azure-native:network:PublicIPAddress": _fixed("azure", "publicIpStandard", "standard public IP"),
    "azure-native:network:PrivateEndpoint": _fixed("azure", "privateEndpoint", "private endpoint"),
    "azure-native:privatedns:PrivateZone": _fixed("azure", "privateDnsZone", "private DNS zone"),
    "azure-native:containerregistry:Registry": _acr,
    "azure-native:machinelearningservices:Compute": _aml_compute,
    "azure-native:machinelearningservices:Workspace": _aml_workspace,
    "azure-native:keyvault:Key": _key_vault_key,
}

# Resource types the platform creates that carry no fixed monthly charge: free, or billed only by use
# (storage, requests, logs, traffic), which the estimate leaves out. A type in neither table is a gap
# that tests/test_cost.py reports.
NO_FIXED_COST: dict[str, str] = {
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "free; the Data Access logs it turns on are billed per GB ingested",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": "free (a Kubernetes object)",
    "aws:autoscaling/tag:Tag": "free",
    "aws:codebuild/project:Project": "billed per build minute while a runner job runs (aws.amazon.com/codebuild/pricing)",
    "aws:codebuild/webhook:Webhook": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:budgets/budget:Budget": "the first two budgets of an account are free (aws.amazon.com/aws-cost-management/pricing)",
    "aws:cloudwatch/logGroup:LogGroup": "billed per GB ingested and stored",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "billed per alarm-month; not created by default",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "free",
    "aws:ec2/flowLog:FlowLog": "billed per GB of logs delivered",
    "aws:ec2/internetGateway:InternetGateway": "free (traffic is billed by use)",
    "aws:ec2/launchTemplate:LaunchTemplate": "free",
    "aws:ec2/routeTable:RouteTable": "free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:ec2/subnet:Subnet": "free",
    "aws:ec2/vpc:Vpc": "free",
    "aws:eks/accessEntry:AccessEntry": "free",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "free",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "free",
    "aws:eks/addon:Addon": "free (its pods run on the priced nodes)",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "free",
    "aws:iam/role:Role": "free",
    "aws:iam/rolePolicy:RolePolicy": "free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "free",
    "aws:kms/alias:Alias": "free",
    "aws:s3/bucket:Bucket": "billed per GB stored and per request",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "free",
    "aws:s3/bucketLogging:BucketLogging": "free (the logs are stored objects)",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "free",
    "aws:s3/bucketPolicy:BucketPolicy": "free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "free",
    "aws:s3/bucketVersioning:BucketVersioning": "free (old versions are stored objects)",
    "aws:sagemaker/domain:Domain": "billed by the apps users run and the EFS home storage they use",
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": "free",
    "aws:sagemaker/userProfile:UserProfile": "free (apps are billed while running)",
    "aws:sns/topic:Topic": "billed per request and delivery",
    "aws:sns/topicPolicy:TopicPolicy": "free",
    "azure-native:applicationinsights:Component": "billed per GB ingested",
    "azure-native:authorization:ManagementLockByScope": "free",
    "azure-native:authorization:RoleAssignment": "free",
    "azure-native:consumption:Budget": "free",
    "azure-native:compute:DiskEncryptionSet": "free (its key is billed per operation)",
    "azure-native:insights:ActionGroup": "billed per notification",
    "azure-native:keyvault:Vault": "billed per operation",
    "azure-native:managedidentity:UserAssignedIdentity": "free",
    "azure-native:monitor:DiagnosticSetting": "free (the destination bills ingestion)",
    "azure-native:network:NetworkSecurityGroup": "free",
    "azure-native:network:PrivateDnsZoneGroup": "free (the zones are priced)",
    "azure-native:network:Subnet": "free",
    "azure-native:network:VirtualNetwork": "free (peering and traffic are billed by use)",
    "azure-native:operationalinsights:Workspace": "billed per GB ingested and retained",
    "azure-native:privatedns:VirtualNetworkLink": "free for registration-less links",
    "azure-native:resources:ResourceGroup": "free",
    "azure-native:resources:Resource": "GitHub.Network/networkSettings: free on Azure (GitHub bills runner minutes)",
    "azure-native:storage:BlobServiceProperties": "free",
    "azure-native:storage:StorageAccount": "billed per GB stored and per operation",
    "gcp:artifactregistry/repository:Repository": "billed per GB stored above the free 0.5 GB",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "free",
    "gcp:billing/budget:Budget": "free",
    "gcp:compute/firewall:Firewall": "free",
    "gcp:compute/network:Network": "free",
    "gcp:compute/router:Router": "free (Cloud NAT on it is priced)",
    "gcp:compute/subnetwork:Subnetwork": "free (flow logs are billed per GB)",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "free",
    "gcp:kms/keyRing:KeyRing": "free",
    "gcp:monitoring/notificationChannel:NotificationChannel": "free",
    "gcp:projects/iAMMember:IAMMember": "free",
    "gcp:projects/service:Service": "free",
    "gcp:projects/serviceIdentity:ServiceIdentity": "free",
    "gcp:pubsub/topic:Topic": "billed per GB published",
    "gcp:pubsub/topicIAMMember:TopicIAMMember": "free",
    "gcp:serviceaccount/account:Account": "free",
    "gcp:serviceaccount/iAMMember:IAMMember": "free",
    "gcp:storage/bucket:Bucket": "billed per GB stored and per operation",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "free",
    "gcp:vertex/aiMetadataStore:AiMetadataStore": "billed per GB stored",
    "gcp:vertex/aiTensorboard:AiTensorboard": "billed per GB of logs stored",
    # In-cluster objects run on the priced nodes. The platform's charts (device plugin, DCGM exporter, GPU
    # operator, Kueue) create no load balancers or volumes; a chart that does must be priced here.
    "kubernetes:core/v1:LimitRange": "in-cluster object",
    "kubernetes:core/v1:Namespace": "in-cluster object",
    "kubernetes:core/v1:ResourceQuota": "in-cluster object",
    "kubernetes:helm.sh/v3:Release": "its pods run on the priced nodes; no load balancers or volumes",
    "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue": "in-cluster object",
    "kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue": "in-cluster object",
    "kubernetes:kueue.x-k8s.io/v1beta1:ResourceFlavor": "in-cluster object",
    "kubernetes:scheduling.k8s.io/v1:PriorityClass": "in-cluster object",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": "in-cluster object",
    "kubernetes:storage.k8s.io/v1:StorageClass": "in-cluster object (volumes are billed by use)",
}


def _component(r: RecordedResource, by_urn: dict[str, RecordedResource]) -> str:
    parent = by_urn.get(r.parent)
    while parent is not None and not parent.type.startswith("mlplat:"):
        parent = by_urn.get(parent.parent)
    return parent.name if parent is not None else "(stack)"


def estimate(
    resources: Sequence[RecordedResource],
    regions: dict[str, str],
    *,
    today: dt.date | None = None,
    gke_credit: bool = True,
) -> CostEstimate:
    """`regions` maps a cloud to the stack's region for it (e.g. {"aws": "us-east-1"}); `today` decides
    which Kubernetes versions bill extended support; `gke_credit` is False when another stack on the same
    billing account holds GKE's free-tier credit."""
    book = PriceBook(regions)
    views = [
        Resource(
            r.urn, r.type, r.name, r.parent, json_format.MessageToDict(r.inputs), r.property_dependencies
        )
        for r in resources
    ]
    ctx = Context(sorted(views, key=lambda v: v.urn), book, today or dt.date.today(), gke_credit)
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
                found.prices,
            )
        )
    return result
