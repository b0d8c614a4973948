"""A dedicated service account and its project roles: the one way GCP components create identities."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp


def service_account_with_roles(
    name: str,
    *,
    project: pulumi.Input[str],
    account_id: pulumi.Input[str],
    display_name: str,
    description: str,
    roles: Sequence[str],
    opts: pulumi.ResourceOptions,
) -> gcp.serviceaccount.Account:
    """The account `name`, plus one project IAM member per role, named `<name>-<role>`."""
    account = gcp.serviceaccount.Account(
        name,
        gcp.serviceaccount.AccountArgs(
            project=project, account_id=account_id, display_name=display_name, description=description
        ),
        opts=opts,
    )
    for role in roles:
        gcp.projects.IAMMember(
            f"{name}-{role.removeprefix('roles/').replace('.', '-').lower()}",
            gcp.projects.IAMMemberArgs(project=project, role=role, member=account.member),
            opts=opts,
        )
    return account
