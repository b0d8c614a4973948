"""The Vertex AI workspace and the budget under mocks: least privilege, CMEK everywhere, one private,
shielded Workbench instance per user, and a budget that alerts on spend and forecast."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.gcp import Budget, BudgetArgs, VertexWorkspace, VertexWorkspaceArgs, WorkbenchUser
from components.gcp.budget import BUDGET_PUBLISHER
from mlplat.engine.fakes.gcp import project_number
from tests.plans import Plan, record

PROJECT = "acme-mlplat-test"
CONFIG = {"gcp:project": PROJECT, "gcp:region": "us-central1"}
LABELS = {"environment": "prod", "owner": "ml", "cost-center": "cc", "managed-by": "pulumi", "stack": "prod"}
RING = f"projects/{PROJECT}/locations/us-central1/keyRings/ring/cryptoKeys"
WORKBENCH = "gcp:workbench/instance:Instance"
ACCOUNT = f"mlplat-prod-vertex@{PROJECT}.iam.gserviceaccount.com"

WORKSPACE = VertexWorkspaceArgs(
    project=PROJECT,
    region="us-central1",
    zone="us-central1-a",
    name_prefix="mlplat-prod",
    service_account_id="mlplat-prod-vertex",
    network_id=f"projects/{PROJECT}/global/networks/vpc",
    subnet_id=f"projects/{PROJECT}/regions/us-central1/subnetworks/subnet",
    vertex_kms_key_name=f"{RING}/vertex",
    repository_kms_key_name=f"{RING}/storage",
    disk_kms_key_name=f"{RING}/disks",
    labels=LABELS,
    users=[WorkbenchUser("alice", "alice@example.com"), WorkbenchUser("bob", "bob@example.com")],
    buckets={"data": "mlplat-prod-data-abc123"},
    idle_timeout_minutes=120,
    disable_downloads=True,
    deletion_protection=True,
)
BUDGET = BudgetArgs(
    project=PROJECT,
    project_number="123456789012",
    billing_account="01ABCD-23EF45-6789AB",
    display_name="mlplat-prod",
    topic_name="mlplat-prod-budget-alerts",
    amount_usd=2500,
    environment="prod",
    alert_emails=["ml-platform@example.com", "finops@example.com"],
    pubsub_kms_key_name=f"{RING}/pubsub",
    labels=LABELS,
)


@pytest.fixture(scope="module")
def prod() -> Plan:
    def body() -> None:
        VertexWorkspace("ws", WORKSPACE)
        Budget("budget", BUDGET)

    return record(body, stack="prod", config=CONFIG)


@pytest.fixture(scope="module")
def dev() -> Plan:
    args = replace(WORKSPACE, users=[WORKSPACE.users[0]], deletion_protection=False, disable_downloads=False)
    return record(lambda: VertexWorkspace("ws", args), config=CONFIG)


def workbench(plan: Plan, user: str) -> dict[str, Any]:
    return next(w for w in plan.of_type(WORKBENCH) if w.name == f"ws-{user}").inputs


# --- identity ---------------------------------------------------------------------------------------------


def test_workspace_runs_as_a_dedicated_account_with_least_privilege_project_roles(prod: Plan) -> None:
    assert prod.one("gcp:serviceaccount/account:Account").inputs["accountId"] == "mlplat-prod-vertex"
    grants = [m.inputs for m in prod.of_type("gcp:projects/iAMMember:IAMMember")]
    assert sorted(g["role"] for g in grants) == [
        "roles/aiplatform.user",
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
    ]
    assert {g["member"] for g in grants} == {f"serviceAccount:{ACCOUNT}"}


def test_bucket_and_repository_access_is_granted_on_the_resource_not_the_project(prod: Plan) -> None:
    bucket = prod.one("gcp:storage/bucketIAMMember:BucketIAMMember").inputs
    assert (bucket["bucket"], bucket["role"]) == ("mlplat-prod-data-abc123", "roles/storage.objectUser")
    repo = prod.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").inputs
    assert (repo["repository"], repo["role"]) == ("mlplat-prod-images", "roles/artifactregistry.writer")


def test_each_instance_owner_may_act_as_the_workspace_account_and_nobody_else(prod: Plan) -> None:
    grants = [g.inputs for g in prod.of_type("gcp:serviceaccount/iAMMember:IAMMember")]
    assert sorted(g["member"] for g in grants) == ["user:alice@example.com", "user:bob@example.com"]
    assert {g["role"] for g in grants} == {"roles/iam.serviceAccountUser"}


# --- Vertex AI stores -------------------------------------------------------------------------------------


def test_metadata_store_tensorboard_and_repository_encrypt_with_customer_keys(prod: Plan) -> None:
    store = prod.one("gcp:vertex/aiMetadataStore:AiMetadataStore").inputs
    board = prod.one("gcp:vertex/aiTensorboard:AiTensorboard").inputs
    repo = prod.one("gcp:artifactregistry/repository:Repository").inputs
    assert store["encryptionSpec"] == {"kmsKeyName": f"{RING}/vertex"}
    assert board["encryptionSpec"] == {"kmsKeyName": f"{RING}/vertex"}
    assert (repo["format"], repo["kmsKeyName"]) == ("DOCKER", f"{RING}/storage")


def test_repository_cleans_up_old_untagged_images_for_real(prod: Plan) -> None:
    repo = prod.one("gcp:artifactregistry/repository:Repository").inputs
    assert repo["cleanupPolicyDryRun"] is False
    assert [p["id"] for p in repo["cleanupPolicies"]] == ["delete-old-untagged", "keep-recent"]


def test_prod_workspace_stores_are_protected_and_retained_and_dev_ones_are_not(prod: Plan, dev: Plan) -> None:
    for token in (
        "gcp:vertex/aiMetadataStore:AiMetadataStore",
        "gcp:vertex/aiTensorboard:AiTensorboard",
        "gcp:artifactregistry/repository:Repository",
    ):
        assert (prod.one(token).protect, prod.one(token).retain_on_delete) == (True, True)
        assert (dev.one(token).protect, dev.one(token).retain_on_delete) == (False, False)


# --- Workbench --------------------------------------------------------------------------------------------


def test_one_workbench_instance_per_user_owned_by_that_user(prod: Plan) -> None:
    assert sorted(w.inputs["name"] for w in prod.of_type(WORKBENCH)) == [
        "mlplat-prod-alice",
        "mlplat-prod-bob",
    ]
    assert workbench(prod, "alice")["instanceOwners"] == ["alice@example.com"]
    assert workbench(prod, "bob")["instanceOwners"] == ["bob@example.com"]
    assert workbench(prod, "bob")["labels"]["user"] == "bob"


def test_workbench_has_no_public_ip_and_sits_in_the_platform_subnet(prod: Plan) -> None:
    setup = workbench(prod, "alice")["gceSetup"]
    assert setup["disablePublicIp"] is True
    assert setup["networkInterfaces"] == [
        {"network": WORKSPACE.network_id, "subnet": WORKSPACE.subnet_id, "nicType": "GVNIC"}
    ]


def test_workbench_is_a_shielded_vm_with_secure_boot_running_as_the_workspace_account(prod: Plan) -> None:
    setup = workbench(prod, "alice")["gceSetup"]
    assert setup["shieldedInstanceConfig"] == {
        "enableSecureBoot": True,
        "enableVtpm": True,
        "enableIntegrityMonitoring": True,
    }
    assert setup["serviceAccounts"] == [{"email": ACCOUNT}]


def test_workbench_disks_encrypt_with_the_disk_key(prod: Plan) -> None:
    setup = workbench(prod, "alice")["gceSetup"]
    for disk in (setup["bootDisk"], setup["dataDisks"]):
        assert (disk["diskEncryption"], disk["kmsKey"]) == ("CMEK", f"{RING}/disks")


def test_workbench_disables_root_and_stops_when_idle(prod: Plan, dev: Plan) -> None:
    assert workbench(prod, "alice")["gceSetup"]["metadata"] == {
        "notebook-disable-root": "true",
        "idle-timeout-seconds": "7200",
        "notebook-disable-downloads": "true",
    }
    assert workbench(dev, "alice")["gceSetup"]["metadata"] == {
        "notebook-disable-root": "true",
        "idle-timeout-seconds": "7200",
    }


def test_root_access_is_only_granted_when_asked_for() -> None:
    plan = record(lambda: VertexWorkspace("ws", replace(WORKSPACE, root_access=True)), config=CONFIG)
    assert workbench(plan, "alice")["gceSetup"]["metadata"]["notebook-disable-root"] == "false"


def test_prod_workbench_is_deletion_protected_but_not_retained_so_removed_users_stop_billing(
    prod: Plan, dev: Plan
) -> None:
    alice = next(w for w in prod.of_type(WORKBENCH) if w.name == "ws-alice")
    assert (alice.inputs["enableDeletionProtection"], alice.protect, alice.retain_on_delete) == (
        True,
        True,
        False,
    )
    dev_alice = next(w for w in dev.of_type(WORKBENCH) if w.name == "ws-alice")
    assert (dev_alice.inputs["enableDeletionProtection"], dev_alice.protect) == (False, False)


# --- budget -----------------------------------------------------------------------------------------------


def test_budget_covers_the_project_and_environment_for_the_month(prod: Plan) -> None:
    budget = prod.one("gcp:billing/budget:Budget").inputs
    assert budget["billingAccount"] == "01ABCD-23EF45-6789AB"
    assert budget["budgetFilter"] == {
        "projects": ["projects/123456789012"],
        "labels": {"environment": "prod"},
        "calendarPeriod": "MONTH",
        "creditTypesTreatment": "INCLUDE_ALL_CREDITS",
    }
    assert budget["amount"] == {"specifiedAmount": {"currencyCode": "USD", "units": "2500"}}


def test_budget_alerts_at_50_80_100_percent_spent_and_100_percent_forecast(prod: Plan) -> None:
    rules = prod.one("gcp:billing/budget:Budget").inputs["thresholdRules"]
    assert [(r["thresholdPercent"], r["spendBasis"]) for r in rules] == [
        (0.5, "CURRENT_SPEND"),
        (0.8, "CURRENT_SPEND"),
        (1, "CURRENT_SPEND"),
        (1, "FORECASTED_SPEND"),
    ]


def test_budget_notifies_an_encrypted_topic_and_one_email_channel_per_address(prod: Plan) -> None:
    budget = prod.one("gcp:billing/budget:Budget")
    topic = prod.one("gcp:pubsub/topic:Topic")
    channels = prod.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
    assert topic.inputs["kmsKeyName"] == f"{RING}/pubsub"
    assert sorted(c.inputs["labels"]["email_address"] for c in channels) == [
        "finops@example.com",
        "ml-platform@example.com",
    ]
    assert all(c.inputs["type"] == "email" for c in channels)
    rule = budget.inputs["allUpdatesRule"]
    assert rule["pubsubTopic"] == f"projects/{PROJECT}/topics/mlplat-prod-budget-alerts"
    assert len(rule["monitoringNotificationChannels"]) == 2
    assert set(budget.property_dependencies["allUpdatesRule"]) == {topic.urn, *(c.urn for c in channels)}


def test_cloud_billing_may_publish_to_the_alert_topic(prod: Plan) -> None:
    grant = prod.one("gcp:pubsub/topicIAMMember:TopicIAMMember").inputs
    assert (grant["role"], grant["member"]) == ("roles/pubsub.publisher", BUDGET_PUBLISHER)


def test_budget_refuses_more_email_channels_than_gcp_accepts() -> None:
    with pytest.raises(ValueError, match="1 to 5 email channels"):
        replace(BUDGET, alert_emails=[f"u{i}@example.com" for i in range(6)])


def test_mock_project_numbers_are_numeric_distinct_and_the_same_in_every_process() -> None:
    # Resource Manager documents the project number as a decimal identifier Google assigns to each project.
    numbers = {p: project_number(p) for p in (PROJECT, "acme-mlplat-prod")}
    assert all(n.isdecimal() and not n.startswith("0") for n in numbers.values())
    assert len(set(numbers.values())) == 2
    # Pinned, not recomputed: a number drawn from a per-process hash would churn the reviewed inventories.
    assert numbers[PROJECT] == "485451507794"
