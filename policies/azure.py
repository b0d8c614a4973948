"""Azure guardrails: customer-managed keys, nothing public, private endpoints in DNS, hardened AKS with
tainted and capped GPU pools, hardened Azure ML compute, audit logs, deletion protection, a budget.

Every rule reads the engine's camelCase properties (Azure's own spellings, e.g. `enableAzureRBAC`,
`authorizedIPRanges`), treats an unset property as Azure's default, and skips (never guesses) values
that are unknown during preview.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from ipaddress import ip_network
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import Props, Unknown, elements, entries, linked_through, of_type, prop
from policies.common import props_rule as _props_rule
from policies.common import resource_rule as _resource_rule
from policies.common import show as _show
from policies.common import stack_rule as _stack_rule
from policies.concepts import guards
from policies.controls import implements
from policies.facts import AZURE_GPUS_PER_INSTANCE, GPU_TAINT_KEY, PLATFORM_TAG_KEYS

# --- type tokens -------------------------------------------------------------------------------------------

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
SECURITY_RULE = "azure-native:network:SecurityRule"
NAT_GATEWAY = "azure-native:network:NatGateway"
PUBLIC_IP = "azure-native:network:PublicIPAddress"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
ZONE_LINK = "azure-native:privatedns:VirtualNetworkLink"
VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
STORAGE = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
LOCK = "azure-native:authorization:ManagementLockByScope"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
REGISTRY = "azure-native:containerregistry:Registry"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
BUDGET = "azure-native:consumption:Budget"
DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"
FLOW_LOG = "azure-native:network:FlowLog"

# Taggable types the platform creates: checked even when `tags` is missing entirely.
TAGGABLE = frozenset(
    {
        RESOURCE_GROUP,
        VNET,
        NSG,
        NAT_GATEWAY,
        PUBLIC_IP,
        PRIVATE_ENDPOINT,
        PRIVATE_ZONE,
        ZONE_LINK,
        VAULT,
        KEY,
        STORAGE,
        IDENTITY,
        LOG_ANALYTICS,
        APP_INSIGHTS,
        REGISTRY,
        ML_WORKSPACE,
        ML_COMPUTE,
        CLUSTER,
        AGENT_POOL,
    }
)
# What losing would lose data, keys or a running platform.
PROTECTED = (RESOURCE_GROUP, STORAGE, VAULT, KEY, LOG_ANALYTICS, REGISTRY, ML_WORKSPACE, CLUSTER)
# Where a CanNotDelete lock is Azure's own deletion protection (children stay deletable elsewhere).
LOCKED = (STORAGE, VAULT)

_INTERNET_SOURCES = frozenset({"*", "internet", "any", "0.0.0.0/0", "::/0"})
_DEFAULT_GPU_POOL_CAP = 16


# --- helpers -----------------------------------------------------------------------------------------------


def _require(
    problems: list[str], props: Props, path: str, allowed: Iterable[Any], *, default: Any = None
) -> None:
    """Report `path` (dotted camelCase) unless its value, or Azure's `default` when unset, is allowed."""
    value = prop(props, *path.split("."), default=default)
    if isinstance(value, Unknown):
        return
    options = list(allowed)
    if value in options:
        return
    raw = prop(props, *path.split("."))
    shown = f"unset (Azure default {_show(default)})" if raw is None and default is not None else _show(value)
    expected = " or ".join(_show(o) for o in options)
    problems.append(f"{path} is {shown}, expected {expected}")


# --- storage -----------------------------------------------------------------------------------------------


def _storage_secure(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "kind", ["StorageV2"])
    _require(problems, props, "minimumTlsVersion", ["TLS1_2", "TLS1_3"], default="TLS1_0")
    _require(problems, props, "enableHttpsTrafficOnly", [True], default=True)
    _require(problems, props, "allowBlobPublicAccess", [False], default=False)
    _require(problems, props, "allowSharedKeyAccess", [False], default=True)
    _require(problems, props, "networkRuleSet.defaultAction", ["Deny"], default="Allow")
    _require(problems, props, "encryption.requireInfrastructureEncryption", [True], default=False)
    return problems


def _storage_cmk(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "encryption.keySource", ["Microsoft.Keyvault"], default="Microsoft.Storage")
    if prop(props, "encryption", "keySource") == "Microsoft.Keyvault":
        for field in ("keyVaultUri", "keyName"):
            value = prop(props, "encryption", "keyVaultProperties", field)
            if not isinstance(value, Unknown) and not value:
                problems.append(f"encryption.keyVaultProperties.{field} is unset")
    return problems


def _storage_private(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "publicNetworkAccess", ["Disabled"], default="Enabled")
    return problems


def _blob_protection(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "isVersioningEnabled", [True], default=False)
    _require(problems, props, "deleteRetentionPolicy.enabled", [True], default=False)
    _require(problems, props, "containerDeleteRetentionPolicy.enabled", [True], default=False)
    return problems


# --- key vault ---------------------------------------------------------------------------------------------


def _vault_secure(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "properties.enableRbacAuthorization", [True], default=False)
    _require(problems, props, "properties.enablePurgeProtection", [True], default=False)
    _require(problems, props, "properties.enableSoftDelete", [True], default=True)
    _require(problems, props, "properties.networkAcls.defaultAction", ["Deny"], default="Allow")
    return problems


def _vault_private(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "properties.publicNetworkAccess", ["Disabled"], default="Enabled")
    return problems


def _key_rotation(props: Props) -> list[str]:
    problems: list[str] = []
    kty = prop(props, "properties", "kty")
    _require(problems, props, "properties.kty", ["RSA", "RSA-HSM", "EC", "EC-HSM"])
    size = prop(props, "properties", "keySize", default=2048)
    if kty in ("RSA", "RSA-HSM") and isinstance(size, int | float) and size < 2048:
        problems.append(f"properties.keySize is {size:g}, expected at least 2048")
    actions = elements(props, "properties", "rotationPolicy", "lifetimeActions")
    if not isinstance(actions, Unknown):
        kinds = [a if isinstance(a, Unknown) else prop(a, "action", "type") for a in actions]
        if not any(isinstance(k, Unknown) or str(k).lower() == "rotate" for k in kinds):
            problems.append("properties.rotationPolicy has no rotate action, so the key never rotates")
    expiry = prop(props, "properties", "rotationPolicy", "attributes", "expiryTime")
    if not isinstance(expiry, Unknown) and not expiry:
        problems.append(
            "properties.rotationPolicy.attributes.expiryTime is unset, so key versions never expire"
        )
    return problems


# --- registry ----------------------------------------------------------------------------------------------


def _registry_secure(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "adminUserEnabled", [False], default=False)
    _require(problems, props, "anonymousPullEnabled", [False], default=False)
    return problems


def _registry_private(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "sku.name", ["Premium"])
    _require(problems, props, "publicNetworkAccess", ["Disabled"], default="Enabled")
    return problems


def _registry_retention(props: Props) -> list[str]:
    # Retention of untagged manifests exists on Premium only and is off by default
    # (learn.microsoft.com/azure/container-registry/container-registry-retention-policy).
    if prop(props, "sku", "name") != "Premium":
        return []
    problems: list[str] = []
    _require(problems, props, "policies.retentionPolicy.status", ["enabled"], default="disabled")
    return problems


# Built-in roles that manage everything or hand out access (ids are the same in every tenant):
# learn.microsoft.com/azure/role-based-access-control/built-in-roles/general and .../privileged.
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}


def _role_assignment(props: Props) -> list[str]:
    role = prop(props, "roleDefinitionId")
    if not isinstance(role, str):
        return []
    name = BROAD_ROLES.get(role.rstrip("/").rsplit("/", 1)[-1].lower())
    if name is None:
        return []
    return [
        f"roleDefinitionId is the built-in {name} role; assign a role scoped to the job (AcrPull, Key Vault Crypto User, ...)"
    ]


# --- Azure ML ----------------------------------------------------------------------------------------------


def _workspace_secure(props: Props) -> list[str]:
    problems: list[str] = []
    identity = prop(props, "identity", "type")
    if not isinstance(identity, Unknown) and "assigned" not in str(identity or "").lower():
        problems.append(f"identity.type is {_show(identity)}, expected a managed identity (SystemAssigned)")
    _require(problems, props, "systemDatastoresAuthMode", ["Identity"], default="AccessKey")
    _require(
        problems,
        props,
        "managedNetwork.isolationMode",
        ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"],
        default="Disabled",
    )
    _require(problems, props, "v1LegacyMode", [False], default=False)
    return problems


def _workspace_private(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "publicNetworkAccess", ["Disabled"], default="Enabled")
    _require(
        problems, props, "managedNetwork.isolationMode", ["AllowOnlyApprovedOutbound"], default="Disabled"
    )
    return problems


def _compute_hardened(props: Props) -> list[str]:
    problems: list[str] = []
    kind = prop(props, "properties", "computeType")
    if kind not in ("AmlCompute", "ComputeInstance"):
        return problems
    _require(problems, props, "properties.disableLocalAuth", [True], default=False)
    _require(problems, props, "properties.properties.enableNodePublicIp", [False], default=True)
    if kind == "AmlCompute":
        _require(
            problems,
            props,
            "properties.properties.remoteLoginPortPublicAccess",
            ["Disabled"],
            default="NotSpecified",
        )
        _require(problems, props, "properties.properties.scaleSettings.minNodeCount", [0], default=0)
        idle = prop(props, "properties", "properties", "scaleSettings", "nodeIdleTimeBeforeScaleDown")
        if not isinstance(idle, Unknown) and not idle:
            problems.append("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown is unset")
    else:
        idle = prop(props, "properties", "properties", "idleTimeBeforeShutdown")
        if not isinstance(idle, Unknown) and not idle:
            problems.append(
                "properties.properties.idleTimeBeforeShutdown is unset, so an idle instance runs on"
            )
        _require(
            problems,
            props,
            "properties.properties.sshSettings.sshPublicAccess",
            ["Disabled"],
            default="Disabled",
        )
        owner = prop(
            props, "properties", "properties", "personalComputeInstanceSettings", "assignedUser", "objectId"
        )
        if not isinstance(owner, Unknown) and not owner:
            problems.append("properties.properties.personalComputeInstanceSettings.assignedUser is unset")
    return problems


# --- AKS ---------------------------------------------------------------------------------------------------


def _open_to_all(cidr: object) -> bool:
    if not isinstance(cidr, str):
        return False
    try:
        return ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return cidr.strip() in _INTERNET_SOURCES


def _cluster_hardened(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "disableLocalAccounts", [True], default=False)
    _require(problems, props, "enableRBAC", [True], default=True)
    _require(problems, props, "aadProfile.managed", [True], default=False)
    _require(problems, props, "aadProfile.enableAzureRBAC", [True], default=False)
    _require(problems, props, "oidcIssuerProfile.enabled", [True], default=False)
    _require(problems, props, "securityProfile.workloadIdentity.enabled", [True], default=False)
    _require(problems, props, "networkProfile.networkPlugin", ["azure"], default="kubenet")
    _require(problems, props, "networkProfile.networkPolicy", ["azure", "calico", "cilium"], default="none")
    _require(
        problems,
        props,
        "autoUpgradeProfile.upgradeChannel",
        ["patch", "stable", "rapid", "node-image"],
        default="none",
    )
    _require(
        problems,
        props,
        "autoUpgradeProfile.nodeOSUpgradeChannel",
        ["NodeImage", "SecurityPatch"],
        default="NodeImage",
    )
    private = prop(props, "apiServerAccessProfile", "enablePrivateCluster", default=False)
    if private is False:
        ranges = elements(props, "apiServerAccessProfile", "authorizedIPRanges")
        if not isinstance(ranges, Unknown):
            if not ranges:
                problems.append(
                    "the API server is public and apiServerAccessProfile.authorizedIPRanges is empty, "
                    "so it is open to the whole internet"
                )
            problems.extend(
                f"apiServerAccessProfile.authorizedIPRanges allows {_show(r)}, the whole internet"
                for r in ranges
                if _open_to_all(r)
            )
    pools = elements(props, "agentPoolProfiles")
    for i, pool in enumerate([] if isinstance(pools, Unknown) else pools):
        if not isinstance(pool, Unknown) and prop(pool, "enableNodePublicIP") is True:
            problems.append(f"agentPoolProfiles[{i}].enableNodePublicIP is true")
    return problems


def _cluster_private(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "apiServerAccessProfile.enablePrivateCluster", [True], default=False)
    return problems


def _cluster_etcd_encryption(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "securityProfile.azureKeyVaultKms.enabled", [True], default=False)
    if prop(props, "securityProfile", "azureKeyVaultKms", "enabled") is True:
        key = prop(props, "securityProfile", "azureKeyVaultKms", "keyId")
        if not isinstance(key, Unknown) and not key:
            problems.append("securityProfile.azureKeyVaultKms.keyId is unset")
    return problems


def _cluster_tier(props: Props) -> list[str]:
    problems: list[str] = []
    _require(problems, props, "sku.tier", ["Standard", "Premium"], default="Free")
    return problems


def is_gpu_vm_size(vm_size: object) -> bool:
    """A GPU size from the accelerator catalog, or any N-series size (Azure's GPU families)."""
    if not isinstance(vm_size, str):
        return False
    return vm_size in AZURE_GPUS_PER_INSTANCE or re.match(r"(?i)^standard_n", vm_size) is not None


def _gpu_pools(args: ResourceValidationArgs) -> list[tuple[str, Props]]:
    """(where, pool properties) for every GPU pool: a standalone AgentPool, or one inline in the cluster."""
    if args.resource_type == AGENT_POOL:
        return [("", args.props)] if is_gpu_vm_size(prop(args.props, "vmSize")) else []
    pools = elements(args.props, "agentPoolProfiles")
    if isinstance(pools, Unknown):
        return []
    return [
        (f"agentPoolProfiles[{i}].", pool)
        for i, pool in enumerate(pools)
        if not isinstance(pool, Unknown) and is_gpu_vm_size(prop(pool, "vmSize"))
    ]


def _gpu_taint(taint: object) -> bool:
    """`nvidia.com/gpu[=value]:NoSchedule`, the taint only GPU workloads tolerate."""
    if not isinstance(taint, str):
        return False
    key_value, _, effect = taint.partition(":")
    return key_value.split("=", 1)[0] == GPU_TAINT_KEY and effect == "NoSchedule"


def _gpu_pool_shape(args: ResourceValidationArgs) -> list[str]:
    problems: list[str] = []
    cap = args.get_config().get("maxNodes", _DEFAULT_GPU_POOL_CAP)
    for where, pool in _gpu_pools(args):
        taints = elements(pool, "nodeTaints")
        if not isinstance(taints, Unknown) and not any(
            isinstance(t, Unknown) or _gpu_taint(t) for t in taints
        ):
            problems.append(
                f"{where}nodeTaints lacks {GPU_TAINT_KEY}=...:NoSchedule, so any pod may land on GPUs"
            )
        _require(problems, pool, "enableAutoScaling", [True], default=False)
        low, high = prop(pool, "minCount"), prop(pool, "maxCount")
        if not isinstance(low, Unknown) and low != 0:
            problems.append(f"{where}minCount is {_show(low)}, expected 0 (scale to zero when idle)")
        if high is None:
            problems.append(f"{where}maxCount is unset, so the pool has no ceiling")
        elif isinstance(high, int | float) and high > cap:
            problems.append(f"{where}maxCount is {high:g}, above the cap of {cap}")
        if prop(pool, "enableNodePublicIP") is True:
            problems.append(f"{where}enableNodePublicIP is true")
    return problems


def _gpu_pool_spot(args: ResourceValidationArgs) -> list[str]:
    problems: list[str] = []
    require_spot = bool(args.get_config().get("requireSpot", False))
    for where, pool in _gpu_pools(args):
        priority = prop(pool, "scaleSetPriority", default="Regular")
        if isinstance(priority, Unknown):
            continue
        if priority == "Spot":
            _require(problems, pool, "scaleSetEvictionPolicy", ["Delete"], default="Delete")
            _require(problems, pool, "spotMaxPrice", [-1], default=-1)
        elif require_spot:
            problems.append(
                f"{where}scaleSetPriority is {_show(priority)}, so this stack's GPU pool is on-demand"
            )
    return problems


# --- network -----------------------------------------------------------------------------------------------


def _nsg_no_internet_inbound(args: ResourceValidationArgs) -> list[str]:
    """Rules inline in an NSG (`securityRules`) or standalone (`network.SecurityRule`, same properties)."""
    if args.resource_type == SECURITY_RULE:
        rules: list[Any] | Unknown = [args.props]
        name_key = "securityRuleName"
    else:
        rules, name_key = elements(args.props, "securityRules"), "name"
    problems: list[str] = []
    for rule in [] if isinstance(rules, Unknown) else rules:
        if isinstance(rule, Unknown):
            continue
        if prop(rule, "direction") != "Inbound" or prop(rule, "access") != "Allow":
            continue
        sources = [prop(rule, "sourceAddressPrefix")]
        more = elements(rule, "sourceAddressPrefixes")
        sources += [] if isinstance(more, Unknown) else more
        if any(isinstance(s, str) and (s.lower() in _INTERNET_SOURCES or _open_to_all(s)) for s in sources):
            problems.append(f"rule {_show(prop(rule, name_key))} allows inbound traffic from the internet")
    return problems


def _subnet_problems(subnet: Props, where: str = "") -> list[str]:
    problems: list[str] = []
    nsg = prop(subnet, "networkSecurityGroup", "id")
    if not isinstance(nsg, Unknown) and not nsg:
        problems.append("networkSecurityGroup is unset, so nothing filters traffic into the subnet")
    _require(problems, subnet, "defaultOutboundAccess", [False], default=True)
    return [where + problem for problem in problems]


def _subnet_closed(args: ResourceValidationArgs) -> list[str]:
    """Standalone subnets (`network.Subnet`) and subnets inline in a VirtualNetwork (`subnets`)."""
    if args.resource_type == SUBNET:
        return _subnet_problems(args.props)
    subnets = elements(args.props, "subnets")
    if isinstance(subnets, Unknown):
        return []
    return [
        problem
        for i, subnet in enumerate(subnets)
        if not isinstance(subnet, Unknown)
        for problem in _subnet_problems(subnet, f"subnets[{i}].")
    ]


# --- budget, tags, protection ------------------------------------------------------------------------------


def _budget_pinned(props: Props) -> list[str]:
    problems: list[str] = []
    start = prop(props, "timePeriod", "startDate")
    if not isinstance(start, Unknown) and not (
        isinstance(start, str) and re.match(r"^\d{4}-\d{2}-01", start)
    ):
        problems.append(
            f"timePeriod.startDate is {_show(start)}, expected the first of a month from settings "
            "(Azure never lets it change)"
        )
    notifications = entries(props, "notifications")
    if isinstance(notifications, Unknown):
        return problems
    kinds: set[str] = set()
    for key, n in notifications.items():
        if isinstance(n, Unknown):
            kinds |= {"Actual", "Forecasted"}
            continue
        kind = prop(n, "thresholdType", default="Actual")
        kinds.add(str(kind) if not isinstance(kind, Unknown) else "?")
        if prop(n, "enabled") is False:
            problems.append(f"notifications.{key} is disabled")
        recipients = [elements(n, field) for field in ("contactEmails", "contactGroups", "contactRoles")]
        if all(not isinstance(r, Unknown) and not r for r in recipients):
            problems.append(f"notifications.{key} notifies nobody")
    if "?" not in kinds:
        problems.extend(
            f"no {kind} notification, so {what} goes unnoticed"
            for kind, what in (("Actual", "spend"), ("Forecasted", "a forecast overrun"))
            if kind not in kinds
        )
    return problems


def _required_tags(args: ResourceValidationArgs) -> list[str]:
    tags = entries(args.props, "tags")
    if isinstance(tags, Unknown):
        return []
    problems: list[str] = []
    missing = [key for key in PLATFORM_TAG_KEYS if tags.get(key) in (None, "")]
    if missing:
        problems.append(f"missing tags: {', '.join(missing)}")
    managed_by = tags.get("managed-by")
    if managed_by not in (None, "", "pulumi") and not isinstance(managed_by, Unknown):
        problems.append(f'tag managed-by is {_show(managed_by)}, expected "pulumi"')
    return problems


def _protected(args: ResourceValidationArgs) -> list[str]:
    if args.opts.protect:
        return []
    return ["the resource is not protected (protect: true), so a stack change can delete it"]


# --- stack rules -------------------------------------------------------------------------------------------


def _every(
    targets: Iterable[str], companions: Iterable[str], property_name: str, missing: str
) -> Callable[[StackValidationArgs, ReportViolation], None]:  # pragma: no mutate block
    """A stack check: every resource of `targets` has a companion whose `property_name` depends on it."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        linked = linked_through(args.resources, companions, property_name)
        for resource in of_type(args.resources, targets):
            if resource.urn not in linked:
                report_violation(f"{resource.name} {missing}.", resource.urn)

    return validate


def _private_endpoints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    linked = linked_through(args.resources, [PRIVATE_ENDPOINT], "privateLinkServiceConnections")
    for resource in of_type(args.resources, [STORAGE, VAULT, REGISTRY, ML_WORKSPACE]):
        if resource.urn in linked:
            continue
        # Storage and Key Vault always deny the public network; the others only when closed.
        closed = (
            resource.resource_type in (STORAGE, VAULT)
            or prop(resource.props, "publicNetworkAccess") == "Disabled"
        )
        if closed:
            report_violation(
                f"{resource.name} has no private endpoint whose privateLinkServiceConnections point at it, "
                "so nothing in the VNet can reach it.",
                resource.urn,
            )


def _endpoints_in_dns(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    groups = linked_through(args.resources, [DNS_ZONE_GROUP], "privateEndpointName")
    for endpoint in of_type(args.resources, [PRIVATE_ENDPOINT]):
        zones = [
            prop(z, "privateDnsZoneId")
            for group in groups.get(endpoint.urn, [])
            for z in _list(elements(group.props, "privateDnsZoneConfigs"))
        ]
        if not zones:
            report_violation(
                f"private endpoint {endpoint.name} has no PrivateDnsZoneGroup with a zone, so the service's "
                "name still resolves to its public address.",
                endpoint.urn,
            )


def _list(value: list[Any] | Unknown) -> list[Any]:
    """The elements of `value`; a list or element known only after preview may hold a zone, so it counts."""
    return [value] if isinstance(value, Unknown) else value


def _audit_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    linked = linked_through(args.resources, [DIAGNOSTICS], "resourceUri")
    for resource in of_type(args.resources, [CLUSTER, VAULT]):
        settings = [s for s in linked.get(resource.urn, []) if prop(s.props, "workspaceId")]
        if not settings:
            report_violation(
                f"{resource.name} has no diagnostic setting sending its logs to Log Analytics, "
                "so control-plane and key access go unaudited.",
                resource.urn,
            )


def _vnet_flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # VNet flow logs may target the VNet itself or its subnets (learn.microsoft.com/azure/network-watcher/
    # vnet-flow-logs-overview); a disabled flow log logs nothing.
    logged = {
        target.urn
        for log in of_type(args.resources, [FLOW_LOG])
        if prop(log.props, "enabled") is not False
        for target in log.property_dependencies.get("targetResourceId", [])
    }
    subnets = linked_through(args.resources, [SUBNET], "virtualNetworkName")
    for vnet in of_type(args.resources, [VNET]):
        own = subnets.get(vnet.urn, [])
        if vnet.urn in logged or (own and all(subnet.urn in logged for subnet in own)):
            continue
        report_violation(
            f"{vnet.name} has no enabled FlowLog whose targetResourceId comes from it (or from each of its "
            "subnets), so its traffic is not logged.",
            vnet.urn,
        )


def _has_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    azure = [r for r in args.resources if r.resource_type.startswith("azure-native:")]
    if not azure:
        return
    budgets = of_type(args.resources, [BUDGET])
    if not budgets:
        report_violation(
            "the stack creates Azure resources but no consumption Budget watches their cost.", None
        )
        return
    groups = {r.urn for r in of_type(args.resources, [RESOURCE_GROUP])}
    watched = {t.urn for b in budgets for t in b.property_dependencies.get("scope", [])}
    for group in sorted(groups - watched):
        report_violation(
            "no Budget's scope comes from this resource group, so its spend is unwatched.", group
        )


_SPOT_CONFIG = PolicyConfigSchema(properties={"requireSpot": {"type": "boolean", "default": False}})
_CAP_CONFIG = PolicyConfigSchema(
    properties={"maxNodes": {"type": "integer", "minimum": 1, "default": _DEFAULT_GPU_POOL_CAP}}
)

# --- the rules ---------------------------------------------------------------------------------------------

azure_storage_account_secure = _props_rule(
    "azure-storage-account-secure",
    "Storage accounts must be StorageV2 with TLS 1.2+, HTTPS only, no public blobs, no shared keys, a "
    "default-deny network and infrastructure (double) encryption.",
    [STORAGE],
    _storage_secure,
)
azure_storage_account_cmk = _props_rule(
    "azure-storage-account-cmk",
    "Storage accounts must encrypt with a customer-managed Key Vault key, so access to the data needs the key.",
    [STORAGE],
    _storage_cmk,
)
azure_storage_public_network_disabled = _props_rule(
    "azure-storage-public-network-disabled",
    "Storage accounts must disable public network access; data is reached through private endpoints.",
    [STORAGE],
    _storage_private,
)
azure_blob_versioning_and_soft_delete = _props_rule(
    "azure-blob-versioning-and-soft-delete",
    "Blob services must keep versions and soft-delete blobs and containers, so overwritten or deleted "
    "datasets and models can be recovered.",
    [BLOB_SERVICE],
    _blob_protection,
)
azure_key_vault_secure = _props_rule(
    "azure-key-vault-secure",
    "Key vaults must use Azure RBAC, soft delete and purge protection, and deny network access by default.",
    [VAULT],
    _vault_secure,
)
azure_key_vault_public_network_disabled = _props_rule(
    "azure-key-vault-public-network-disabled",
    "Key vaults must disable public network access; keys are reached through private endpoints.",
    [VAULT],
    _vault_private,
)
azure_key_vault_key_rotation = _props_rule(
    "azure-key-vault-key-rotation",
    "Key Vault keys must be RSA 2048+ (or EC) with a rotation policy that rotates and expires key versions.",
    [KEY],
    _key_rotation,
)


def _log_retention(props: Props) -> list[str]:
    # Log Analytics keeps 30 days when retentionInDays is unset (learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure).
    days = prop(props, "retentionInDays", default=30)
    if isinstance(days, int | float) and days < MIN_LOG_RETENTION_DAYS:
        return [f"retentionInDays is {_show(days)}, expected at least {MIN_LOG_RETENTION_DAYS}"]
    return []


# MCSB LT-6 names no period; 90 days is what CIS Azure asks of activity and flow logs.
MIN_LOG_RETENTION_DAYS = 90
azure_log_analytics_retention = _props_rule(
    "azure-log-analytics-retention",
    f"Log Analytics workspaces must keep logs at least {MIN_LOG_RETENTION_DAYS} days.",
    [LOG_ANALYTICS],
    _log_retention,
)
azure_container_registry_secure = _props_rule(
    "azure-container-registry-secure",
    "Container registries must disable the admin user and anonymous pull; identities authenticate.",
    [REGISTRY],
    _registry_secure,
)
azure_container_registry_private = _props_rule(
    "azure-container-registry-private",
    "Container registries must be Premium with public network access disabled (reached by private endpoint).",
    [REGISTRY],
    _registry_private,
)
azure_container_registry_retention = _props_rule(
    "azure-container-registry-retention",
    "Premium container registries must purge untagged manifests (retention policy), so pushed-over images do "
    "not pile up storage cost.",
    [REGISTRY],
    _registry_retention,
)
azure_role_assignments_least_privilege = _props_rule(
    "azure-role-assignments-least-privilege",
    "Role assignments must not grant Owner, Contributor or User Access Administrator: identities get roles "
    "scoped to their job.",
    [ROLE_ASSIGNMENT],
    _role_assignment,
)
azure_ml_workspace_secure = _props_rule(
    "azure-ml-workspace-secure",
    "Azure ML workspaces must have a managed identity, identity-based storage access, managed network "
    "isolation and no v1 legacy mode.",
    [ML_WORKSPACE],
    _workspace_secure,
)
azure_ml_workspace_private = _props_rule(
    "azure-ml-workspace-private",
    "Azure ML workspaces must disable public network access and allow only approved outbound traffic.",
    [ML_WORKSPACE],
    _workspace_private,
)
azure_ml_compute_hardened = _props_rule(
    "azure-ml-compute-hardened",
    "Azure ML compute must have no public IPs, no local auth and no public SSH; clusters scale to zero after "
    "an idle timeout, and instances shut down when idle and belong to one user.",
    [ML_COMPUTE],
    _compute_hardened,
)
azure_aks_cluster_hardened = _props_rule(
    "azure-aks-cluster-hardened",
    "AKS clusters must use Entra ID with Azure RBAC and no local accounts, workload identity with the OIDC "
    "issuer, Azure CNI with a network policy, automatic upgrades, and a private or allow-listed API server "
    "(never 0.0.0.0/0).",
    [CLUSTER],
    _cluster_hardened,
)
azure_aks_private_cluster = _props_rule(
    "azure-aks-private-cluster",
    "AKS API servers must be private.",
    [CLUSTER],
    _cluster_private,
)
azure_aks_etcd_encryption = _props_rule(
    "azure-aks-etcd-encryption",
    "AKS clusters must encrypt Kubernetes secrets in etcd with a Key Vault key (KMS).",
    [CLUSTER],
    _cluster_etcd_encryption,
)
azure_aks_standard_tier = _props_rule(
    "azure-aks-standard-tier",
    "AKS clusters must run on the Standard (or Premium) tier, which carries the uptime SLA.",
    [CLUSTER],
    _cluster_tier,
)
azure_aks_gpu_pool = _resource_rule(
    "azure-aks-gpu-pool",
    "AKS GPU pools must be tainted nvidia.com/gpu:NoSchedule, autoscale from 0 and stay under the node cap, "
    "with no public node IPs.",
    [AGENT_POOL, CLUSTER],
    _gpu_pool_shape,
    config_schema=_CAP_CONFIG,
)
azure_aks_gpu_pool_spot = _resource_rule(
    "azure-aks-gpu-pool-spot",
    "Spot GPU pools must evict with Delete at max price -1; where the policy config sets requireSpot (dev), "
    "every GPU pool must run on Spot.",
    [AGENT_POOL, CLUSTER],
    _gpu_pool_spot,
    config_schema=_SPOT_CONFIG,
)
azure_nsg_no_internet_inbound = _resource_rule(
    "azure-nsg-no-internet-inbound",
    "Network security groups must not allow inbound traffic from the internet, in inline rules or standalone "
    "SecurityRule resources.",
    [NSG, SECURITY_RULE],
    _nsg_no_internet_inbound,
)
azure_subnet_closed = _resource_rule(
    "azure-subnet-closed",
    "Subnets, standalone or inline in a virtual network, must have a network security group and no default "
    "outbound access (egress goes through NAT).",
    [SUBNET, VNET],
    _subnet_closed,
)
azure_budget_pinned = _props_rule(
    "azure-budget-pinned",
    "Consumption budgets must start on a pinned first of a month and alert on actual and forecast spend.",
    [BUDGET],
    _budget_pinned,
)
azure_required_tags = _resource_rule(
    "azure-required-tags",
    f"Azure resources must carry the platform tags ({', '.join(PLATFORM_TAG_KEYS)}) with managed-by "
    '"pulumi", so every cost and resource has an owner.',
    TAGGABLE,
    _required_tags,
)
azure_resources_protected = _resource_rule(
    "azure-resources-protected",
    "The resource group, storage accounts, key vaults and keys, Log Analytics, registries, ML workspaces and "
    "AKS clusters must be protected (protect: true) against deletion by a stack change.",
    PROTECTED,
    _protected,
)
azure_data_stores_locked = _stack_rule(
    "azure-data-stores-locked",
    "Storage accounts and key vaults must carry a CanNotDelete management lock (Azure's deletion protection).",
    _every(LOCKED, [LOCK], "scope", "has no management lock whose scope comes from it"),
)
azure_storage_account_has_blob_service = _stack_rule(
    "azure-storage-account-has-blob-service",
    "Every storage account must have its own BlobServiceProperties, where versioning and soft delete live.",
    _every(
        [STORAGE],
        [BLOB_SERVICE],
        "accountName",
        "has no BlobServiceProperties whose accountName comes from it",
    ),
)
azure_private_endpoints = _stack_rule(
    "azure-private-endpoints",
    "Storage accounts and key vaults (and registries and ML workspaces with public access disabled) must "
    "have a private endpoint.",
    _private_endpoints,
)
azure_private_endpoints_in_dns = _stack_rule(
    "azure-private-endpoints-in-dns",
    "Every private endpoint must register in a private DNS zone (PrivateDnsZoneGroup).",
    _endpoints_in_dns,
)
azure_private_dns_zones_linked = _stack_rule(
    "azure-private-dns-zones-linked",
    "Every private DNS zone must be linked to a VNet, or nothing resolves through it.",
    _every(
        [PRIVATE_ZONE],
        [ZONE_LINK],
        "privateZoneName",
        "has no VirtualNetworkLink whose privateZoneName comes from it",
    ),
)
azure_audit_logs = _stack_rule(
    "azure-audit-logs",
    "AKS clusters and key vaults must send their audit logs to Log Analytics through a diagnostic setting.",
    _audit_logs,
)
# Advisory until the network component creates VNet flow logs (the pack's one known gap on Azure).
azure_vnet_flow_logs = StackValidationPolicy(
    name="azure-vnet-flow-logs",
    description="Every virtual network (or each of its subnets) must have an enabled VNet flow log, so network "
    "access can be audited and incidents investigated.",
    validate=_vnet_flow_logs,
    enforcement_level=EnforcementLevel.ADVISORY,
)
azure_stack_has_budget = _stack_rule(
    "azure-stack-has-budget",
    "A stack that creates Azure resources must have a consumption Budget scoped to its resource groups.",
    _has_budget,
)

# --- what each rule guards (policies/concepts.py) ----------------------------------------------------------

guards(azure_storage_account_secure, "public-access", "least-privilege-iam")
guards(azure_storage_account_cmk, "encryption-cmk")
guards(azure_storage_public_network_disabled, "public-access")
guards(azure_blob_versioning_and_soft_delete, "versioning")
guards(azure_key_vault_secure, "deletion-protection", "least-privilege-iam", "public-access")
guards(azure_key_vault_public_network_disabled, "public-access")
guards(azure_key_vault_key_rotation, "key-rotation")
guards(azure_container_registry_secure, "public-access", "cluster-identity")
guards(azure_container_registry_private, "public-access")
guards(azure_container_registry_retention, "storage-lifecycle")
guards(azure_role_assignments_least_privilege, "least-privilege-iam")
guards(azure_ml_workspace_secure, "least-privilege-iam", "network-segmentation")
guards(azure_ml_workspace_private, "public-access")
guards(azure_ml_compute_hardened, "node-hardening", "idle-shutdown", "public-access")
guards(
    azure_aks_cluster_hardened,
    "cluster-identity",
    "network-segmentation",
    "private-api-endpoints",
    "kubernetes-version-support",
)
guards(azure_aks_private_cluster, "private-api-endpoints")
guards(azure_aks_etcd_encryption, "kubernetes-secrets-encryption")
guards(azure_aks_standard_tier, "cluster-operable")
guards(azure_aks_gpu_pool, "gpu-taint", "gpu-scale-to-zero", "gpu-capped", "gpu-schedulable")
guards(azure_aks_gpu_pool_spot, "gpu-spot-dev")
guards(azure_nsg_no_internet_inbound, "public-access")
guards(azure_subnet_closed, "network-segmentation")
guards(azure_budget_pinned, "budget-alerts")
guards(azure_required_tags, "required-tags")
guards(azure_resources_protected, "pulumi-protect")
guards(azure_data_stores_locked, "deletion-protection")
guards(azure_storage_account_has_blob_service, "versioning")
guards(azure_private_endpoints, "private-service-access")
guards(azure_private_endpoints_in_dns, "private-service-access")
guards(azure_private_dns_zones_linked, "private-service-access")
guards(azure_audit_logs, "audit-logging")
guards(azure_log_analytics_retention, "audit-logging", "storage-lifecycle")
guards(azure_vnet_flow_logs, "flow-logs")
guards(azure_stack_has_budget, "budget-alerts")


# --- the published controls each rule implements (policies/controls.py) -------------------------------------

implements(azure_audit_logs, "cis-aks:2.1.1", "mcsb:LT-3", "mcsb:LT-5")
implements(azure_log_analytics_retention, "mcsb:LT-6")
# AKS upgrades its managed CNI with the cluster (learn.microsoft.com/azure/aks/concepts-network-cni-overview).
implements(azure_aks_cluster_hardened, "cis-aks:4.4.1", "cis-aks:5.2.1", "cis-aks:5.4.1", "cis-aks:5.4.3")
implements(azure_aks_cluster_hardened, "cis-aks:5.4.4", "cis-aks:5.5.1", "cis-aks:5.5.2")
implements(
    azure_aks_cluster_hardened, "mcsb:IM-1", "mcsb:IM-3", "mcsb:IM-8", "mcsb:PV-3", "mcsb:PV-4", "mcsb:PV-6"
)
implements(azure_container_registry_secure, "cis-aks:5.1.2", "mcsb:IM-8")
implements(azure_role_assignments_least_privilege, "cis-aks:5.1.2", "cis-aks:5.1.3", "mcsb:PA-1", "mcsb:PA-7")
implements(azure_aks_etcd_encryption, "cis-aks:5.3.1", "mcsb:DP-4", "mcsb:DP-5")
implements(azure_aks_private_cluster, "cis-aks:5.4.1", "cis-aks:5.4.2", "mcsb:NS-2")
implements(azure_aks_gpu_pool, "cis-aks:5.4.3")
implements(azure_subnet_closed, "mcsb:NS-1")
implements(azure_nsg_no_internet_inbound, "mcsb:NS-1")
implements(
    azure_private_endpoints,
    "mcsb:NS-2",
)
implements(azure_storage_public_network_disabled, "mcsb:NS-2")
implements(azure_key_vault_public_network_disabled, "mcsb:NS-2", "mcsb:DP-8")
implements(azure_container_registry_private, "mcsb:NS-2")
implements(azure_ml_workspace_private, "mcsb:NS-2")
implements(
    azure_storage_account_secure, "mcsb:NS-8", "mcsb:IM-1", "mcsb:IM-4", "mcsb:IM-8", "mcsb:DP-3", "mcsb:DP-4"
)
implements(azure_private_dns_zones_linked, "mcsb:NS-10")
implements(azure_private_endpoints_in_dns, "mcsb:NS-10")
implements(azure_ml_compute_hardened, "mcsb:IM-1", "mcsb:PV-3", "mcsb:PV-4")
implements(azure_ml_workspace_secure, "mcsb:IM-3")
implements(azure_storage_account_cmk, "mcsb:DP-5")
implements(azure_key_vault_key_rotation, "mcsb:DP-6")
implements(azure_key_vault_secure, "mcsb:IM-8", "mcsb:DP-8", "mcsb:BR-2")
implements(azure_data_stores_locked, "mcsb:DP-8", "mcsb:BR-2")
implements(azure_vnet_flow_logs, "mcsb:LT-4")
implements(azure_blob_versioning_and_soft_delete, "mcsb:BR-1")


POLICIES: list[Policy] = [
    azure_log_analytics_retention,
    azure_storage_account_secure,
    azure_storage_account_cmk,
    azure_storage_public_network_disabled,
    azure_blob_versioning_and_soft_delete,
    azure_key_vault_secure,
    azure_key_vault_public_network_disabled,
    azure_key_vault_key_rotation,
    azure_container_registry_secure,
    azure_container_registry_private,
    azure_container_registry_retention,
    azure_role_assignments_least_privilege,
    azure_ml_workspace_secure,
    azure_ml_workspace_private,
    azure_ml_compute_hardened,
    azure_aks_cluster_hardened,
    azure_aks_private_cluster,
    azure_aks_etcd_encryption,
    azure_aks_standard_tier,
    azure_aks_gpu_pool,
    azure_aks_gpu_pool_spot,
    azure_nsg_no_internet_inbound,
    azure_subnet_closed,
    azure_budget_pinned,
    azure_required_tags,
    azure_resources_protected,
    azure_data_stores_locked,
    azure_storage_account_has_blob_service,
    azure_private_endpoints,
    azure_private_endpoints_in_dns,
    azure_private_dns_zones_linked,
    azure_audit_logs,
    azure_vnet_flow_logs,
    azure_stack_has_budget,
]
