"""Checks that span fields: catalog offerings, node counts, CIDR overlaps, endpoint exposure."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from components.catalog import Cloud, accelerators
from infra.settings.errors import Problem
from infra.settings.model import AzureSettings, GpuPool, Kubernetes, Settings, StackSettings

_OPEN_TO_ALL = IPv4Network("0.0.0.0/0")


def check(stack: StackSettings) -> list[Problem]:
    s = stack.settings
    profile = list(_profile(s))
    if profile:
        return profile  # every other check reads the resolved profile
    return [
        *_providers(stack),
        *_pools(s),
        *_endpoints(s),
        *_networks(s),
        *_budget(s),
        *_teams(s),
    ]


def _profile(s: Settings) -> Iterator[Problem]:
    if s.profile is None and s.environment not in ("dev", "prod"):
        yield Problem(
            "mlplat:profile", f"required when environment is {s.environment!r} (choose dev or prod)"
        )


def _providers(stack: StackSettings) -> Iterator[Problem]:
    s, p = stack.settings, stack.providers
    needed = {
        "aws": [("aws:region", p.aws_region)],
        "gcp": [("gcp:project", p.gcp_project), ("gcp:region", p.gcp_region)],
        "azure": [("azure-native:location", p.azure_location)],
    }
    for cloud in s.clouds:
        for key, value in needed[cloud]:
            if not value:
                yield Problem(key, f"required when mlplat:{cloud} is set")
    if not s.clouds:
        yield Problem(
            "mlplat:aws", "no cloud configured: set at least one of mlplat:aws, mlplat:gcp, mlplat:azure"
        )


def _pools(s: Settings) -> Iterator[Problem]:
    for cloud in s.clouds:
        pools: list[GpuPool] = getattr(s, cloud).gpu_pools
        seen: set[str] = set()
        for i, pool in enumerate(pools):
            at = f"mlplat:{cloud}.gpuPools[{i}]"
            if pool.name in seen:
                yield Problem(f"{at}.name", f"duplicate pool name {pool.name!r}")
            seen.add(pool.name)
            if pool.max_nodes < pool.min_nodes:
                yield Problem(
                    f"{at}.maxNodes", f"must be >= minNodes ({pool.min_nodes}), got {pool.max_nodes}"
                )
            yield from _offered(cloud, pool, at)
        kube: Kubernetes = getattr(s, cloud).kubernetes
        if pools and not kube.enabled:
            yield Problem(
                f"mlplat:{cloud}.kubernetes.enabled", "GPU pools need the cluster; set enabled: true"
            )
        if kube.system_nodes.max_nodes < kube.system_nodes.min_nodes:
            yield Problem(
                f"mlplat:{cloud}.kubernetes.systemNodes.maxNodes",
                f"must be >= minNodes ({kube.system_nodes.min_nodes}), got {kube.system_nodes.max_nodes}",
            )


def _offered(cloud: Cloud, pool: GpuPool, at: str) -> Iterator[Problem]:
    acc = accelerators()[pool.accelerator]
    shapes = acc.shapes(cloud)
    if not shapes:
        offered = sorted(a.name for a in accelerators().values() if a.shapes(cloud))
        yield Problem(
            f"{at}.accelerator",
            f"{pool.accelerator} is not offered on {cloud}; choose one of {', '.join(offered)}",
        )
    elif acc.shape(cloud, pool.gpus_per_node) is None:
        counts = " or ".join(str(sh.gpus) for sh in shapes)
        yield Problem(
            f"{at}.gpusPerNode",
            f"{pool.accelerator} on {cloud} comes with {counts} GPUs per node, got {pool.gpus_per_node}",
        )


def _endpoints(s: Settings) -> Iterator[Problem]:
    for cloud in s.clouds:
        kube: Kubernetes = getattr(s, cloud).kubernetes
        at = f"mlplat:{cloud}.kubernetes.publicAccessCidrs"
        for i, cidr in enumerate(kube.public_access_cidrs):
            if cidr.prefixlen == 0 or cidr == _OPEN_TO_ALL:
                yield Problem(f"{at}[{i}]", "0.0.0.0/0 is never allowed; list the networks that need the API")
        private = (
            s.resolved.private_cluster_endpoint if kube.private_endpoint is None else kube.private_endpoint
        )
        if kube.enabled and not private and not kube.public_access_cidrs:
            yield Problem(
                at, f"required when the {cloud} cluster API endpoint is public (profile {s.profile_name})"
            )


def _networks(s: Settings) -> Iterator[Problem]:
    ranges: list[tuple[str, IPv4Network]] = []
    if s.aws:
        ranges.append(("mlplat:aws.network.cidr", s.aws.network.cidr))
        if not 16 <= s.aws.network.cidr.prefixlen <= 24:
            yield Problem("mlplat:aws.network.cidr", f"must be between /16 and /24, got {s.aws.network.cidr}")
        azs = s.aws.network.availability_zones
        if azs and len(set(azs)) != len(azs):
            yield Problem("mlplat:aws.network.availabilityZones", "zones must be distinct")
    if s.gcp:
        n = s.gcp.network
        ranges += [
            ("mlplat:gcp.network.subnetCidr", n.subnet_cidr),
            ("mlplat:gcp.network.podsCidr", n.pods_cidr),
            ("mlplat:gcp.network.servicesCidr", n.services_cidr),
            ("mlplat:gcp.network.masterCidr", n.master_cidr),
        ]
        if n.master_cidr.prefixlen != 28:
            yield Problem("mlplat:gcp.network.masterCidr", f"GKE needs a /28, got {n.master_cidr}")
    if s.azure:
        yield from _azure_subnets(s.azure)
        ranges.append(("mlplat:azure.network.vnetCidr", s.azure.network.vnet_cidr))
    for i, (path_a, a) in enumerate(ranges):
        for path_b, b in ranges[i + 1 :]:
            if a.overlaps(b):
                yield Problem(path_b, f"{b} overlaps {path_a} ({a})")


def _azure_subnets(az: AzureSettings) -> Iterator[Problem]:
    n = az.network
    subnets = [
        ("mlplat:azure.network.aksSubnetCidr", n.aks_subnet_cidr),
        ("mlplat:azure.network.computeSubnetCidr", n.compute_subnet_cidr),
        ("mlplat:azure.network.endpointsSubnetCidr", n.endpoints_subnet_cidr),
    ]
    for path, net in subnets:
        if not net.subnet_of(n.vnet_cidr):
            yield Problem(path, f"{net} is not inside vnetCidr ({n.vnet_cidr})")
    for i, (path_a, a) in enumerate(subnets):
        for path_b, b in subnets[i + 1 :]:
            if a.overlaps(b):
                yield Problem(path_b, f"{b} overlaps {path_a} ({a})")


def _budget(s: Settings) -> Iterator[Problem]:
    b = s.budget
    for cloud in b.per_cloud:
        if cloud not in s.clouds:
            yield Problem(f"mlplat:budget.perCloud.{cloud}", f"{cloud} is not configured in this stack")
    if sum(b.per_cloud.values()) > b.monthly_usd:
        yield Problem("mlplat:budget.perCloud", f"adds up to more than monthlyUsd ({b.monthly_usd:g})")
    for i, t in enumerate(b.thresholds):
        if not 1 <= t <= 1000:
            yield Problem(
                f"mlplat:budget.thresholds[{i}]", f"must be a percentage between 1 and 1000, got {t}"
            )
    if b.start_date is not None and b.start_date.day != 1:
        yield Problem("mlplat:budget.startDate", f"must be the first day of a month, got {b.start_date}")
    if s.azure and b.start_date is None:
        yield Problem(
            "mlplat:budget.startDate", "required with mlplat:azure (Azure never lets it change later)"
        )


def _teams(s: Settings) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, team in enumerate(s.teams):
        if team.name in seen:
            yield Problem(f"mlplat:teams[{i}].name", f"duplicate team name {team.name!r}")
        seen.add(team.name)
        for cloud in s.clouds:
            pools: list[GpuPool] = getattr(s, cloud).gpu_pools
            capacity = sum(p.max_nodes * p.gpus_per_node for p in pools)
            if pools and team.gpu_quota > capacity:
                yield Problem(
                    f"mlplat:teams[{i}].gpuQuota",
                    f"{team.gpu_quota} GPUs exceeds what the {cloud} GPU pools can ever provide ({capacity})",
                )
