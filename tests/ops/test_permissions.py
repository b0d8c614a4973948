"""The permission table covers what the platform plans, and its generated reference stays current."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from mlplat.engine.fakes.aws import CALLS as AWS_INVOKES
from mlplat.ops.permissions import (
    aws_actions,
    azure_actions,
    entries,
    gcp_permissions,
    is_read,
    render,
    table,
)
from tests.conftest import ROOT

# Resource types served by other layers: the in-cluster objects (the cluster deployer, through the
# Kubernetes API), the engine's own, and mlplat's components (no cloud call of their own).
NOT_CLOUD = ("kubernetes:", "pulumi:", "mlplat:")


def planned_types(cloud: str) -> set[str]:
    """Every type in the reviewed dev and prod plans (tests/inventory/*.yaml, kept equal to `mlplat plan`)."""
    types: set[str] = set()
    for stack in ("dev", "prod"):
        rows = YAML(typ="safe").load((ROOT / "tests" / "inventory" / f"{stack}.yaml").read_text())
        types |= {row["type"] for row in rows}
    prefix = {"gcp": "gcp:", "azure": "azure-native:", "aws": "aws:"}[cloud]
    return {t for t in types if t.startswith(prefix) and not t.startswith(NOT_CLOUD)}


@pytest.mark.parametrize("cloud", ["gcp", "azure", "aws"])
def test_every_planned_resource_type_has_a_permission_entry(cloud: str) -> None:
    missing = planned_types(cloud) - set(entries(cloud))

    assert not missing, f"add these to mlplat/data/permissions.yaml ({cloud}): {sorted(missing)}"


@pytest.mark.parametrize("cloud", ["gcp", "azure", "aws"])
def test_every_entry_names_what_deploying_and_previewing_need(cloud: str) -> None:
    for kind, entry in entries(cloud).items():
        assert entry["deploy"] and entry["read"], kind
        assert set(entry["read"]) <= set(entry["deploy"]), (
            f"{kind}: a deployer refreshes what a previewer reads"
        )


def test_the_gcp_previewer_reads_metadata_and_never_object_contents_or_secrets() -> None:
    held = gcp_permissions("previewer")

    assert all(p.rsplit(".", 1)[1] in ("get", "list", "getIamPolicy") for p in held)
    assert not any(p.startswith(("storage.objects.", "secretmanager.versions.")) for p in held)


def test_the_azure_previewer_holds_no_data_or_key_listing_action() -> None:
    held = azure_actions("previewer")

    assert all(a.endswith("/read") for a in held)
    assert not any("listKeys" in a or "/blobs/" in a for a in held)


def test_every_aws_lookup_the_program_makes_has_an_entry() -> None:
    # The offline engine answers every invoke the program makes, and refuses any other.
    assert set(table()["aws"]["invokes"]) == set(AWS_INVOKES)


def test_the_aws_managed_policies_the_deployer_may_attach_are_the_planned_ones() -> None:
    planned: set[str] = set()
    for stack in ("dev", "prod"):
        rows = YAML(typ="safe").load((ROOT / "tests" / "inventory" / f"{stack}.yaml").read_text())
        planned |= {
            row["inputs"]["policyArn"].replace("arn:aws:", "arn:{partition}:")
            for row in rows
            if row["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        }
    assert planned == set(table()["aws"]["managed-policies"])


def test_every_aws_change_is_scoped_by_name_or_tag() -> None:
    scoped = set(table()["aws"]["scopes"]) | {"iam"}  # IAM is scoped in mlplat/ops/identities.py
    changes = [a for a in aws_actions("deployer") if not is_read(a)]

    assert {a.split(":", 1)[0] for a in changes} <= scoped


def test_the_aws_previewer_reads_metadata_and_never_object_contents_or_secrets() -> None:
    held = aws_actions("previewer")

    assert all(is_read(a) for a in held)
    assert not set(held) & {
        "s3:GetObject",
        "secretsmanager:GetSecretValue",
        "kms:Decrypt",
        "ssm:GetParameter",
    }


def test_docs_permissions_md_is_generated_from_the_table() -> None:
    current = (ROOT / "docs" / "permissions.md").read_text()

    assert current == render(), "regenerate with `mlplat permission-docs --write`"
