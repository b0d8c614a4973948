"""IAM policy documents as plain data (JSON built in Python, no provider invoke needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi


def statement(
    *,
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]] | pulumi.Input[str],
    effect: str = "Allow",
    principals: Mapping[str, Any] | str | None = None,
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resources}
    if principals is not None:
        body["Principal"] = principals
    if conditions:
        body["Condition"] = conditions
    return body


def document(*statements: Mapping[str, Any]) -> pulumi.Output[str]:
    """A policy document; Output-valued fields are resolved before serialising."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str, source_account: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    conditions = (
        {"StringEquals": {"aws:SourceAccount": source_account}} if source_account is not None else None
    )
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            **({"Condition": conditions} if conditions else {}),
        }
    )
