"""Rules for the kubernetes resources the platform creates."""

from __future__ import annotations

from pulumi_policy import Policy

POLICIES: list[Policy] = []
