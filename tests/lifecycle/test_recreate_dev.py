"""Destroy dev and deploy it again the same day: the names Azure keeps reserved after a delete move on.

A deleted Key Vault stays soft-deleted (its name reserved) for its retention period, and purge protection
forbids purging it (learn.microsoft.com/azure/key-vault/general/soft-delete-overview); a deleted Azure ML
workspace keeps its name for 14 days (learn.microsoft.com/azure/machine-learning/concept-soft-delete).
`mlplat:azure.nameGeneration` gives both new names; nothing else is renamed. Prod keeps purge protection
and 90 days; dev keeps purge protection too (the strict policy) with the 7-day minimum.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lifecycle.plans import changed, document, plan_document

VAULT = "azure-native:keyvault:Vault"
WORKSPACE = "azure-native:machinelearningservices:Workspace"


def physical(resources: dict[str, dict], token: str, key: str) -> str:
    (found,) = [r["inputs"][key] for r in resources.values() if r["type"] == token]
    return found


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 90)])
def test_vaults_keep_purge_protection_with_the_profiles_retention(
    stack: str, days: int, tmp_path: Path
) -> None:
    plan = plan_document(tmp_path, stack, document(stack, {}))
    props = next(r["inputs"]["properties"] for r in plan.values() if r["type"] == VAULT)
    assert (props["enablePurgeProtection"], props["softDeleteRetentionInDays"]) == (True, days)


def test_a_new_generation_renames_only_what_azure_keeps_reserved(tmp_path: Path) -> None:
    before = plan_document(tmp_path, "dev", document("dev", {}))
    after = plan_document(tmp_path, "dev", document("dev", {"mlplat:azure.nameGeneration": 1}))
    # Generation 0 keeps the names stacks already have.
    assert physical(before, VAULT, "vaultName") == "kv-mlplat-dev-8f5969"
    assert physical(before, WORKSPACE, "workspaceName") == "mlw-mlplat-dev"
    assert physical(after, VAULT, "vaultName") == "kv-mlplat-dev-g1-8f5969"
    assert physical(after, WORKSPACE, "workspaceName") == "mlw-mlplat-dev-g1"
    change = changed(before, after)
    assert (
        not change.created and not change.deleted
    )  # logical names stay: a re-created stack is the same stack
    names = {
        "vaultName",
        "workspaceName",
        "storageAccountName",
        "registryName",
        "resourceGroupName",
        "resourceName",
    }
    renamed = {
        (after[u]["type"], k)
        for u in change.changed
        for k in names
        if before[u]["inputs"].get(k) != after[u]["inputs"].get(k)
    }
    # The vault and workspace, and what names its parent by name (keys, computes): nothing else.
    children = {
        ("azure-native:keyvault:Key", "vaultName"),
        ("azure-native:machinelearningservices:Compute", "workspaceName"),
    }
    assert (
        {(VAULT, "vaultName"), (WORKSPACE, "workspaceName")}
        <= renamed
        <= {
            (VAULT, "vaultName"),
            (WORKSPACE, "workspaceName"),
            *children,
        }
    )
