"""People join teams: adding a member to the front of a list changes exactly that member's resources.

Logical names come from the member's identity (STYLE.md "Names come from keys"), so nobody else's access
entry, role assignment or IAM member is renamed, and the cloud never sees a duplicate create.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.common.naming import principal_key
from tests.lifecycle.plans import changed, document, plan_document

BOB = {
    "email": "bob@example.com",
    "awsPrincipalArn": "arn:aws:iam::123456789012:role/ml-bob",
    "azureObjectId": "6a1f3c2e-8b4d-4e5f-9a0b-1c2d3e4f5a6b",
}
# Sorts first on every cloud (email, ARN, object id): a positional name would shift everyone after.
AARON = {
    "email": "aaron@example.com",
    "awsPrincipalArn": "arn:aws:iam::123456789012:role/aaa-aaron",
    "azureObjectId": "00000000-0000-4000-8000-00000000000a",
}


def team(stack: str, members: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"name": "research", "gpuQuota": 2 if stack == "dev" else 8, "members": members}]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_adding_a_member_to_the_front_changes_only_that_member(stack: str, tmp_path: Path) -> None:
    before = plan_document(tmp_path, stack, document(stack, {"mlplat:teams": team(stack, [BOB])}))
    after = plan_document(tmp_path, stack, document(stack, {"mlplat:teams": team(stack, [AARON, BOB])}))
    change = changed(before, after)

    assert not change.deleted, f"renamed or removed: {sorted(change.names(change.deleted))}"
    keys = {principal_key(v) for v in AARON.values()}
    created = change.names(change.created)
    assert created and all(any(k in name for k in keys) for name in created), sorted(created)
    prefix = f"mlplat-{stack}"
    assert created == {
        f"{prefix}-eks-member-{principal_key(AARON['awsPrincipalArn'])}",  # access entry and its policy
        f"{prefix}-aks-member-{principal_key(AARON['azureObjectId'])}",
        f"{prefix}-aks-member-{principal_key(AARON['azureObjectId'])}-team-research",
        f"{prefix}-gke-member-{principal_key(AARON['email'])}",
    }
    assert len(change.created) == 5  # the EKS name holds an AccessEntry and an AccessPolicyAssociation
    # The only resource kept with other inputs: the GKE team's RoleBinding, whose subjects list members.
    assert {urn.split("::")[2] for urn in change.changed} <= {
        "mlplat:kubernetes:GpuStack$kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
    }, sorted(change.changed)


def test_aliases_keep_the_positional_names_of_deployed_stacks() -> None:
    """A stack deployed with `member-{i}` moves to the keyed names without a replace (README "Day two")."""
    from dataclasses import replace

    from components.aws import EksCluster
    from tests.components.test_aws_cluster import PROD
    from tests.plans import record

    editors = {BOB["awsPrincipalArn"]: ["team-research"], AARON["awsPrincipalArn"]: ["team-research"]}
    args = replace(PROD, namespace_editors=editors, api_client_security_group_ids={"deploy-runner": "sg-1"})
    plan = record(lambda: EksCluster("c", args))
    aliases = {
        r.name: [a.rsplit("::", 1)[-1] for a in r.aliases]
        for r in plan.run.resources
        if r.type
        in ("aws:eks/accessEntry:AccessEntry", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert aliases == {
        "c-deployer": [],
        f"c-admin-{principal_key(PROD.admin_principal_arns[0])}": ["c-admin-0"],
        f"c-member-{principal_key(AARON['awsPrincipalArn'])}": ["c-member-0"],  # sorted by principal
        f"c-member-{principal_key(BOB['awsPrincipalArn'])}": ["c-member-1"],
        "c-api-client-deploy-runner": ["c-api-client-0"],
    }
