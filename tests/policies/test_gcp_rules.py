"""Each GCP rule called directly with properties shaped as the engine hands them to a rule, then the
whole GCP rule set driven through the real pack over the analyzer protocol.

Every non-compliant case starts from a compliant resource and changes one property.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN
from pulumi_policy import (
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from components.common.tags import gcp_labels, platform_tags
from mlplat.engine.analyzer import PolicyReport, run_policy_pack
from mlplat.engine.recording import RecordedResource
from policies import gcp
from tests.policies import harness
from tests.policies.harness import REMOVE as _REMOVE
from tests.policies.harness import changed, check_stack, link, urn_of

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
PROJECT = "acme-mlplat-dev"
LABELS = gcp_labels(
    platform_tags(environment="dev", owner="ml-platform", cost_center="cc-ml-1234", stack="dev")
)
RING = f"projects/{PROJECT}/locations/us-central1/keyRings/mlplat-dev"
KEY = f"{RING}/cryptoKeys/storage"
NODES = f"mlplat-dev-gke-nodes@{PROJECT}.iam.gserviceaccount.com"

# --- compliant resources, as the components create them ------------------------------------------------

SERVICE_OK: dict[str, Any] = {
    "project": PROJECT,
    "service": "compute.googleapis.com",
    "disableOnDestroy": False,
}
IAM_OK: dict[str, Any] = {
    "project": PROJECT,
    "role": "roles/logging.logWriter",
    "member": f"serviceAccount:{NODES}",
}
KEY_RING_OK: dict[str, Any] = {"project": PROJECT, "location": "us-central1", "name": "mlplat-dev"}
CRYPTO_KEY_OK: dict[str, Any] = {
    "name": "storage",
    "keyRing": RING,
    "purpose": "ENCRYPT_DECRYPT",
    "rotationPeriod": "7776000s",
    "labels": LABELS,
}
BUCKET_OK: dict[str, Any] = {
    "name": "mlplat-dev-data-abc123",
    "location": "US-CENTRAL1",
    "uniformBucketLevelAccess": True,
    "publicAccessPrevention": "enforced",
    "encryption": {"defaultKmsKeyName": KEY},
    "versioning": {"enabled": True},
    "forceDestroy": False,
    "softDeletePolicy": {"retentionDurationSeconds": 604800},
    "labels": LABELS,
}
NETWORK_OK: dict[str, Any] = {"name": "mlplat-dev-vpc", "autoCreateSubnetworks": False}
SUBNET_OK: dict[str, Any] = {
    "ipCidrRange": "10.40.0.0/20",
    "privateIpGoogleAccess": True,
    "logConfig": {
        "aggregationInterval": "INTERVAL_5_SEC",
        "flowSampling": 0.5,
        "metadata": "INCLUDE_ALL_METADATA",
    },
}
FIREWALL_OK: dict[str, Any] = {
    "network": "vpc",
    "direction": "INGRESS",
    "sourceRanges": ["10.40.0.0/20"],
    "allows": [{"protocol": "tcp"}],
}
NAT_OK: dict[str, Any] = {
    "router": "mlplat-dev-router",
    "logConfig": {"enable": True, "filter": "ERRORS_ONLY"},
}
CLUSTER_OK: dict[str, Any] = {
    "location": "us-central1-a",
    "privateClusterConfig": {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": True,
        "masterIpv4CidrBlock": "172.16.0.0/28",
    },
    "masterAuthorizedNetworksConfig": {
        "cidrBlocks": [{"cidrBlock": "10.40.0.0/20", "displayName": "platform-subnet"}],
        "gcpPublicCidrsAccessEnabled": False,
    },
    "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}},
    "enableLegacyAbac": False,
    "workloadIdentityConfig": {"workloadPool": f"{PROJECT}.svc.id.goog"},
    "databaseEncryption": {"state": "ENCRYPTED", "keyName": f"{RING}/cryptoKeys/gke-secrets"},
    "enableShieldedNodes": True,
    "datapathProvider": "ADVANCED_DATAPATH",
    "networkingMode": "VPC_NATIVE",
    "ipAllocationPolicy": {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"},
    "enableKubernetesAlpha": False,
    "securityPostureConfig": {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_BASIC"},
    "releaseChannel": {"channel": "REGULAR"},
    "removeDefaultNodePool": True,
    "deletionProtection": True,
    "costManagementConfig": {"enabled": True},
    "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]},
    "resourceLabels": LABELS,
}
NODE_CONFIG_OK: dict[str, Any] = {
    "machineType": "n1-standard-4",
    "imageType": "COS_CONTAINERD",
    "guestAccelerators": [
        {
            "type": "nvidia-tesla-t4",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
        }
    ],
    "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
    "spot": True,
    "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
    "workloadMetadataConfig": {"mode": "GKE_METADATA"},
    "serviceAccount": NODES,
    "bootDiskKmsKey": f"{RING}/cryptoKeys/disks",
    "resourceLabels": LABELS,
}
GPU_POOL_OK: dict[str, Any] = {
    "cluster": f"projects/{PROJECT}/locations/us-central1-a/clusters/mlplat-dev",
    "name": "gpu-t4",
    "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"},
    "management": {"autoRepair": True, "autoUpgrade": True},
    "nodeConfig": NODE_CONFIG_OK,
}
SYSTEM_POOL_OK: dict[str, Any] = {
    **GPU_POOL_OK,
    "name": "system",
    "autoscaling": {"totalMinNodeCount": 1, "totalMaxNodeCount": 3, "locationPolicy": "BALANCED"},
    "nodeConfig": {
        **{k: v for k, v in NODE_CONFIG_OK.items() if k not in ("guestAccelerators", "taints")},
        "machineType": "e2-standard-4",
        "spot": False,
    },
}
WORKBENCH_OK: dict[str, Any] = {
    "location": "us-central1-a",
    "name": "mlplat-dev-alice",
    "instanceOwners": ["alice@example.com"],
    "enableDeletionProtection": True,
    "gceSetup": {
        "disablePublicIp": True,
        "networkInterfaces": [{"network": "vpc", "subnet": "subnet", "nicType": "GVNIC"}],
        "serviceAccounts": [{"email": f"mlplat-dev-vertex@{PROJECT}.iam.gserviceaccount.com"}],
        "shieldedInstanceConfig": {
            "enableSecureBoot": True,
            "enableVtpm": True,
            "enableIntegrityMonitoring": True,
        },
        "bootDisk": {"diskEncryption": "CMEK", "kmsKey": f"{RING}/cryptoKeys/disks"},
        "dataDisks": {"diskEncryption": "CMEK", "kmsKey": f"{RING}/cryptoKeys/disks"},
        "metadata": {"notebook-disable-root": "true", "idle-timeout-seconds": "3600"},
    },
    "labels": LABELS,
}
VERTEX_OK: dict[str, Any] = {
    "region": "us-central1",
    "encryptionSpec": {"kmsKeyName": f"{RING}/cryptoKeys/vertex"},
}
TENSORBOARD_OK: dict[str, Any] = {**VERTEX_OK, "displayName": "mlplat-dev-tensorboard", "labels": LABELS}
REPOSITORY_OK: dict[str, Any] = {
    "format": "DOCKER",
    "kmsKeyName": KEY,
    "cleanupPolicyDryRun": False,
    "cleanupPolicies": [{"id": "delete-old-untagged", "action": "DELETE"}],
    "labels": LABELS,
}
TOPIC_OK: dict[str, Any] = {
    "name": "mlplat-dev-budget-alerts",
    "kmsKeyName": f"{RING}/cryptoKeys/pubsub",
    "labels": LABELS,
}
CHANNEL_OK: dict[str, Any] = {"type": "email", "enabled": True, "userLabels": LABELS}
BUDGET_OK: dict[str, Any] = {
    "billingAccount": "01ABCD-23EF45-6789AB",
    "budgetFilter": {"projects": ["projects/123456789012"], "labels": {"environment": "dev"}},
    "thresholdRules": [
        {"thresholdPercent": 0.5, "spendBasis": "CURRENT_SPEND"},
        {"thresholdPercent": 1, "spendBasis": "FORECASTED_SPEND"},
    ],
    "allUpdatesRule": {
        "pubsubTopic": f"projects/{PROJECT}/topics/alerts",
        "monitoringNotificationChannels": [],
    },
}

KEY_GRANT_OK: dict[str, Any] = {**IAM_OK, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter"}
BUCKET_GRANT_OK: dict[str, Any] = {**IAM_OK, "role": "roles/storage.objectUser"}
COMPLIANT: dict[str, list[dict[str, Any]]] = {
    gcp.SERVICE: [SERVICE_OK],
    gcp.PROJECT_IAM_MEMBER: [IAM_OK],
    gcp.CRYPTO_KEY_IAM_MEMBER: [KEY_GRANT_OK],
    gcp.BUCKET_IAM_MEMBER: [BUCKET_GRANT_OK],
    gcp.KEY_RING: [KEY_RING_OK],
    gcp.CRYPTO_KEY: [CRYPTO_KEY_OK],
    gcp.BUCKET: [BUCKET_OK],
    gcp.NETWORK: [NETWORK_OK],
    gcp.SUBNETWORK: [SUBNET_OK],
    gcp.FIREWALL: [FIREWALL_OK],
    gcp.ROUTER_NAT: [NAT_OK],
    gcp.CLUSTER: [CLUSTER_OK],
    gcp.NODE_POOL: [GPU_POOL_OK, SYSTEM_POOL_OK],
    gcp.WORKBENCH: [WORKBENCH_OK],
    gcp.METADATA_STORE: [VERTEX_OK],
    gcp.TENSORBOARD: [TENSORBOARD_OK],
    gcp.REPOSITORY: [REPOSITORY_OK],
    gcp.TOPIC: [TOPIC_OK],
    gcp.NOTIFICATION_CHANNEL: [CHANNEL_OK],
    gcp.BUDGET: [BUDGET_OK],
}
RESOURCE_RULES = [p for p in gcp.POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_RULES = [p for p in gcp.POLICIES if isinstance(p, StackValidationPolicy)]

# --- harness ----------------------------------------------------------------------------------------------


def check(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    protect: bool = True,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Messages `policy` reports for one resource (protected, unless said otherwise)."""
    return harness.check(policy, resource_type, props, protect=protect, config=config)


def stack_resource(resource_type: str, name: str, props: Mapping[str, Any]) -> PolicyResource:
    return harness.stack_resource(resource_type, name, props, protect=True)


# --- the rule set -----------------------------------------------------------------------------------------


def test_every_gcp_rule_is_mandatory_by_default_and_named_in_kebab_case() -> None:
    assert gcp.POLICIES
    assert all(
        p.enforcement_level is not None and p.enforcement_level.value == "mandatory" for p in gcp.POLICIES
    )
    assert all(p.name == p.name.lower() and " " not in p.name for p in gcp.POLICIES)


def test_dev_config_relaxes_protection_versioning_and_the_public_endpoint_and_requires_spot() -> None:
    dev = json.loads((PACK_DIR / "config" / "dev.json").read_text())
    prod = json.loads((PACK_DIR / "config" / "prod.json").read_text())
    relaxed = {
        "gcs-bucket-versioning-enabled",
        "gcs-bucket-force-destroy-disabled",
        "gke-private-endpoint",
        "gke-deletion-protection",
        "workbench-deletion-protection",
        "gcp-data-stores-protected",
    }
    assert {name: dev[name] for name in relaxed} == dict.fromkeys(relaxed, "advisory")
    assert {name: prod[name] for name in relaxed} == dict.fromkeys(relaxed, "mandatory")
    assert dev["gke-gpu-pool-spot"] == {"enforcementLevel": "mandatory", "requireSpot": True}
    assert "gke-gpu-pool-spot" not in prod


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        pytest.param(t, p, id=f"{t.split(':')[-1]}-{i}")
        for t, ps in COMPLIANT.items()
        for i, p in enumerate(ps)
    ],
)
def test_compliant_resource_passes_every_gcp_rule(resource_type: str, props: dict[str, Any]) -> None:
    found = {
        p.name: check(p, resource_type, props, config={"requireSpot": True, "maxNodes": 16})
        for p in RESOURCE_RULES
    }
    assert {name: messages for name, messages in found.items() if messages} == {}


# --- one changed property, one violation ------------------------------------------------------------------
# (rule, type, compliant base, path, value, message)
CASES: list[Any] = [
    pytest.param(
        gcp.gcp_project_service_kept_on_destroy,
        gcp.SERVICE,
        SERVICE_OK,
        ("disableOnDestroy",),
        _REMOVE,
        "disableOnDestroy is unset, expected false (unset means true).",
        id="api-disabled-on-destroy-by-default",
    ),
    pytest.param(
        gcp.gcp_iam_no_public_principals,
        gcp.BUCKET_IAM_MEMBER,
        IAM_OK,
        ("member",),
        "allUsers",
        'member is "allUsers", which grants "roles/logging.logWriter" to anyone.',
        id="iam-grant-to-all-users",
    ),
    pytest.param(
        gcp.gcp_iam_no_public_principals,
        gcp.CRYPTO_KEY_IAM_MEMBER,
        KEY_GRANT_OK,
        ("member",),
        "allAuthenticatedUsers",
        'member is "allAuthenticatedUsers", which grants "roles/cloudkms.cryptoKeyEncrypterDecrypter" to '
        "anyone.",
        id="key-grant-to-any-google-account",
    ),
    pytest.param(
        gcp.gcp_iam_no_public_principals,
        gcp.BUCKET_IAM_MEMBER,
        BUCKET_GRANT_OK,
        ("member",),
        "allUsers",
        'member is "allUsers", which grants "roles/storage.objectUser" to anyone.',
        id="bucket-grant-to-all-users",
    ),
    pytest.param(
        gcp.gcp_iam_no_basic_roles,
        gcp.PROJECT_IAM_MEMBER,
        IAM_OK,
        ("role",),
        "roles/editor",
        'role is "roles/editor", a basic role; grant a predefined role that does only the job.',
        id="iam-basic-editor-role",
    ),
    pytest.param(
        gcp.kms_crypto_key_rotation,
        gcp.CRYPTO_KEY,
        CRYPTO_KEY_OK,
        ("rotationPeriod",),
        "31536000s",
        'rotationPeriod is "31536000s", longer than 90 days (7776000s).',
        id="key-rotates-yearly",
    ),
    pytest.param(
        gcp.kms_crypto_key_rotation,
        gcp.CRYPTO_KEY,
        CRYPTO_KEY_OK,
        ("rotationPeriod",),
        _REMOVE,
        "rotationPeriod is unset, so the key never rotates; set 90 days (7776000s) or less.",
        id="key-never-rotates",
    ),
    pytest.param(
        gcp.kms_key_ring_regional,
        gcp.KEY_RING,
        KEY_RING_OK,
        ("location",),
        "global",
        'location is "global", expected the platform\'s region.',
        id="key-ring-global",
    ),
    pytest.param(
        gcp.gcp_required_labels,
        gcp.BUCKET,
        BUCKET_OK,
        ("labels", "cost-center"),
        _REMOVE,
        "labels is missing cost-center.",
        id="bucket-without-cost-center-label",
    ),
    pytest.param(
        gcp.gcp_required_labels,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "resourceLabels", "managed-by"),
        "terraform",
        'nodeConfig.resourceLabels.managed-by is "terraform", expected "pulumi".',
        id="node-pool-managed-by-another-tool",
    ),
    pytest.param(
        gcp.gcs_bucket_uniform_access,
        gcp.BUCKET,
        BUCKET_OK,
        ("uniformBucketLevelAccess",),
        _REMOVE,
        "uniformBucketLevelAccess is unset, expected true (unset means object ACLs apply).",
        id="bucket-with-object-acls",
    ),
    pytest.param(
        gcp.gcs_bucket_public_access_prevention,
        gcp.BUCKET,
        BUCKET_OK,
        ("publicAccessPrevention",),
        "inherited",
        'publicAccessPrevention is "inherited", expected "enforced" (unset means inherited).',
        id="bucket-public-access-inherited",
    ),
    pytest.param(
        gcp.gcs_bucket_encrypted_with_cmek,
        gcp.BUCKET,
        BUCKET_OK,
        ("encryption",),
        _REMOVE,
        "encryption.defaultKmsKeyName is unset (objects would use a Google-managed key).",
        id="bucket-with-google-managed-key",
    ),
    pytest.param(
        gcp.gcs_bucket_versioning_enabled,
        gcp.BUCKET,
        BUCKET_OK,
        ("versioning", "enabled"),
        False,
        "versioning.enabled is false, expected true (unset means unversioned).",
        id="bucket-unversioned",
    ),
    pytest.param(
        gcp.gcs_bucket_force_destroy_disabled,
        gcp.BUCKET,
        BUCKET_OK,
        ("forceDestroy",),
        True,
        "forceDestroy is true, so destroying the stack deletes every object in the bucket.",
        id="bucket-force-destroyed",
    ),
    pytest.param(
        gcp.gcs_bucket_soft_delete_enabled,
        gcp.BUCKET,
        BUCKET_OK,
        ("softDeletePolicy", "retentionDurationSeconds"),
        0,
        "softDeletePolicy.retentionDurationSeconds is 0, expected at least 604800 (7 days).",
        id="bucket-soft-delete-off",
    ),
    pytest.param(
        gcp.vpc_custom_mode,
        gcp.NETWORK,
        NETWORK_OK,
        ("autoCreateSubnetworks",),
        _REMOVE,
        "autoCreateSubnetworks is unset, expected false (unset means true).",
        id="network-auto-mode",
    ),
    pytest.param(
        gcp.subnet_private_google_access,
        gcp.SUBNETWORK,
        SUBNET_OK,
        ("privateIpGoogleAccess",),
        False,
        "privateIpGoogleAccess is false, expected true (unset means off).",
        id="subnet-without-private-access",
    ),
    pytest.param(
        gcp.subnet_flow_logs_enabled,
        gcp.SUBNETWORK,
        SUBNET_OK,
        ("logConfig",),
        _REMOVE,
        "logConfig is unset, so the subnet has no VPC flow logs.",
        id="subnet-without-flow-logs",
    ),
    pytest.param(
        gcp.subnet_flow_logs_enabled,
        gcp.SUBNETWORK,
        SUBNET_OK,
        ("logConfig", "flowSampling"),
        0,
        "logConfig.flowSampling is 0, so no flows are logged.",
        id="subnet-flow-logs-sampling-nothing",
    ),
    pytest.param(
        gcp.firewall_no_public_ingress,
        gcp.FIREWALL,
        FIREWALL_OK,
        ("sourceRanges",),
        ["0.0.0.0/0"],
        "sourceRanges includes 0.0.0.0/0, which opens the allowed ports to the internet.",
        id="firewall-open-to-the-internet",
    ),
    pytest.param(
        gcp.firewall_no_public_ingress,
        gcp.FIREWALL,
        FIREWALL_OK,
        ("sourceRanges",),
        _REMOVE,
        "sourceRanges is unset, which GCP reads as 0.0.0.0/0.",
        id="firewall-without-source",
    ),
    pytest.param(
        gcp.cloud_nat_logs_errors,
        gcp.ROUTER_NAT,
        NAT_OK,
        ("logConfig", "enable"),
        False,
        "logConfig.enable is false, expected true with filter ERRORS_ONLY or ALL.",
        id="nat-without-logs",
    ),
    pytest.param(
        gcp.cloud_nat_logs_errors,
        gcp.ROUTER_NAT,
        NAT_OK,
        ("logConfig", "filter"),
        "TRANSLATIONS_ONLY",
        'logConfig.filter is "TRANSLATIONS_ONLY", expected ERRORS_ONLY or ALL.',
        id="nat-logging-no-errors",
    ),
    pytest.param(
        gcp.gke_private_nodes,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("privateClusterConfig", "enablePrivateNodes"),
        _REMOVE,
        "privateClusterConfig.enablePrivateNodes is unset, expected true (nodes would get public IPs).",
        id="cluster-nodes-with-public-ips",
    ),
    pytest.param(
        gcp.gke_private_endpoint,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("privateClusterConfig", "enablePrivateEndpoint"),
        False,
        "privateClusterConfig.enablePrivateEndpoint is false, expected true (the API is public).",
        id="cluster-public-endpoint",
    ),
    pytest.param(
        gcp.gke_authorized_networks,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("masterAuthorizedNetworksConfig",),
        _REMOVE,
        "masterAuthorizedNetworksConfig is unset, so any address may reach the cluster API.",
        id="cluster-without-allow-list",
    ),
    pytest.param(
        gcp.gke_authorized_networks,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("masterAuthorizedNetworksConfig", "cidrBlocks", 0, "cidrBlock"),
        "0.0.0.0/0",
        "masterAuthorizedNetworksConfig.cidrBlocks includes 0.0.0.0/0.",
        id="cluster-allow-list-open-to-all",
    ),
    pytest.param(
        gcp.gke_authorized_networks,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled"),
        True,
        "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true (any GCP VM's IP).",
        id="cluster-open-to-all-gcp-ips",
    ),
    pytest.param(
        gcp.gke_workload_identity,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("workloadIdentityConfig",),
        _REMOVE,
        "workloadIdentityConfig.workloadPool is unset (pods would act as the node service account).",
        id="cluster-without-workload-identity",
    ),
    pytest.param(
        gcp.gke_secrets_encrypted_with_cmek,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("databaseEncryption", "state"),
        "DECRYPTED",
        'databaseEncryption is state "DECRYPTED" with keyName '
        f'"{RING}/cryptoKeys/gke-secrets"; expected ENCRYPTED with the platform\'s key.',
        id="cluster-secrets-not-encrypted",
    ),
    pytest.param(
        gcp.gke_shielded_nodes,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("enableShieldedNodes",),
        False,
        "enableShieldedNodes is false, expected true (nodes could not prove their identity).",
        id="cluster-without-shielded-nodes",
    ),
    pytest.param(
        gcp.gke_legacy_auth_disabled,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("enableLegacyAbac",),
        True,
        "enableLegacyAbac is true, which bypasses RBAC.",
        id="cluster-with-legacy-abac",
    ),
    pytest.param(
        gcp.gke_legacy_auth_disabled,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("masterAuth", "clientCertificateConfig", "issueClientCertificate"),
        True,
        "masterAuth.clientCertificateConfig.issueClientCertificate is true (static credentials).",
        id="cluster-issuing-client-certificates",
    ),
    pytest.param(
        gcp.gke_network_policy_enforced,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("datapathProvider",),
        "LEGACY_DATAPATH",
        'datapathProvider is "LEGACY_DATAPATH" and networkPolicy is off, so NetworkPolicy is ignored.',
        id="cluster-without-network-policy",
    ),
    pytest.param(
        gcp.gke_vpc_native,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("networkingMode",),
        "ROUTES",
        'networkingMode is "ROUTES", so pod IPs are not alias IPs of the VPC.',
        id="cluster-routes-based",
    ),
    pytest.param(
        gcp.gke_vpc_native,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("ipAllocationPolicy",),
        _REMOVE,
        "ipAllocationPolicy is unset, so the cluster gets no alias IP ranges.",
        id="cluster-without-alias-ranges",
    ),
    pytest.param(
        gcp.gke_no_alpha_features,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("enableKubernetesAlpha",),
        True,
        "enableKubernetesAlpha is true: alpha clusters get no upgrades or SLA and expire in 30 days.",
        id="alpha-cluster",
    ),
    pytest.param(
        gcp.gke_security_posture,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("securityPostureConfig", "mode"),
        "DISABLED",
        'securityPostureConfig.mode is "DISABLED", expected "BASIC" or "ENTERPRISE".',
        id="cluster-without-security-posture",
    ),
    pytest.param(
        gcp.gke_node_pool_cos_image,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "imageType"),
        "UBUNTU_CONTAINERD",
        'nodeConfig.imageType is "UBUNTU_CONTAINERD", expected "COS_CONTAINERD".',
        id="pool-on-ubuntu",
    ),
    pytest.param(
        gcp.gke_node_pool_auto_repair,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("management", "autoRepair"),
        False,
        "management.autoRepair is false, so unhealthy nodes stay in the pool.",
        id="pool-without-auto-repair",
    ),
    pytest.param(
        gcp.gke_release_channel,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("releaseChannel", "channel"),
        "UNSPECIFIED",
        'releaseChannel.channel is "UNSPECIFIED", expected RAPID, REGULAR, STABLE or EXTENDED.',
        id="cluster-outside-release-channels",
    ),
    pytest.param(
        gcp.gke_default_node_pool_removed,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("removeDefaultNodePool",),
        _REMOVE,
        "removeDefaultNodePool is unset, expected true (unset keeps the default pool).",
        id="cluster-keeps-default-pool",
    ),
    pytest.param(
        gcp.gke_deletion_protection,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("deletionProtection",),
        False,
        "deletionProtection is false, expected true (the cluster could be deleted by any API call).",
        id="cluster-without-deletion-protection",
    ),
    pytest.param(
        gcp.gke_cost_allocation,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("costManagementConfig",),
        _REMOVE,
        "costManagementConfig.enabled is unset, expected true (unset means off).",
        id="cluster-without-cost-allocation",
    ),
    pytest.param(
        gcp.gke_control_plane_logging,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("loggingConfig", "enableComponents"),
        ["SYSTEM_COMPONENTS"],
        "loggingConfig.enableComponents lacks APISERVER.",
        id="cluster-without-api-server-logs",
    ),
    pytest.param(
        gcp.gke_control_plane_logging,
        gcp.CLUSTER,
        CLUSTER_OK,
        ("loggingService",),
        "none",
        'loggingService is "none", so nothing from the cluster is logged.',
        id="cluster-logging-off",
    ),
    pytest.param(
        gcp.gke_node_pool_hardened,
        gcp.NODE_POOL,
        SYSTEM_POOL_OK,
        ("nodeConfig", "shieldedInstanceConfig", "enableSecureBoot"),
        False,
        "nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true.",
        id="pool-without-secure-boot",
    ),
    pytest.param(
        gcp.gke_node_pool_hardened,
        gcp.NODE_POOL,
        SYSTEM_POOL_OK,
        ("nodeConfig", "workloadMetadataConfig", "mode"),
        "GCE_METADATA",
        'nodeConfig.workloadMetadataConfig.mode is "GCE_METADATA", expected "GKE_METADATA".',
        id="pool-exposing-node-metadata",
    ),
    pytest.param(
        gcp.gke_node_pool_hardened,
        gcp.NODE_POOL,
        SYSTEM_POOL_OK,
        ("nodeConfig", "serviceAccount"),
        _REMOVE,
        "nodeConfig.serviceAccount is unset, the Compute Engine default account; use a dedicated "
        "least-privilege account.",
        id="pool-on-the-default-account",
    ),
    pytest.param(
        gcp.gke_node_pool_hardened,
        gcp.NODE_POOL,
        SYSTEM_POOL_OK,
        ("nodeConfig", "bootDiskKmsKey"),
        _REMOVE,
        "nodeConfig.bootDiskKmsKey is unset, so boot disks use a Google-managed key.",
        id="pool-boot-disk-gmek",
    ),
    pytest.param(
        gcp.gke_gpu_pool_tainted,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "taints"),
        [],
        "nodeConfig.taints has no nvidia.com/gpu NO_SCHEDULE taint, so any pod may land on GPU nodes.",
        id="gpu-pool-untainted",
    ),
    pytest.param(
        gcp.gke_gpu_pool_tainted,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "taints", 0, "effect"),
        "PREFER_NO_SCHEDULE",
        "nodeConfig.taints has no nvidia.com/gpu NO_SCHEDULE taint, so any pod may land on GPU nodes.",
        id="gpu-pool-taint-only-preferred",
    ),
    pytest.param(
        gcp.gke_gpu_pool_scales_to_zero,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("autoscaling", "totalMinNodeCount"),
        2,
        "the GPU pool keeps at least 2 nodes running; its minimum must be 0.",
        id="gpu-pool-with-warm-nodes",
    ),
    pytest.param(
        gcp.gke_gpu_pool_scales_to_zero,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("autoscaling",),
        _REMOVE,
        "autoscaling is unset, so the GPU pool runs a fixed number of nodes.",
        id="gpu-pool-fixed-size",
    ),
    pytest.param(
        gcp.gke_gpu_pool_capped,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("autoscaling", "totalMaxNodeCount"),
        40,
        "the GPU pool may grow to 40 nodes, above the cap of 16.",
        id="gpu-pool-above-the-cap",
    ),
    pytest.param(
        gcp.gke_gpu_pool_capped,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("autoscaling", "totalMaxNodeCount"),
        _REMOVE,
        "autoscaling has no maximum node count.",
        id="gpu-pool-without-maximum",
    ),
    pytest.param(
        gcp.gke_gpu_pool_spot,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "spot"),
        False,
        "nodeConfig.spot is not true, so this stack's GPU pool runs on on-demand capacity.",
        id="gpu-pool-on-demand-where-spot-is-required",
    ),
    pytest.param(
        gcp.gke_gpu_driver_configured,
        gcp.NODE_POOL,
        GPU_POOL_OK,
        ("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig"),
        _REMOVE,
        "nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion is unset, expected "
        "DEFAULT, LATEST, INSTALLATION_DISABLED.",
        id="gpu-driver-unspecified",
    ),
    pytest.param(
        gcp.vertex_encrypted_with_cmek,
        gcp.TENSORBOARD,
        TENSORBOARD_OK,
        ("encryptionSpec",),
        _REMOVE,
        "encryptionSpec.kmsKeyName is unset (Vertex AI would use a Google-managed key).",
        id="tensorboard-with-google-managed-key",
    ),
    pytest.param(
        gcp.vertex_encrypted_with_cmek,
        gcp.METADATA_STORE,
        VERTEX_OK,
        ("encryptionSpec", "kmsKeyName"),
        "",
        "encryptionSpec.kmsKeyName is unset (Vertex AI would use a Google-managed key).",
        id="metadata-store-with-google-managed-key",
    ),
    pytest.param(
        gcp.artifact_registry_encrypted_with_cmek,
        gcp.REPOSITORY,
        REPOSITORY_OK,
        ("kmsKeyName",),
        _REMOVE,
        "kmsKeyName is unset (images would use a Google-managed key).",
        id="repository-with-google-managed-key",
    ),
    pytest.param(
        gcp.artifact_registry_cleanup_enabled,
        gcp.REPOSITORY,
        REPOSITORY_OK,
        ("cleanupPolicyDryRun",),
        True,
        "cleanupPolicyDryRun is true, so the cleanup policies never delete anything.",
        id="repository-cleanup-dry-run",
    ),
    pytest.param(
        gcp.artifact_registry_cleanup_enabled,
        gcp.REPOSITORY,
        REPOSITORY_OK,
        ("cleanupPolicies",),
        _REMOVE,
        "cleanupPolicies is unset, so old images accumulate storage cost forever.",
        id="repository-never-cleaned",
    ),
    pytest.param(
        gcp.workbench_private_network,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "disablePublicIp"),
        _REMOVE,
        "gceSetup.disablePublicIp is not true, so the instance gets a public IP.",
        id="workbench-with-public-ip",
    ),
    pytest.param(
        gcp.workbench_private_network,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "networkInterfaces"),
        _REMOVE,
        "gceSetup.networkInterfaces names no subnet, so the instance joins the default network.",
        id="workbench-on-the-default-network",
    ),
    pytest.param(
        gcp.workbench_hardened,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "shieldedInstanceConfig", "enableSecureBoot"),
        False,
        "gceSetup.shieldedInstanceConfig.enableSecureBoot is not true.",
        id="workbench-without-secure-boot",
    ),
    pytest.param(
        gcp.workbench_hardened,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "metadata", "notebook-disable-root"),
        _REMOVE,
        'gceSetup.metadata.notebook-disable-root is unset, expected "true".',
        id="workbench-with-root",
    ),
    pytest.param(
        gcp.workbench_idle_shutdown,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "metadata", "idle-timeout-seconds"),
        _REMOVE,
        "gceSetup.metadata.idle-timeout-seconds is unset, expected 1 to 86400 so idle instances stop.",
        id="workbench-never-idles-out",
    ),
    pytest.param(
        gcp.workbench_disks_encrypted_with_cmek,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "dataDisks"),
        _REMOVE,
        'gceSetup.dataDisks is "GMEK" with kmsKey unset, expected CMEK.',
        id="workbench-data-disk-gmek",
    ),
    pytest.param(
        gcp.workbench_single_user_identity,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("instanceOwners",),
        _REMOVE,
        "instanceOwners is unset, so every user of the service account can open the instance.",
        id="workbench-without-owner",
    ),
    pytest.param(
        gcp.workbench_single_user_identity,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("gceSetup", "serviceAccounts", 0, "email"),
        "123-compute@developer.gserviceaccount.com",
        'gceSetup.serviceAccounts[0].email is "123-compute@developer.gserviceaccount.com"; run as the '
        "workspace's dedicated account.",
        id="workbench-on-the-default-account",
    ),
    pytest.param(
        gcp.workbench_deletion_protection,
        gcp.WORKBENCH,
        WORKBENCH_OK,
        ("enableDeletionProtection",),
        _REMOVE,
        "enableDeletionProtection is unset, expected true (unset means off).",
        id="workbench-deletable",
    ),
    pytest.param(
        gcp.pubsub_topic_encrypted_with_cmek,
        gcp.TOPIC,
        TOPIC_OK,
        ("kmsKeyName",),
        _REMOVE,
        "kmsKeyName is unset (messages would use a Google-managed key).",
        id="topic-with-google-managed-key",
    ),
    pytest.param(
        gcp.monitoring_channel_enabled,
        gcp.NOTIFICATION_CHANNEL,
        CHANNEL_OK,
        ("enabled",),
        False,
        "enabled is false, expected true (a disabled channel drops every alert).",
        id="channel-disabled",
    ),
    pytest.param(
        gcp.gcp_budget_alerts,
        gcp.BUDGET,
        BUDGET_OK,
        ("thresholdRules", 1, "spendBasis"),
        "CURRENT_SPEND",
        "thresholdRules has no FORECASTED_SPEND threshold, so overspend is seen only after it.",
        id="budget-without-forecast",
    ),
    pytest.param(
        gcp.gcp_budget_alerts,
        gcp.BUDGET,
        BUDGET_OK,
        ("allUpdatesRule",),
        _REMOVE,
        "allUpdatesRule has neither pubsubTopic nor monitoringNotificationChannels.",
        id="budget-notifying-nobody",
    ),
    pytest.param(
        gcp.gcp_budget_alerts,
        gcp.BUDGET,
        BUDGET_OK,
        ("budgetFilter", "projects"),
        _REMOVE,
        "budgetFilter.projects is unset, so the budget tracks the whole billing account.",
        id="budget-for-the-whole-billing-account",
    ),
]
SPOT = {"requireSpot": True}


@pytest.mark.parametrize(("policy", "resource_type", "base", "path", "value", "message"), CASES)
def test_one_insecure_property_is_a_violation_naming_it(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    message: str,
) -> None:
    assert check(policy, resource_type, base, config=SPOT) == []
    assert check(policy, resource_type, changed(base, path, value), config=SPOT) == [message]


@pytest.mark.parametrize(("policy", "resource_type", "base", "path", "value", "message"), CASES)
def test_an_unknown_value_never_crashes_a_rule_or_reports_a_guess(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    path: tuple[str | int, ...],
    value: Any,
    message: str,
) -> None:
    assert check(policy, resource_type, changed(base, path, ENGINE_UNKNOWN), config=SPOT) == []


def test_an_unknown_value_does_not_hide_a_known_bad_one() -> None:
    props = changed(changed(CLUSTER_OK, ("enableLegacyAbac",), True), ("masterAuth",), ENGINE_UNKNOWN)
    assert check(gcp.gke_legacy_auth_disabled, gcp.CLUSTER, props) == [
        "enableLegacyAbac is true, which bypasses RBAC."
    ]
    bucket = changed(changed(BUCKET_OK, ("labels",), ENGINE_UNKNOWN), ("forceDestroy",), True)
    assert check(gcp.gcs_bucket_force_destroy_disabled, gcp.BUCKET, bucket) != []


def test_unprotected_data_store_is_a_violation_and_protected_one_passes() -> None:
    for resource_type in gcp.DATA_STORES:
        assert check(gcp.gcp_data_stores_protected, resource_type, {"name": "r"}, protect=True) == []
        assert check(gcp.gcp_data_stores_protected, resource_type, {"name": "r"}, protect=False) == [
            "the resource is not protected (Pulumi protect), so `pulumi destroy` would delete its data."
        ]
    assert check(gcp.gcp_data_stores_protected, gcp.FIREWALL, FIREWALL_OK, protect=False) == []


def test_on_demand_gpu_pool_passes_where_the_stack_does_not_require_spot() -> None:
    on_demand = changed(GPU_POOL_OK, ("nodeConfig", "spot"), False)
    assert check(gcp.gke_gpu_pool_spot, gcp.NODE_POOL, on_demand, config={}) == []
    assert check(gcp.gke_gpu_pool_spot, gcp.NODE_POOL, on_demand, config={"requireSpot": False}) == []
    preemptible = changed(on_demand, ("nodeConfig", "preemptible"), True)
    assert check(gcp.gke_gpu_pool_spot, gcp.NODE_POOL, preemptible, config=SPOT) == []
    assert len(check(gcp.gke_gpu_pool_spot, gcp.NODE_POOL, on_demand, config=SPOT)) == 1


def test_gpu_pool_cap_follows_the_policy_config() -> None:
    big = changed(GPU_POOL_OK, ("autoscaling", "totalMaxNodeCount"), 40)
    assert check(gcp.gke_gpu_pool_capped, gcp.NODE_POOL, big, config={"maxNodes": 64}) == []
    assert len(check(gcp.gke_gpu_pool_capped, gcp.NODE_POOL, big, config={"maxNodes": 39})) == 1


def test_gpu_rules_leave_cpu_pools_alone() -> None:
    warm_cpu_pool = changed(SYSTEM_POOL_OK, ("autoscaling",), _REMOVE)
    gpu_node = {k: GPU_POOL_OK["nodeConfig"][k] for k in ("machineType", "guestAccelerators")}
    warm_gpu_pool = changed(warm_cpu_pool, ("nodeConfig",), {**warm_cpu_pool["nodeConfig"], **gpu_node})
    for policy in (
        gcp.gke_gpu_pool_tainted,
        gcp.gke_gpu_pool_scales_to_zero,
        gcp.gke_gpu_pool_capped,
        gcp.gke_gpu_pool_spot,
    ):
        assert check(policy, gcp.NODE_POOL, warm_cpu_pool, config=SPOT) == []
        # The same pool with GPUs breaks each rule, so only the GPU test keeps CPU pools out.
        assert len(check(policy, gcp.NODE_POOL, warm_gpu_pool, config=SPOT)) == 1


def test_gpu_machine_families_count_as_gpu_pools_even_without_accelerators() -> None:
    a2 = changed(
        changed(GPU_POOL_OK, ("nodeConfig", "guestAccelerators"), _REMOVE), ("nodeConfig", "taints"), []
    )
    a2 = changed(a2, ("nodeConfig", "machineType"), "a2-highgpu-1g")
    assert check(gcp.gke_gpu_pool_tainted, gcp.NODE_POOL, a2) != []


def test_ingress_from_tagged_sources_or_deny_rules_is_not_public() -> None:
    tagged = changed(changed(FIREWALL_OK, ("sourceRanges",), _REMOVE), ("sourceTags",), ["bastion"])
    deny = changed(changed(FIREWALL_OK, ("allows",), _REMOVE), ("sourceRanges",), ["0.0.0.0/0"])
    egress = changed(changed(FIREWALL_OK, ("direction",), "EGRESS"), ("sourceRanges",), ["0.0.0.0/0"])
    for props in (tagged, deny, egress):
        assert check(gcp.firewall_no_public_ingress, gcp.FIREWALL, props) == []
    open_ingress = changed(FIREWALL_OK, ("sourceRanges",), ["0.0.0.0/0"])
    assert len(check(gcp.firewall_no_public_ingress, gcp.FIREWALL, open_ingress)) == 1


def test_every_compliant_resource_has_a_violating_twin_changed_from_it() -> None:
    """A compliant resource alone passes against rules that do nothing; its twin is what can fail."""
    twins = {(case.values[1], json.dumps(case.values[2], sort_keys=True)) for case in CASES}
    compliant = [(t, json.dumps(props, sort_keys=True)) for t, ps in COMPLIANT.items() for props in ps]
    assert compliant
    assert [t for t, props in compliant if (t, props) not in twins] == []


def test_every_gcp_rule_has_a_non_compliant_case() -> None:
    covered = {case.values[0].name for case in CASES} | {
        "gcp-data-stores-protected",
        *(p.name for p in STACK_RULES),
    }
    assert covered == {p.name for p in gcp.POLICIES}


# --- stack rules ------------------------------------------------------------------------------------------

AUDIT_OK = {
    "project": "ml-prod",
    "service": "storage.googleapis.com",
    "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
}
STORAGE_AUDIT_MESSAGE = (
    "no IAMAuditConfig for storage.googleapis.com (or allServices) logs DATA_READ and DATA_WRITE without "
    "exemptions, so nobody can tell who read or changed this bucket's objects (CIS GCP 2.1)."
)


def test_buckets_with_storage_data_access_logs_pass_and_without_them_are_violations() -> None:
    bucket = stack_resource(gcp.BUCKET, "data", BUCKET_OK)
    rule = gcp.gcp_storage_data_access_logs
    assert check_stack(rule, [bucket, stack_resource(gcp.AUDIT_CONFIG, "audit", AUDIT_OK)]) == []
    every_service = changed(AUDIT_OK, ("service",), "allServices")
    assert check_stack(rule, [bucket, stack_resource(gcp.AUDIT_CONFIG, "audit", every_service)]) == []
    assert check_stack(rule, [bucket]) == [(STORAGE_AUDIT_MESSAGE, bucket.urn)]
    read_only = changed(AUDIT_OK, ("auditLogConfigs",), [{"logType": "DATA_READ"}])
    exempted = changed(AUDIT_OK, ("auditLogConfigs", 1, "exemptedMembers"), ["user:ci@example.com"])
    other_service = changed(AUDIT_OK, ("service",), "aiplatform.googleapis.com")
    for props in (read_only, exempted, other_service):
        assert check_stack(rule, [bucket, stack_resource(gcp.AUDIT_CONFIG, "audit", props)]) == [
            (STORAGE_AUDIT_MESSAGE, bucket.urn)
        ], props
    assert (
        check_stack(rule, [stack_resource(gcp.NETWORK, "vpc", NETWORK_OK)]) == []
    )  # no bucket, no logs needed


def test_service_account_with_only_job_roles_passes_and_one_with_editor_is_violation() -> None:
    account = stack_resource(gcp.SERVICE_ACCOUNT, "nodes", {"accountId": "mlplat-dev-gke-nodes"})
    fine = link(stack_resource(gcp.PROJECT_IAM_MEMBER, "nodes-logs", IAM_OK), "member", account)
    assert check_stack(gcp.gcp_service_account_least_privilege, [account, fine]) == []
    for role in ("roles/editor", "roles/container.admin", "roles/iam.serviceAccountTokenCreator"):
        broad = link(
            stack_resource(gcp.PROJECT_IAM_MEMBER, "nodes-broad", {**IAM_OK, "role": role}), "member", account
        )
        assert check_stack(gcp.gcp_service_account_least_privilege, [account, fine, broad]) == [
            (
                f"service account nodes holds {role} on the project through nodes-broad; workload accounts get "
                "only the roles their job needs.",
                urn_of(gcp.SERVICE_ACCOUNT, "nodes"),
            )
        ]


# A cluster may declare its pools inline (`nodePools`, the NodePool schema per the pulumi-gcp Cluster docs).
INLINE_POOLS_CLUSTER: dict[str, Any] = {
    **CLUSTER_OK,
    "nodePools": [
        {k: v for k, v in pool.items() if k != "cluster"} for pool in (SYSTEM_POOL_OK, GPU_POOL_OK)
    ],
}
INLINE_GPU_CASES = [
    (gcp.gke_gpu_pool_tainted, ("nodeConfig", "taints"), [], "nodeConfig.taints has no nvidia.com/gpu"),
    (gcp.gke_gpu_pool_scales_to_zero, ("autoscaling", "totalMinNodeCount"), 2, "keeps at least 2 nodes"),
    (gcp.gke_gpu_pool_capped, ("autoscaling", "totalMaxNodeCount"), 40, "may grow to 40 nodes"),
    (gcp.gke_gpu_pool_spot, ("nodeConfig", "spot"), False, "nodeConfig.spot is not true"),
    (
        gcp.gke_gpu_driver_configured,
        ("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig", "gpuDriverVersion"),
        "535.104",
        "gpuDriverVersion is",
    ),
]


@pytest.mark.parametrize(
    ("policy", "path", "value", "fragment"), INLINE_GPU_CASES, ids=lambda v: getattr(v, "name", None)
)
def test_gpu_pool_inline_in_the_cluster_is_judged_like_a_node_pool(
    policy: Any, path: tuple[str | int, ...], value: Any, fragment: str
) -> None:
    config = {"requireSpot": True, "maxNodes": 16}
    assert check(policy, gcp.CLUSTER, INLINE_POOLS_CLUSTER, config=config) == []
    [message] = check(
        policy, gcp.CLUSTER, changed(INLINE_POOLS_CLUSTER, ("nodePools", 1, *path), value), config=config
    )
    assert message.startswith("nodePools[1]: ") and fragment in message, message


def test_service_account_in_a_project_binding_is_judged_like_a_member_grant() -> None:
    account = stack_resource(gcp.SERVICE_ACCOUNT, "nodes", {"accountId": "mlplat-dev-gke-nodes"})
    logs = {"role": "roles/logging.logWriter", "members": [IAM_OK["member"]]}
    fine = link(stack_resource(gcp.PROJECT_IAM_BINDING, "logs-writers", logs), "members", account)
    assert check_stack(gcp.gcp_service_account_least_privilege, [account, fine]) == []
    editors = link(
        stack_resource(gcp.PROJECT_IAM_BINDING, "editors", {**logs, "role": "roles/editor"}),
        "members",
        account,
    )
    assert check_stack(gcp.gcp_service_account_least_privilege, [account, fine, editors]) == [
        (
            "service account nodes holds roles/editor on the project through editors; workload accounts get "
            "only the roles their job needs.",
            urn_of(gcp.SERVICE_ACCOUNT, "nodes"),
        )
    ]


def test_grant_to_someone_else_does_not_count_against_the_account() -> None:
    account = stack_resource(gcp.SERVICE_ACCOUNT, "nodes", {"accountId": "mlplat-dev-gke-nodes"})
    human = stack_resource(gcp.PROJECT_IAM_MEMBER, "admin", {**IAM_OK, "role": "roles/container.admin"})
    assert check_stack(gcp.gcp_service_account_least_privilege, [account, human]) == []


def key_and_user(*, granted: bool) -> list[PolicyResource]:
    key = stack_resource(gcp.CRYPTO_KEY, "storage", CRYPTO_KEY_OK)
    bucket = link(stack_resource(gcp.BUCKET, "data", BUCKET_OK), "encryption", key)
    resources = [key, bucket]
    if granted:
        grant = {**IAM_OK, "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter"}
        resources.append(
            link(stack_resource(gcp.CRYPTO_KEY_IAM_MEMBER, "storage-agent", grant), "cryptoKeyId", key)
        )
    return resources


def test_key_used_by_a_bucket_and_granted_to_its_agent_passes() -> None:
    assert check_stack(gcp.kms_keys_granted_to_their_users, key_and_user(granted=True)) == []


def test_key_used_without_a_grant_is_violation_on_the_key() -> None:
    assert check_stack(gcp.kms_keys_granted_to_their_users, key_and_user(granted=False)) == [
        (
            "key storage encrypts data but no CryptoKeyIAMMember grants roles/cloudkms.cryptoKeyEncrypterDecrypter "
            "on it, so the service agents cannot use it.",
            urn_of(gcp.CRYPTO_KEY, "storage"),
        )
    ]


def test_key_granted_through_an_authoritative_binding_passes() -> None:
    key, bucket = key_and_user(granted=False)
    binding = {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [IAM_OK["member"]]}
    grant = link(stack_resource(gcp.CRYPTO_KEY_IAM_BINDING, "storage-agents", binding), "cryptoKeyId", key)
    assert check_stack(gcp.kms_keys_granted_to_their_users, [key, bucket, grant]) == []


# The same grant as an authoritative binding (`members`) and as a whole policy (`policyData`, the JSON of
# google_iam_policy: {"bindings": [{"role", "members"}]}), per the pulumi-gcp IAMBinding / IAMPolicy docs.
BINDING_OK: dict[str, Any] = {"role": "roles/storage.objectUser", "members": [IAM_OK["member"]]}
POLICY_OK: dict[str, Any] = {"policyData": json.dumps({"bindings": [BINDING_OK]})}
GRANT_FORMS = [
    pytest.param(
        gcp.IAM_BINDINGS, BINDING_OK, lambda member, role: {"role": role, "members": [member]}, id="binding"
    ),
    pytest.param(
        gcp.IAM_POLICIES,
        POLICY_OK,
        lambda member, role: {"policyData": json.dumps({"bindings": [{"role": role, "members": [member]}]})},
        id="policy",
    ),
]


@pytest.mark.parametrize(("types", "compliant", "grant"), GRANT_FORMS)
def test_bindings_and_whole_policies_are_judged_like_members(types: Any, compliant: Any, grant: Any) -> None:
    where = "policyData.bindings[0]." if types == gcp.IAM_POLICIES else ""
    member = IAM_OK["member"]
    for resource_type in types:
        assert check(gcp.gcp_iam_no_public_principals, resource_type, compliant) == []
        assert check(gcp.gcp_iam_no_basic_roles, resource_type, compliant) == []
        assert check(
            gcp.gcp_iam_no_public_principals, resource_type, grant("allUsers", "roles/storage.objectUser")
        ) == [f'{where}members include "allUsers", which grants "roles/storage.objectUser" to anyone.']
        assert check(gcp.gcp_iam_no_basic_roles, resource_type, grant(member, "roles/owner")) == [
            f'{where}role is "roles/owner", a basic role; grant a predefined role that does only the job.'
        ]


def test_unused_key_needs_no_grant() -> None:
    assert (
        check_stack(
            gcp.kms_keys_granted_to_their_users, [stack_resource(gcp.CRYPTO_KEY, "spare", CRYPTO_KEY_OK)]
        )
        == []
    )


def network_with(*, nat_via: str | None) -> list[PolicyResource]:
    network = stack_resource(gcp.NETWORK, "vpc", NETWORK_OK)
    router = link(stack_resource(gcp.ROUTER, "router", {"region": "us-central1"}), "network", network)
    resources = [network, router]
    if nat_via is not None:
        resources.append(link(stack_resource(gcp.ROUTER_NAT, "nat", NAT_OK), nat_via, router))
    return resources


def test_network_with_router_and_cloud_nat_passes() -> None:
    assert check_stack(gcp.vpc_egress_through_cloud_nat, network_with(nat_via="router")) == []


@pytest.mark.parametrize("nat_via", [None, "region"], ids=["no-nat", "nat-not-linked-through-router"])
def test_network_without_cloud_nat_on_its_router_is_violation(nat_via: str | None) -> None:
    assert check_stack(gcp.vpc_egress_through_cloud_nat, network_with(nat_via=nat_via)) == [
        (
            "network vpc has no Cloud NAT (a RouterNat on a Router whose network input comes from it), so private "
            "nodes and notebooks have no egress.",
            urn_of(gcp.NETWORK, "vpc"),
        )
    ]


def test_a_network_without_any_router_is_violation_and_each_network_is_judged_on_its_own() -> None:
    lonely = stack_resource(gcp.NETWORK, "lonely", NETWORK_OK)
    reports = check_stack(gcp.vpc_egress_through_cloud_nat, [*network_with(nat_via="router"), lonely])
    assert [urn for _, urn in reports] == [urn_of(gcp.NETWORK, "lonely")]


def cluster_with(*pools: dict[str, Any]) -> list[PolicyResource]:
    cluster = stack_resource(gcp.CLUSTER, "gke", CLUSTER_OK)
    return [
        cluster,
        *(
            link(stack_resource(gcp.NODE_POOL, f"pool-{i}", p), "cluster", cluster)
            for i, p in enumerate(pools)
        ),
    ]


def test_cluster_with_a_system_pool_next_to_its_gpu_pools_passes() -> None:
    assert check_stack(gcp.gke_cluster_has_system_pool, cluster_with(SYSTEM_POOL_OK, GPU_POOL_OK)) == []


def test_cluster_with_only_gpu_pools_is_violation() -> None:
    assert check_stack(gcp.gke_cluster_has_system_pool, cluster_with(GPU_POOL_OK)) == [
        (
            "cluster gke has no node pool without GPUs (linked through the pool's cluster input): system pods "
            "would have nowhere to run, and GKE does not taint GPU pools itself without one.",
            urn_of(gcp.CLUSTER, "gke"),
        )
    ]


def test_a_cluster_without_any_pool_is_violation_and_each_cluster_is_judged_on_its_own() -> None:
    bare = stack_resource(gcp.CLUSTER, "bare", CLUSTER_OK)
    reports = check_stack(gcp.gke_cluster_has_system_pool, [*cluster_with(SYSTEM_POOL_OK, GPU_POOL_OK), bare])
    assert [urn for _, urn in reports] == [urn_of(gcp.CLUSTER, "bare")]


def budget_stack(*, linked: bool) -> list[PolicyResource]:
    topic = stack_resource(gcp.TOPIC, "alerts", TOPIC_OK)
    budget = stack_resource(gcp.BUDGET, "budget", BUDGET_OK)
    if linked:
        link(budget, "allUpdatesRule", topic)
    return [stack_resource(gcp.NETWORK, "vpc", NETWORK_OK), topic, budget]


def test_stack_with_a_budget_alerting_its_own_topic_passes() -> None:
    assert check_stack(gcp.gcp_stack_has_budget, budget_stack(linked=True)) == []


def test_stack_whose_budget_alerts_nothing_it_creates_is_violation() -> None:
    unlinked = budget_stack(linked=False)
    second = stack_resource(gcp.BUDGET, "spare", BUDGET_OK)
    assert check_stack(gcp.gcp_stack_has_budget, [*unlinked, second]) == [
        (
            "the stack creates GCP resources but no billing budget delivers alerts to a Pub/Sub topic or "
            "notification channel it creates (allUpdatesRule linked to them); budgets found: budget, spare.",
            None,
        )
    ]


def test_stack_with_gcp_resources_and_no_budget_is_violation_and_a_stack_without_gcp_is_not() -> None:
    assert check_stack(gcp.gcp_stack_has_budget, [stack_resource(gcp.NETWORK, "vpc", NETWORK_OK)]) == [
        (
            "the stack creates GCP resources but no billing budget delivers alerts to a Pub/Sub topic or "
            "notification channel it creates (allUpdatesRule linked to them); budgets found: none.",
            None,
        )
    ]
    assert check_stack(gcp.gcp_stack_has_budget, [stack_resource("aws:ec2/vpc:Vpc", "vpc", {})]) == []


# --- through the real pack, as the engine drives it -------------------------------------------------------

STACK_URN = "urn:pulumi:dev::mlplat::pulumi:pulumi:Stack::mlplat-dev"


def recorded(
    resource_type: str,
    name: str,
    inputs: dict[str, Any],
    *,
    protect: bool = True,
    links: dict[str, list[str]] | None = None,
) -> RecordedResource:
    wire = struct_pb2.Struct()
    wire.update(inputs)
    deps = links or {}
    return RecordedResource(
        urn=f"urn:pulumi:dev::mlplat::{resource_type}::{name}",
        type=resource_type,
        name=name,
        parent=STACK_URN,
        custom=True,
        protect=protect,
        retain_on_delete=False,
        provider="",
        inputs=wire,
        dependencies=sorted({u for urns in deps.values() for u in urns}),
        property_dependencies=deps,
    )


def gcp_stack(*, on_demand_gpus: bool, protected: bool, budget: bool = True) -> list[RecordedResource]:
    """A small GCP stack: network with NAT, a keyed bucket, a cluster with a system and a GPU pool, a budget."""
    stack = RecordedResource(
        urn=STACK_URN,
        type="pulumi:pulumi:Stack",
        name="mlplat-dev",
        parent="",
        custom=False,
        protect=False,
        retain_on_delete=False,
        provider="",
        inputs=struct_pb2.Struct(),
    )
    network = recorded(gcp.NETWORK, "vpc", NETWORK_OK)
    router = recorded(gcp.ROUTER, "router", {"region": "us-central1"}, links={"network": [network.urn]})
    nat = recorded(gcp.ROUTER_NAT, "nat", NAT_OK, links={"router": [router.urn]})
    key = recorded(gcp.CRYPTO_KEY, "storage", CRYPTO_KEY_OK, protect=protected)
    grant = recorded(
        gcp.CRYPTO_KEY_IAM_MEMBER,
        "storage-agent",
        {**IAM_OK, "role": gcp.ENCRYPTER_DECRYPTER},
        links={"cryptoKeyId": [key.urn]},
    )
    bucket = recorded(gcp.BUCKET, "data", BUCKET_OK, protect=protected, links={"encryption": [key.urn]})
    cluster = recorded(gcp.CLUSTER, "gke", CLUSTER_OK, protect=protected)
    gpu = changed(GPU_POOL_OK, ("nodeConfig", "spot"), not on_demand_gpus)
    pools = [
        recorded(gcp.NODE_POOL, "system", SYSTEM_POOL_OK, links={"cluster": [cluster.urn]}),
        recorded(gcp.NODE_POOL, "gpu-t4", gpu, links={"cluster": [cluster.urn]}),
    ]
    topic = recorded(gcp.TOPIC, "alerts", TOPIC_OK)
    alerts = [topic, recorded(gcp.BUDGET, "budget", BUDGET_OK, links={"allUpdatesRule": [topic.urn]})]
    audit = recorded(gcp.AUDIT_CONFIG, "storage-audit", AUDIT_OK)
    audit.outputs.CopyFrom(audit.inputs)  # stack rules read outputs; a preview echoes the inputs
    return [
        stack,
        network,
        router,
        nat,
        key,
        grant,
        bucket,
        audit,
        cluster,
        *pools,
        *(alerts if budget else []),
    ]


def gcp_violations(report: PolicyReport) -> list[tuple[str, str, str]]:
    names = {p.name for p in gcp.POLICIES}
    return [(v.policy, v.level, v.urn.rsplit("::", 1)[-1]) for v in report.violations if v.policy in names]


@pytest.fixture(scope="module")
def reports() -> dict[str, PolicyReport]:
    def run(resources: list[RecordedResource], stack_config: str) -> PolicyReport:
        return run_policy_pack(
            resources,
            pack_dir=PACK_DIR,
            stack="dev",
            project="mlplat",
            config_file=PACK_DIR / "config" / stack_config,
        )

    return {
        "prod-compliant": run(gcp_stack(on_demand_gpus=True, protected=True), "prod.json"),
        "dev-compliant": run(gcp_stack(on_demand_gpus=False, protected=False), "dev.json"),
        "dev-on-demand": run(gcp_stack(on_demand_gpus=True, protected=False, budget=False), "dev.json"),
        "prod-unprotected": run(gcp_stack(on_demand_gpus=True, protected=False), "prod.json"),
    }


def test_pack_finds_nothing_in_a_compliant_prod_stack(reports: dict[str, PolicyReport]) -> None:
    assert gcp_violations(reports["prod-compliant"]) == []


def test_pack_only_advises_about_protection_in_a_dev_stack(reports: dict[str, PolicyReport]) -> None:
    assert {(p, level) for p, level, _ in gcp_violations(reports["dev-compliant"])} == {
        ("gcp-data-stores-protected", "advisory")
    }


def test_pack_blocks_on_demand_gpus_and_a_missing_budget_in_dev(reports: dict[str, PolicyReport]) -> None:
    mandatory = [
        (p, urn) for p, level, urn in gcp_violations(reports["dev-on-demand"]) if level == "mandatory"
    ]
    assert mandatory == [("gcp-stack-has-budget", "mlplat-dev"), ("gke-gpu-pool-spot", "gpu-t4")]


def test_pack_blocks_unprotected_data_stores_in_prod(reports: dict[str, PolicyReport]) -> None:
    found = gcp_violations(reports["prod-unprotected"])
    assert sorted(
        urn for p, level, urn in found if (p, level) == ("gcp-data-stores-protected", "mandatory")
    ) == [
        "data",
        "gke",
        "storage",
    ]
    assert dict(reports["prod-unprotected"].policies)["gke-gpu-pool-spot"] == "mandatory"


def test_a_grant_of_another_role_does_not_make_a_key_usable_and_every_user_is_named() -> None:
    spare = stack_resource(gcp.CRYPTO_KEY, "spare", CRYPTO_KEY_OK)  # unused: judged by nothing
    key = stack_resource(gcp.CRYPTO_KEY, "storage", CRYPTO_KEY_OK)
    users = [
        link(stack_resource(gcp.BUCKET, name, BUCKET_OK), "encryption", key) for name in ("logs", "data")
    ]
    viewer = {**IAM_OK, "role": "roles/cloudkms.viewer"}
    grant = link(stack_resource(gcp.CRYPTO_KEY_IAM_MEMBER, "storage-viewer", viewer), "cryptoKeyId", key)
    assert check_stack(gcp.kms_keys_granted_to_their_users, [spare, key, *users, grant]) == [
        (
            "key storage encrypts data, logs but no CryptoKeyIAMMember grants roles/cloudkms.cryptoKeyEncrypterDecrypter "
            "on it, so the service agents cannot use it.",
            urn_of(gcp.CRYPTO_KEY, "storage"),
        )
    ]


# A node pool's autoscaling limits are either totals across its zones (totalMinNodeCount/totalMaxNodeCount)
# or per zone (minNodeCount/maxNodeCount); an unset per-zone minimum is 0
# (cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools#NodePoolAutoscaling).
PER_ZONE_LIMITS = [
    ({"minNodeCount": 1, "maxNodeCount": 2}, ["the GPU pool keeps at least 1 nodes running; its minimum must be 0."], []),
    ({"minNodeCount": 0, "maxNodeCount": 2}, [], []),
    ({"maxNodeCount": 2}, [], []),
    ({"minNodeCount": 0, "maxNodeCount": 20}, [], ["the GPU pool may grow to 20 nodes, above the cap of 16."]),
    ({"minNodeCount": 0, "maxNodeCount": 16}, [], []),
    ({"minNodeCount": 0}, [], ["autoscaling has no maximum node count."]),
]  # fmt: skip


@pytest.mark.parametrize(("autoscaling", "to_zero", "capped"), PER_ZONE_LIMITS, ids=str)
def test_gpu_pool_per_zone_limits_are_judged_like_total_limits(
    autoscaling: dict[str, Any], to_zero: list[str], capped: list[str]
) -> None:
    pool = changed(GPU_POOL_OK, ("autoscaling",), {**autoscaling, "locationPolicy": "ANY"})
    assert check(gcp.gke_gpu_pool_scales_to_zero, gcp.NODE_POOL, pool) == to_zero
    assert check(gcp.gke_gpu_pool_capped, gcp.NODE_POOL, pool) == capped


# Budget threshold rules' spendBasis defaults to CURRENT_SPEND; alerts go to allUpdatesRule.pubsubTopic or
# monitoringNotificationChannels (cloud.google.com/billing/docs/reference/budget/rest/v1/billingAccounts.budgets).
NO_CURRENT = "thresholdRules has no CURRENT_SPEND threshold"
NO_FORECAST = "thresholdRules has no FORECASTED_SPEND threshold, so overspend is seen only after it"
BUDGET_CASES = [
    ("spend-basis-defaults-to-current", ("thresholdRules",), [{"thresholdPercent": 0.5}, {"thresholdPercent": 1, "spendBasis": "FORECASTED_SPEND"}], []),
    ("forecast-only", ("thresholdRules",), [{"thresholdPercent": 1, "spendBasis": "FORECASTED_SPEND"}], [NO_CURRENT]),
    ("no-thresholds", ("thresholdRules",), [], [NO_CURRENT, NO_FORECAST]),
    ("a-threshold-known-later", ("thresholdRules",), [ENGINE_UNKNOWN], []),
    ("channels-instead-of-a-topic", ("allUpdatesRule",), {"monitoringNotificationChannels": [f"projects/{PROJECT}/notificationChannels/1"]}, []),
    ("channels-known-later", ("allUpdatesRule",), {"monitoringNotificationChannels": ENGINE_UNKNOWN}, []),
    ("topic-known-later", ("allUpdatesRule",), {"pubsubTopic": ENGINE_UNKNOWN}, []),
    ("nowhere", ("allUpdatesRule",), {"monitoringNotificationChannels": []}, ["allUpdatesRule has neither pubsubTopic nor monitoringNotificationChannels"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "messages"), [c[1:] for c in BUDGET_CASES], ids=[c[0] for c in BUDGET_CASES]
)
def test_a_budget_alerts_on_current_and_forecast_spend_somewhere(
    path: tuple[str, ...], value: Any, messages: list[str]
) -> None:
    found = check(gcp.gcp_budget_alerts, gcp.BUDGET, changed(BUDGET_OK, path, value))
    assert found == ([] if not messages else ["; ".join(messages) + "."])


# VPC firewall rules (cloud.google.com/firewall/docs/firewalls, cloud.google.com/compute/docs/reference/rest/v1/firewalls):
# direction defaults to INGRESS; a disabled rule is not enforced; an ingress rule with no source ranges, tags or
# service accounts applies to 0.0.0.0/0.
OPEN = ["0.0.0.0/0", "::/0"]
FIREWALL_CASES = [
    ("direction-defaults-to-ingress", {"direction": _REMOVE, "sourceRanges": OPEN}, "sourceRanges includes 0.0.0.0/0, ::/0, which opens the allowed ports to the internet"),
    ("disabled-rule", {"disabled": True, "sourceRanges": OPEN}, None),
    ("enabled-rule", {"disabled": False, "sourceRanges": OPEN}, "sourceRanges includes 0.0.0.0/0, ::/0, which opens the allowed ports to the internet"),
    ("no-source-at-all", {"sourceRanges": _REMOVE}, "sourceRanges is unset, which GCP reads as 0.0.0.0/0"),
    ("source-service-accounts", {"sourceRanges": _REMOVE, "sourceServiceAccounts": ["bastion@p.iam.gserviceaccount.com"]}, None),
    ("source-tags-known-later", {"sourceRanges": _REMOVE, "sourceTags": ENGINE_UNKNOWN}, None),
    ("service-accounts-known-later", {"sourceRanges": _REMOVE, "sourceServiceAccounts": ENGINE_UNKNOWN}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "message"), [c[1:] for c in FIREWALL_CASES], ids=[c[0] for c in FIREWALL_CASES]
)
def test_an_ingress_firewall_rule_opens_nothing_to_the_internet(
    fields: dict[str, Any], message: str | None
) -> None:
    rule = dict(FIREWALL_OK)
    for key, value in fields.items():
        rule = changed(rule, (key,), value) if value is not _REMOVE or key in rule else rule
    assert check(gcp.firewall_no_public_ingress, gcp.FIREWALL, rule) == (
        [] if message is None else [message + "."]
    )


# NetworkPolicy is enforced by Dataplane V2 (datapathProvider ADVANCED_DATAPATH) or, on the legacy datapath,
# by the Calico add-on (networkPolicy.enabled) (cloud.google.com/kubernetes-engine/docs/how-to/network-policy).
LEGACY_OFF = 'datapathProvider is "LEGACY_DATAPATH" and networkPolicy is off, so NetworkPolicy is ignored.'
NETWORK_POLICY_CASES = [
    ("calico-on-legacy-datapath", {"datapathProvider": "LEGACY_DATAPATH", "networkPolicy": {"enabled": True, "provider": "CALICO"}}, []),
    ("calico-off-on-legacy-datapath", {"datapathProvider": "LEGACY_DATAPATH", "networkPolicy": {"enabled": False}}, [LEGACY_OFF]),
    ("calico-known-later", {"datapathProvider": "LEGACY_DATAPATH", "networkPolicy": {"enabled": ENGINE_UNKNOWN}}, []),
    ("dataplane-v2-without-calico", {"datapathProvider": "ADVANCED_DATAPATH", "networkPolicy": {"enabled": False}}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "messages"), [c[1:] for c in NETWORK_POLICY_CASES], ids=[c[0] for c in NETWORK_POLICY_CASES]
)
def test_gke_enforces_network_policy_through_dataplane_v2_or_calico(
    fields: dict[str, Any], messages: list[str]
) -> None:
    assert check(gcp.gke_network_policy_enforced, gcp.CLUSTER, {**CLUSTER_OK, **fields}) == messages


# Node pool hardening (cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster): Secure Boot is
# off unless enabled; an unset or "default" node service account, or PROJECT_NUMBER-compute@developer.gserviceaccount.com,
# is the Compute Engine default account.
def _default_account(shown: str) -> str:
    return (
        f"nodeConfig.serviceAccount is {shown}, the Compute Engine default account; use a dedicated "
        "least-privilege account."
    )


POOL_HARDENING_CASES = [
    ("secure-boot-unset", ("nodeConfig", "shieldedInstanceConfig", "enableSecureBoot"), _REMOVE, ["nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true."]),
    ("integrity-monitoring-off", ("nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"), False, ["nodeConfig.shieldedInstanceConfig.enableIntegrityMonitoring is false."]),
    ("integrity-monitoring-unset-is-on", ("nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"), _REMOVE, []),
    ("default-alias", ("nodeConfig", "serviceAccount"), "default", [_default_account('"default"')]),
    ("default-compute-account", ("nodeConfig", "serviceAccount"), "123456789012-compute@developer.gserviceaccount.com", [_default_account('"123456789012-compute@developer.gserviceaccount.com"')]),
    ("empty-account", ("nodeConfig", "serviceAccount"), "", [_default_account('""')]),
    ("account-known-later", ("nodeConfig", "serviceAccount"), ENGINE_UNKNOWN, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "messages"),
    [c[1:] for c in POOL_HARDENING_CASES],
    ids=[c[0] for c in POOL_HARDENING_CASES],
)
def test_a_node_pool_boots_securely_and_runs_as_its_own_account(
    path: tuple[str, ...], value: Any, messages: list[str]
) -> None:
    assert check(gcp.gke_node_pool_hardened, gcp.NODE_POOL, changed(GPU_POOL_OK, path, value)) == messages


# Which pool is GPU-free: guestAccelerators with a count above 0 (acceleratorCount defaults to 0,
# cloud.google.com/kubernetes-engine/docs/reference/rest/v1/NodeConfig#AcceleratorConfig), or an accelerator-optimized
# machine type with GPUs attached (a2-, a3-, g2-: cloud.google.com/compute/docs/accelerator-optimized-machines).
SYSTEM_NODE = {
    k: v for k, v in SYSTEM_POOL_OK["nodeConfig"].items() if k not in ("guestAccelerators", "machineType")
}
SYSTEM_POOL_CASES = [
    ("zero-accelerators", {**SYSTEM_NODE, "machineType": "e2-standard-4", "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 0}]}, True),
    ("accelerator-count-unset", {**SYSTEM_NODE, "machineType": "e2-standard-4", "guestAccelerators": [{"type": "nvidia-tesla-t4"}]}, True),
    ("a2-machine", {**SYSTEM_NODE, "machineType": "a2-highgpu-1g"}, False),
    ("machine-known-later", {**SYSTEM_NODE, "machineType": ENGINE_UNKNOWN}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("node_config", "gpu_free"), [c[1:] for c in SYSTEM_POOL_CASES], ids=[c[0] for c in SYSTEM_POOL_CASES]
)
def test_only_a_pool_known_to_have_no_gpus_is_the_clusters_system_pool(
    node_config: dict[str, Any], gpu_free: bool
) -> None:
    resources = cluster_with(changed(SYSTEM_POOL_OK, ("nodeConfig",), node_config))
    assert len(check_stack(gcp.gke_cluster_has_system_pool, resources)) == (0 if gpu_free else 1)


# --- edges the one-property cases leave open (from the mutation follow-up) -------------------------------
# (id, rule, type, compliant base, {path: value}, exact messages): several properties changed at once, so a
# known-bad value is judged next to an unknown one, and every message names what the user wrote.
def _with(base: Mapping[str, Any], fields: Mapping[tuple[str | int, ...], Any]) -> dict[str, Any]:
    result = dict(base)
    for path, value in fields.items():
        result = changed(result, path, value)
    return result


GMEK_BOOT = 'gceSetup.bootDisk is "GMEK" with kmsKey "{key}", expected CMEK.'
EDGE_CASES = [
    # Workbench instances (pulumi-gcp workbench.Instance; cloud.google.com/vertex-ai/docs/workbench/instances):
    # Secure Boot is disabled by default; diskEncryption is GMEK or CMEK, default GMEK; a NIC with no subnet
    # joins the default network; idle shutdown is at most 24 hours.
    ("workbench-secure-boot-unset", gcp.workbench_hardened, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "shieldedInstanceConfig", "enableSecureBoot"): _REMOVE}, ["gceSetup.shieldedInstanceConfig.enableSecureBoot is not true."]),
    ("workbench-root-enabled", gcp.workbench_hardened, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "metadata", "notebook-disable-root"): "false"}, ['gceSetup.metadata.notebook-disable-root is "false", expected "true".']),
    ("workbench-metadata-known-later", gcp.workbench_hardened, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "metadata"): ENGINE_UNKNOWN, ("gceSetup", "shieldedInstanceConfig", "enableSecureBoot"): False}, ["gceSetup.shieldedInstanceConfig.enableSecureBoot is not true."]),
    ("workbench-nic-without-subnet", gcp.workbench_private_network, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "networkInterfaces"): [{"network": "vpc", "nicType": "GVNIC"}]}, ["gceSetup.networkInterfaces names no subnet, so the instance joins the default network."]),
    ("workbench-idle-one-second", gcp.workbench_idle_shutdown, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "metadata", "idle-timeout-seconds"): "1"}, []),
    ("workbench-idle-24-hours", gcp.workbench_idle_shutdown, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "metadata", "idle-timeout-seconds"): "86400"}, []),
    ("workbench-idle-over-24-hours", gcp.workbench_idle_shutdown, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "metadata", "idle-timeout-seconds"): "86401"}, ['gceSetup.metadata.idle-timeout-seconds is "86401", expected 1 to 86400 so idle instances stop.']),
    ("workbench-cmek-without-key", gcp.workbench_disks_encrypted_with_cmek, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "bootDisk", "kmsKey"): _REMOVE}, ['gceSetup.bootDisk is "CMEK" with kmsKey unset, expected CMEK.']),
    ("workbench-gmek-with-key", gcp.workbench_disks_encrypted_with_cmek, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "bootDisk", "diskEncryption"): "GMEK"}, [GMEK_BOOT.format(key=f"{RING}/cryptoKeys/disks")]),
    ("workbench-encryption-known-later", gcp.workbench_disks_encrypted_with_cmek, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "bootDisk", "diskEncryption"): ENGINE_UNKNOWN}, []),
    # GKE control plane (pulumi-gcp container.Cluster; cloud.google.com/kubernetes-engine/docs/how-to/authorized-networks):
    # every /0 block is named; an allow-list known later does not hide the Google Cloud public ranges.
    ("cluster-open-to-v4-and-v6", gcp.gke_authorized_networks, gcp.CLUSTER, CLUSTER_OK, {("masterAuthorizedNetworksConfig", "cidrBlocks"): [{"cidrBlock": "0.0.0.0/0"}, {"cidrBlock": "::/0"}]}, ["masterAuthorizedNetworksConfig.cidrBlocks includes 0.0.0.0/0, ::/0."]),
    ("cluster-blocks-known-later", gcp.gke_authorized_networks, gcp.CLUSTER, CLUSTER_OK, {("masterAuthorizedNetworksConfig", "cidrBlocks"): ENGINE_UNKNOWN, ("masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled"): True}, ["masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true (any GCP VM's IP)."]),
    ("cluster-logs-only-workloads", gcp.gke_control_plane_logging, gcp.CLUSTER, CLUSTER_OK, {("loggingConfig", "enableComponents"): ["WORKLOADS"]}, ["loggingConfig.enableComponents lacks SYSTEM_COMPONENTS, APISERVER."]),
    # Node pools: gpuDriverVersion GPU_DRIVER_VERSION_UNSPECIFIED installs no driver before GKE 1.30.1
    # (pulumi-gcp container NodePool guestAccelerators); spot or preemptible VMs are both spare capacity.
    ("gpu-driver-unspecified-by-name", gcp.gke_gpu_driver_configured, gcp.NODE_POOL, GPU_POOL_OK, {("nodeConfig", "guestAccelerators", 0, "gpuDriverInstallationConfig", "gpuDriverVersion"): "GPU_DRIVER_VERSION_UNSPECIFIED"}, ['nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion is "GPU_DRIVER_VERSION_UNSPECIFIED", expected DEFAULT, LATEST, INSTALLATION_DISABLED.']),
    ("on-demand-but-preemptible-known-later", gcp.gke_gpu_pool_spot, gcp.NODE_POOL, GPU_POOL_OK, {("nodeConfig", "spot"): False, ("nodeConfig", "preemptible"): ENGINE_UNKNOWN}, []),
    # Labels (cloud.google.com/resource-manager/docs/labels-overview): a label value may be empty, which says nothing.
    ("label-with-empty-value", gcp.gcp_required_labels, gcp.BUCKET, BUCKET_OK, {("labels", "owner"): ""}, ["labels is missing owner."]),
    ("two-labels-missing", gcp.gcp_required_labels, gcp.BUCKET, BUCKET_OK, {("labels", "environment"): _REMOVE, ("labels", "owner"): _REMOVE}, ["labels is missing environment, owner."]),
    ("managed-by-empty-is-missing-once", gcp.gcp_required_labels, gcp.BUCKET, BUCKET_OK, {("labels", "managed-by"): ""}, ["labels is missing managed-by."]),
    # Cloud NAT logConfig.filter is ERRORS_ONLY, TRANSLATIONS_ONLY or ALL (pulumi-gcp compute.RouterNat).
    ("nat-logs-all", gcp.cloud_nat_logs_errors, gcp.ROUTER_NAT, NAT_OK, {("logConfig", "filter"): "ALL"}, []),
    # A KMS rotationPeriod is a duration in seconds ending in "s" (pulumi-gcp kms.CryptoKey).
    ("rotation-not-in-seconds", gcp.kms_crypto_key_rotation, gcp.CRYPTO_KEY, CRYPTO_KEY_OK, {("rotationPeriod",): "90d"}, ['rotationPeriod is "90d", so the key never rotates; set 90 days (7776000s) or less.']),
    # A setting that is bad whatever the value known later: no cleanup policy at all, dry-run on, secrets or
    # disks not encrypted with a customer key (Artifact Registry cleanup policies, GKE application-layer secrets
    # encryption, Workbench diskEncryption: cloud.google.com/artifact-registry/docs/repositories/cleanup-policy,
    # cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets).
    ("no-cleanup-dry-run-known-later", gcp.artifact_registry_cleanup_enabled, gcp.REPOSITORY, REPOSITORY_OK, {("cleanupPolicies",): _REMOVE, ("cleanupPolicyDryRun",): ENGINE_UNKNOWN}, ["cleanupPolicies is unset, so old images accumulate storage cost forever."]),
    ("dry-run-policies-known-later", gcp.artifact_registry_cleanup_enabled, gcp.REPOSITORY, REPOSITORY_OK, {("cleanupPolicies",): ENGINE_UNKNOWN, ("cleanupPolicyDryRun",): True}, ["cleanupPolicyDryRun is true, so the cleanup policies never delete anything."]),
    ("secrets-decrypted-key-known-later", gcp.gke_secrets_encrypted_with_cmek, gcp.CLUSTER, CLUSTER_OK, {("databaseEncryption", "state"): "DECRYPTED", ("databaseEncryption", "keyName"): ENGINE_UNKNOWN}, ["databaseEncryption is state \"DECRYPTED\" with keyName <unknown>; expected ENCRYPTED with the platform's key."]),
    ("secrets-encrypted-key-known-later", gcp.gke_secrets_encrypted_with_cmek, gcp.CLUSTER, CLUSTER_OK, {("databaseEncryption", "keyName"): ENGINE_UNKNOWN}, []),
    ("workbench-gmek-key-known-later", gcp.workbench_disks_encrypted_with_cmek, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "bootDisk", "diskEncryption"): "GMEK", ("gceSetup", "bootDisk", "kmsKey"): ENGINE_UNKNOWN}, ['gceSetup.bootDisk is "GMEK" with kmsKey <unknown>, expected CMEK.']),
    ("workbench-cmek-key-known-later", gcp.workbench_disks_encrypted_with_cmek, gcp.WORKBENCH, WORKBENCH_OK, {("gceSetup", "bootDisk", "kmsKey"): ENGINE_UNKNOWN}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "resource_type", "base", "fields", "messages"),
    [c[1:] for c in EDGE_CASES],
    ids=[c[0] for c in EDGE_CASES],
)
def test_a_rule_names_what_the_user_wrote_and_no_unknown_hides_a_known_bad_value(
    policy: ResourceValidationPolicy,
    resource_type: str,
    base: dict[str, Any],
    fields: dict[tuple[str | int, ...], Any],
    messages: list[str],
) -> None:
    assert check(policy, resource_type, base, config=SPOT) == []
    assert check(policy, resource_type, _with(base, fields), config=SPOT) == messages


# An authoritative binding's members, or a whole policy's policyData, may be known only after preview (for
# example built from another resource's outputs); the role of such a binding is still judged.
def test_grants_known_only_after_preview_are_skipped_without_hiding_a_basic_role() -> None:
    binding = {"role": "roles/owner", "members": ENGINE_UNKNOWN}
    assert check(gcp.gcp_iam_no_public_principals, gcp.PROJECT_IAM_BINDING, binding) == []
    assert check(gcp.gcp_iam_no_basic_roles, gcp.PROJECT_IAM_BINDING, binding) == [
        'role is "roles/owner", a basic role; grant a predefined role that does only the job.'
    ]
    for policy in (gcp.gcp_iam_no_public_principals, gcp.gcp_iam_no_basic_roles):
        assert check(policy, gcp.IAM_POLICIES[0], {"policyData": ENGINE_UNKNOWN}) == []


def test_a_grant_whose_role_is_known_later_does_not_hide_the_accounts_next_grant() -> None:
    account = stack_resource(gcp.SERVICE_ACCOUNT, "nodes", {"accountId": "mlplat-dev-gke-nodes"})
    later = link(
        stack_resource(gcp.PROJECT_IAM_MEMBER, "later", {**IAM_OK, "role": ENGINE_UNKNOWN}), "member", account
    )
    editor = link(
        stack_resource(gcp.PROJECT_IAM_MEMBER, "editor", {**IAM_OK, "role": "roles/editor"}),
        "member",
        account,
    )
    assert check_stack(gcp.gcp_service_account_least_privilege, [account, later, editor]) == [
        (
            "service account nodes holds roles/editor on the project through editor; workload accounts get "
            "only the roles their job needs.",
            urn_of(gcp.SERVICE_ACCOUNT, "nodes"),
        )
    ]


def test_a_gpu_pool_whose_driver_the_gpu_operator_installs_may_run_ubuntu() -> None:
    # GKE docs, "Manage the GPU Stack with the NVIDIA GPU Operator": Ubuntu nodes, GKE's driver install off.
    ubuntu = changed(GPU_POOL_OK, ("nodeConfig", "imageType"), "UBUNTU_CONTAINERD")
    operator = changed(
        ubuntu,
        ("nodeConfig", "guestAccelerators"),
        [
            {**a, "gpuDriverInstallationConfig": {"gpuDriverVersion": "INSTALLATION_DISABLED"}}
            for a in GPU_POOL_OK["nodeConfig"]["guestAccelerators"]
        ],
    )
    assert check(gcp.gke_node_pool_cos_image, gcp.NODE_POOL, operator) == []
    # The exception is for operator-driven GPU pools only: GKE's own driver on Ubuntu is still refused.
    assert len(check(gcp.gke_node_pool_cos_image, gcp.NODE_POOL, ubuntu)) == 1
