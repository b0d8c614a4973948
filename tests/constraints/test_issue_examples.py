"""The mistakes issue 17 found by reading the plan against each provider's documentation, one test each.

Each test fails on the code before the fix; together with the layer they keep the class of mistake out.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from mlplat.engine.constraints import check_run
from tests.components.aws_stacks import repository_plan
from tests.constraints.stacks import findings, stack_plan

AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"


def _policy(text: str) -> dict[str, Any]:
    return json.loads(text)


# --- AWS --------------------------------------------------------------------------------------------------


def test_volume_key_names_the_autoscaling_role_only_as_read_from_the_account() -> None:
    # AWS KMS: a key policy naming a principal that does not exist is refused (MalformedPolicyDocumentException).
    plan = repository_plan("prod")
    key = next(k for k in plan.of_type("aws:kms/key:Key") if k.name.endswith("eks-volumes-key"))
    named = {
        p
        for s in _policy(key.inputs["policy"])["Statement"]
        for p in ([s["Principal"].get("AWS")] if isinstance(s.get("Principal"), dict) else [])
        if p and AUTOSCALING_ROLE in str(p)
    }
    assert named, "the volume key must let the Auto Scaling role use it"
    read = [tok for tok, _ in plan.run.invokes if tok == "aws:iam/getRole:getRole"]
    assert read, "the role's ARN comes from the account, not from a string the program assembles"
    assert findings(plan.run, "aws-kms-key-policy-principals-exist") == []


def test_node_groups_and_add_ons_wait_for_their_roles_policy_attachments() -> None:
    # pulumi_aws.eks.NodeGroup docs: role permissions are created before and deleted after the node group.
    plan = repository_plan("prod")
    assert findings(plan.run, "aws-role-permissions-before-use") == []
    groups = plan.of_type("aws:eks/nodeGroup:NodeGroup")
    attachments = {
        a.urn for a in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "-node-" in a.name
    }
    assert len(attachments) == 2 and len(groups) >= 2
    by_urn = {r.urn: r for r in plan.run.resources}
    for group in groups:
        assert attachments <= set(by_urn[group.urn].dependencies), group.name


def test_ebs_csi_pod_identity_role_trusts_only_this_account_and_cluster() -> None:
    # EKS User Guide (Pod Identity trust): scope pods.eks.amazonaws.com with aws:SourceAccount and aws:SourceArn.
    plan = repository_plan("prod")
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.name.endswith("-ebs-csi"))
    cluster = plan.one("aws:eks/cluster:Cluster")
    [statement] = _policy(role.inputs["assumeRolePolicy"])["Statement"]
    condition = statement["Condition"]
    assert condition["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert condition["ArnEquals"]["aws:SourceArn"].startswith("arn:aws:eks:us-east-1:123456789012:cluster/")
    assert condition["ArnEquals"]["aws:SourceArn"].endswith("/" + cluster.inputs["name"])
    assert findings(plan.run, "aws-pod-identity-trust-scoped") == []


# --- GCP --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_gcp_key_rings_and_keys_survive_destroy_and_redeploy(stack: str) -> None:
    # Cloud KMS: key rings and keys can never be deleted, so a fixed name collides on the next create.
    plan = stack_plan(stack)
    kms = plan.of_type("gcp:kms/keyRing:KeyRing") + plan.of_type("gcp:kms/cryptoKey:CryptoKey")
    assert kms and all("name" not in r.inputs for r in kms)
    assert findings(plan.run, "gcp-kms-names-permanent") == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workbench_disk_key_is_usable_by_the_notebooks_and_compute_agents(stack: str) -> None:
    # Vertex AI Workbench CMEK docs: both the Notebooks and the Compute Engine service agents need the key.
    plan = stack_plan(stack)
    instance = plan.of_type("gcp:workbench/instance:Instance")[0]
    key = instance.inputs["gceSetup"]["bootDisk"]["kmsKey"]
    members = {
        g.inputs["member"].split("@")[1]
        for g in plan.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if g.inputs["cryptoKeyId"] == key
    }
    assert {"gcp-sa-notebooks.iam.gserviceaccount.com", "compute-system.iam.gserviceaccount.com"} <= members
    assert findings(plan.run, "gcp-cmek-service-agents") == []


def test_prod_gke_gpu_pools_run_in_named_zones() -> None:
    # GKE GPUs: each accelerator is offered in some zones only; a regional pool without node locations
    # lands wherever GKE puts the cluster's nodes.
    plan = stack_plan("prod")
    pools = [
        p
        for p in plan.of_type("gcp:container/nodePool:NodePool")
        if p.inputs["nodeConfig"].get("guestAccelerators")
    ]
    assert pools and all(p.inputs.get("nodeLocations") for p in pools), [p.name for p in pools]


def test_a_regional_gke_gpu_pool_without_zones_is_refused_in_one_line(load_changed: Any) -> None:
    from infra.settings import SettingsError

    with pytest.raises(SettingsError) as error:
        load_changed(
            "prod", {"mlplat:gcp.gpuPools.0": {"name": "l4", "accelerator": "nvidia-l4", "maxNodes": 4}}
        )
    assert str(error.value) == (
        "Pulumi.prod.yaml: mlplat:gcp.gpuPools[0].zones: required in a regional cluster: "
        "the zones of us-central1 that offer nvidia-l4"
    )


def test_the_whole_stacks_pass_every_constraint() -> None:
    for stack in ("dev", "prod"):
        assert check_run(stack_plan(stack).run) == [], stack


def test_sagemaker_execution_role_reaches_the_sdks_default_bucket() -> None:
    # SageMaker Python SDK, Session.default_bucket: sagemaker-<region>-<account>, created on first use.
    plan = repository_plan("prod")
    policy = next(
        _policy(p.inputs["policy"])
        for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if "sagemaker" in p.name
    )
    granted: dict[str, set[str]] = {}
    for s in policy["Statement"]:
        if s["Effect"] != "Allow":
            continue
        for resource in s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]:
            granted.setdefault(resource, set()).update(s["Action"])
    bucket = "arn:aws:s3:::sagemaker-us-east-1-123456789012"
    assert {"s3:CreateBucket", "s3:ListBucket"} <= granted.get(bucket, set())
    assert {"s3:GetObject", "s3:PutObject"} <= granted.get(bucket + "/*", set())


# --- Azure ------------------------------------------------------------------------------------------------


def test_an_azure_budget_created_in_a_later_month_starts_in_that_month(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Consumption API (Budgets - Create Or Update): a past start date must lie within the current month.
    import datetime as dt

    from mlplat.engine.constraints import azure as azure_rules

    deployed = dt.date(2027, 3, 15)
    monkeypatch.setattr(azure_rules, "today", lambda: deployed)
    monkeypatch.setattr("components.azure.budget.this_month", lambda: deployed.replace(day=1), raising=False)
    stack_plan.cache_clear()
    try:
        plan = stack_plan("prod")
        budget = plan.one("azure-native:consumption:Budget")
        assert budget.inputs["timePeriod"]["startDate"] == "2027-03-01T00:00:00Z"
        assert findings(plan.run, "azure-budget-time-period") == []
    finally:
        stack_plan.cache_clear()


# --- zones ------------------------------------------------------------------------------------------------


def test_aws_zones_come_from_the_region_and_gpu_pools_avoid_zones_without_their_instance_type() -> None:
    # EC2 DescribeAvailabilityZones / DescribeInstanceTypeOfferings: the offline fakes answer for us-east-1
    # with six zones, the fifth (us-east-1e) offering no GPU instance types.
    from tests.components.aws_stacks import aws_settings, build

    plan = build(
        aws_settings("prod", {"mlplat:aws": _aws_section(zones=["us-east-1c", "us-east-1e", "us-east-1f"])})
    )
    tokens = [tok for tok, _ in plan.run.invokes]
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" in tokens
    assert "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings" in tokens
    subnets = {s.inputs["availabilityZone"] for s in plan.of_type("aws:ec2/subnet:Subnet")}
    assert subnets == {"us-east-1c", "us-east-1e", "us-east-1f"}
    by_zone = {s.urn: s.inputs["availabilityZone"] for s in plan.of_type("aws:ec2/subnet:Subnet")}
    for group in plan.of_type("aws:eks/nodeGroup:NodeGroup"):
        if "-gpu-" in group.name:
            zones = {by_zone[u] for u in group.property_dependencies["subnetIds"] if u in by_zone}
            assert zones == {"us-east-1c", "us-east-1f"}, group.name


def test_a_gpu_pool_pinned_to_a_zone_that_does_not_offer_it_is_refused_in_one_line() -> None:
    from tests.components.aws_stacks import aws_settings, build

    section = _aws_section(zones=["us-east-1d", "us-east-1e", "us-east-1f"], pool_zones=["us-east-1e"])
    with pytest.raises(pulumi.RunError) as raised:
        build(aws_settings("prod", {"mlplat:aws": section}))
    assert str(raised.value) == (
        "Pulumi.prod.yaml: mlplat:aws.gpuPools[0].accelerator: nvidia-a10g (g5.xlarge) is not offered in us-east-1e"
    )


def _aws_section(*, zones: list[str], pool_zones: list[str] | None = None) -> str:
    from tests.conftest import stack_document

    section = stack_document("prod")["config"]["mlplat:aws"]
    section["network"]["availabilityZones"] = zones
    if pool_zones:
        section["gpuPools"][0]["zones"] = pool_zones
    return json.dumps(section)


# Built-in role definition ids (Azure RBAC built-in roles reference).
_BLOB = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"  # Storage Blob Data Contributor
_FILE = "69566ab7-960f-475b-8e7c-b3118f30c6bd"  # Storage File Data Privileged Contributor
_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"  # AzureML Data Scientist
_ALICE = "4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31"  # Pulumi.<stack>.yaml, mlplat:azure.workspace.users[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_azure_ml_with_identity_based_storage_grants_the_data_roles(stack: str) -> None:
    # Azure ML docs (identity-based data access, storage without shared keys): the workspace identity and
    # users need Blob and File data roles on the storage account, users AzureML Data Scientist on the workspace.
    plan = stack_plan(stack)
    storage = plan.one("azure-native:storage:StorageAccount")
    workspace = plan.one("azure-native:machinelearningservices:Workspace")
    assert storage.inputs["allowSharedKeyAccess"] is False
    grants = {
        (g.inputs["roleDefinitionId"].rsplit("/", 1)[1], g.inputs["principalId"], g.inputs["principalType"])
        for g in plan.of_type("azure-native:authorization:RoleAssignment")
        if storage.urn in g.property_dependencies.get("scope", [])
        or workspace.urn in g.property_dependencies.get("scope", [])
    }
    users = {(role, _ALICE, "User") for role in (_BLOB, _FILE, _DATA_SCIENTIST)}
    assert users <= grants
    identities = {role for role, principal, kind in grants if kind == "ServicePrincipal"}
    assert {_BLOB, _FILE} <= identities
    assert len([g for g in grants if g[0] == _BLOB and g[2] == "ServicePrincipal"]) == 2  # workspace, cluster


def test_the_public_dev_workspace_lets_its_users_networks_reach_storage_and_the_vault() -> None:
    # Azure ML docs (Studio with storage behind a firewall): the browser reads storage directly.
    plan = stack_plan("dev")
    storage = plan.one("azure-native:storage:StorageAccount").inputs
    vault = plan.one("azure-native:keyvault:Vault").inputs["properties"]
    assert storage["publicNetworkAccess"] == "Enabled"
    assert storage["networkRuleSet"]["ipRules"] == [{"iPAddressOrRange": "203.0.113.0/24", "action": "Allow"}]
    assert vault["networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]


def test_prod_approved_outbound_lets_environment_builds_install_packages_and_costs_its_firewall(
    reports: dict[str, Any],
) -> None:
    # Azure ML managed network docs: AllowOnlyApprovedOutbound blocks PyPI and conda unless FQDN rules
    # allow them, and FQDN rules run a managed Azure Firewall (a fixed hourly charge).
    plan = stack_plan("prod")
    network = plan.one("azure-native:machinelearningservices:Workspace").inputs["managedNetwork"]
    assert network["isolationMode"] == "AllowOnlyApprovedOutbound"
    allowed = {r["destination"] for r in network["outboundRules"].values() if r["type"] == "FQDN"}
    assert {"pypi.org", "files.pythonhosted.org"} <= allowed
    _, report = reports["prod"]
    firewall = [
        i for i in report["cost"]["items"] if i["type"] == "azure-native:machinelearningservices:Workspace"
    ]
    assert firewall and firewall[0]["idleMonthly"] > 0 and "Firewall" in firewall[0]["basis"]
