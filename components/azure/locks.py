"""Azure's own deletion protection: a CanNotDelete management lock on one resource."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native


def delete_lock(
    name: str, *, scope: pulumi.Input[str], what: str, parent: pulumi.Resource
) -> azure_native.authorization.ManagementLockByScope:
    """Azure refuses to delete the resource at `scope` (and its children) until the lock is removed."""
    return azure_native.authorization.ManagementLockByScope(
        name,
        azure_native.authorization.ManagementLockByScopeArgs(
            scope=scope,
            level=azure_native.authorization.LockLevel.CAN_NOT_DELETE,
            lock_name="mlplat-do-not-delete",
            notes=f"Protects the {what}; remove this lock deliberately before deleting it (managed by Pulumi).",
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
