"""GKE under mocks: a private, hardened cluster with CMEK secrets, and GPU pools that scale to zero behind
an explicit taint; zonal/spot/unprotected for dev, regional/on-demand/protected for prod."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from components.common.gpu import ACCELERATOR_LABEL, POOL_LABEL, GpuPoolSpec
from components.gcp import GkeCluster, GkeClusterArgs
from components.gcp.cluster import kubeconfig
from components.gcp.network import GKE_NODE_TAG
from tests.plans import Plan, Seen, record

PROJECT = "acme-mlplat-test"
CONFIG = {"gcp:project": PROJECT, "gcp:region": "us-central1"}
LABELS = {"environment": "dev", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "dev"}
RING = f"projects/{PROJECT}/locations/us-central1/keyRings/ring/cryptoKeys"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"

T4 = GpuPoolSpec(
    name="t4",
    accelerator="nvidia-t4",
    instance_type="n1-standard-4",
    gpus_per_node=1,
    vcpus=4,
    memory_gib=15,
    min_nodes=0,
    max_nodes=2,
    spot=True,
    disk_size_gb=100,
    driver_strategy="cloud-managed",
    labels={"team": "research"},
    accelerator_type="nvidia-tesla-t4",
)
A100_OPERATOR = replace(
    T4,
    name="a100",
    accelerator="nvidia-a100",
    instance_type="a2-highgpu-1g",
    accelerator_type="nvidia-tesla-a100",
    spot=False,
    max_nodes=4,
    driver_strategy="gpu-operator",
    zones=["us-central1-a", "us-central1-b"],
    labels={},
)
DEV = GkeClusterArgs(
    project=PROJECT,
    location="us-central1-a",
    cluster_name="mlplat-dev",
    node_service_account_id="mlplat-dev-gke-nodes",
    network_id=f"projects/{PROJECT}/global/networks/vpc",
    subnet_id=f"projects/{PROJECT}/regions/us-central1/subnetworks/subnet",
    pods_range_name="pods",
    services_range_name="services",
    master_cidr="172.16.0.0/28",
    private_endpoint=False,
    authorized_networks={"office": "203.0.113.0/24"},
    secrets_kms_key_name=f"{RING}/gke-secrets",
    disk_kms_key_name=f"{RING}/disks",
    labels=LABELS,
    deletion_protection=False,
    kubernetes_version="1.33",
    gpu_pools=[T4],
    image_repository=("us-central1", "mlplat-dev-images"),
)
PROD = replace(
    DEV, location="us-central1", private_endpoint=True, deletion_protection=True, gpu_pools=[A100_OPERATOR]
)


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {
        "dev": record(lambda: GkeCluster("gke", DEV), config=CONFIG),
        "prod": record(lambda: GkeCluster("gke", PROD), stack="prod", config=CONFIG),
    }


@pytest.fixture(scope="module")
def dev(plans: dict[str, Plan]) -> Plan:
    return plans["dev"]


@pytest.fixture(scope="module")
def prod(plans: dict[str, Plan]) -> Plan:
    return plans["prod"]


def cluster(plan: Plan) -> dict[str, Any]:
    return plan.one(CLUSTER).inputs


def pool(plan: Plan, name: str) -> Seen:
    return next(p for p in plan.of_type(NODE_POOL) if p.inputs["name"] == name)


# --- the cluster ------------------------------------------------------------------------------------------


def test_dev_cluster_is_zonal_and_prod_cluster_is_regional(dev: Plan, prod: Plan) -> None:
    assert cluster(dev)["location"] == "us-central1-a"
    assert cluster(prod)["location"] == "us-central1"


def test_nodes_are_private_and_the_api_is_public_only_behind_the_allow_list_in_dev(
    dev: Plan, prod: Plan
) -> None:
    assert cluster(dev)["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": False,
        "masterIpv4CidrBlock": "172.16.0.0/28",
    }
    assert cluster(prod)["privateClusterConfig"]["enablePrivateEndpoint"] is True
    assert cluster(dev)["masterAuthorizedNetworksConfig"] == {
        "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "office"}],
        "gcpPublicCidrsAccessEnabled": False,
    }
    # The IP endpoints stay private or allow-listed; the pipeline uses the IAM-authorized DNS endpoint.
    assert cluster(dev)["controlPlaneEndpointsConfig"] == {
        "dnsEndpointConfig": {"allowExternalTraffic": True}
    }


def test_an_allow_list_open_to_everyone_is_refused() -> None:
    with pytest.raises(ValueError, match="opens the API to everyone"):
        replace(DEV, authorized_networks={"anyone": "0.0.0.0/0"})


def test_secrets_are_encrypted_with_the_customer_key(dev: Plan) -> None:
    assert cluster(dev)["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": f"{RING}/gke-secrets"}


def test_cluster_uses_workload_identity_shielded_nodes_and_dataplane_v2(dev: Plan) -> None:
    c = cluster(dev)
    assert c["workloadIdentityConfig"] == {"workloadPool": f"{PROJECT}.svc.id.goog"}
    assert c["enableShieldedNodes"] is True
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["enableLegacyAbac"] is False
    assert c["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}


def test_cluster_follows_a_release_channel_and_reports_costs_and_control_plane_logs(dev: Plan) -> None:
    c = cluster(dev)
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["minMasterVersion"] == "1.33"
    assert c["costManagementConfig"] == {"enabled": True}
    assert {"SYSTEM_COMPONENTS", "APISERVER"} <= set(c["loggingConfig"]["enableComponents"])
    assert c["resourceLabels"] == LABELS


def test_default_node_pool_is_removed_and_never_runs_as_the_default_account(dev: Plan) -> None:
    c = cluster(dev)
    assert c["removeDefaultNodePool"] is True
    assert c["nodeConfig"]["serviceAccount"] == f"mlplat-dev-gke-nodes@{PROJECT}.iam.gserviceaccount.com"


def test_prod_cluster_has_deletion_protection_and_pulumi_protect_and_dev_has_neither(
    dev: Plan, prod: Plan
) -> None:
    assert (cluster(prod)["deletionProtection"], prod.one(CLUSTER).protect) == (True, True)
    assert (cluster(dev)["deletionProtection"], dev.one(CLUSTER).protect) == (False, False)


def test_nodes_run_as_a_dedicated_account_with_only_the_node_role_and_image_pull(dev: Plan) -> None:
    account = dev.one("gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == "mlplat-dev-gke-nodes"
    roles = [m.inputs["role"] for m in dev.of_type("gcp:projects/iAMMember:IAMMember")]
    assert roles == ["roles/container.defaultNodeServiceAccount"]
    pull = dev.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").inputs
    assert (pull["repository"], pull["role"]) == ("mlplat-dev-images", "roles/artifactregistry.reader")


# --- node pools -------------------------------------------------------------------------------------------


def test_every_pool_is_hardened_and_encrypts_its_boot_disks(dev: Plan, prod: Plan) -> None:
    for plan in (dev, prod):
        for p in plan.of_type(NODE_POOL):
            config = p.inputs["nodeConfig"]
            assert config["shieldedInstanceConfig"] == {
                "enableSecureBoot": True,
                "enableIntegrityMonitoring": True,
            }
            assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
            assert config["serviceAccount"] == f"mlplat-dev-gke-nodes@{PROJECT}.iam.gserviceaccount.com"
            assert config["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
            assert config["bootDiskKmsKey"] == f"{RING}/disks"
            assert config["tags"] == [GKE_NODE_TAG]
            assert config["resourceLabels"] == LABELS
            assert p.property_dependencies["cluster"] == [plan.one(CLUSTER).urn]


def test_system_pool_is_small_untainted_and_on_demand(dev: Plan) -> None:
    system = pool(dev, "system").inputs
    assert system["autoscaling"]["totalMinNodeCount"] == 1
    assert system["autoscaling"]["totalMaxNodeCount"] == 3
    assert system["nodeConfig"]["spot"] is False
    assert "taints" not in system["nodeConfig"]
    assert "guestAccelerators" not in system["nodeConfig"]


def test_gpu_pool_has_its_accelerator_and_lets_gke_install_the_driver(dev: Plan) -> None:
    config = pool(dev, "gpu-t4").inputs["nodeConfig"]
    assert config["machineType"] == "n1-standard-4"
    assert config["guestAccelerators"] == [
        {
            "type": "nvidia-tesla-t4",
            "count": 1,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
        }
    ]


def test_gpu_pool_carries_an_explicit_nvidia_taint_so_plans_show_no_perpetual_diff(dev: Plan) -> None:
    assert pool(dev, "gpu-t4").inputs["nodeConfig"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]


def test_gpu_pool_scales_to_zero_anywhere_in_its_zones_up_to_its_maximum(dev: Plan) -> None:
    p = pool(dev, "gpu-t4").inputs
    assert p["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert p["initialNodeCount"] == 0
    assert p["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_dev_gpu_pool_runs_on_spot_and_prod_gpu_pool_on_demand(dev: Plan, prod: Plan) -> None:
    assert pool(dev, "gpu-t4").inputs["nodeConfig"]["spot"] is True
    assert pool(prod, "gpu-a100").inputs["nodeConfig"]["spot"] is False


def test_gpu_pool_labels_name_the_pool_and_accelerator_and_keep_the_users(dev: Plan) -> None:
    assert pool(dev, "gpu-t4").inputs["nodeConfig"]["labels"] == {
        "team": "research",
        POOL_LABEL: "t4",
        ACCELERATOR_LABEL: "nvidia-t4",
    }


def test_gpu_operator_pool_disables_gke_drivers_and_device_plugin_and_pins_its_zones(prod: Plan) -> None:
    p = pool(prod, "gpu-a100").inputs
    accelerator = p["nodeConfig"]["guestAccelerators"][0]
    assert accelerator["gpuDriverInstallationConfig"] == {"gpuDriverVersion": "INSTALLATION_DISABLED"}
    assert p["nodeConfig"]["labels"]["gke-no-default-nvidia-gpu-device-plugin"] == "true"
    assert p["nodeLocations"] == ["us-central1-a", "us-central1-b"]


def test_gpu_pools_upgrade_without_surge_nodes_that_would_need_extra_gpu_quota(dev: Plan) -> None:
    assert pool(dev, "gpu-t4").inputs["upgradeSettings"] == {
        "strategy": "SURGE",
        "maxSurge": 0,
        "maxUnavailable": 1,
    }


# --- kubeconfig -------------------------------------------------------------------------------------------


def test_kubeconfig_authenticates_with_the_gke_auth_plugin_and_holds_no_static_credential() -> None:
    config = json.loads(kubeconfig("mlplat-dev", "gke-0123-456.us-central1.gke.goog"))
    # The DNS endpoint presents a publicly trusted certificate, so nothing is pinned (GKE network isolation docs).
    assert config["clusters"][0]["cluster"] == {"server": "https://gke-0123-456.us-central1.gke.goog"}
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert config["current-context"] == "mlplat-dev"
