"""Azure ML: a managed-network workspace with identity storage access, a scale-to-zero cluster, personal instances."""

from __future__ import annotations

import pytest

from components.azure import ComputeCluster, ComputeInstanceUser, MlWorkspace, MlWorkspaceArgs, PrivateLink
from tests.components.provider_facts import AZURE_PRIVATE_DNS_ZONES as PRIVATE_DNS_ZONES
from tests.plans import Plan, Seen, record

TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
CONFIG = {"azure-native:location": "eastus"}
TENANT = "7d2c1f0e-3b4a-4c5d-8e6f-0a1b2c3d4e5f"
ALICE = "4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31"
BOB = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
LINK = PrivateLink(
    subnet_id="/subnets/snet-endpoints",
    dns_zone_ids={kind: f"/zones/{zone}" for kind, zone in PRIVATE_DNS_ZONES.items()},
)
LINKED = {
    "storageAccount": "/storageAccounts/st",
    "keyVault": "/vaults/kv",
    "applicationInsights": "/components/appi",
    "containerRegistry": "/registries/cr",
}
WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"


def workspace(*, prod: bool) -> MlWorkspace:
    return MlWorkspace(
        "ml",
        MlWorkspaceArgs(
            resource_group_name="rg-ml",
            location="eastus",
            workspace_name="mlw-ml",
            tenant_id=TENANT,
            tags=TAGS,
            storage_account_id=LINKED["storageAccount"],
            key_vault_id=LINKED["keyVault"],
            app_insights_id=LINKED["applicationInsights"],
            container_registry_id=LINKED["containerRegistry"],
            isolation_mode="AllowOnlyApprovedOutbound" if prod else "AllowInternetOutbound",
            public_network_access=not prod,
            private_link=LINK if prod else None,
            cluster=ComputeCluster(
                compute_name="cpu-cluster",
                vm_size="Standard_DS3_v2",
                max_nodes=8 if prod else 2,
                low_priority=not prod,
            ),
            instances=[
                ComputeInstanceUser(user="alice", compute_name="ci-alice-abc123", object_id=ALICE),
                ComputeInstanceUser(user="bob", compute_name="ci-bob-abc123", object_id=BOB),
            ],
            idle_shutdown_minutes=120 if prod else 60,
            log_analytics_workspace_id="/workspaces/log",
            deletion_protection=prod,
        ),
    )


@pytest.fixture(scope="module")
def prod() -> Plan:
    return record(lambda: workspace(prod=True), stack="prod", config=CONFIG)


@pytest.fixture(scope="module")
def dev() -> Plan:
    return record(lambda: workspace(prod=False), stack="dev", config=CONFIG)


def compute(plan: Plan, kind: str) -> list[Seen]:
    return [c for c in plan.of_type(COMPUTE) if c.inputs["properties"]["computeType"] == kind]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workspace_has_a_system_identity_and_its_linked_services(
    stack: str, request: pytest.FixtureRequest
) -> None:
    inputs = request.getfixturevalue(stack).one(WORKSPACE).inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert {k: inputs[k] for k in LINKED} == LINKED
    assert inputs["v1LegacyMode"] is False


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workspace_reaches_its_storage_with_its_identity_not_account_keys(
    stack: str, request: pytest.FixtureRequest
) -> None:
    inputs = request.getfixturevalue(stack).one(WORKSPACE).inputs
    assert inputs["systemDatastoresAuthMode"] == "Identity"
    assert inputs["serverlessComputeSettings"] == {"serverlessComputeNoPublicIP": True}


def test_prod_workspace_is_private_and_allows_only_approved_outbound(prod: Plan) -> None:
    inputs = prod.one(WORKSPACE).inputs
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["allowPublicAccessWhenBehindVnet"] is False
    assert inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"


def test_dev_workspace_is_public_with_internet_outbound_in_its_managed_network(dev: Plan) -> None:
    inputs = dev.one(WORKSPACE).inputs
    assert inputs["publicNetworkAccess"] == "Enabled"
    assert inputs["managedNetwork"]["isolationMode"] == "AllowInternetOutbound"
    assert dev.of_type("azure-native:network:PrivateEndpoint") == []


def test_prod_workspace_private_endpoint_registers_in_both_azure_ml_zones(prod: Plan) -> None:
    endpoint = prod.one("azure-native:network:PrivateEndpoint")
    assert prod.one(WORKSPACE).urn in endpoint.property_dependencies["privateLinkServiceConnections"]
    assert endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["amlworkspace"]
    group = prod.one("azure-native:network:PrivateDnsZoneGroup")
    assert [z["privateDnsZoneId"] for z in group.inputs["privateDnsZoneConfigs"]] == [
        "/zones/privatelink.api.azureml.ms",
        "/zones/privatelink.notebooks.azure.net",
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_compute_cluster_scales_from_zero_without_public_ips_or_local_auth(
    stack: str, request: pytest.FixtureRequest
) -> None:
    (cluster,) = compute(request.getfixturevalue(stack), "AmlCompute")
    assert cluster.inputs["properties"]["disableLocalAuth"] is True
    props = cluster.inputs["properties"]["properties"]
    assert props["scaleSettings"]["minNodeCount"] == 0
    assert props["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] == "PT15M"
    assert props["enableNodePublicIp"] is False
    assert props["remoteLoginPortPublicAccess"] == "Disabled"
    assert cluster.inputs["identity"] == {"type": "SystemAssigned"}


def test_compute_cluster_is_low_priority_in_dev_and_dedicated_in_prod(prod: Plan, dev: Plan) -> None:
    (prod_cluster,) = compute(prod, "AmlCompute")
    (dev_cluster,) = compute(dev, "AmlCompute")
    assert prod_cluster.inputs["properties"]["properties"]["vmPriority"] == "Dedicated"
    assert prod_cluster.inputs["properties"]["properties"]["scaleSettings"]["maxNodeCount"] == 8
    assert dev_cluster.inputs["properties"]["properties"]["vmPriority"] == "LowPriority"
    assert dev_cluster.inputs["properties"]["properties"]["scaleSettings"]["maxNodeCount"] == 2


def test_compute_cluster_builds_environment_images_for_the_workspace(prod: Plan) -> None:
    assert prod.one(WORKSPACE).inputs["imageBuildCompute"] == "cpu-cluster"


def test_each_user_gets_a_personal_instance_that_shuts_down_when_idle(prod: Plan, dev: Plan) -> None:
    instances = {c.inputs["computeName"]: c.inputs["properties"] for c in compute(prod, "ComputeInstance")}
    assert set(instances) == {"ci-alice-abc123", "ci-bob-abc123"}
    for props in instances.values():
        assert props["disableLocalAuth"] is True
        inner = props["properties"]
        assert inner["enableNodePublicIp"] is False
        assert inner["sshSettings"] == {"sshPublicAccess": "Disabled"}
        assert inner["idleTimeBeforeShutdown"] == "PT120M"
        assert inner["computeInstanceAuthorizationType"] == "personal"
    owners = {
        name: props["properties"]["personalComputeInstanceSettings"]["assignedUser"]
        for name, props in instances.items()
    }
    assert owners["ci-alice-abc123"] == {"objectId": ALICE, "tenantId": TENANT}
    assert owners["ci-bob-abc123"]["objectId"] == BOB
    dev_idle = {
        c.inputs["properties"]["properties"]["idleTimeBeforeShutdown"]
        for c in compute(dev, "ComputeInstance")
    }
    assert dev_idle == {"PT60M"}


def test_workspace_audit_logs_go_to_log_analytics(prod: Plan) -> None:
    setting = prod.one("azure-native:monitor:DiagnosticSetting")
    assert prod.one(WORKSPACE).urn in setting.property_dependencies["resourceUri"]


def test_prod_workspace_is_protected_and_dev_is_not(prod: Plan, dev: Plan) -> None:
    assert prod.one(WORKSPACE).protect
    assert not dev.one(WORKSPACE).protect
