"""AKS: Entra-only, private in prod, allow-listed in dev, KMS in prod, GPU pools tainted and scaling from zero."""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
import pytest
from google.protobuf import json_format
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

from components.azure import AksCluster, AksClusterArgs, CustomerManagedKey, SystemPool
from components.azure.cluster import gpu_agent_pool_name, non_interactive_kubeconfig, user_kubeconfig
from components.common.gpu import ACCELERATOR_LABEL, POOL_LABEL, GpuPoolSpec
from components.common.naming import validate_physical_name
from tests.components.provider_facts import AZURE_BUILT_IN_ROLES as ROLES
from tests.plans import Plan, Seen, record

GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"
# What AKS puts on every Spot node (learn.microsoft.com/azure/aks/spot-node-pool).
SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
TAGS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
CONFIG = {"azure-native:location": "eastus"}
TENANT = "7d2c1f0e-3b4a-4c5d-8e6f-0a1b2c3d4e5f"
ADMINS = "9f3a7c52-1e84-4b6d-b0c9-5d2e8f1a4b67"
DEPLOYER = "5f0c6d1e-2b3a-4c8d-9e7f-1a2b3c4d5e6f"  # the mlplat-prod-aks-deployer service principal
VAULT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
KEY = CustomerManagedKey(
    vault_id=VAULT_ID,
    vault_uri="https://kv.vault.azure.net/",
    key_id=f"{VAULT_ID}/keys/etcd-cmk",
    key_name="etcd-cmk",
    key_uri_with_version="https://kv.vault.azure.net/keys/etcd-cmk/0123456789abcdef",
)
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
ROLE = "azure-native:authorization:RoleAssignment"


def pool(name: str, **changes: object) -> GpuPoolSpec:
    spec = GpuPoolSpec(
        name=name,
        accelerator="nvidia-t4",
        instance_type="Standard_NC4as_T4_v3",
        gpus_per_node=1,
        vcpus=4,
        memory_gib=28,
        min_nodes=0,
        max_nodes=2,
        spot=False,
        disk_size_gb=100,
        driver_strategy="cloud-managed",
        labels={"team": "research"},
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


BASE = AksClusterArgs(
    resource_group_name="rg-ml",
    location="eastus",
    cluster_name="aks-ml",
    kubernetes_version="1.33",
    tenant_id=TENANT,
    subscription_id="00000000-0000-4000-8000-000000000000",
    vnet_id="/virtualNetworks/vnet-ml",
    node_subnet_id="/subnets/snet-aks",
    tags=TAGS,
    admin_group_object_ids=[ADMINS],
    deployer_object_id=DEPLOYER,
    registry_id="/registries/cr",
    log_analytics_workspace_id="/workspaces/log",
)
PROD = replace(
    BASE,
    tier="Standard",
    private_cluster=True,
    api_server_subnet_id="/subnets/snet-apiserver",
    system_pool=SystemPool(zones=["1", "2", "3"]),
    gpu_pools=[
        pool("a100", instance_type="Standard_ND96asr_v4", gpus_per_node=8, driver_strategy="gpu-operator"),
        pool("a10", accelerator="nvidia-a10", instance_type="Standard_NV36ads_A10_v5", max_nodes=4),
    ],
    etcd_encryption_key=KEY,
    deletion_protection=True,
)
DEV = replace(
    BASE,
    tier="Free",
    private_cluster=False,
    authorized_ip_ranges=["203.0.113.0/24"],
    gpu_pools=[pool("t4", spot=True)],
)


@pytest.fixture(scope="module")
def prod() -> tuple[Plan, list[str]]:
    kubeconfigs: list[str] = []

    def body() -> None:
        cluster = AksCluster("aks", PROD)
        # The cluster stack reads the credentials (infra/clusters.py); the platform never does.
        kubeconfig = user_kubeconfig("rg-ml", cluster.cluster_name)
        kubeconfig.apply(kubeconfigs.append)
        pulumi.export("kubeconfig", kubeconfig)

    return record(body, stack="prod", config=CONFIG), kubeconfigs


@pytest.fixture(scope="module")
def dev() -> Plan:
    return record(lambda: AksCluster("aks", DEV), stack="dev", config=CONFIG)


def cluster_of(plan: Plan | tuple[Plan, list[str]]) -> Seen:
    return (plan[0] if isinstance(plan, tuple) else plan).one(CLUSTER)


def pools(plan: Plan) -> dict[str, Seen]:
    return {p.inputs["agentPoolName"]: p for p in plan.of_type(POOL)}


def test_tier_is_free_in_dev_and_standard_in_prod(prod: tuple[Plan, list[str]], dev: Plan) -> None:
    assert cluster_of(prod).inputs["sku"] == {"name": "Base", "tier": "Standard"}
    assert cluster_of(dev).inputs["sku"] == {"name": "Base", "tier": "Free"}


def test_prod_api_server_is_private_behind_vnet_integration(prod: tuple[Plan, list[str]]) -> None:
    access = cluster_of(prod).inputs["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is True
    assert access["enablePrivateClusterPublicFQDN"] is False
    assert (access["enableVnetIntegration"], access["subnetId"]) == (True, "/subnets/snet-apiserver")
    assert "authorizedIPRanges" not in access


def test_dev_api_server_is_public_only_to_the_allow_list(dev: Plan) -> None:
    access = cluster_of(dev).inputs["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is False
    assert access["authorizedIPRanges"] == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("ranges", "message"),
    [([], "needs authorized_ip_ranges"), (["0.0.0.0/0"], "whole internet")],
    ids=["no-allow-list", "open-to-all"],
)
def test_a_public_api_server_is_never_open_to_all(ranges: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record(lambda: AksCluster("aks", replace(DEV, authorized_ip_ranges=ranges)), config=CONFIG)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_entra_id_with_azure_rbac_replaces_local_accounts(stack: str, request: pytest.FixtureRequest) -> None:
    inputs = cluster_of(request.getfixturevalue(stack)).inputs
    assert inputs["disableLocalAccounts"] is True
    assert inputs["enableRBAC"] is True
    assert inputs["aadProfile"] == {
        "managed": True,
        "enableAzureRBAC": True,
        "tenantID": TENANT,
        "adminGroupObjectIDs": [ADMINS],
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workload_identity_and_the_oidc_issuer_are_on(stack: str, request: pytest.FixtureRequest) -> None:
    inputs = cluster_of(request.getfixturevalue(stack)).inputs
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_networking_is_azure_cni_overlay_with_a_network_policy_and_nat_egress(dev: Plan) -> None:
    network = cluster_of(dev).inputs["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    assert (network["networkPolicy"], network["networkDataplane"]) == ("cilium", "cilium")
    assert network["outboundType"] == "userAssignedNATGateway"
    assert (network["podCidr"], network["serviceCidr"], network["dnsServiceIP"]) == (
        "10.244.0.0/16",
        "10.0.0.0/16",
        "10.0.0.10",
    )


def test_upgrades_follow_the_patch_and_node_image_channels(dev: Plan) -> None:
    assert cluster_of(dev).inputs["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }


def test_prod_encrypts_etcd_with_the_key_vault_key_over_the_private_network(
    prod: tuple[Plan, list[str]],
) -> None:
    kms = cluster_of(prod).inputs["securityProfile"]["azureKeyVaultKms"]
    assert kms == {
        "enabled": True,
        "keyId": KEY.key_uri_with_version,
        "keyVaultNetworkAccess": "Private",
        "keyVaultResourceId": VAULT_ID,
    }


def test_dev_has_no_etcd_encryption_and_etcd_encryption_needs_vnet_integration(dev: Plan) -> None:
    assert "azureKeyVaultKms" not in cluster_of(dev).inputs["securityProfile"]
    with pytest.raises(ValueError, match="needs api_server_subnet_id"):
        record(lambda: AksCluster("aks", replace(PROD, api_server_subnet_id=None)), config=CONFIG)


def test_control_plane_identity_is_granted_network_and_key_access_before_the_cluster(
    prod: tuple[Plan, list[str]],
) -> None:
    plan = prod[0]
    identity = plan.one("azure-native:managedidentity:UserAssignedIdentity")
    cluster = cluster_of(prod)
    assert cluster.inputs["identity"]["type"] == "UserAssigned"
    assert identity.urn in cluster.property_dependencies["identity"]
    grants = {
        g.inputs["roleDefinitionId"].rsplit("/", 1)[1]: g
        for g in plan.of_type(ROLE)
        if identity.urn in g.property_dependencies["principalId"]
    }
    assert grants[ROLES["Network Contributor"]].inputs["scope"] == "/virtualNetworks/vnet-ml"
    assert grants[ROLES["Key Vault Crypto User"]].inputs["scope"] == VAULT_ID
    assert grants[ROLES["Key Vault Contributor"]].inputs["scope"] == VAULT_ID
    recorded = next(r for r in plan.run.resources if r.urn == cluster.urn)
    assert {g.urn for g in grants.values()} <= set(recorded.dependencies)


def test_nodes_pull_from_the_registry_with_the_kubelet_identity(dev: Plan) -> None:
    (pull,) = [g for g in dev.of_type(ROLE) if g.inputs["roleDefinitionId"].endswith(ROLES["AcrPull"])]
    assert pull.inputs["scope"] == "/registries/cr"
    assert cluster_of(dev).urn in pull.property_dependencies["principalId"]


def test_control_plane_audit_logs_go_to_log_analytics(dev: Plan) -> None:
    setting = dev.one("azure-native:monitor:DiagnosticSetting")
    assert cluster_of(dev).urn in setting.property_dependencies["resourceUri"]
    assert [log["category"] for log in setting.inputs["logs"]] == ["kube-audit-admin", "guard"]


def test_system_pool_runs_the_add_on_controllers_across_zones(prod: tuple[Plan, list[str]]) -> None:
    (system,) = cluster_of(prod).inputs["agentPoolProfiles"]
    assert (system["name"], system["mode"]) == ("system", "System")
    # No CriticalAddonsOnly taint: Kueue's and the GPU operator's controllers tolerate none, and a
    # separate always-on pool for them would cost a node.
    assert "nodeTaints" not in system
    assert system["availabilityZones"] == ["1", "2", "3"]
    assert (system["enableAutoScaling"], system["minCount"], system["maxCount"]) == (True, 1, 3)
    assert system["enableNodePublicIP"] is False
    assert system["vnetSubnetID"] == "/subnets/snet-aks"


def test_each_gpu_pool_is_a_user_agent_pool_sized_from_the_catalog(prod: tuple[Plan, list[str]]) -> None:
    found = pools(prod[0])
    assert set(found) == {"gpua100", "gpua10"}
    assert found["gpua100"].inputs["vmSize"] == "Standard_ND96asr_v4"
    assert found["gpua10"].inputs["vmSize"] == "Standard_NV36ads_A10_v5"
    for p in found.values():
        assert p.inputs["mode"] == "User"
        assert cluster_of(prod).urn in p.property_dependencies["resourceName"]
        assert validate_physical_name("azure-agent-pool", p.inputs["agentPoolName"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_gpu_pools_autoscale_from_zero_and_are_tainted_for_gpu_workloads_only(
    stack: str, request: pytest.FixtureRequest
) -> None:
    plan = request.getfixturevalue(stack)
    found = pools(plan[0] if isinstance(plan, tuple) else plan)
    assert found
    for p in found.values():
        assert (p.inputs["enableAutoScaling"], p.inputs["minCount"], p.inputs["count"]) == (True, 0, 0)
        assert p.inputs["maxCount"] >= 1
        assert GPU_TAINT in p.inputs["nodeTaints"]
        assert p.inputs["nodeLabels"][POOL_LABEL] == p.inputs["tags"]["gpu-pool"]
        assert ACCELERATOR_LABEL in p.inputs["nodeLabels"] and p.inputs["nodeLabels"]["team"] == "research"
        assert p.inputs["enableNodePublicIP"] is False
        assert p.inputs["scaleDownMode"] == "Delete"


def test_dev_gpu_pool_runs_on_spot_evicted_with_delete_at_the_on_demand_price_cap(dev: Plan) -> None:
    t4 = pools(dev)["gput4"].inputs
    assert (t4["scaleSetPriority"], t4["scaleSetEvictionPolicy"], t4["spotMaxPrice"]) == (
        "Spot",
        "Delete",
        -1,
    )
    assert t4["nodeTaints"] == [GPU_TAINT, SPOT_TAINT]


def test_prod_gpu_pools_run_on_demand(prod: tuple[Plan, list[str]]) -> None:
    for p in pools(prod[0]).values():
        assert p.inputs["scaleSetPriority"] == "Regular"
        assert "scaleSetEvictionPolicy" not in p.inputs and "spotMaxPrice" not in p.inputs
        assert SPOT_TAINT not in p.inputs["nodeTaints"]


def test_gpu_driver_is_left_to_the_gpu_operator_when_the_pool_says_so(prod: tuple[Plan, list[str]]) -> None:
    found = pools(prod[0])
    assert found["gpua100"].inputs["gpuProfile"] == {"driver": "None"}
    assert found["gpua10"].inputs["gpuProfile"] == {"driver": "Install"}


def test_gpu_pool_names_fit_aks_limits() -> None:
    assert gpu_agent_pool_name("t4") == "gput4"
    long = gpu_agent_pool_name("research-a100-large")
    assert len(long) <= 12 and long.isalnum() and long[0].isalpha()


def test_kubeconfig_is_a_secret_user_config_that_signs_in_with_entra_id(prod: tuple[Plan, list[str]]) -> None:
    (kubeconfig,) = prod[1]
    config = json.loads(kubeconfig)
    assert "aks-ml" in kubeconfig and "client-key-data" not in kubeconfig
    # AKS answers with `--login devicecode` (waits for a human); the pipeline needs the `az login` token.
    # kubelogin's workloadidentity mode takes only the server application; the rest comes from the environment.
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert user["user"]["exec"]["args"] == [
        "get-token",
        "--login",
        "workloadidentity",
        "--server-id",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]
    outputs = prod[0].run.stack_outputs
    assert outputs is not None
    exported = json_format.MessageToDict(outputs)["kubeconfig"]
    assert exported[SPECIAL_SIG_KEY] == SPECIAL_SECRET_SIG


def test_the_cluster_stacks_deployer_is_cluster_admin_through_azure_rbac(
    prod: tuple[Plan, list[str]],
) -> None:
    # Built-in role "Azure Kubernetes Service RBAC Cluster Admin" (Azure built-in roles reference).
    admin = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
    plan = prod[0]
    grants = [
        g
        for g in plan.of_type(ROLE)
        if str(g.inputs["roleDefinitionId"]).endswith(f"/roleDefinitions/{admin}")
    ]
    assert len(grants) == 1
    assert grants[0].property_dependencies["scope"] == [cluster_of(prod).urn]
    # The principal named in the arguments, never the caller (getClientConfig answers another id).
    assert grants[0].inputs["principalId"] == DEPLOYER


def test_non_interactive_kubeconfig_refuses_a_kubelogin_user_without_a_server_id() -> None:
    config = "users:\n- name: u\n  user:\n    exec:\n      command: kubelogin\n      args: [get-token]\n"
    with pytest.raises(ValueError, match="without --server-id"):
        non_interactive_kubeconfig(config)


def test_prod_cluster_is_protected_and_dev_cluster_is_not(prod: tuple[Plan, list[str]], dev: Plan) -> None:
    assert cluster_of(prod).protect
    assert not cluster_of(dev).protect


def test_updates_leave_the_autoscaled_node_counts_to_the_autoscaler(dev: Plan) -> None:
    """`count` is where a pool starts; sent on every update it would resize pools the autoscaler grew."""
    ignored = {r.name: r.ignore_changes for r in dev.run.resources if r.type in (CLUSTER, POOL)}
    assert ignored.pop("aks-cluster") == ["agentPoolProfiles[0].count"]
    assert ignored and all(v == ["count"] for v in ignored.values()), ignored
    system = cluster_of(dev).inputs["agentPoolProfiles"]
    assert [p["name"] for p in system] == ["system"]  # index 0 is the system pool
    assert system[0]["enableAutoScaling"] is True
    assert all(p.inputs["enableAutoScaling"] is True for p in dev.of_type(POOL))
