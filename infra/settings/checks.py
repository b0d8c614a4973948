"""Checks that span fields: catalog offerings, node counts, CIDR overlaps, endpoint exposure."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network

from components.catalog import Cloud, accelerators
from infra.settings.errors import Problem
from infra.settings.model import AwsKubernetes, AzureSettings, GpuPool, Kubernetes, Settings, StackSettings

_OPEN_TO_ALL = IPv4Network("0.0.0.0/0")


def check(stack: StackSettings) -> list[Problem]:
    s = stack.settings
    profile = list(_profile(s))
    if profile:
        return profile  # every other check reads the resolved profile
    return [
        *_providers(stack),
        *_kubernetes_versions(s),
        *_pools(s),
        *_endpoints(s),
        *_networks(s),
        *_budget(s),
        *_teams(s),
        *_members(s),
        *_principals(stack),
        *_driver_strategies(s),
        *_autoscaler_chart(s),
        *_unique_names(s),
        *_aws_platform(stack),
        *_gcp(stack),
        *_azure_platform(stack),
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


def _kubernetes_versions(s: Settings) -> Iterator[Problem]:
    for cloud in s.clouds:
        kube: Kubernetes = getattr(s, cloud).kubernetes
        if kube.enabled and getattr(s.versions.kubernetes, cloud) is None:
            yield Problem(
                f"mlplat:versions.kubernetes.{cloud}",
                f'required while mlplat:{cloud} runs a cluster, e.g. "1.35" (quote it)',
            )


def _pools(s: Settings) -> Iterator[Problem]:
    for cloud in s.clouds:
        pools: list[GpuPool] = getattr(s, cloud).gpu_pools
        for i, pool in enumerate(pools):
            at = f"mlplat:{cloud}.gpuPools[{i}]"
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
        floor = kube.system_nodes.min_nodes_for(s.resolved)
        if kube.system_nodes.max_nodes < floor:
            yield Problem(
                f"mlplat:{cloud}.kubernetes.systemNodes.maxNodes",
                f"must be >= minNodes ({floor}), got {kube.system_nodes.max_nodes}",
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
    if (runner := az.kubernetes.deploy_runner) is not None:
        subnets.append(("mlplat:azure.kubernetes.deployRunner.subnetCidr", runner.subnet_cidr))
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
        elif t in b.thresholds[:i]:
            # AWS refuses two identical notifications; Azure would keep only one of them.
            yield Problem(f"mlplat:budget.thresholds[{i}]", f"{t} is listed more than once")
    if b.start_date is not None and b.start_date.day != 1:
        yield Problem("mlplat:budget.startDate", f"must be the first day of a month, got {b.start_date}")


def _teams(s: Settings) -> Iterator[Problem]:
    capacity = {
        cloud: sum(p.max_nodes * p.gpus_per_node for p in pools)
        for cloud in s.clouds
        if (pools := getattr(s, cloud).gpu_pools)
    }
    for i, team in enumerate(s.teams):
        short = [f"{cloud} ({gpus})" for cloud, gpus in capacity.items() if team.gpu_quota > gpus]
        if short:
            yield Problem(
                f"mlplat:teams[{i}].gpuQuota",
                f"{team.gpu_quota} GPUs exceeds what the GPU pools can ever provide on {', '.join(short)}",
            )


def _members(s: Settings) -> Iterator[Problem]:
    """Each cloud with a cluster needs to know who a member is there (GKE takes the email as it is)."""
    needs = {
        "aws": ("awsPrincipalArn", "aws_principal_arn", "EKS grants namespace access to IAM principals"),
        "azure": ("azureObjectId", "azure_object_id", "AKS grants namespace access to Entra ID objects"),
    }
    for i, team in enumerate(s.teams):
        for j, member in enumerate(team.members):
            for cloud, (key, field, why) in needs.items():
                section = getattr(s, cloud)
                if section is not None and section.kubernetes.enabled and getattr(member, field) is None:
                    yield Problem(
                        f"mlplat:teams[{i}].members[{j}].{key}", f"required with mlplat:{cloud}: {why}"
                    )


def _principals(stack: StackSettings) -> Iterator[Problem]:
    """One principal, one grant of each kind: the clouds refuse the second create before deploy can.

    - EKS: one access entry per IAM principal ("You can't specify the same ARN in more than one access
      entry", docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html), so an admin, the
      cluster deployer and a team member are three different principals. A member in several teams (or
      members sharing a role) is one entry scoped to all of their namespaces.
    - Azure: (scope, principal, role) is unique; a second assignment fails with 409 RoleAssignmentExists
      (learn.microsoft.com/azure/role-based-access-control/troubleshooting), so a workspace user's or an
      AKS member's object id belongs to one person.
    - Every cloud: a team lists a person once, and an identity compares case-insensitively (IAM names,
      Entra object ids, email addresses), since logical names are keyed by it.
    """
    s = stack.settings
    for i, team in enumerate(s.teams):
        seen: dict[str, int] = {}
        for j, member in enumerate(team.members):
            email = str(member.email).lower()
            if email in seen:
                yield Problem(
                    f"mlplat:teams[{i}].members[{j}].email",
                    f"{member.email} is already members[{seen[email]}] of team {team.name}",
                )
            seen.setdefault(email, j)
    spelled: dict[str, tuple[str, str]] = {}  # lower-cased email -> as first written, where
    owner: dict[str, tuple[str, str]] = {}  # Entra object id -> the email that holds it, where
    for i, team in enumerate(s.teams):
        for j, member in enumerate(team.members):
            at = f"mlplat:teams[{i}].members[{j}]"
            email = str(member.email)
            first, where = spelled.setdefault(email.lower(), (email, at))
            if first != email:
                yield Problem(
                    f"{at}.email", f"{email} is {first} ({where}) spelled differently; write it the same"
                )
            if member.azure_object_id is not None:
                holder, where = owner.setdefault(str(member.azure_object_id), (email.lower(), at))
                if holder != email.lower():
                    yield Problem(
                        f"{at}.azureObjectId",
                        f"{member.azure_object_id} is already {holder}'s ({where}): one Entra object is one person",
                    )
    if s.aws is not None and s.aws.kubernetes.enabled:
        yield from _eks_principals(stack, s.aws.kubernetes)
    if s.azure is not None and s.azure.workspace.enabled:
        users = s.azure.workspace.users
        first_user: dict[str, int] = {}
        for i, user in enumerate(users):
            if user.object_id is None:
                continue
            k = first_user.setdefault(str(user.object_id), i)
            if k != i:
                yield Problem(
                    f"mlplat:azure.workspace.users[{i}].objectId",
                    f"{user.object_id} is already users[{k}] ({users[k].name}): Azure refuses a second "
                    "assignment of the same role (409 RoleAssignmentExists)",
                )
    if s.azure is not None and s.azure.kubernetes.enabled:
        groups = [str(g) for g in s.azure.kubernetes.admin_group_object_ids]
        for i, group in enumerate(groups):
            if group in groups[:i]:
                yield Problem(f"mlplat:azure.kubernetes.adminGroupObjectIds[{i}]", f"{group} is listed twice")


def _eks_principals(stack: StackSettings, kube: AwsKubernetes) -> Iterator[Problem]:
    refusal = "EKS holds one access entry per principal (CreateAccessEntry refuses a second)"
    deployer = kube.deployer_role_arn
    default_deployer = f":role/mlplat-{stack.stack}-eks-deployer"

    def is_deployer(arn: str) -> bool:
        return arn.lower() == deployer.lower() if deployer else arn.lower().endswith(default_deployer)

    roles: dict[str, str] = {}  # lower-cased ARN -> the key that grants it cluster admin
    for i, arn in enumerate(kube.admin_principal_arns):
        at = f"mlplat:aws.kubernetes.adminPrincipalArns[{i}]"
        if is_deployer(arn):
            yield Problem(at, f"{arn} is the cluster stack's deployer, already cluster admin; {refusal}")
        elif arn.lower() in roles:
            yield Problem(at, f"{arn} is listed twice ({roles[arn.lower()]}); {refusal}")
        roles.setdefault(arn.lower(), at)
    for i, team in enumerate(stack.settings.teams):
        for j, member in enumerate(team.members):
            arn = member.aws_principal_arn
            if arn is None:
                continue
            at = f"mlplat:teams[{i}].members[{j}].awsPrincipalArn"
            if is_deployer(arn):
                yield Problem(at, f"{arn} is the cluster stack's deployer (cluster admin); {refusal}")
            elif arn.lower() in roles:
                yield Problem(at, f"{arn} is cluster admin ({roles[arn.lower()]}); {refusal}")


def _driver_strategies(s: Settings) -> Iterator[Problem]:
    """One driver strategy per cluster: AKS documents its managed driver and the GPU operator's as mutually
    exclusive in a cluster (learn.microsoft.com/azure/aks/gpu-cluster); on GKE the operator's device plugin
    would run beside Google's; on EKS the operator replaces the device plugin on every GPU node."""
    for cloud in s.clouds:
        pools: list[GpuPool] = getattr(s, cloud).gpu_pools
        for i, pool in enumerate(pools):
            first = next(
                j for j, p in enumerate(pools) if p.driver_strategy != pool.driver_strategy or j == i
            )
            if first < i:
                yield Problem(
                    f"mlplat:{cloud}.gpuPools[{i}].driverStrategy",
                    f"{pool.driver_strategy} cannot share the {cloud} cluster with {pools[first].driver_strategy} "
                    f"(gpuPools[{first}]); use one driver strategy for all of its pools",
                )
                break


def _autoscaler_chart(s: Settings) -> Iterator[Problem]:
    if (
        s.aws is not None
        and s.aws.kubernetes.enabled
        and s.aws.gpu_pools
        and not s.versions.charts.cluster_autoscaler
    ):
        yield Problem(
            "mlplat:versions.charts.clusterAutoscaler",
            "required with EKS GPU pools: the cluster autoscaler scales them up from zero",
        )


def _unique_names(s: Settings) -> Iterator[Problem]:
    """Names that become resource names must be unique where they are listed: a repeat would collide."""
    lists: list[tuple[str, str, list[str]]] = [("mlplat:teams", "team", [t.name for t in s.teams])]
    for cloud in s.clouds:
        section = getattr(s, cloud)
        lists.append((f"mlplat:{cloud}.gpuPools", "pool", [p.name for p in section.gpu_pools]))
        lists.append((f"mlplat:{cloud}.workspace.users", "user", [u.name for u in section.workspace.users]))
        if hasattr(section, "buckets"):
            lists.append((f"mlplat:{cloud}.buckets", "bucket", list(section.buckets)))
    for at, what, names in lists:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                field = "" if what == "bucket" else ".name"
                yield Problem(f"{at}[{i}]{field}", f"duplicate {what} name {name!r}")
            seen.add(name)


def _gcp(stack: StackSettings) -> Iterator[Problem]:
    """Zonal GCP resources stay in gcp:region; a GCP budget notifies at most five email channels."""
    gcp, region = stack.settings.gcp, stack.providers.gcp_region
    if gcp is None:
        return
    emails = stack.settings.budget.alert_emails
    if len(emails) > 5:
        yield Problem(
            "mlplat:budget.alertEmails", f"a GCP budget notifies at most 5 addresses, got {len(emails)}"
        )
    if not region:
        return
    if gcp.zone is not None and not gcp.zone.startswith(f"{region}-"):
        yield Problem("mlplat:gcp.zone", f"{gcp.zone} is not in gcp:region ({region})")
    regional = not stack.settings.resolved.zonal_cluster
    for i, pool in enumerate(gcp.gpu_pools):
        if regional and not pool.zones:
            # GKE docs (GPUs, availability): each accelerator is offered in some zones only, and the
            # program cannot ask which; a regional cluster would spread the pool over zones GKE picks.
            yield Problem(
                f"mlplat:gcp.gpuPools[{i}].zones",
                f"required in a regional cluster: the zones of {region} that offer {pool.accelerator}",
            )
        for j, zone in enumerate(pool.zones or []):
            if not zone.startswith(f"{region}-"):
                yield Problem(
                    f"mlplat:gcp.gpuPools[{i}].zones[{j}]", f"{zone} is not in gcp:region ({region})"
                )


_AZURE_ZONES = ("1", "2", "3")
_AZURE_BUDGET_MAX_NOTIFICATIONS = 5  # Azure budgets: at most five notifications (actual + the forecast)


def _azure_platform(stack: StackSettings) -> Iterator[Problem]:
    """Azure: AKS and subnet ranges, who administers the cluster, compute instance owners, budget limits."""
    s = stack.settings
    az = s.azure
    if az is None:
        return
    if az.workspace.enabled and s.resolved.public_workspace_access and not az.workspace.public_access_cidrs:
        # Studio in a browser reads the workspace's storage and vault directly; both deny other networks.
        yield Problem(
            "mlplat:azure.workspace.publicAccessCidrs",
            "required while the workspace is public: the networks its users browse Studio from",
        )
    for i, cidr in enumerate(az.workspace.public_access_cidrs):
        if cidr.prefixlen > 30:
            # Azure Storage firewall: /31 and /32 ranges are refused; those are single-address rules.
            yield Problem(
                f"mlplat:azure.workspace.publicAccessCidrs[{i}]", f"{cidr}: use a /30 or wider range"
            )
    n = az.network
    api_path, api = "mlplat:azure.network.apiServerSubnetCidr", n.api_server_subnet_cidr
    if not api.subnet_of(n.vnet_cidr):
        yield Problem(api_path, f"{api} is not inside vnetCidr ({n.vnet_cidr})")
    if api.prefixlen > 28:
        yield Problem(api_path, f"AKS needs at least a /28 for the API server, got {api}")
    runner = az.kubernetes.deploy_runner
    for path, net in (
        ("mlplat:azure.network.aksSubnetCidr", n.aks_subnet_cidr),
        ("mlplat:azure.network.computeSubnetCidr", n.compute_subnet_cidr),
        ("mlplat:azure.network.endpointsSubnetCidr", n.endpoints_subnet_cidr),
        *([("mlplat:azure.kubernetes.deployRunner.subnetCidr", runner.subnet_cidr)] if runner else []),
    ):
        if api.overlaps(net):
            yield Problem(api_path, f"{api} overlaps {path} ({net})")
    for path, net in (
        ("mlplat:azure.network.podCidr", n.pod_cidr),
        ("mlplat:azure.network.serviceCidr", n.service_cidr),
    ):
        if net.overlaps(n.vnet_cidr):
            yield Problem(
                path, f"{net} overlaps vnetCidr ({n.vnet_cidr}); pods and services need their own range"
            )
    if n.pod_cidr.overlaps(n.service_cidr):
        yield Problem("mlplat:azure.network.serviceCidr", f"{n.service_cidr} overlaps podCidr ({n.pod_cidr})")
    if az.kubernetes.enabled and not az.kubernetes.admin_group_object_ids:
        yield Problem(
            "mlplat:azure.kubernetes.adminGroupObjectIds",
            "required: local accounts are disabled, so only these Entra groups can administer the cluster",
        )
    for i, pool in enumerate(az.gpu_pools):
        for j, zone in enumerate(pool.zones or []):
            if zone not in _AZURE_ZONES:
                yield Problem(
                    f"mlplat:azure.gpuPools[{i}].zones[{j}]", f"Azure zones are 1, 2 or 3, got {zone!r}"
                )
    if az.workspace.enabled:
        for i, user in enumerate(az.workspace.users):
            if user.object_id is None:
                yield Problem(
                    f"mlplat:azure.workspace.users[{i}].objectId",
                    "required: Azure ML assigns each compute instance to an Entra object id",
                )
    actual = len(s.budget.thresholds)
    if actual + 1 > _AZURE_BUDGET_MAX_NOTIFICATIONS:
        yield Problem(
            "mlplat:budget.thresholds",
            f"Azure budgets take at most {_AZURE_BUDGET_MAX_NOTIFICATIONS - 1} thresholds besides the forecast, "
            f"got {actual}",
        )


# What VpcOnly SageMaker Studio cannot work without, and what EKS nodes need when no NAT reaches AWS APIs.
_AWS_STUDIO_ENDPOINTS = ("sagemaker.api", "sagemaker.runtime", "studio", "sts", "logs")
_AWS_NODE_ENDPOINTS_WITHOUT_NAT = ("ec2", "ecr.api", "ecr.dkr", "sts", "logs", "eks-auth")
_AWS_BUDGET_MAX_EMAILS = 10  # AWS Budgets notifies at most 10 email subscribers per notification
_SAGEMAKER_MIN_IDLE_MINUTES = 60


def _aws_platform(stack: StackSettings) -> Iterator[Problem]:
    """AWS: pool zones inside the VPC, the endpoints Studio and private nodes need, AWS service limits."""
    s, region = stack.settings, stack.providers.aws_region
    aws = s.aws
    if aws is None or not region:
        return
    profile = s.resolved
    # Pinned network zones are checked here; the default ones come from EC2 when the program runs.
    zones = aws.network.availability_zones or []
    for i, pool in enumerate(aws.gpu_pools if zones else []):
        for j, zone in enumerate(pool.zones or []):
            if zone not in zones:
                yield Problem(
                    f"mlplat:aws.gpuPools[{i}].zones[{j}]",
                    f"{zone} is not one of the network's zones ({', '.join(zones)})",
                )
    endpoints = aws.network.endpoints_for(profile)
    at = "mlplat:aws.network.interfaceEndpoints"
    duplicates = sorted({e for e in endpoints if endpoints.count(e) > 1})
    if duplicates:
        yield Problem(at, f"listed more than once: {', '.join(duplicates)}")
    needed: dict[str, str] = {}
    # VpcOnly Studio reaches the SageMaker API and runtime through interface endpoints or a NAT gateway
    # (docs.aws.amazon.com/sagemaker/latest/dg/studio-notebooks-and-internet-access.html).
    if aws.workspace.enabled and profile.nat_strategy == "none":
        needed.update(dict.fromkeys(_AWS_STUDIO_ENDPOINTS, "VpcOnly SageMaker Studio without NAT"))
    if aws.kubernetes.enabled and profile.nat_strategy == "none":
        needed.update(
            {e: "EKS nodes without NAT" for e in _AWS_NODE_ENDPOINTS_WITHOUT_NAT if e not in needed}
        )
    missing = [e for e in needed if e not in endpoints]
    if missing:
        reasons = sorted({needed[e] for e in missing})
        yield Problem(at, f"{' and '.join(reasons)} need {', '.join(missing)}; add them to the list")
    if len(s.budget.alert_emails) > _AWS_BUDGET_MAX_EMAILS:
        yield Problem(
            "mlplat:budget.alertEmails",
            f"AWS budgets notify at most {_AWS_BUDGET_MAX_EMAILS} addresses, got {len(s.budget.alert_emails)}",
        )
    if aws.workspace.enabled and profile.idle_shutdown_minutes < _SAGEMAKER_MIN_IDLE_MINUTES:
        yield Problem(
            "mlplat:profileOverrides.idleShutdownMinutes",
            f"SageMaker idle shutdown needs at least {_SAGEMAKER_MIN_IDLE_MINUTES} minutes, "
            f"got {profile.idle_shutdown_minutes}",
        )
