"""The mlplat guardrails pack: its name and every rule, importable without starting a server."""

from __future__ import annotations

from collections import Counter

from pulumi_policy import Policy

from policies import aws, azure, cost, gcp, kubernetes, versions

PACK_NAME = "mlplat-guardrails"

POLICIES: list[Policy] = [
    *aws.POLICIES,
    *gcp.POLICIES,
    *azure.POLICIES,
    *kubernetes.POLICIES,
    *versions.POLICIES,
    *cost.POLICIES,
]

# The SDK does not reject duplicates, and a second rule with the same name would hide behind the first.
_duplicates = sorted(name for name, count in Counter(p.name for p in POLICIES).items() if count > 1)
if _duplicates:
    raise ValueError(f"duplicate policy names in {PACK_NAME}: {', '.join(_duplicates)}")
