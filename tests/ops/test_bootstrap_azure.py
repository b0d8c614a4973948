"""`mlplat bootstrap azure` against a fresh subscription as ARM answers (tests/ops/azure_fake.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import Result

import mlplat.commands.bootstrap as command
import mlplat.ops.azure as azure
from mlplat.app import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from mlplat.ops.permissions import azure_actions, azure_namespaces
from tests.ops.azure_fake import SUBSCRIPTION, FakeArm, FakeCredential
from tests.ops.conftest import invoke, one_line_error

GROUP = f"/subscriptions/{SUBSCRIPTION}/resourcegroups/mlplat-dev-bootstrap/providers"


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArm]:
    fake = FakeArm()
    monkeypatch.setattr(azure, "POLL_SECONDS", 0)
    monkeypatch.setattr(
        command,
        "_azure_clients",
        lambda subscription: azure.AzureClients.connect(
            FakeCredential(), subscription, transport=fake.transport()
        ),
    )
    yield fake


def bootstrap(*extra: str, subscription: str = SUBSCRIPTION, repo: str = "acme/mlplat") -> Result:
    return invoke(
        "bootstrap", "azure", "--subscription", subscription, "--env", "dev", "--location", "westeurope",
        "--github-repo", repo, "--storage-account", "acmemldevstate", "--key-vault", "acme-ml-dev-kv", *extra,
    )  # fmt: skip


def obj(arm: FakeArm, path: str) -> dict:
    return arm.objects[f"{GROUP}/{path}".lower()]


def assignments(arm: FakeArm, principal: str) -> list[dict]:
    return [
        a["properties"]
        for key, a in arm.objects.items()
        if "/roleassignments/" in key and a["properties"]["principalId"] == principal
    ]


def principal(arm: FakeArm, identity: str) -> str:
    return obj(arm, f"Microsoft.ManagedIdentity/userAssignedIdentities/{identity}")["properties"][
        "principalId"
    ]


def test_a_fresh_subscription_gets_every_provider_the_platform_uses_registered_first(arm: FakeArm) -> None:
    result = bootstrap()

    assert result.exit_code == EXIT_OK, result.output
    assert {ns.lower() for ns in azure_namespaces()} <= arm.registered
    first_put = next(i for i, (method, _) in enumerate(arm.calls) if method == "PUT")
    last_register = max(i for i, (_, path) in enumerate(arm.calls) if path.endswith("/register"))
    assert last_register < first_put


def test_state_storage_refuses_public_blobs_and_shared_keys_and_keeps_versions(arm: FakeArm) -> None:
    bootstrap()

    account = obj(arm, "Microsoft.Storage/storageAccounts/acmemldevstate")["properties"]
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["minimumTlsVersion"] == "TLS1_2"
    service = obj(arm, "Microsoft.Storage/storageAccounts/acmemldevstate/blobServices/default")["properties"]
    assert service["isVersioningEnabled"] is True
    assert obj(arm, "Microsoft.Storage/storageAccounts/acmemldevstate/blobServices/default/containers/state")[
        "properties"
    ] == {"publicAccess": "None"}


def test_the_key_vault_uses_rbac_and_purge_protection(arm: FakeArm) -> None:
    result = bootstrap()

    vault = obj(arm, "Microsoft.KeyVault/vaults/acme-ml-dev-kv")["properties"]
    assert vault["enableRbacAuthorization"] is True and vault["enablePurgeProtection"] is True
    assert (
        obj(arm, "Microsoft.KeyVault/vaults/acme-ml-dev-kv/keys/pulumi-state")["properties"]["kty"] == "RSA"
    )
    assert "pulumi login 'azblob://state?storage_account=acmemldevstate'" in result.stdout
    assert (
        "pulumi stack init dev --secrets-provider 'azurekeyvault://acme-ml-dev-kv.vault.azure.net/keys/pulumi-state'"
        in result.stdout
    )


@pytest.mark.parametrize(
    ("identity", "github_environment"),
    [
        ("mlplat-dev-previewer", "preview-dev"),
        ("mlplat-dev-deployer", "dev"),
        ("mlplat-dev-aks-deployer", "dev-aks"),
    ],
)
def test_each_job_identity_has_one_federated_credential_with_a_literal_subject(
    arm: FakeArm, identity: str, github_environment: str
) -> None:
    bootstrap()

    credential = obj(
        arm,
        f"Microsoft.ManagedIdentity/userAssignedIdentities/{identity}/federatedIdentityCredentials/{github_environment}",
    )["properties"]
    assert credential == {
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": f"repo:acme/mlplat:environment:{github_environment}",
        "audiences": ["api://AzureADTokenExchange"],
    }


def test_the_deployer_may_lock_resources_and_assign_roles_but_not_privileged_ones(arm: FakeArm) -> None:
    bootstrap()

    deployer = principal(arm, "mlplat-dev-deployer")
    (at_subscription,) = [
        a for a in assignments(arm, deployer) if a["scope"] == f"/subscriptions/{SUBSCRIPTION}"
    ]
    assert "Microsoft.Authorization/locks/write" in azure_actions("deployer")
    for privileged in (azure.OWNER, azure.USER_ACCESS_ADMINISTRATOR, azure.RBAC_ADMINISTRATOR):
        assert privileged in at_subscription["condition"]
    assert "GuidNotEquals" in at_subscription["condition"]


def test_the_previewer_reads_metadata_and_writes_only_its_lock_files(arm: FakeArm) -> None:
    bootstrap()

    assert all(a.endswith("/read") for a in azure_actions("previewer"))
    previewer = principal(arm, "mlplat-dev-previewer")
    (blobs,) = [a for a in assignments(arm, previewer) if a["scope"].endswith("/containers/state")]
    assert "StringStartsWith '.pulumi/locks/organization/mlplat/dev/'" in blobs["condition"]
    assert ".pulumi/stacks/" not in blobs["condition"]


def test_the_cluster_deployer_object_id_is_printed_for_the_settings(arm: FakeArm) -> None:
    result = bootstrap()

    assert principal(arm, "mlplat-dev-aks-deployer") in result.stdout


def test_a_rerun_changes_nothing_and_says_so(arm: FakeArm) -> None:
    bootstrap()
    writes = len(arm.writes)

    again = bootstrap()

    assert again.exit_code == EXIT_OK, again.output
    assert "Nothing to change." in again.stdout
    assert len(arm.writes) == writes


def test_dry_run_on_a_fresh_subscription_lists_the_changes_and_makes_none(arm: FakeArm) -> None:
    result = bootstrap("--dry-run")

    assert result.exit_code == EXIT_OK, result.output
    assert arm.writes == []
    assert re.search(r"planned +storage account", result.stdout)


def test_an_unknown_subscription_ends_in_one_line_and_nothing_is_created(arm: FakeArm) -> None:
    result = bootstrap(subscription="99999999-1111-2222-3333-444444444444")

    assert result.exit_code == EXIT_USAGE
    assert "subscription 99999999-1111-2222-3333-444444444444 does not exist" in one_line_error(result)
    assert arm.writes == []


def test_a_caller_who_is_not_owner_is_told_so_and_nothing_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeArm(caller_roles=("b24988ac-6180-42a0-ab88-20f7382dd24c",))  # Contributor only
    monkeypatch.setattr(
        command, "_azure_clients",
        lambda s: azure.AzureClients.connect(FakeCredential(), s, transport=fake.transport()),
    )  # fmt: skip

    result = bootstrap()

    assert "not Owner" in one_line_error(result)
    assert fake.writes == []


def test_a_taken_storage_account_name_ends_in_one_line_and_nothing_is_created(arm: FakeArm) -> None:
    arm.taken_names.add("acmemldevstate")

    result = bootstrap()

    assert "storage account name acmemldevstate is taken" in one_line_error(result)
    assert arm.writes == []


def test_an_unregistered_namespace_answers_as_a_fresh_subscription_does(arm: FakeArm) -> None:
    clients = azure.AzureClients.connect(FakeCredential(), SUBSCRIPTION, transport=arm.transport())
    clients.resources.resource_groups.create_or_update("rg", {"location": "westeurope"})
    with pytest.raises(Exception) as raised:
        clients.storage.storage_accounts.begin_create(
            "rg", "acmex", {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
        ).result()

    assert azure.describe(raised.value).startswith("MissingSubscriptionRegistration: ")


def test_an_existing_vault_without_purge_protection_is_reported_weaker(arm: FakeArm) -> None:
    bootstrap()
    obj(arm, "Microsoft.KeyVault/vaults/acme-ml-dev-kv")["properties"]["enablePurgeProtection"] = False

    result = bootstrap()

    assert result.exit_code == EXIT_FAILED
    assert "no purge protection" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--github-repo", "acme"), "not owner/name"),
        (("--subscription", "not-a-guid"), "is not a subscription id"),
        (("--storage-account", "Acme_State"), "storage account 'Acme_State'"),
    ],
)
def test_bad_input_is_refused_before_any_call(arm: FakeArm, args: tuple[str, ...], message: str) -> None:
    base = {
        "--subscription": SUBSCRIPTION,
        "--github-repo": "acme/mlplat",
        "--storage-account": "acmemldevstate",
    }
    base[args[0]] = args[1]
    result = invoke(
        "bootstrap", "azure", "--env", "dev", "--location", "westeurope", "--key-vault", "acme-ml-dev-kv",
        *[x for kv in base.items() for x in kv],
    )  # fmt: skip

    assert message in one_line_error(result)
    assert arm.calls == []
