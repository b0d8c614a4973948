"""The GCP part as infra/ composes it from each stack file: what differs between dev and prod, and what never does."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.gpu import GPU_TAINT_KEY, GPU_TAINT_VALUE
from infra.gcp import build_gcp
from infra.settings import StackSettings, load_settings
from mlplat.engine.report import struct_to_dict
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT
from tests.plans import Plan, Seen, record

CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"
WORKBENCH = "gcp:workbench/instance:Instance"


def gcp_plan(stack: str) -> tuple[StackSettings, Plan]:
    config = load_stack_config(ROOT, stack)
    settings = load_settings(stack, config.config, config.secret_keys)
    assert settings.settings.gcp is not None
    gcp_settings = settings.settings.gcp
    tags = {
        "environment": stack,
        "owner": "ml-platform",
        "cost-center": "cc",
        "managed-by": "pulumi",
        "stack": stack,
    }
    gcp_config = {k: v for k, v in config.config.items() if k.startswith("gcp:")}
    return settings, record(lambda: build_gcp(settings, gcp_settings, tags), stack=stack, config=gcp_config)


@pytest.fixture(scope="module")
def dev() -> tuple[StackSettings, Plan]:
    return gcp_plan("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[StackSettings, Plan]:
    return gcp_plan("prod")


def gpu_pools(plan: Plan) -> list[Seen]:
    return [p for p in plan.of_type(NODE_POOL) if p.inputs["name"].startswith("gpu-")]


def outputs(plan: Plan) -> dict[str, Any]:
    assert plan.run.stack_outputs is not None
    return struct_to_dict(plan.run.stack_outputs)


def test_dev_cluster_is_zonal_to_stay_inside_the_free_management_credit(
    dev: tuple[StackSettings, Plan],
) -> None:
    settings, plan = dev
    assert plan.one(CLUSTER).inputs["location"] == f"{settings.providers.gcp_region}-a"


def test_prod_cluster_is_regional(prod: tuple[StackSettings, Plan]) -> None:
    settings, plan = prod
    assert plan.one(CLUSTER).inputs["location"] == settings.providers.gcp_region


def test_dev_gpu_pools_run_on_spot_and_prod_gpu_pools_on_demand(
    dev: tuple[StackSettings, Plan], prod: tuple[StackSettings, Plan]
) -> None:
    assert [p.inputs["nodeConfig"]["spot"] for p in gpu_pools(dev[1])] == [True]
    assert [p.inputs["nodeConfig"]["spot"] for p in gpu_pools(prod[1])] == [False, False]


def test_every_gpu_pool_comes_from_the_shared_pool_shape_and_scales_to_zero(
    prod: tuple[StackSettings, Plan],
) -> None:
    settings, plan = prod
    assert settings.settings.gcp is not None
    by_name = {p.inputs["name"]: p for p in gpu_pools(plan)}
    assert sorted(by_name) == sorted(f"gpu-{pool.name}" for pool in settings.settings.gcp.gpu_pools)
    a100 = by_name["gpu-a100"].inputs
    assert a100["nodeConfig"]["machineType"] == "a2-highgpu-1g"
    assert a100["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-tesla-a100"
    assert a100["nodeLocations"] == ["us-central1-a", "us-central1-b"]
    for pool in by_name.values():
        assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0
        assert pool.inputs["nodeConfig"]["taints"] == [
            {"key": GPU_TAINT_KEY, "value": GPU_TAINT_VALUE, "effect": "NO_SCHEDULE"}
        ]


def test_prod_protects_data_stores_and_the_cluster_and_dev_does_not(
    dev: tuple[StackSettings, Plan], prod: tuple[StackSettings, Plan]
) -> None:
    protected_types = (
        BUCKET,
        CLUSTER,
        WORKBENCH,
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:vertex/aiTensorboard:AiTensorboard",
        "gcp:vertex/aiMetadataStore:AiMetadataStore",
        "gcp:artifactregistry/repository:Repository",
    )
    for token in protected_types:
        assert prod[1].of_type(token) and all(r.protect for r in prod[1].of_type(token)), token
        assert not any(r.protect for r in dev[1].of_type(token)), token
    assert prod[1].one(CLUSTER).inputs["deletionProtection"] is True
    assert dev[1].one(CLUSTER).inputs["deletionProtection"] is False
    workbenches = prod[1].of_type(WORKBENCH)
    assert workbenches and all(w.inputs["enableDeletionProtection"] for w in workbenches)


def test_prod_buckets_are_versioned_and_never_force_destroyed_while_dev_buckets_are_disposable(
    dev: tuple[StackSettings, Plan], prod: tuple[StackSettings, Plan]
) -> None:
    dev_buckets = dev[1].of_type(BUCKET)
    assert [(b.inputs["versioning"]["enabled"], b.inputs["forceDestroy"]) for b in dev_buckets] == [
        (False, True)
    ]
    prod_buckets = prod[1].of_type(BUCKET)
    assert len(prod_buckets) == 2
    assert all(b.inputs["versioning"]["enabled"] and not b.inputs["forceDestroy"] for b in prod_buckets)
    assert all(b.retain_on_delete for b in prod_buckets)


def test_dev_api_is_public_behind_the_allow_list_and_prod_api_is_private(
    dev: tuple[StackSettings, Plan], prod: tuple[StackSettings, Plan]
) -> None:
    dev_cluster, prod_cluster = dev[1].one(CLUSTER).inputs, prod[1].one(CLUSTER).inputs
    assert dev_cluster["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert prod_cluster["privateClusterConfig"]["enablePrivateEndpoint"] is True
    dev_cidrs = [b["cidrBlock"] for b in dev_cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert dev_cidrs == ["203.0.113.0/24", "10.40.0.0/20"]
    for cluster in (dev_cluster, prod_cluster):
        blocks = cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"]
        assert not [b for b in blocks if b["cidrBlock"].endswith("/0")]


def test_prod_workbench_disables_downloads_and_idles_out_after_the_profile_timeout(
    dev: tuple[StackSettings, Plan], prod: tuple[StackSettings, Plan]
) -> None:
    dev_metadata = dev[1].one(WORKBENCH).inputs["gceSetup"]["metadata"]
    prod_metadata = prod[1].one(WORKBENCH).inputs["gceSetup"]["metadata"]
    assert dev_metadata == {"notebook-disable-root": "true", "idle-timeout-seconds": "3600"}
    assert prod_metadata == {
        "notebook-disable-root": "true",
        "idle-timeout-seconds": "7200",
        "notebook-disable-downloads": "true",
    }


def test_every_key_user_waits_for_the_apis_and_the_key_grants(prod: tuple[StackSettings, Plan]) -> None:
    _, plan = prod
    grants = {r.urn for r in plan.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    services = {r.urn for r in plan.of_type("gcp:projects/service:Service")}
    by_urn = {r.urn: r for r in plan.run.resources}
    for token in (BUCKET, CLUSTER, WORKBENCH, "gcp:pubsub/topic:Topic"):
        for resource in plan.of_type(token):
            deps = set(by_urn[resource.urn].dependencies)
            assert grants <= deps and services <= deps, resource.name


def test_budget_follows_the_per_cloud_share_or_the_stack_total(prod: tuple[StackSettings, Plan]) -> None:
    settings, plan = prod
    budget = plan.one("gcp:billing/budget:Budget").inputs
    expected = settings.settings.budget.per_cloud.get("gcp", settings.settings.budget.monthly_usd)
    assert budget["amount"]["specifiedAmount"] == {"currencyCode": "USD", "units": str(round(expected))}
    assert budget["budgetFilter"]["labels"] == {"environment": "prod"}


def test_stack_outputs_name_what_operators_need_and_keep_the_kubeconfig_secret(
    dev: tuple[StackSettings, Plan],
) -> None:
    out = outputs(dev[1])
    assert out["gcpKubeconfig"] == "[secret]"
    assert out["gcpNetworkName"] == "mlplat-dev-vpc"
    assert out["gcpSubnetName"] == "mlplat-dev-us-central1"
    assert out["gcpClusterName"] == "mlplat-dev"
    assert out["gcpGpuPools"] == {"t4": "gpu-t4"}
    assert out["gcpWorkbenchInstances"] == {"alice": "mlplat-dev-alice"}
    assert set(out["gcpBuckets"]) == {"data"}
    assert set(out["gcpVertex"]) == {"serviceAccount", "metadataStore", "tensorboard", "repository"}
    assert out["gcpClusterEndpoint"]


def test_one_rotated_key_per_purpose_each_usable_only_by_its_google_agent(
    dev: tuple[StackSettings, Plan],
) -> None:
    _, plan = dev
    keys = {k.inputs["labels"]["purpose"]: k for k in plan.of_type("gcp:kms/cryptoKey:CryptoKey")}
    assert sorted(keys) == ["disks", "gke-secrets", "pubsub", "storage", "vertex"]
    assert {k.inputs["rotationPeriod"] for k in keys.values()} == {"7776000s"}
    purpose_of = {k.urn: purpose for purpose, k in keys.items()}
    agents: dict[str, set[str]] = {}
    for grant in plan.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"):
        [key] = grant.property_dependencies["cryptoKeyId"]
        agents.setdefault(purpose_of[key], set()).add(grant.inputs["member"].split("@")[1].split(".")[0])
    assert agents == {
        "storage": {"gs-project-accounts", "gcp-sa-artifactregistry"},
        "vertex": {"gcp-sa-aiplatform"},
        "gke-secrets": {"container-engine-robot"},
        # Workbench encrypts its disks through the Notebooks agent too (Workbench CMEK docs).
        "disks": {"compute-system", "gcp-sa-notebooks"},
        "pubsub": {"gcp-sa-pubsub"},
    }
