"""What Azure Resource Manager refuses: names per resource provider, tags, budget dates and limits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from mlplat.engine.constraints.common import PlanView, Res, Rule, known, mapping_rule, name_rule

_NAMING = "Azure docs, naming rules and restrictions for Azure resources"
_ALNUM_DASH = r"[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9_])?"

TAGGED = (
    "azure-native:applicationinsights:Component",
    "azure-native:containerregistry:Registry",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:keyvault:Key",
    "azure-native:keyvault:Vault",
    "azure-native:machinelearningservices:Compute",
    "azure-native:machinelearningservices:Workspace",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:network:NatGateway",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PrivateEndpoint",
    "azure-native:network:PublicIPAddress",
    "azure-native:network:VirtualNetwork",
    "azure-native:operationalinsights:Workspace",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:resources:ResourceGroup",
    "azure-native:storage:StorageAccount",
)


def _tag(key: str, value: Any) -> str | None:
    if not 1 <= len(key) <= 512 or re.search(r"[<>%&\\?/]", key):
        return f"tag name {key!r}: 1-512 characters without <>%&\\?/"
    if len(str(value)) > 256:
        return f"tag {key!r}: value longer than 256 characters"
    return None


# (rule id, type, input key, pattern, what, min, max)
_NAMES: tuple[tuple[str, str, str, str, str, int, int], ...] = (
    (
        "resource-group",
        "resources:ResourceGroup",
        "resourceGroupName",
        r"[-\w._()]*[-\w_()]",
        "letters, digits, -._() not ending in .",
        1,
        90,
    ),
    (
        "storage-account",
        "storage:StorageAccount",
        "accountName",
        r"[a-z0-9]+",
        "lowercase letters and digits",
        3,
        24,
    ),
    (
        "key-vault",
        "keyvault:Vault",
        "vaultName",
        r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]",
        "a letter first, letters, digits and single hyphens",
        3,
        24,
    ),
    ("key-vault-key", "keyvault:Key", "keyName", r"[a-zA-Z0-9-]+", "letters, digits and -", 1, 127),
    (
        "disk-encryption-set",
        "compute:DiskEncryptionSet",
        "diskEncryptionSetName",
        r"[a-zA-Z0-9_-]+",
        "letters, digits, _ and -",
        1,
        80,
    ),
    (
        "container-registry",
        "containerregistry:Registry",
        "registryName",
        r"[a-zA-Z0-9]+",
        "letters and digits",
        5,
        50,
    ),
    (
        "aks-cluster",
        "containerservice:ManagedCluster",
        "resourceName",
        r"[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?",
        "letters, digits, _ and -",
        1,
        63,
    ),
    (
        "aks-dns-prefix",
        "containerservice:ManagedCluster",
        "dnsPrefix",
        r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?",
        "letters, digits and -",
        1,
        54,
    ),
    (
        "aks-agent-pool",
        "containerservice:AgentPool",
        "agentPoolName",
        r"[a-z][a-z0-9]*",
        "lowercase letter first, lowercase and digits (Linux)",
        1,
        12,
    ),
    (
        "ml-workspace",
        "machinelearningservices:Workspace",
        "workspaceName",
        r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
        "letters, digits, _ and -",
        3,
        33,
    ),
    (
        "user-assigned-identity",
        "managedidentity:UserAssignedIdentity",
        "resourceName",
        r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
        "letters, digits, _ and -",
        3,
        128,
    ),
    (
        "virtual-network",
        "network:VirtualNetwork",
        "virtualNetworkName",
        _ALNUM_DASH,
        "letters, digits, _.-",
        2,
        64,
    ),
    ("subnet", "network:Subnet", "subnetName", _ALNUM_DASH, "letters, digits, _.-", 1, 80),
    (
        "network-security-group",
        "network:NetworkSecurityGroup",
        "networkSecurityGroupName",
        _ALNUM_DASH,
        "letters, digits, _.-",
        1,
        80,
    ),
    (
        "public-ip",
        "network:PublicIPAddress",
        "publicIpAddressName",
        _ALNUM_DASH,
        "letters, digits, _.-",
        1,
        80,
    ),
    ("nat-gateway", "network:NatGateway", "natGatewayName", _ALNUM_DASH, "letters, digits, _.-", 1, 80),
    (
        "private-endpoint",
        "network:PrivateEndpoint",
        "privateEndpointName",
        _ALNUM_DASH,
        "letters, digits, _.-",
        2,
        64,
    ),
    (
        "private-dns-link",
        "privatedns:VirtualNetworkLink",
        "virtualNetworkLinkName",
        _ALNUM_DASH,
        "letters, digits, _.-",
        1,
        80,
    ),
    (
        "log-analytics",
        "operationalinsights:Workspace",
        "workspaceName",
        r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]",
        "letters, digits and -",
        4,
        63,
    ),
    (
        "application-insights",
        "applicationinsights:Component",
        "resourceName",
        r"[^%&\\?/]*[^%&\\?/.]",
        "no %&\\?/, not ending in .",
        1,
        260,
    ),
    ("budget", "consumption:Budget", "budgetName", r"[A-Za-z0-9_-]+", "letters, digits, _ and -", 1, 63),
)

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _role_assignment_name(res: Res, plan: PlanView) -> Iterator[str]:
    name = res.value("roleAssignmentName")
    if known(name) and not _GUID.fullmatch(str(name)):
        yield f"roleAssignmentName {name!r} is not a GUID"


# (computeType -> (min, max)): compute instances 3-24, clusters 2-16 characters.
_COMPUTE_LENGTH = {"ComputeInstance": (3, 24), "AmlCompute": (2, 16)}


def _compute_name(res: Res, plan: PlanView) -> Iterator[str]:
    name, kind = res.value("computeName"), res.value("properties", "computeType")
    if not known(name) or kind not in _COMPUTE_LENGTH:
        return
    low, high = _COMPUTE_LENGTH[kind]
    if not (low <= len(name) <= high and re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]*", name)):
        yield f"computeName {name!r}: a {kind} name is {low}-{high} letters, digits and -, a letter first"


def _agent_pool_labels(res: Res, plan: PlanView) -> Iterator[str]:
    from mlplat.engine.constraints.kubernetes import label_problems

    yield from label_problems(res.value("nodeLabels") or {})


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def budget_start_problems(start: dt.date, now: dt.date) -> Iterator[str]:
    first = now.replace(day=1)
    if start.day != 1:
        yield f"startDate {start} is not the first of a month"
    if start < first:
        yield f"startDate {start} is before the current month ({first:%Y-%m}); Azure refuses it at creation"
    if (start.year - now.year) * 12 + start.month - now.month > 12:
        yield f"startDate {start} is more than twelve months ahead"


def _budget(now: Callable[[], dt.date]) -> Callable[[Res, PlanView], Iterator[str]]:
    def check(res: Res, plan: PlanView) -> Iterator[str]:
        notifications = res.value("notifications") or {}
        if len(notifications) > 5:
            yield f"{len(notifications)} notifications; a budget takes at most 5"
        start = res.value("timePeriod", "startDate")
        if known(start):
            yield from budget_start_problems(dt.date.fromisoformat(str(start)[:10]), now())

    return check


RULES: tuple[Rule, ...] = (
    mapping_rule(
        "azure-tags",
        TAGGED,
        "tags",
        refuses="more than 50 tags; names over 512 or with <>%&\\?/; values over 256 characters",
        source="Azure docs, Use tags to organize your Azure resources: limitations",
        max_entries=50,
        entry=_tag,
    ),
    *(
        name_rule(
            f"azure-{rule}-name",
            (f"azure-native:{token}",),
            key,
            pattern,
            what=what,
            source=f"{_NAMING} ({token.split(':')[0]})",
            min_length=low,
            max_length=high,
        )
        for rule, token, key, pattern, what, low, high in _NAMES
    ),
    Rule(
        "azure-ml-compute-name",
        ("azure-native:machinelearningservices:Compute",),
        "compute instance names outside 3-24, cluster names outside 2-16 characters",
        "Azure Machine Learning docs, create a compute instance / compute cluster: name length rules",
        _compute_name,
    ),
    Rule(
        "azure-aks-node-labels",
        ("azure-native:containerservice:AgentPool",),
        "invalid Kubernetes node labels",
        "Kubernetes docs, Labels and Selectors: syntax and character set",
        _agent_pool_labels,
    ),
    Rule(
        "azure-role-assignment-name",
        ("azure-native:authorization:RoleAssignment",),
        "a role assignment name that is not a GUID",
        "Azure RBAC REST API, Role Assignments - Create: roleAssignmentName is a GUID",
        _role_assignment_name,
    ),
    Rule(
        "azure-budget-time-period",
        ("azure-native:consumption:Budget",),
        "a start date not the first of a month, before the current month or over 12 months ahead; >5 notifications",
        "Azure Consumption REST API, Budgets - Create Or Update: timePeriod.startDate and notifications",
        _budget(lambda: today()),
    ),
)

UNCONSTRAINED: dict[str, str] = {
    "pulumi:providers:azure-native": "the engine's default provider: its inputs are the stack file's `azure-native:location`, checked with the settings",
    "azure-native:authorization:ManagementLockByScope": "a fixed lock name and level",
    "azure-native:resources:Resource": (
        "GitHub.Network/networkSettings: a subnet reference and GitHub's business id, validated by GitHub's "
        "resource provider; no documented name or field constraint"
    ),
    "azure-native:monitor:DiagnosticSetting": "categories from the resource's own list",
    "azure-native:network:PrivateDnsZoneGroup": "references only",
    "azure-native:storage:BlobServiceProperties": "the name is always 'default'",
}
