"""One principal, one grant: what the clouds would refuse at the second create is refused before deploy.

EKS keeps one access entry per IAM principal (CreateAccessEntry); Azure keeps one assignment per
(scope, principal, role) (409 RoleAssignmentExists); logical names are keyed by identities, which
compare case-insensitively. Each case is one line naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings

LoadChanged = Callable[..., StackSettings]
ALICE = {
    "email": "alice@example.com",
    "awsPrincipalArn": "arn:aws:iam::123456789012:role/ml-research",
    "azureObjectId": "4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31",
}
BOB = {
    "email": "bob@example.com",
    "awsPrincipalArn": "arn:aws:iam::123456789012:role/ml-bob",
    "azureObjectId": "6a1f3c2e-8b4d-4e5f-9a0b-1c2d3e4f5a6b",
}
ADMINS = "arn:aws:iam::123456789012:role/ml-platform-admins"
EKS = "EKS holds one access entry per principal (CreateAccessEntry refuses a second)"


def teams(*members: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"name": f"team{i}", "gpuQuota": 1, "members": m} for i, m in enumerate(members)]


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "dev",
        {"mlplat:teams": teams([ALICE, BOB, {**ALICE, "awsPrincipalArn": BOB["awsPrincipalArn"]}])},
        "Pulumi.dev.yaml: mlplat:teams[0].members[2].email: alice@example.com is already members[0] of team team0",
    ),
    (
        "dev",
        {"mlplat:teams": teams([ALICE], [{**ALICE, "email": "Alice@example.com"}])},
        "Pulumi.dev.yaml: mlplat:teams[1].members[0].email: Alice@example.com is alice@example.com "
        "(mlplat:teams[0].members[0]) spelled differently; write it the same",
    ),
    (
        "dev",
        {"mlplat:teams": teams([ALICE, {**BOB, "azureObjectId": ALICE["azureObjectId"]}])},
        "Pulumi.dev.yaml: mlplat:teams[0].members[1].azureObjectId: 4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31 is "
        "already alice@example.com's (mlplat:teams[0].members[0]): one Entra object is one person",
    ),
    (
        "prod",
        {"mlplat:aws.kubernetes.adminPrincipalArns": [ADMINS, ADMINS]},
        f"Pulumi.prod.yaml: mlplat:aws.kubernetes.adminPrincipalArns[1]: {ADMINS} is listed twice "
        f"(mlplat:aws.kubernetes.adminPrincipalArns[0]); {EKS}",
    ),
    (
        "prod",
        {"mlplat:teams": teams([{**BOB, "awsPrincipalArn": ADMINS}])},
        f"Pulumi.prod.yaml: mlplat:teams[0].members[0].awsPrincipalArn: {ADMINS} is cluster admin "
        f"(mlplat:aws.kubernetes.adminPrincipalArns[0]); {EKS}",
    ),
    (
        "dev",
        {
            "mlplat:teams": teams(
                [{**BOB, "awsPrincipalArn": "arn:aws:iam::123456789012:role/mlplat-dev-eks-deployer"}]
            )
        },
        "Pulumi.dev.yaml: mlplat:teams[0].members[0].awsPrincipalArn: arn:aws:iam::123456789012:role/"
        f"mlplat-dev-eks-deployer is the cluster stack's deployer (cluster admin); {EKS}",
    ),
    (
        "dev",
        {
            "mlplat:aws.kubernetes.adminPrincipalArns": [
                "arn:aws:iam::123456789012:role/mlplat-dev-eks-deployer"
            ]
        },
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.adminPrincipalArns[0]: arn:aws:iam::123456789012:role/"
        f"mlplat-dev-eks-deployer is the cluster stack's deployer, already cluster admin; {EKS}",
    ),
    (
        "dev",
        {
            "mlplat:azure.workspace.users": [
                {"name": "alice", "email": "alice@example.com", "objectId": ALICE["azureObjectId"]},
                {"name": "al", "email": "al@example.com", "objectId": ALICE["azureObjectId"]},
            ]
        },
        "Pulumi.dev.yaml: mlplat:azure.workspace.users[1].objectId: 4b8e2a61-93f0-4c7d-a5e2-1f6b9c0d7e31 is "
        "already users[0] (alice): Azure refuses a second assignment of the same role (409 RoleAssignmentExists)",
    ),
    (
        "dev",
        {"mlplat:azure.kubernetes.adminGroupObjectIds": ["9f3a7c52-1e84-4b6d-b0c9-5d2e8f1a4b67"] * 2},
        "Pulumi.dev.yaml: mlplat:azure.kubernetes.adminGroupObjectIds[1]: "
        "9f3a7c52-1e84-4b6d-b0c9-5d2e8f1a4b67 is listed twice",
    ),
]

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    # One person in two teams: one EKS entry and one AKS user role, scoped to both namespaces.
    ("dev", {"mlplat:teams": teams([ALICE], [ALICE, BOB])}),
    # Two people who sign in to AWS through one shared role: one entry for the role.
    ("dev", {"mlplat:teams": teams([ALICE, {**BOB, "awsPrincipalArn": ALICE["awsPrincipalArn"]}])}),
    # The deployer of another environment is an ordinary principal here.
    (
        "dev",
        {
            "mlplat:aws.kubernetes.adminPrincipalArns": [
                "arn:aws:iam::123456789012:role/mlplat-prod-eks-deployer"
            ]
        },
    ),
    ("prod", {"mlplat:teams": teams([ALICE, BOB])}),
]


@pytest.mark.parametrize(
    ("stack", "changes", "line"), REFUSED, ids=[line.split(": ")[1] for _, _, line in REFUSED]
)
def test_a_principal_twice_is_refused_with_its_one_line(
    load_changed: LoadChanged, stack: str, changes: dict[str, Any], line: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    assert str(raised.value) == line


@pytest.mark.parametrize(("stack", "changes"), ACCEPTED)
def test_one_principal_in_several_places_that_need_one_grant_loads(
    load_changed: LoadChanged, stack: str, changes: dict[str, Any]
) -> None:
    assert load_changed(stack, changes).stack == stack
