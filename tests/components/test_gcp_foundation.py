"""GCP foundations under mocks: APIs that outlive the stack, rotated keys granted to their agents,
a private custom-mode network, and buckets that are private, CMEK-only and recoverable."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.gcp import (
    Keys,
    KeysArgs,
    Network,
    NetworkArgs,
    ProjectServices,
    ProjectServicesArgs,
    SecureBucket,
    SecureBucketArgs,
)
from components.gcp.network import GKE_NODE_TAG, IAP_RANGE
from mlplat.engine.fakes.gcp import project_number
from tests.components.provider_facts import GCP_PLATFORM_APIS
from tests.plans import Plan, record

PROJECT = "acme-mlplat-test"
CONFIG = {"gcp:project": PROJECT, "gcp:region": "us-central1"}
LABELS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
KEY = f"projects/{PROJECT}/locations/us-central1/keyRings/ring/cryptoKeys/storage"

NETWORK_ARGS = NetworkArgs(
    project=PROJECT,
    region="us-central1",
    network_name="mlplat-test-vpc",
    subnet_name="mlplat-test-us-central1",
    subnet_cidr="10.40.0.0/20",
    pods_cidr="10.44.0.0/14",
    services_cidr="10.48.0.0/20",
    master_cidr="172.16.0.0/28",
)
BUCKET_ARGS = SecureBucketArgs(
    project=PROJECT,
    bucket_name="mlplat-test-data-abc123",
    location="us-central1",
    kms_key_name=KEY,
    labels=LABELS,
    versioning=True,
    force_destroy=False,
    deletion_protection=True,
)


def build_foundation() -> None:
    services = ProjectServices("svc", ProjectServicesArgs(project=PROJECT))
    Keys(
        "keys",
        KeysArgs(
            project=PROJECT,
            location="us-central1",
            purposes={
                "storage": {"storage": services.agents["storage"]},
                "disks": {"compute": services.agents["compute"]},
            },
            labels=LABELS,
            deletion_protection=True,
        ),
    )
    Network("net", NETWORK_ARGS)
    SecureBucket("prod-data", BUCKET_ARGS)
    SecureBucket(
        "dev-data", replace(BUCKET_ARGS, versioning=False, force_destroy=True, deletion_protection=False)
    )


@pytest.fixture(scope="module")
def plan() -> Plan:
    return record(build_foundation, config=CONFIG)


@pytest.fixture(scope="module")
def open_network() -> Plan:
    return record(lambda: Network("net", replace(NETWORK_ARGS, flow_logs=False, iap_ssh=True)), config=CONFIG)


# --- project services -------------------------------------------------------------------------------------


def test_every_platform_api_is_enabled_and_never_disabled_on_destroy(plan: Plan) -> None:
    services = plan.of_type("gcp:projects/service:Service")
    assert sorted(s.inputs["service"] for s in services) == sorted(GCP_PLATFORM_APIS)
    assert all(s.inputs["disableOnDestroy"] is False for s in services)
    assert all(s.inputs["disableDependentServices"] is False for s in services)


def test_lazily_created_service_agents_are_created_after_their_apis(plan: Plan) -> None:
    identities = plan.of_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert sorted(i.inputs["service"] for i in identities) == [
        "aiplatform.googleapis.com",
        "artifactregistry.googleapis.com",
        "notebooks.googleapis.com",
        "pubsub.googleapis.com",
    ]
    services = {s.urn for s in plan.of_type("gcp:projects/service:Service")}
    by_urn = {r.urn: r for r in plan.run.resources}
    assert services and all(services <= set(by_urn[i.urn].dependencies) for i in identities)


# --- keys -------------------------------------------------------------------------------------------------


def test_keys_rotate_every_90_days_and_are_protected(plan: Plan) -> None:
    keys = plan.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert [k.name for k in keys] == ["keys-disks", "keys-storage"]
    for key in keys:
        assert key.inputs["rotationPeriod"] == "7776000s"
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.protect is True
    ring = plan.one("gcp:kms/keyRing:KeyRing")
    assert (ring.inputs["location"], ring.protect) == ("us-central1", True)


def test_key_ring_and_keys_leave_their_names_to_autonaming_so_a_redeploy_after_destroy_succeeds(
    plan: Plan,
) -> None:
    # Cloud KMS docs (resource lifecycle): key rings and keys can never be deleted, so a fixed name
    # is taken for good once a stack is destroyed; autonaming gives each create a fresh suffix.
    ring = plan.one("gcp:kms/keyRing:KeyRing")
    keys = plan.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert [r.inputs.get("name") for r in [ring, *keys]] == [None, None, None]


def _autonamed_key(purpose: str) -> str:
    return rf"projects/{PROJECT}/locations/us-central1/keyRings/keys-ring-[0-9a-f]{{7}}/cryptoKeys/keys-{purpose}-[0-9a-f]{{7}}"


def test_each_key_is_usable_only_by_the_google_agent_that_encrypts_with_it(plan: Plan) -> None:
    number = project_number(PROJECT)
    grants = {g.name: g.inputs for g in plan.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    key_ids = {name: grant.pop("cryptoKeyId") for name, grant in grants.items()}
    assert re.fullmatch(_autonamed_key("storage"), key_ids["keys-storage-storage"])
    assert re.fullmatch(_autonamed_key("disks"), key_ids["keys-disks-compute"])
    assert grants == {
        "keys-storage-storage": {
            "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "member": f"serviceAccount:service-{number}@gs-project-accounts.iam.gserviceaccount.com",
        },
        "keys-disks-compute": {
            "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "member": f"serviceAccount:service-{number}@compute-system.iam.gserviceaccount.com",
        },
    }


def test_rotation_longer_than_90_days_is_refused() -> None:
    with pytest.raises(ValueError, match="rotation_days must be between 1 and 90"):
        KeysArgs(project=PROJECT, location="us-central1", purposes={}, labels={}, rotation_days=365)


# --- network ----------------------------------------------------------------------------------------------


def test_network_is_custom_mode(plan: Plan) -> None:
    assert plan.one("gcp:compute/network:Network").inputs["autoCreateSubnetworks"] is False


def test_subnet_has_gke_secondary_ranges_private_google_access_and_flow_logs(plan: Plan) -> None:
    subnet = plan.one("gcp:compute/subnetwork:Subnetwork").inputs
    assert subnet["ipCidrRange"] == "10.40.0.0/20"
    assert subnet["secondaryIpRanges"] == [
        {"rangeName": "pods", "ipCidrRange": "10.44.0.0/14"},
        {"rangeName": "services", "ipCidrRange": "10.48.0.0/20"},
    ]
    assert subnet["privateIpGoogleAccess"] is True
    assert subnet["logConfig"]["flowSampling"] == 0.5
    assert subnet["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"


def test_subnet_egress_goes_through_cloud_nat_that_logs_errors(plan: Plan) -> None:
    router = plan.one("gcp:compute/router:Router")
    nat = plan.one("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.property_dependencies["router"] == [router.urn]


def test_firewall_allows_internal_traffic_and_control_plane_webhooks_and_nothing_from_the_internet(
    plan: Plan,
) -> None:
    rules = {r.name: r.inputs for r in plan.of_type("gcp:compute/firewall:Firewall")}
    assert sorted(rules) == ["net-allow-internal", "net-allow-master-webhooks"]
    assert rules["net-allow-internal"]["sourceRanges"] == ["10.40.0.0/20", "10.44.0.0/14"]
    webhooks = rules["net-allow-master-webhooks"]
    assert (webhooks["sourceRanges"], webhooks["targetTags"]) == (["172.16.0.0/28"], [GKE_NODE_TAG])
    for rule in rules.values():
        assert rule["direction"] == "INGRESS"
        assert not [r for r in rule["sourceRanges"] if r.endswith("/0")]


def test_iap_ssh_is_opened_only_when_asked_and_only_from_google_iap(plan: Plan, open_network: Plan) -> None:
    assert "net-allow-iap-ssh" not in [r.name for r in plan.of_type("gcp:compute/firewall:Firewall")]
    iap = next(
        r for r in open_network.of_type("gcp:compute/firewall:Firewall") if r.name == "net-allow-iap-ssh"
    )
    assert iap.inputs["sourceRanges"] == [IAP_RANGE]
    assert iap.inputs["allows"] == [{"protocol": "tcp", "ports": ["22"]}]


def test_flow_logs_can_be_turned_off_explicitly(open_network: Plan) -> None:
    assert "logConfig" not in open_network.one("gcp:compute/subnetwork:Subnetwork").inputs


# --- buckets ----------------------------------------------------------------------------------------------


def bucket(plan: Plan, name: str) -> dict[str, Any]:
    return next(b for b in plan.of_type("gcp:storage/bucket:Bucket") if b.name == name).inputs


def test_bucket_is_private_with_uniform_access_and_public_access_prevention(plan: Plan) -> None:
    b = bucket(plan, "prod-data")
    assert (b["uniformBucketLevelAccess"], b["publicAccessPrevention"]) == (True, "enforced")
    assert b["location"] == "US-CENTRAL1"


def test_bucket_accepts_only_objects_encrypted_with_the_platform_key(plan: Plan) -> None:
    assert bucket(plan, "prod-data")["encryption"] == {
        "defaultKmsKeyName": KEY,
        "googleManagedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
        "customerSuppliedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
    }


def test_bucket_keeps_deleted_objects_and_expires_old_versions(plan: Plan) -> None:
    b = bucket(plan, "prod-data")
    assert b["softDeletePolicy"] == {"retentionDurationSeconds": 7 * 86400}
    conditions = [(r["action"]["type"], r["condition"]) for r in b["lifecycleRules"]]
    assert conditions == [
        ("Delete", {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"}),
        ("Delete", {"numNewerVersions": 3, "withState": "ARCHIVED"}),
        ("AbortIncompleteMultipartUpload", {"age": 7}),
    ]


def test_prod_bucket_is_versioned_protected_retained_and_never_force_destroyed(plan: Plan) -> None:
    b = next(b for b in plan.of_type("gcp:storage/bucket:Bucket") if b.name == "prod-data")
    assert (b.inputs["versioning"], b.inputs["forceDestroy"]) == ({"enabled": True}, False)
    assert (b.protect, b.retain_on_delete) == (True, True)


def test_dev_bucket_is_unversioned_disposable_and_unprotected(plan: Plan) -> None:
    b = next(b for b in plan.of_type("gcp:storage/bucket:Bucket") if b.name == "dev-data")
    assert (b.inputs["versioning"], b.inputs["forceDestroy"]) == ({"enabled": False}, True)
    assert (b.protect, b.retain_on_delete) == (False, False)


# --- the README example -----------------------------------------------------------------------------------


def readme_example() -> str:
    readme = (Path(__file__).resolve().parents[2] / "components" / "gcp" / "README.md").read_text()
    [block] = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    return block


def test_readme_example_runs_and_builds_a_keyed_bucket_that_waits_for_its_key_grant() -> None:
    plan = record(
        lambda: exec(readme_example(), {}),
        config={"gcp:project": "acme-example", "gcp:region": "us-central1"},
    )
    bucket = plan.one("gcp:storage/bucket:Bucket")
    grant = plan.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    assert re.search(
        r"/cryptoKeys/example-keys-storage-[0-9a-f]{7}$", bucket.inputs["encryption"]["defaultKmsKeyName"]
    )
    by_urn = {r.urn: r for r in plan.run.resources}
    assert grant.urn in by_urn[bucket.urn].dependencies
