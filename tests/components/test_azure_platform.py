"""infra/azure.py from the repository's stack files: the profile maps onto the components, outputs are exported."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format

from components.common.naming import validate_physical_name
from components.common.tags import platform_tags
from infra.azure import _unique_names, build_azure
from infra.settings import StackSettings, load_settings
from mlplat.engine.program import run_in_mock_engine
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT, stack_document
from tests.plans import Plan, record
from tests.reliability.stackfiles import settings_of, stack_config

STORAGE = "azure-native:storage:StorageAccount"
VAULT = "azure-native:keyvault:Vault"
CLUSTER = "azure-native:containerservice:ManagedCluster"


def settings(stack: str) -> tuple[StackSettings, dict[str, str]]:
    config = load_stack_config(ROOT, stack)
    return load_settings(stack, config.config, config.secret_keys), dict(config.config)


def build(stack: str, document: dict[str, Any] | None = None) -> tuple[Plan, dict[str, Any]]:
    if document is None:
        loaded, config = settings(stack)
    else:
        config = dict(stack_config(stack, document).config)
        loaded = settings_of(stack, document)
    s = loaded.settings
    assert s.azure is not None
    tags = platform_tags(environment=s.environment, owner=s.owner, cost_center=s.cost_center, stack=stack)
    azure = s.azure

    def program() -> None:
        # As infra/platform_stack.py does: the cluster stack's handoff is exported under kubernetesClusters.
        handoff = build_azure(loaded, azure, tags)
        if handoff is not None:
            pulumi.export("kubernetesClusters", {"azure": handoff})

    plan = Plan(run_in_mock_engine(program, stack=stack, config=config))
    outputs = json_format.MessageToDict(plan.run.stack_outputs) if plan.run.stack_outputs else {}
    return plan, outputs


@pytest.fixture(scope="module")
def dev() -> tuple[Plan, dict[str, Any]]:
    return build("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[Plan, dict[str, Any]]:
    return build("prod")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_exports_what_operators_and_later_stacks_need(
    stack: str, request: pytest.FixtureRequest
) -> None:
    _, outputs = request.getfixturevalue(stack)
    assert {
        "azureResourceGroup",
        "azureVnetId",
        "azureSubnetIds",
        "azureStorageAccount",
        "azureKeyVault",
        "azureWorkspaceName",
        "azureClusterName",
        "azureGpuPools",
        "kubernetesClusters",
    } <= set(outputs)
    assert outputs["azureResourceGroup"] == f"rg-mlplat-{stack}"
    assert {"aks", "compute", "endpoints"} <= set(outputs["azureSubnetIds"])
    # The cluster stack finds its cluster here; reading its credentials needs more than the previewer's
    # Reader (listClusterUserCredential), so the platform exports no kubeconfig.
    assert "azureKubeconfig" not in outputs
    handoff = outputs["kubernetesClusters"]["azure"]
    assert (handoff["clusterName"], handoff["resourceGroup"]) == (f"aks-mlplat-{stack}", f"rg-mlplat-{stack}")


def test_gpu_pool_outputs_follow_the_stack_files(
    dev: tuple[Plan, dict[str, Any]], prod: tuple[Plan, dict[str, Any]]
) -> None:
    assert dev[1]["azureGpuPools"] == ["gput4"]
    assert prod[1]["azureGpuPools"] == ["gpua10", "gpua100"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_physical_names_fit_azure_limits(stack: str, request: pytest.FixtureRequest) -> None:
    plan, _ = request.getfixturevalue(stack)
    checks = {
        STORAGE: ("accountName", "azure-storage-account"),
        VAULT: ("vaultName", "azure-key-vault"),
        "azure-native:containerregistry:Registry": ("registryName", "azure-container-registry"),
        CLUSTER: ("resourceName", "azure-aks-cluster"),
        "azure-native:containerservice:AgentPool": ("agentPoolName", "azure-agent-pool"),
        "azure-native:machinelearningservices:Workspace": ("workspaceName", "azure-ml-workspace"),
        "azure-native:machinelearningservices:Compute": ("computeName", "azure-ml-compute"),
        "azure-native:resources:ResourceGroup": ("resourceGroupName", "azure-resource-group"),
    }
    for token, (key, kind) in checks.items():
        found = plan.of_type(token)
        assert found, token
        for r in found:
            assert validate_physical_name(kind, r.inputs[key]), (token, r.inputs[key])
    assert re.fullmatch(r"st[a-z0-9]{3,22}", plan.one(STORAGE).inputs["accountName"])


def test_globally_unique_names_are_stable_and_differ_per_subscription() -> None:
    seen: list[str] = []

    def body() -> None:
        for subscription in ("sub-a", "sub-a", "sub-b"):
            unique = _unique_names(pulumi.Output.from_input(subscription), "rg-mlplat-prod")
            unique("azure-storage-account", "st", "mlplat", "production-with-a-long-name").apply(seen.append)

    record(body)
    assert seen[0] == seen[1] != seen[2]
    assert all(len(name) <= 24 and name.isalnum() for name in seen)


def test_prod_protects_its_data_and_dev_does_not(
    dev: tuple[Plan, dict[str, Any]], prod: tuple[Plan, dict[str, Any]]
) -> None:
    for token in (STORAGE, VAULT, CLUSTER, "azure-native:resources:ResourceGroup"):
        assert prod[0].one(token).protect, token
        assert not dev[0].one(token).protect, token
    assert len(prod[0].of_type("azure-native:authorization:ManagementLockByScope")) == 2


def test_prod_closes_public_endpoints_and_encrypts_etcd_while_dev_stays_reachable(
    dev: tuple[Plan, dict[str, Any]], prod: tuple[Plan, dict[str, Any]]
) -> None:
    p, d = prod[0], dev[0]
    assert p.one(STORAGE).inputs["publicNetworkAccess"] == "Disabled"
    assert p.one(VAULT).inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert p.one(CLUSTER).inputs["securityProfile"]["azureKeyVaultKms"]["enabled"] is True
    assert p.one(CLUSTER).inputs["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert d.one(STORAGE).inputs["publicNetworkAccess"] == "Enabled"
    assert "azureKeyVaultKms" not in d.one(CLUSTER).inputs["securityProfile"]


def test_a_public_prod_cluster_keeps_etcd_encrypted_through_vnet_integration() -> None:
    document = stack_document("prod")
    document["config"]["mlplat:azure"]["kubernetes"].update(
        privateEndpoint=False, publicAccessCidrs=["203.0.113.0/24"]
    )
    cluster = build("prod", document)[0].one(CLUSTER).inputs
    assert cluster["securityProfile"]["azureKeyVaultKms"]["enabled"] is True
    access = cluster["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is False and access["enableVnetIntegration"] is True
    assert access["subnetId"].endswith("/subnets/snet-apiserver")
    assert access["authorizedIPRanges"] == ["203.0.113.0/24"]  # nodes reach the API inside the VNet


def test_dev_cluster_allow_list_adds_the_nat_egress_address_to_the_settings(
    dev: tuple[Plan, dict[str, Any]],
) -> None:
    plan, outputs = dev
    ranges = plan.one(CLUSTER).inputs["apiServerAccessProfile"]["authorizedIPRanges"]
    assert ranges == ["203.0.113.0/24", f"{outputs['azureEgressIp']}/32"]


def test_zone_count_drives_storage_redundancy_and_system_pool_zones(
    dev: tuple[Plan, dict[str, Any]], prod: tuple[Plan, dict[str, Any]]
) -> None:
    assert prod[0].one(STORAGE).inputs["sku"] == {"name": "Standard_ZRS"}
    assert dev[0].one(STORAGE).inputs["sku"] == {"name": "Standard_LRS"}
    assert prod[0].one(CLUSTER).inputs["agentPoolProfiles"][0]["availabilityZones"] == ["1", "2", "3"]


def test_budget_watches_the_resource_group_with_the_azure_share_and_start_date(
    prod: tuple[Plan, dict[str, Any]],
) -> None:
    plan = prod[0]
    budget = plan.one("azure-native:consumption:Budget")
    assert plan.one("azure-native:resources:ResourceGroup").urn in budget.property_dependencies["scope"]
    assert budget.inputs["amount"] == 14000  # mlplat:budget.perCloud.azure in Pulumi.prod.yaml
    # Consumption API: a new budget starts no earlier than the current month; the stack pins none.
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    assert budget.inputs["timePeriod"]["startDate"] == f"{this_month.isoformat()}T00:00:00Z"


def test_the_readme_example_runs() -> None:
    readme = (ROOT / "components" / "azure" / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    tags = {"environment": "dev", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "dev"}
    plan = record(
        lambda: exec(code.group(1), {"tags": tags, "subscription": "00000000-0000-4000-8000-000000000000"}),
        config={"azure-native:location": "eastus"},
    )
    assert len(plan.of_type(STORAGE)) == 1
    assert len(plan.of_type("azure-native:network:PrivateEndpoint")) == 2
