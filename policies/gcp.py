"""GCP guardrails: CMEK everywhere, nothing public, private GKE with hardened and capped GPU pools,
hardened Workbench instances, logged networks, least-privilege IAM, a budget for every stack.

Every rule reads the engine's camelCase properties, treats an unset property as the provider's
default, and skips (never guesses) values that are unknown during preview.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    UNKNOWN,
    Props,
    Unknown,
    elements,
    entries,
    linked_through,
    of_type,
    prop,
    with_remediation,
)
from policies.common import props_rule as _props_rule
from policies.common import resource_rule as _resource_rule
from policies.common import show as _show
from policies.concepts import guards
from policies.controls import implements
from policies.facts import GCP_GPU_MACHINE_PREFIXES, GPU_TAINT_KEY, PLATFORM_TAG_KEYS

# --- type tokens -------------------------------------------------------------------------------------------

SERVICE = "gcp:projects/service:Service"
PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_IAM_BINDING = "gcp:projects/iAMBinding:IAMBinding"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_IAM_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
NETWORK = "gcp:compute/network:Network"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
ROUTER = "gcp:compute/router:Router"
ROUTER_NAT = "gcp:compute/routerNat:RouterNat"
FIREWALL = "gcp:compute/firewall:Firewall"
KEY_RING = "gcp:kms/keyRing:KeyRing"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
CRYPTO_KEY_IAM_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
CRYPTO_KEY_IAM_BINDING = "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
METADATA_STORE = "gcp:vertex/aiMetadataStore:AiMetadataStore"
TENSORBOARD = "gcp:vertex/aiTensorboard:AiTensorboard"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
REPOSITORY_IAM_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
WORKBENCH = "gcp:workbench/instance:Instance"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
TOPIC = "gcp:pubsub/topic:Topic"
TOPIC_IAM_MEMBER = "gcp:pubsub/topicIAMMember:TopicIAMMember"
NOTIFICATION_CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
BUDGET = "gcp:billing/budget:Budget"
AUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"

IAM_MEMBERS = (
    PROJECT_IAM_MEMBER,
    SERVICE_ACCOUNT_IAM_MEMBER,
    CRYPTO_KEY_IAM_MEMBER,
    BUCKET_IAM_MEMBER,
    REPOSITORY_IAM_MEMBER,
    TOPIC_IAM_MEMBER,
)
# The same grants as authoritative bindings (`members` for one role) and whole policies (`policyData` JSON).
IAM_BINDINGS = (
    PROJECT_IAM_BINDING,
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    CRYPTO_KEY_IAM_BINDING,
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding",
    "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
)
IAM_POLICIES = (
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
    "gcp:artifactregistry/repositoryIamPolicy:RepositoryIamPolicy",
    "gcp:pubsub/topicIAMPolicy:TopicIAMPolicy",
)
IAM_GRANTS = (*IAM_MEMBERS, *IAM_BINDINGS, *IAM_POLICIES)
# Where each labelled type keeps its labels.
LABELS_AT: dict[str, tuple[str, ...]] = {
    BUCKET: ("labels",),
    CRYPTO_KEY: ("labels",),
    CLUSTER: ("resourceLabels",),
    NODE_POOL: ("nodeConfig", "resourceLabels"),
    WORKBENCH: ("labels",),
    TENSORBOARD: ("labels",),
    REPOSITORY: ("labels",),
    TOPIC: ("labels",),
    NOTIFICATION_CHANNEL: ("userLabels",),
}
# Resources that hold data or keep a cluster alive: protected against `pulumi destroy` in prod.
DATA_STORES = (BUCKET, KEY_RING, CRYPTO_KEY, CLUSTER, METADATA_STORE, TENSORBOARD, REPOSITORY, WORKBENCH)

# The platform tag keys are already valid GCP label keys (lowercase, digits, "_", "-").
REQUIRED_LABEL_KEYS = PLATFORM_TAG_KEYS
PUBLIC_PRINCIPALS = ("allUsers", "allAuthenticatedUsers")
BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
# Project-wide roles that let a workload account become someone else or administer everything.
ESCALATING_ROLES = (
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.securityAdmin",
    "roles/resourcemanager.projectIamAdmin",
)
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
MAX_ROTATION_SECONDS = 90 * 86400
MAX_IDLE_SECONDS = 24 * 3600
GPU_TAINT = (GPU_TAINT_KEY, "NO_SCHEDULE")
GPU_DRIVER_VERSIONS = ("DEFAULT", "LATEST", "INSTALLATION_DISABLED")
# Machine families whose GPUs come with the machine type.
COMPUTE_DEFAULT_ACCOUNT_SUFFIX = "-compute@developer.gserviceaccount.com"
CONTROL_PLANE_LOGS = ("SYSTEM_COMPONENTS", "APISERVER")


def _known(value: object) -> bool:
    return not isinstance(value, Unknown)


def _duration_seconds(value: object) -> float | None:
    """'7776000s' -> 7776000.0; None for anything else."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    return None


def _require_true(
    *path: str, default: bool, why: str
) -> Callable[[Props], list[str]]:  # pragma: no mutate block
    def check(props: Props) -> list[str]:
        value = prop(props, *path, default=default)
        if _known(value) and value is not True:
            shown = _show(prop(props, *path))
            return [f"{'.'.join(path)} is {shown}, expected true ({why})"]
        return []

    return check


def _require_set(*path: str, why: str) -> Callable[[Props], list[str]]:  # pragma: no mutate block
    def check(props: Props) -> list[str]:
        value = prop(props, *path)
        if _known(value) and not value:
            return [f"{'.'.join(path)} is unset ({why})"]
        return []

    return check


# --- project ----------------------------------------------------------------------------------------------


gcp_project_service_kept_on_destroy = _props_rule(
    "gcp-project-service-kept-on-destroy",
    "Project APIs the platform enables must set disableOnDestroy false: disabling an API on destroy breaks "
    "every other workload in the project that uses it.",
    [SERVICE],
    lambda p: (
        [f"disableOnDestroy is {_show(prop(p, 'disableOnDestroy'))}, expected false (unset means true)"]
        if prop(p, "disableOnDestroy", default=True) is True
        else []
    ),
)


# --- IAM --------------------------------------------------------------------------------------------------


def _grants(args: ResourceValidationArgs) -> list[tuple[str, Any, list[Any]]]:
    """(where, role, members) of every grant a member, binding or policy resource makes; unknowns skipped."""
    props = args.props
    if args.resource_type in IAM_MEMBERS:
        return [("", prop(props, "role"), [prop(props, "member")])]
    if args.resource_type in IAM_BINDINGS:
        # Members known only after preview still leave the role to judge.
        return [("", prop(props, "role"), _known_list(elements(props, "members")))]
    raw = prop(props, "policyData")
    try:
        document = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        document = None
    bindings = elements(document, "bindings") if isinstance(document, dict) else []
    return [
        (f"policyData.bindings[{i}].", prop(b, "role"), _known_list(elements(b, "members")))
        for i, b in enumerate([] if isinstance(bindings, Unknown) else bindings)
    ]


def _known_list(values: list[Any] | Unknown) -> list[Any]:
    return [] if isinstance(values, Unknown) else values


def _iam_member(args: ResourceValidationArgs) -> list[str]:
    problems = []
    for where, role, members in _grants(args):
        key = "member is" if args.resource_type in IAM_MEMBERS else "members include"
        problems.extend(
            f"{where}{key} {_show(m)}, which grants {_show(role)} to anyone"
            for m in members
            if isinstance(m, str) and m in PUBLIC_PRINCIPALS
        )
    return problems


def _iam_role(args: ResourceValidationArgs) -> list[str]:
    return [
        f"{where}role is {_show(role)}, a basic role; grant a predefined role that does only the job"
        for where, role, _ in _grants(args)
        if isinstance(role, str) and role in BASIC_ROLES
    ]


gcp_iam_no_public_principals = _resource_rule(
    "gcp-iam-no-public-principals",
    "IAM grants (members, bindings and whole policies) must not name allUsers or allAuthenticatedUsers: "
    "buckets, keys, topics, repositories and accounts stay reachable only by named identities.",
    IAM_GRANTS,
    _iam_member,
)

gcp_iam_no_basic_roles = _resource_rule(
    "gcp-iam-no-basic-roles",
    "IAM grants (members, bindings and whole policies) must not use the basic roles (owner, editor, viewer), "
    "which cover every service in the project.",
    IAM_GRANTS,
    _iam_role,
)


def _validate_account_privileges(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    grants = linked_through(args.resources, [PROJECT_IAM_MEMBER], "member")
    for account_urn, bindings in linked_through(args.resources, [PROJECT_IAM_BINDING], "members").items():
        grants.setdefault(account_urn, []).extend(bindings)
    for account in of_type(args.resources, [SERVICE_ACCOUNT]):
        for grant in grants.get(account.urn, []):
            role = prop(grant.props, "role")
            if not isinstance(role, str):
                continue
            if role in BASIC_ROLES or role in ESCALATING_ROLES or role.endswith(".admin"):
                report_violation(
                    f"service account {account.name} holds {role} on the project through {grant.name}; "
                    "workload accounts get only the roles their job needs.",
                    account.urn,
                )


gcp_service_account_least_privilege = StackValidationPolicy(
    name="gcp-service-account-least-privilege",
    description=(
        "Service accounts the platform creates must not hold basic, admin or impersonation roles on the "
        "project (linked through the grant's member input, or a project IAMBinding's members)."
    ),
    validate=_validate_account_privileges,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# --- keys -------------------------------------------------------------------------------------------------


def _rotation(props: Props) -> list[str]:
    raw = prop(props, "rotationPeriod")
    if not _known(raw):
        return []
    seconds = _duration_seconds(raw)
    if seconds is None:
        return [f"rotationPeriod is {_show(raw)}, so the key never rotates; set 90 days (7776000s) or less"]
    if seconds > MAX_ROTATION_SECONDS:
        return [f"rotationPeriod is {_show(raw)}, longer than 90 days (7776000s)"]
    return []


kms_crypto_key_rotation = _props_rule(
    "kms-crypto-key-rotation",
    "Customer-managed keys must rotate every 90 days or sooner.",
    [CRYPTO_KEY],
    _rotation,
)

kms_key_ring_regional = _props_rule(
    "kms-key-ring-regional",
    "Key rings must live in a region: CMEK for regional buckets, clusters, disks and Vertex AI needs a key in "
    "the same region, and a global ring keeps key material outside the data's location.",
    [KEY_RING],
    lambda p: (
        [f"location is {_show(prop(p, 'location'))}, expected the platform's region"]
        if prop(p, "location") in ("global", None)
        else []
    ),
)


def _validate_keys_granted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    grants = linked_through(args.resources, [CRYPTO_KEY_IAM_MEMBER, CRYPTO_KEY_IAM_BINDING], "cryptoKeyId")
    users: dict[str, list[PolicyResource]] = {}
    for resource in args.resources:
        if resource.resource_type in (*IAM_GRANTS, CRYPTO_KEY):
            continue
        for targets in resource.property_dependencies.values():
            for target in targets:
                if target.resource_type == CRYPTO_KEY:
                    users.setdefault(target.urn, []).append(resource)
    for key in of_type(args.resources, [CRYPTO_KEY]):
        if key.urn not in users:
            continue
        usable = [g for g in grants.get(key.urn, []) if prop(g.props, "role") in (ENCRYPTER_DECRYPTER, None)]
        if not usable:
            names = ", ".join(sorted({u.name for u in users[key.urn]}))
            report_violation(
                f"key {key.name} encrypts {names} but no CryptoKeyIAMMember grants {ENCRYPTER_DECRYPTER} "
                "on it, so the service agents cannot use it.",
                key.urn,
            )


kms_keys_granted_to_their_users = StackValidationPolicy(
    name="kms-keys-granted-to-their-users",
    description=(
        "Every key that encrypts a resource must grant the encrypter/decrypter role through a "
        "CryptoKeyIAMMember or CryptoKeyIAMBinding (linked through cryptoKeyId); otherwise creating the resource "
        "fails."
    ),
    validate=_validate_keys_granted,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# --- data protection and labels ---------------------------------------------------------------------------


def _protected(args: ResourceValidationArgs) -> list[str]:
    if args.opts.protect:
        return []
    return ["the resource is not protected (Pulumi protect), so `pulumi destroy` would delete its data"]


gcp_data_stores_protected = _resource_rule(
    "gcp-data-stores-protected",
    "Buckets, keys, clusters, Vertex AI stores, repositories and Workbench instances must be protected "
    "with Pulumi's protect option.",
    DATA_STORES,
    _protected,
)


def _labels(args: ResourceValidationArgs) -> list[str]:
    labels = entries(args.props, *LABELS_AT[args.resource_type])
    if isinstance(labels, Unknown):
        return []
    where = ".".join(LABELS_AT[args.resource_type])
    problems = []
    missing = [k for k in REQUIRED_LABEL_KEYS if labels.get(k) in (None, "")]
    if missing:
        problems.append(f"{where} is missing {', '.join(missing)}")
    managed_by = labels.get("managed-by")
    if managed_by not in (None, "", "pulumi") and _known(managed_by):
        problems.append(f'{where}.managed-by is {_show(managed_by)}, expected "pulumi"')
    return problems


gcp_required_labels = _resource_rule(
    "gcp-required-labels",
    f"Labelled GCP resources must carry the platform labels ({', '.join(REQUIRED_LABEL_KEYS)}) with "
    'managed-by "pulumi", so billing reports and the budget filter see every cost.',
    LABELS_AT,
    _labels,
)


# --- buckets ----------------------------------------------------------------------------------------------


gcs_bucket_uniform_access = with_remediation(
    _props_rule(
        "gcs-bucket-uniform-access",
        "Buckets must use uniform bucket-level access, so object ACLs cannot grant access around IAM.",
        [BUCKET],
        _require_true("uniformBucketLevelAccess", default=False, why="unset means object ACLs apply"),
    ),
    {"uniformBucketLevelAccess": True},
)


def _public_access_prevention(props: Props) -> list[str]:
    value = prop(props, "publicAccessPrevention")
    if _known(value) and value != "enforced":
        return [f'publicAccessPrevention is {_show(value)}, expected "enforced" (unset means inherited)']
    return []


gcs_bucket_public_access_prevention = with_remediation(
    _props_rule(
        "gcs-bucket-public-access-prevention",
        'Buckets must set publicAccessPrevention "enforced", so no grant can ever make them public.',
        [BUCKET],
        _public_access_prevention,
    ),
    {"publicAccessPrevention": "enforced"},
)

gcs_bucket_encrypted_with_cmek = _props_rule(
    "gcs-bucket-encrypted-with-cmek",
    "Buckets must encrypt with the platform's customer-managed key (encryption.defaultKmsKeyName).",
    [BUCKET],
    _require_set("encryption", "defaultKmsKeyName", why="objects would use a Google-managed key"),
)

gcs_bucket_versioning_enabled = _props_rule(
    "gcs-bucket-versioning-enabled",
    "Buckets must keep object versions, so overwritten or deleted datasets and models can be recovered.",
    [BUCKET],
    _require_true("versioning", "enabled", default=False, why="unset means unversioned"),
)

gcs_bucket_force_destroy_disabled = with_remediation(
    _props_rule(
        "gcs-bucket-force-destroy-disabled",
        "Buckets must not set forceDestroy, which lets a stack destroy delete every object without recovery.",
        [BUCKET],
        lambda p: (
            ["forceDestroy is true, so destroying the stack deletes every object in the bucket"]
            if prop(p, "forceDestroy", default=False) is True
            else []
        ),
    ),
    {"forceDestroy": False},
)


def _soft_delete(props: Props) -> list[str]:
    raw = prop(props, "softDeletePolicy", "retentionDurationSeconds")
    if raw is None or not _known(raw):
        return []  # unset: GCS keeps deleted objects for 7 days
    if isinstance(raw, int | float) and raw < 7 * 86400:
        return [
            f"softDeletePolicy.retentionDurationSeconds is {_show(raw)}, expected at least 604800 (7 days)"
        ]
    return []


gcs_bucket_soft_delete_enabled = _props_rule(
    "gcs-bucket-soft-delete-enabled",
    "Buckets must keep deleted objects recoverable for at least 7 days (soft delete).",
    [BUCKET],
    _soft_delete,
)


# --- network ----------------------------------------------------------------------------------------------


vpc_custom_mode = _props_rule(
    "vpc-custom-mode",
    "VPC networks must be custom mode: auto mode creates a subnet in every region with unmanaged ranges.",
    [NETWORK],
    lambda p: (
        [
            f"autoCreateSubnetworks is {_show(prop(p, 'autoCreateSubnetworks'))}, expected false (unset means true)"
        ]
        if prop(p, "autoCreateSubnetworks", default=True) is True
        else []
    ),
)

subnet_private_google_access = _props_rule(
    "subnet-private-google-access",
    "Subnets must enable Private Google Access, so private nodes and notebooks reach Google APIs "
    "without public IPs.",
    [SUBNETWORK],
    _require_true("privateIpGoogleAccess", default=False, why="unset means off"),
)


def _flow_logs(props: Props) -> list[str]:
    config = prop(props, "logConfig")
    if not _known(config):
        return []
    if not config:
        return ["logConfig is unset, so the subnet has no VPC flow logs"]
    sampling = prop(props, "logConfig", "flowSampling")
    if isinstance(sampling, int | float) and sampling <= 0:
        return [f"logConfig.flowSampling is {_show(sampling)}, so no flows are logged"]
    return []


subnet_flow_logs_enabled = _props_rule(
    "subnet-flow-logs-enabled",
    "Subnets must export VPC flow logs, so network access can be audited and incidents investigated.",
    [SUBNETWORK],
    _flow_logs,
)


def _public_ingress(props: Props) -> list[str]:
    if prop(props, "direction", default="INGRESS") != "INGRESS" or prop(props, "disabled") is True:
        return []
    allows = elements(props, "allows")
    if isinstance(allows, Unknown) or not allows:
        return []
    ranges = elements(props, "sourceRanges")
    if isinstance(ranges, Unknown):
        return []
    if not ranges:
        tags, accounts = elements(props, "sourceTags"), elements(props, "sourceServiceAccounts")
        if isinstance(tags, Unknown) or isinstance(accounts, Unknown) or tags or accounts:
            return []
        return ["sourceRanges is unset, which GCP reads as 0.0.0.0/0"]
    open_ranges = [r for r in ranges if isinstance(r, str) and r.endswith("/0")]
    if open_ranges:
        return [
            f"sourceRanges includes {', '.join(open_ranges)}, which opens the allowed ports to the internet"
        ]
    return []


firewall_no_public_ingress = _props_rule(
    "firewall-no-public-ingress",
    "Ingress firewall rules must not allow traffic from 0.0.0.0/0 (or with no source, which means the same).",
    [FIREWALL],
    _public_ingress,
)


def _nat_logging(props: Props) -> list[str]:
    enabled = prop(props, "logConfig", "enable")
    if not _known(enabled):
        return []
    if enabled is not True:
        return [f"logConfig.enable is {_show(enabled)}, expected true with filter ERRORS_ONLY or ALL"]
    log_filter = prop(props, "logConfig", "filter")
    if _known(log_filter) and log_filter not in ("ERRORS_ONLY", "ALL"):
        return [f"logConfig.filter is {_show(log_filter)}, expected ERRORS_ONLY or ALL"]
    return []


cloud_nat_logs_errors = _props_rule(
    "cloud-nat-logs-errors",
    "Cloud NAT must log at least errors, so dropped egress (port exhaustion) is visible.",
    [ROUTER_NAT],
    _nat_logging,
)


def _validate_network_egress(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    routers = linked_through(args.resources, [ROUTER], "network")
    nats = linked_through(args.resources, [ROUTER_NAT], "router")
    for network in of_type(args.resources, [NETWORK]):
        if not any(nats.get(router.urn) for router in routers.get(network.urn, [])):
            report_violation(
                f"network {network.name} has no Cloud NAT (a RouterNat on a Router whose network input comes "
                "from it), so private nodes and notebooks have no egress.",
                network.urn,
            )


vpc_egress_through_cloud_nat = StackValidationPolicy(
    name="vpc-egress-through-cloud-nat",
    description=(
        "Every network must have a Cloud Router with Cloud NAT (linked through network and router inputs): "
        "private workloads get egress without public IPs."
    ),
    validate=_validate_network_egress,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# --- GKE clusters -----------------------------------------------------------------------------------------


gke_private_nodes = _props_rule(
    "gke-private-nodes",
    "GKE nodes must have private IPs only.",
    [CLUSTER],
    _require_true(
        "privateClusterConfig", "enablePrivateNodes", default=False, why="nodes would get public IPs"
    ),
)

gke_private_endpoint = _props_rule(
    "gke-private-endpoint",
    "The GKE control plane must be reachable only on its private endpoint.",
    [CLUSTER],
    _require_true("privateClusterConfig", "enablePrivateEndpoint", default=False, why="the API is public"),
)


def _authorized_networks(props: Props) -> list[str]:
    config = prop(props, "masterAuthorizedNetworksConfig")
    if not _known(config):
        return []
    if not config:
        return ["masterAuthorizedNetworksConfig is unset, so any address may reach the cluster API"]
    problems = []
    blocks = elements(props, "masterAuthorizedNetworksConfig", "cidrBlocks")
    cidrs = [] if isinstance(blocks, Unknown) else [prop(b, "cidrBlock") for b in blocks]
    open_cidrs = [c for c in cidrs if isinstance(c, str) and c.endswith("/0")]
    if open_cidrs:
        problems.append(f"masterAuthorizedNetworksConfig.cidrBlocks includes {', '.join(open_cidrs)}")
    if prop(props, "masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled") is True:
        problems.append(
            "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true (any GCP VM's IP)"
        )
    return problems


gke_authorized_networks = _props_rule(
    "gke-authorized-networks",
    "The GKE API must be limited to an allow-list that never includes 0.0.0.0/0 or all Google Cloud IPs.",
    [CLUSTER],
    _authorized_networks,
)

gke_workload_identity = _props_rule(
    "gke-workload-identity",
    "GKE clusters must enable Workload Identity, so pods never use the node's identity.",
    [CLUSTER],
    _require_set("workloadIdentityConfig", "workloadPool", why="pods would act as the node service account"),
)


def _secrets_encryption(props: Props) -> list[str]:
    state = prop(props, "databaseEncryption", "state")
    key = prop(props, "databaseEncryption", "keyName")
    # A state other than ENCRYPTED is bad whatever key is known later; an unknown key is not "no key".
    if not _known(state):
        return []
    if state != "ENCRYPTED" or not key:
        return [
            f"databaseEncryption is state {_show(state)} with keyName {_show(key)}; expected ENCRYPTED with "
            "the platform's key"
        ]
    return []


gke_secrets_encrypted_with_cmek = _props_rule(
    "gke-secrets-encrypted-with-cmek",
    "GKE must encrypt Kubernetes Secrets at the application layer with a customer-managed key.",
    [CLUSTER],
    _secrets_encryption,
)

gke_shielded_nodes = _props_rule(
    "gke-shielded-nodes",
    "GKE clusters must keep Shielded GKE Nodes on.",
    [CLUSTER],
    _require_true("enableShieldedNodes", default=True, why="nodes could not prove their identity"),
)


def _legacy_auth(props: Props) -> list[str]:
    problems = []
    if prop(props, "enableLegacyAbac") is True:
        problems.append("enableLegacyAbac is true, which bypasses RBAC")
    if prop(props, "masterAuth", "clientCertificateConfig", "issueClientCertificate") is True:
        problems.append(
            "masterAuth.clientCertificateConfig.issueClientCertificate is true (static credentials)"
        )
    return problems


gke_legacy_auth_disabled = _props_rule(
    "gke-legacy-auth-disabled",
    "GKE clusters must not use legacy ABAC or client certificates.",
    [CLUSTER],
    _legacy_auth,
)


def _network_policy(props: Props) -> list[str]:
    datapath, legacy = prop(props, "datapathProvider"), prop(props, "networkPolicy", "enabled")
    if not _known(datapath) or not _known(legacy):
        return []
    if datapath != "ADVANCED_DATAPATH" and legacy is not True:
        return [
            f"datapathProvider is {_show(datapath)} and networkPolicy is off, so NetworkPolicy is ignored"
        ]
    return []


gke_network_policy_enforced = _props_rule(
    "gke-network-policy-enforced",
    "GKE must enforce NetworkPolicy: Dataplane V2 (datapathProvider ADVANCED_DATAPATH) or the Calico add-on.",
    [CLUSTER],
    _network_policy,
)


def _release_channel(props: Props) -> list[str]:
    # Unset enrolls new clusters in REGULAR; UNSPECIFIED opts out of channels.
    channel = prop(props, "releaseChannel", "channel")
    if channel == "UNSPECIFIED":
        return [f"releaseChannel.channel is {_show(channel)}, expected RAPID, REGULAR, STABLE or EXTENDED"]
    return []


gke_release_channel = _props_rule(
    "gke-release-channel",
    "GKE clusters must follow a release channel, so control plane and nodes get security patches.",
    [CLUSTER],
    _release_channel,
)

gke_default_node_pool_removed = _props_rule(
    "gke-default-node-pool-removed",
    "GKE clusters must remove the default node pool, which runs as the Compute Engine default account.",
    [CLUSTER],
    _require_true("removeDefaultNodePool", default=False, why="unset keeps the default pool"),
)

gke_deletion_protection = with_remediation(
    _props_rule(
        "gke-deletion-protection",
        "GKE clusters must keep GKE's own deletion protection on.",
        [CLUSTER],
        _require_true("deletionProtection", default=True, why="the cluster could be deleted by any API call"),
    ),
    {"deletionProtection": True},
)

gke_cost_allocation = _props_rule(
    "gke-cost-allocation",
    "GKE clusters must enable cost allocation, so GPU spend shows per namespace and label in billing.",
    [CLUSTER],
    _require_true("costManagementConfig", "enabled", default=False, why="unset means off"),
)


def _control_plane_logs(props: Props) -> list[str]:
    if prop(props, "loggingService") == "none":
        return ['loggingService is "none", so nothing from the cluster is logged']
    components = elements(props, "loggingConfig", "enableComponents")
    if isinstance(components, Unknown) or any(isinstance(c, Unknown) for c in components):
        return []
    missing = [c for c in CONTROL_PLANE_LOGS if c not in components]
    if missing:
        return [f"loggingConfig.enableComponents lacks {', '.join(missing)}"]
    return []


gke_control_plane_logging = _props_rule(
    "gke-control-plane-logging",
    "GKE clusters must log system components and the API server.",
    [CLUSTER],
    _control_plane_logs,
)


def _vpc_native(props: Props) -> list[str]:
    # Unset networkingMode means VPC_NATIVE for new clusters, which needs an ipAllocationPolicy.
    mode, policy = prop(props, "networkingMode", default="VPC_NATIVE"), prop(props, "ipAllocationPolicy")
    if mode == "ROUTES":
        return ['networkingMode is "ROUTES", so pod IPs are not alias IPs of the VPC']
    if _known(mode) and _known(policy) and not policy:
        return ["ipAllocationPolicy is unset, so the cluster gets no alias IP ranges"]
    return []


# VPC-native clusters: cloud.google.com/kubernetes-engine/docs/concepts/alias-ips (CIS GKE 5.6.2).
gke_vpc_native = _props_rule(
    "gke-vpc-native",
    "GKE clusters must be VPC-native: alias IP ranges for pods and Services (ipAllocationPolicy).",
    [CLUSTER],
    _vpc_native,
)


def _no_alpha(props: Props) -> list[str]:
    if prop(props, "enableKubernetesAlpha") is True:
        return ["enableKubernetesAlpha is true: alpha clusters get no upgrades or SLA and expire in 30 days"]
    return []


# Alpha clusters: cloud.google.com/kubernetes-engine/docs/concepts/alpha-clusters (CIS GKE 5.10.2).
gke_no_alpha_features = _props_rule(
    "gke-no-alpha-features",
    "GKE clusters must not enable Kubernetes alpha features.",
    [CLUSTER],
    _no_alpha,
)


def _security_posture(props: Props) -> list[str]:
    # Unset means BASIC on GKE 1.27+ (cloud.google.com/kubernetes-engine/docs/concepts/about-security-posture-dashboard).
    mode = prop(props, "securityPostureConfig", "mode", default="BASIC")
    if _known(mode) and mode not in ("BASIC", "ENTERPRISE"):
        return [f'securityPostureConfig.mode is {_show(mode)}, expected "BASIC" or "ENTERPRISE"']
    return []


gke_security_posture = _props_rule(
    "gke-security-posture",
    "GKE clusters must keep the security posture dashboard on (BASIC or ENTERPRISE).",
    [CLUSTER],
    _security_posture,
)


def _validate_cluster_pools(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    pools = linked_through(args.resources, [NODE_POOL], "cluster")
    for cluster in of_type(args.resources, [CLUSTER]):
        linked = pools.get(cluster.urn, [])
        if not any(_is_gpu_pool(p.props) is False for p in linked):
            report_violation(
                f"cluster {cluster.name} has no node pool without GPUs (linked through the pool's cluster "
                "input): system pods would have nowhere to run, and GKE does not taint GPU pools itself "
                "without one.",
                cluster.urn,
            )


gke_cluster_has_system_pool = StackValidationPolicy(
    name="gke-cluster-has-system-pool",
    description=(
        "Every GKE cluster must have a node pool without GPUs (linked through the pool's cluster input), so "
        "system pods never occupy GPU nodes."
    ),
    validate=_validate_cluster_pools,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# --- GKE node pools ---------------------------------------------------------------------------------------


def _is_gpu_pool(props: Props) -> bool | None:
    """True/False when known; None when the accelerators or machine type are unknown."""
    accelerators = elements(props, "nodeConfig", "guestAccelerators")
    machine = prop(props, "nodeConfig", "machineType")
    if isinstance(accelerators, Unknown):
        return None
    if any(isinstance(a, Unknown) or prop(a, "count", default=0) != 0 for a in accelerators):
        return True
    if not _known(machine):
        return None
    return isinstance(machine, str) and machine.startswith(GCP_GPU_MACHINE_PREFIXES)


def _pool_hardening(props: Props) -> list[str]:
    problems = []
    if prop(props, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot", default=False) is False:
        problems.append("nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true")
    # Integrity monitoring is on unless turned off (cloud.google.com/kubernetes-engine/docs/how-to/shielded-gke-nodes).
    if prop(props, "nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring") is False:
        problems.append("nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false")
    mode = prop(props, "nodeConfig", "workloadMetadataConfig", "mode")
    if _known(mode) and mode != "GKE_METADATA":
        problems.append(f'nodeConfig.workloadMetadataConfig.mode is {_show(mode)}, expected "GKE_METADATA"')
    account = prop(props, "nodeConfig", "serviceAccount")
    if _known(account) and (
        account in (None, "", "default") or str(account).endswith(COMPUTE_DEFAULT_ACCOUNT_SUFFIX)
    ):
        problems.append(
            f"nodeConfig.serviceAccount is {_show(account)}, the Compute Engine default account; use a "
            "dedicated least-privilege account"
        )
    if _known(key := prop(props, "nodeConfig", "bootDiskKmsKey")) and not key:
        problems.append("nodeConfig.bootDiskKmsKey is unset, so boot disks use a Google-managed key")
    return problems


gke_node_pool_hardened = _props_rule(
    "gke-node-pool-hardened",
    "GKE node pools must use secure boot and integrity monitoring, conceal node metadata (GKE_METADATA), run as a dedicated service "
    "account and encrypt boot disks with the platform key.",
    [NODE_POOL],
    _pool_hardening,
)


def _operator_driven_gpu_pool(props: Props) -> bool:
    """A GPU pool whose driver GKE does not install: the NVIDIA GPU operator's, which runs on Ubuntu only
    (GKE docs, "Manage the GPU Stack with the NVIDIA GPU Operator": Ubuntu node images, driver installation
    disabled), the one deliberate exception to Container-Optimized OS."""
    accelerators = elements(props, "nodeConfig", "guestAccelerators")
    if not isinstance(accelerators, list):
        return False  # unknown in a preview: judged when known
    return bool(accelerators) and all(
        prop(a, "gpuDriverInstallationConfig", "gpuDriverVersion") == "INSTALLATION_DISABLED"
        for a in accelerators
    )


def _cos_image(props: Props) -> list[str]:
    image = prop(props, "nodeConfig", "imageType", default="COS_CONTAINERD")
    if not _known(image) or str(image).upper() == "COS_CONTAINERD":
        return []
    if str(image).upper() == "UBUNTU_CONTAINERD" and _operator_driven_gpu_pool(props):
        return []
    return [f'nodeConfig.imageType is {_show(image)}, expected "COS_CONTAINERD"']


def _auto_repair(props: Props) -> list[str]:
    # The provider turns auto-repair on when `management` is unset (registry.terraform.io google_container_node_pool).
    if prop(props, "management", "autoRepair", default=True) is False:
        return ["management.autoRepair is false, so unhealthy nodes stay in the pool"]
    return []


def _each_pool(
    check: Callable[[ResourceValidationArgs], list[str]],
) -> Callable[[ResourceValidationArgs], list[str]]:  # pragma: no mutate block
    """`check` on a NodePool, or on each pool inline in a Cluster's `nodePools` (the NodePool schema)."""

    def run(args: ResourceValidationArgs) -> list[str]:
        if args.resource_type != CLUSTER:
            return check(args)
        pools = elements(args.props, "nodePools")
        found: list[str] = []
        for i, pool in enumerate([] if isinstance(pools, Unknown) else pools):
            if isinstance(pool, Unknown):
                continue
            inline = ResourceValidationArgs(
                NODE_POOL, pool, args.urn, args.name, args.opts, args.provider, args.get_config()
            )
            found.extend(f"nodePools[{i}]: {problem}" for problem in check(inline))
        return found

    return run


def _gpu_only(
    check: Callable[[ResourceValidationArgs], list[str]],
) -> Callable[[ResourceValidationArgs], list[str]]:  # pragma: no mutate block
    return _each_pool(lambda args: check(args) if _is_gpu_pool(args.props) is True else [])


def _gpu_taint(args: ResourceValidationArgs) -> list[str]:
    taints = elements(args.props, "nodeConfig", "taints")
    if isinstance(taints, Unknown):
        return []
    pairs = [(prop(t, "key"), prop(t, "effect")) for t in taints]
    # A taint that is not known yet may be the GPU one: judge it when the update runs.
    unknown = any(isinstance(t, Unknown) for t in taints) or any(
        not _known(v) for pair in pairs for v in pair
    )
    if GPU_TAINT in pairs or unknown:
        return []
    return ["nodeConfig.taints has no nvidia.com/gpu NO_SCHEDULE taint, so any pod may land on GPU nodes"]


def _limits(props: Props) -> tuple[Any, Any]:
    low = prop(props, "autoscaling", "totalMinNodeCount")
    high = prop(props, "autoscaling", "totalMaxNodeCount")
    if low is None:
        low = prop(props, "autoscaling", "minNodeCount", default=0)
    if high is None:
        high = prop(props, "autoscaling", "maxNodeCount")
    return low, high


def _scales_to_zero(args: ResourceValidationArgs) -> list[str]:
    autoscaling = prop(args.props, "autoscaling")
    if not _known(autoscaling):
        return []
    if not autoscaling:
        return ["autoscaling is unset, so the GPU pool runs a fixed number of nodes"]
    low, _ = _limits(args.props)
    if isinstance(low, int | float) and low > 0:
        return [f"the GPU pool keeps at least {low:g} nodes running; its minimum must be 0"]
    return []


def _capped(args: ResourceValidationArgs) -> list[str]:
    if not _known(prop(args.props, "autoscaling")):
        return []
    _, high = _limits(args.props)
    cap = args.get_config().get("maxNodes", 16)
    if high is None:
        return ["autoscaling has no maximum node count"]
    if isinstance(high, int | float) and high > cap:
        return [f"the GPU pool may grow to {high:g} nodes, above the cap of {cap}"]
    return []


def _spot(args: ResourceValidationArgs) -> list[str]:
    if not args.get_config().get("requireSpot", False):
        return []
    spot, preemptible = prop(args.props, "nodeConfig", "spot"), prop(args.props, "nodeConfig", "preemptible")
    if not _known(spot) or not _known(preemptible) or spot is True or preemptible is True:
        return []
    return ["nodeConfig.spot is not true, so this stack's GPU pool runs on on-demand capacity"]


def _driver(args: ResourceValidationArgs) -> list[str]:
    accelerators = elements(args.props, "nodeConfig", "guestAccelerators")
    if isinstance(accelerators, Unknown):
        return []
    problems = []
    for i, accelerator in enumerate(accelerators):
        version = prop(accelerator, "gpuDriverInstallationConfig", "gpuDriverVersion")
        if _known(version) and version not in GPU_DRIVER_VERSIONS:
            problems.append(
                f"nodeConfig.guestAccelerators[{i}].gpuDriverInstallationConfig.gpuDriverVersion is "
                f"{_show(version)}, expected {', '.join(GPU_DRIVER_VERSIONS)}"
            )
    return problems


gke_gpu_pool_tainted = _resource_rule(
    "gke-gpu-pool-tainted",
    "GPU node pools must carry the nvidia.com/gpu NoSchedule taint explicitly, so only GPU workloads land "
    "there (and GKE's own taint does not show as a perpetual diff).",
    [NODE_POOL, CLUSTER],
    _gpu_only(_gpu_taint),
)

gke_gpu_pool_scales_to_zero = _resource_rule(
    "gke-gpu-pool-scales-to-zero",
    "GPU node pools must autoscale with a minimum of 0, so idle GPUs cost nothing.",
    [NODE_POOL, CLUSTER],
    _gpu_only(_scales_to_zero),
)

gke_gpu_pool_capped = _resource_rule(
    "gke-gpu-pool-capped",
    "GPU node pools must have a maximum node count, at most the configured cap (maxNodes, default 16).",
    [NODE_POOL, CLUSTER],
    _gpu_only(_capped),
    config_schema=PolicyConfigSchema(
        properties={"maxNodes": {"type": "integer", "minimum": 1, "default": 16}}
    ),
)

gke_gpu_pool_spot = _resource_rule(
    "gke-gpu-pool-spot",
    "Where the stack's policy config sets requireSpot (dev), GPU node pools must use spot capacity.",
    [NODE_POOL, CLUSTER],
    _gpu_only(_spot),
    config_schema=PolicyConfigSchema(properties={"requireSpot": {"type": "boolean", "default": False}}),
)

gke_gpu_driver_configured = _resource_rule(
    "gke-gpu-driver-configured",
    "GPU accelerators must say how their driver is installed (DEFAULT, LATEST, or INSTALLATION_DISABLED "
    "for the GPU operator).",
    [NODE_POOL, CLUSTER],
    _each_pool(_driver),
)

# Container-Optimized OS: cloud.google.com/kubernetes-engine/docs/concepts/node-images (CIS GKE 5.5.1).
gke_node_pool_cos_image = _resource_rule(
    "gke-node-pool-cos-image",
    "GKE node pools (and pools inline in a cluster) must run Container-Optimized OS with containerd.",
    [NODE_POOL, CLUSTER],
    _each_pool(lambda args: _cos_image(args.props)),
)

# Auto-repair: cloud.google.com/kubernetes-engine/docs/how-to/node-auto-repair (CIS GKE 5.5.2).
gke_node_pool_auto_repair = _resource_rule(
    "gke-node-pool-auto-repair",
    "GKE node pools (and pools inline in a cluster) must keep node auto-repair on.",
    [NODE_POOL, CLUSTER],
    _each_pool(lambda args: _auto_repair(args.props)),
)


# --- Vertex AI ----------------------------------------------------------------------------------------


vertex_encrypted_with_cmek = _props_rule(
    "vertex-encrypted-with-cmek",
    "Vertex AI metadata stores and TensorBoards must encrypt with the platform's customer-managed key.",
    [METADATA_STORE, TENSORBOARD],
    _require_set("encryptionSpec", "kmsKeyName", why="Vertex AI would use a Google-managed key"),
)

artifact_registry_encrypted_with_cmek = _props_rule(
    "artifact-registry-encrypted-with-cmek",
    "Artifact Registry repositories must encrypt images with the platform's customer-managed key.",
    [REPOSITORY],
    _require_set("kmsKeyName", why="images would use a Google-managed key"),
)


def _cleanup(props: Props) -> list[str]:
    policies = elements(props, "cleanupPolicies")
    dry_run = prop(props, "cleanupPolicyDryRun")
    # Either setting alone is enough to keep images forever, whatever the other turns out to be.
    if not isinstance(policies, Unknown) and not policies:
        return ["cleanupPolicies is unset, so old images accumulate storage cost forever"]
    if dry_run is True:
        return ["cleanupPolicyDryRun is true, so the cleanup policies never delete anything"]
    return []


artifact_registry_cleanup_enabled = _props_rule(
    "artifact-registry-cleanup-enabled",
    "Artifact Registry repositories must run cleanup policies (not in dry-run), so images do not pile up.",
    [REPOSITORY],
    _cleanup,
)


def _workbench_network(props: Props) -> list[str]:
    problems = []
    if (public := prop(props, "gceSetup", "disablePublicIp", default=False)) is not True and _known(public):
        problems.append("gceSetup.disablePublicIp is not true, so the instance gets a public IP")
    interfaces = elements(props, "gceSetup", "networkInterfaces")
    if not isinstance(interfaces, Unknown) and not any(
        isinstance(i, Unknown) or prop(i, "subnet") for i in interfaces
    ):
        problems.append(
            "gceSetup.networkInterfaces names no subnet, so the instance joins the default network"
        )
    return problems


def _workbench_boot(props: Props) -> list[str]:
    problems = []
    if prop(props, "gceSetup", "shieldedInstanceConfig", "enableSecureBoot", default=False) is False:
        problems.append("gceSetup.shieldedInstanceConfig.enableSecureBoot is not true")
    metadata = entries(props, "gceSetup", "metadata")
    root = None if isinstance(metadata, Unknown) else metadata.get("notebook-disable-root")
    if not isinstance(metadata, Unknown) and _known(root) and root != "true":
        problems.append(f'gceSetup.metadata.notebook-disable-root is {_show(root)}, expected "true"')
    return problems


def _workbench_idle(props: Props) -> list[str]:
    metadata = entries(props, "gceSetup", "metadata")
    if isinstance(metadata, Unknown):
        return []
    raw = metadata.get("idle-timeout-seconds")
    if not _known(raw):
        return []
    try:
        seconds = int(str(raw))
    except ValueError:
        seconds = 0
    if not 0 < seconds <= MAX_IDLE_SECONDS:
        return [
            f"gceSetup.metadata.idle-timeout-seconds is {_show(raw)}, expected 1 to {MAX_IDLE_SECONDS} "
            "so idle instances stop"
        ]
    return []


def _workbench_disks(props: Props) -> list[str]:
    problems = []
    for disk in ("bootDisk", "dataDisks"):
        encryption = prop(props, "gceSetup", disk, "diskEncryption", default="GMEK")
        key = prop(props, "gceSetup", disk, "kmsKey")
        # GMEK is bad whatever key is known later; an unknown key is not "no key".
        if _known(encryption) and (encryption != "CMEK" or not key):
            problems.append(f"gceSetup.{disk} is {_show(encryption)} with kmsKey {_show(key)}, expected CMEK")
    return problems


def _workbench_identity(props: Props) -> list[str]:
    problems = []
    email = prop(props, "gceSetup", "serviceAccounts", 0, "email")
    if _known(email) and (not email or str(email).endswith(COMPUTE_DEFAULT_ACCOUNT_SUFFIX)):
        problems.append(
            f"gceSetup.serviceAccounts[0].email is {_show(email)}; run as the workspace's dedicated account"
        )
    owners = elements(props, "instanceOwners")
    if not isinstance(owners, Unknown) and not owners:
        problems.append("instanceOwners is unset, so every user of the service account can open the instance")
    return problems


workbench_private_network = _props_rule(
    "workbench-private-network",
    "Workbench instances must have no public IP and sit in the platform's subnet.",
    [WORKBENCH],
    _workbench_network,
)

workbench_hardened = _props_rule(
    "workbench-hardened",
    "Workbench instances must boot with Secure Boot and disable root access (notebook-disable-root).",
    [WORKBENCH],
    _workbench_boot,
)

workbench_idle_shutdown = _props_rule(
    "workbench-idle-shutdown",
    f"Workbench instances must stop after at most {MAX_IDLE_SECONDS // 3600} hours idle (idle-timeout-seconds).",
    [WORKBENCH],
    _workbench_idle,
)

workbench_disks_encrypted_with_cmek = _props_rule(
    "workbench-disks-encrypted-with-cmek",
    "Workbench boot and data disks must encrypt with the platform's customer-managed key.",
    [WORKBENCH],
    _workbench_disks,
)

workbench_single_user_identity = _props_rule(
    "workbench-single-user-identity",
    "Workbench instances must run as a dedicated service account and belong to one named owner.",
    [WORKBENCH],
    _workbench_identity,
)

workbench_deletion_protection = _props_rule(
    "workbench-deletion-protection",
    "Workbench instances must keep Vertex AI's deletion protection on, so a user's work is not lost by accident.",
    [WORKBENCH],
    _require_true("enableDeletionProtection", default=False, why="unset means off"),
)


# --- budget and alerts --------------------------------------------------------------------------------


pubsub_topic_encrypted_with_cmek = _props_rule(
    "pubsub-topic-encrypted-with-cmek",
    "Pub/Sub topics must encrypt messages with the platform's customer-managed key.",
    [TOPIC],
    _require_set("kmsKeyName", why="messages would use a Google-managed key"),
)

monitoring_channel_enabled = _props_rule(
    "monitoring-channel-enabled",
    "Notification channels must be enabled, or budget alerts sent to them go nowhere.",
    [NOTIFICATION_CHANNEL],
    _require_true("enabled", default=True, why="a disabled channel drops every alert"),
)


def _budget_rules(props: Props) -> list[str]:
    problems = []
    rules = elements(props, "thresholdRules")
    if not isinstance(rules, Unknown) and not any(isinstance(r, Unknown) for r in rules):
        bases = [prop(r, "spendBasis", default="CURRENT_SPEND") for r in rules]
        if any(not _known(b) for b in bases):
            bases = ["CURRENT_SPEND", "FORECASTED_SPEND"]  # cannot judge until known
        if "CURRENT_SPEND" not in bases:
            problems.append("thresholdRules has no CURRENT_SPEND threshold")
        if "FORECASTED_SPEND" not in bases:
            problems.append(
                "thresholdRules has no FORECASTED_SPEND threshold, so overspend is seen only after it"
            )
    topic = prop(props, "allUpdatesRule", "pubsubTopic")
    channels = elements(props, "allUpdatesRule", "monitoringNotificationChannels")
    if _known(topic) and not isinstance(channels, Unknown) and not topic and not channels:
        problems.append("allUpdatesRule has neither pubsubTopic nor monitoringNotificationChannels")
    projects = elements(props, "budgetFilter", "projects")
    if not isinstance(projects, Unknown) and not projects:
        problems.append("budgetFilter.projects is unset, so the budget tracks the whole billing account")
    return problems


gcp_budget_alerts = _props_rule(
    "gcp-budget-alerts",
    "Billing budgets must alert on current and forecasted spend, to a Pub/Sub topic or notification "
    "channels, for the platform's project.",
    [BUDGET],
    _budget_rules,
)


def _validate_stack_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    uses_gcp = any(r.resource_type.startswith("gcp:") for r in args.resources)
    if not uses_gcp:
        return
    budgets = of_type(args.resources, [BUDGET])
    delivering = [
        b
        for b in budgets
        if any(
            t.resource_type in (TOPIC, NOTIFICATION_CHANNEL)
            for t in b.property_dependencies.get("allUpdatesRule", [])
        )
    ]
    if not delivering:
        found = ", ".join(b.name for b in budgets) or "none"
        report_violation(
            "the stack creates GCP resources but no billing budget delivers alerts to a Pub/Sub topic or "
            f"notification channel it creates (allUpdatesRule linked to them); budgets found: {found}.",
            None,
        )


gcp_stack_has_budget = StackValidationPolicy(
    name="gcp-stack-has-budget",
    description=(
        "Every stack that creates GCP resources must create a billing budget whose alerts go to a topic or "
        "channel of the same stack (linked through allUpdatesRule)."
    ),
    validate=_validate_stack_budget,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# Data Access audit logs are off by default for every service but BigQuery (cloud.google.com/logging/docs/audit,
# "Data Access audit logs"); CIS GCP Foundation 2.1 asks for DATA_READ and DATA_WRITE with no exempted members.
_DATA_ACCESS = ("DATA_READ", "DATA_WRITE")
_STORAGE_SERVICES = ("storage.googleapis.com", "allServices")


def _logs_data_access(props: Props) -> bool | Unknown:
    configs = elements(props, "auditLogConfigs")
    if isinstance(configs, Unknown):
        return configs
    logged: set[str] = set()
    for config in configs:
        kind = prop(config, "logType") if isinstance(config, Mapping) else None
        exempted = elements(config, "exemptedMembers") if isinstance(config, Mapping) else []
        if isinstance(kind, Unknown) or isinstance(exempted, Unknown):
            return UNKNOWN
        if isinstance(kind, str) and not exempted:
            logged.add(kind)
    return all(kind in logged for kind in _DATA_ACCESS)


def _validate_storage_audit_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    buckets = of_type(args.resources, [BUCKET])
    if not buckets:
        return
    verdicts = [
        _logs_data_access(r.props)
        for r in of_type(args.resources, [AUDIT_CONFIG])
        if prop(r.props, "service") in _STORAGE_SERVICES or isinstance(prop(r.props, "service"), Unknown)
    ]
    if any(v is True or isinstance(v, Unknown) for v in verdicts):
        return
    for bucket in buckets:
        report_violation(
            "no IAMAuditConfig for storage.googleapis.com (or allServices) logs DATA_READ and DATA_WRITE without "
            "exemptions, so nobody can tell who read or changed this bucket's objects (CIS GCP 2.1).",
            bucket.urn,
        )


gcp_storage_data_access_logs = StackValidationPolicy(
    name="gcp-storage-data-access-logs",
    description=(
        "A stack with Cloud Storage buckets must turn on Data Access audit logs (DATA_READ and DATA_WRITE, no "
        "exempted members) for storage.googleapis.com or allServices through an IAMAuditConfig."
    ),
    validate=_validate_storage_audit_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
)


# --- what each rule guards (policies/concepts.py) ---------------------------------------------------------

guards(gcp_project_service_kept_on_destroy, "deletion-protection")
guards(gcp_iam_no_public_principals, "public-access")
guards(gcp_iam_no_basic_roles, "least-privilege-iam")
guards(gcp_service_account_least_privilege, "least-privilege-iam")
guards(kms_crypto_key_rotation, "key-rotation")
guards(kms_key_ring_regional, "encryption-cmk")
guards(kms_keys_granted_to_their_users, "encryption-cmk")
guards(gcp_data_stores_protected, "pulumi-protect")
guards(gcp_required_labels, "required-tags")
guards(gcs_bucket_uniform_access, "public-access")
guards(gcs_bucket_public_access_prevention, "public-access")
guards(gcs_bucket_encrypted_with_cmek, "encryption-cmk")
guards(gcs_bucket_versioning_enabled, "versioning")
guards(gcs_bucket_force_destroy_disabled, "deletion-protection")
guards(gcs_bucket_soft_delete_enabled, "versioning")
guards(vpc_custom_mode, "network-segmentation")
guards(subnet_private_google_access, "private-service-access")
guards(subnet_flow_logs_enabled, "flow-logs")
guards(firewall_no_public_ingress, "public-access")
guards(cloud_nat_logs_errors, "flow-logs")
guards(vpc_egress_through_cloud_nat, "network-segmentation")
guards(gke_private_nodes, "public-access")
guards(gke_private_endpoint, "private-api-endpoints")
guards(gke_authorized_networks, "private-api-endpoints")
guards(gke_workload_identity, "cluster-identity")
guards(gke_secrets_encrypted_with_cmek, "kubernetes-secrets-encryption")
guards(gke_shielded_nodes, "node-hardening")
guards(gke_legacy_auth_disabled, "cluster-identity")
guards(gke_network_policy_enforced, "network-segmentation")
guards(gke_release_channel, "kubernetes-version-support")
guards(gke_default_node_pool_removed, "least-privilege-iam")
guards(gke_deletion_protection, "deletion-protection")
guards(gke_cost_allocation, "required-tags")
guards(gke_control_plane_logging, "audit-logging")
guards(gke_vpc_native, "network-segmentation")
guards(gke_no_alpha_features, "kubernetes-version-support")
guards(gke_security_posture, "node-hardening")
guards(gke_node_pool_cos_image, "node-hardening")
guards(gke_node_pool_auto_repair, "cluster-operable")
guards(gke_cluster_has_system_pool, "cluster-operable", "gpu-schedulable")
guards(gke_node_pool_hardened, "node-hardening", "encryption-cmk", "least-privilege-iam")
guards(gke_gpu_pool_tainted, "gpu-taint")
guards(gke_gpu_pool_scales_to_zero, "gpu-scale-to-zero")
guards(gke_gpu_pool_capped, "gpu-capped")
guards(gke_gpu_pool_spot, "gpu-spot-dev")
guards(gke_gpu_driver_configured, "gpu-schedulable")
guards(vertex_encrypted_with_cmek, "encryption-cmk")
guards(artifact_registry_encrypted_with_cmek, "encryption-cmk")
guards(artifact_registry_cleanup_enabled, "storage-lifecycle")
guards(workbench_private_network, "public-access")
guards(workbench_hardened, "node-hardening")
guards(workbench_idle_shutdown, "idle-shutdown")
guards(workbench_disks_encrypted_with_cmek, "encryption-cmk")
guards(workbench_single_user_identity, "least-privilege-iam")
guards(workbench_deletion_protection, "deletion-protection")
guards(pubsub_topic_encrypted_with_cmek, "encryption-cmk")
guards(monitoring_channel_enabled, "budget-alerts")
guards(gcp_budget_alerts, "budget-alerts")
guards(gcp_stack_has_budget, "budget-alerts")
guards(gcp_storage_data_access_logs, "audit-logging")


# --- the published controls each rule implements (policies/controls.py) -------------------------------------

implements(gcp_service_account_least_privilege, "cis-gcp:1.6", "cis-gke:5.1.3")
implements(gcp_iam_no_public_principals, "cis-gcp:1.10", "cis-gcp:5.1", "cis-gke:5.1.2")
implements(gcp_iam_no_basic_roles, "cis-gke:5.1.2")
implements(kms_crypto_key_rotation, "cis-gcp:1.11")
implements(gcp_storage_data_access_logs, "cis-gcp:2.1")
implements(vpc_custom_mode, "cis-gcp:3.2")
implements(firewall_no_public_ingress, "cis-gcp:3.6", "cis-gcp:3.7", "cis-gke:5.6.6")
implements(subnet_flow_logs_enabled, "cis-gcp:3.10")
implements(gke_node_pool_hardened, "cis-gcp:4.1", "cis-gcp:4.2", "cis-gcp:4.8")
implements(gke_node_pool_hardened, "cis-gke:5.2.1", "cis-gke:5.4.1", "cis-gke:5.5.7", "cis-gke:5.9.2")
implements(gke_default_node_pool_removed, "cis-gcp:4.1", "cis-gcp:4.2", "cis-gke:5.2.1")
implements(workbench_single_user_identity, "cis-gcp:4.1", "cis-gcp:4.2")
implements(gke_shielded_nodes, "cis-gcp:4.8", "cis-gke:5.5.5")
implements(workbench_hardened, "cis-gcp:4.8")
implements(gke_private_nodes, "cis-gcp:4.9", "cis-gke:5.6.5")
implements(workbench_private_network, "cis-gcp:4.9")
# A release channel upgrades nodes automatically (cloud.google.com/kubernetes-engine/docs/concepts/release-channels).
implements(gke_release_channel, "cis-gcp:4.12", "cis-gke:5.5.3", "cis-gke:5.5.4")
implements(gcs_bucket_public_access_prevention, "cis-gcp:5.1")
implements(gcs_bucket_uniform_access, "cis-gcp:5.2")
implements(gke_network_policy_enforced, "cis-gke:4.3.1")
implements(gke_workload_identity, "cis-gke:5.2.2")
implements(gke_secrets_encrypted_with_cmek, "cis-gke:5.3.1")
implements(gke_authorized_networks, "cis-gke:5.6.3")
implements(gke_private_endpoint, "cis-gke:5.6.4")
implements(gke_control_plane_logging, "cis-gke:5.7.1")
implements(gke_legacy_auth_disabled, "cis-gke:5.8.1", "cis-gke:5.8.3")
implements(gke_node_pool_cos_image, "cis-gke:5.5.1")
implements(gke_node_pool_auto_repair, "cis-gke:5.5.2")
implements(gke_node_pool_hardened, "cis-gke:5.5.6")
implements(gke_vpc_native, "cis-gke:5.6.2")
implements(gke_no_alpha_features, "cis-gke:5.10.2")
implements(gke_security_posture, "cis-gke:5.10.4")


POLICIES: list[Policy] = [
    gcp_project_service_kept_on_destroy,
    gcp_storage_data_access_logs,
    gcp_iam_no_public_principals,
    gcp_iam_no_basic_roles,
    gcp_service_account_least_privilege,
    kms_crypto_key_rotation,
    kms_key_ring_regional,
    kms_keys_granted_to_their_users,
    gcp_data_stores_protected,
    gcp_required_labels,
    gcs_bucket_uniform_access,
    gcs_bucket_public_access_prevention,
    gcs_bucket_encrypted_with_cmek,
    gcs_bucket_versioning_enabled,
    gcs_bucket_force_destroy_disabled,
    gcs_bucket_soft_delete_enabled,
    vpc_custom_mode,
    subnet_private_google_access,
    subnet_flow_logs_enabled,
    firewall_no_public_ingress,
    cloud_nat_logs_errors,
    vpc_egress_through_cloud_nat,
    gke_private_nodes,
    gke_private_endpoint,
    gke_authorized_networks,
    gke_workload_identity,
    gke_secrets_encrypted_with_cmek,
    gke_shielded_nodes,
    gke_legacy_auth_disabled,
    gke_network_policy_enforced,
    gke_release_channel,
    gke_default_node_pool_removed,
    gke_deletion_protection,
    gke_cost_allocation,
    gke_control_plane_logging,
    gke_vpc_native,
    gke_no_alpha_features,
    gke_security_posture,
    gke_cluster_has_system_pool,
    gke_node_pool_hardened,
    gke_node_pool_cos_image,
    gke_node_pool_auto_repair,
    gke_gpu_pool_tainted,
    gke_gpu_pool_scales_to_zero,
    gke_gpu_pool_capped,
    gke_gpu_pool_spot,
    gke_gpu_driver_configured,
    vertex_encrypted_with_cmek,
    artifact_registry_encrypted_with_cmek,
    artifact_registry_cleanup_enabled,
    workbench_private_network,
    workbench_hardened,
    workbench_idle_shutdown,
    workbench_disks_encrypted_with_cmek,
    workbench_single_user_identity,
    workbench_deletion_protection,
    pubsub_topic_encrypted_with_cmek,
    monitoring_channel_enabled,
    gcp_budget_alerts,
    gcp_stack_has_budget,
]
