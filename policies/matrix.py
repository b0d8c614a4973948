"""The concept-by-cloud matrix of the pack's guardrails, from each rule's `guards` and `judges` declarations.

A rule's columns are the clouds of the type packages it judges (`aws:`, `gcp:`, `azure-native:`,
`kubernetes:`); a stack rule, which declares no types, belongs to the cloud of its module, and the cost
rules, which judge the whole stack's estimate, to every cloud.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Final

from pulumi_policy import Policy

from policies import aws, azure, cost, gcp, kubernetes, versions
from policies.common import judged_types
from policies.concepts import CLOUDS, CONCEPTS, NOT_APPLICABLE, guarded

# Module -> the clouds its stack rules belong to.
MODULE_CLOUDS: Final[dict[ModuleType, tuple[str, ...]]] = {
    aws: ("aws",),
    gcp: ("gcp",),
    azure: ("azure",),
    kubernetes: ("kubernetes",),
    versions: ("aws", "gcp", "azure"),
    cost: ("aws", "gcp", "azure"),
}
_PACKAGES: Final = {"aws": "aws", "gcp": "gcp", "azure-native": "azure", "kubernetes": "kubernetes"}

Cell = tuple[str, str]


def rules() -> list[tuple[Policy, tuple[str, ...]]]:
    """Every rule of the pack with the clouds (matrix columns) it guards."""
    found: list[tuple[Policy, tuple[str, ...]]] = []
    for module, default in MODULE_CLOUDS.items():
        for policy in module.POLICIES:
            types = judged_types(policy)
            clouds = (
                default if types is None else tuple(sorted({_PACKAGES[t.split(":", 1)[0]] for t in types}))
            )
            found.append((policy, clouds))
    return found


def matrix(entries: Iterable[tuple[Policy, tuple[str, ...]]] | None = None) -> dict[Cell, list[str]]:
    """(concept, cloud) -> the names of the rules that guard it there, sorted."""
    cells: dict[Cell, list[str]] = {}
    for policy, clouds in rules() if entries is None else entries:
        for concept in guarded(policy):
            for cloud in clouds:
                cells.setdefault((concept, cloud), []).append(policy.name)
    return {cell: sorted(names) for cell, names in cells.items()}


def gaps(cells: dict[Cell, list[str]]) -> list[Cell]:
    """Cells with neither a rule nor a not-applicable reason."""
    return [
        (concept, cloud)
        for concept in CONCEPTS
        for cloud in CLOUDS
        if (concept, cloud) not in cells and (concept, cloud) not in NOT_APPLICABLE
    ]


def stale_reasons(cells: dict[Cell, list[str]]) -> list[Cell]:
    """Not-applicable cells that do have a rule: the reason no longer holds."""
    return sorted(cell for cell in NOT_APPLICABLE if cell in cells)


def unclassified() -> list[str]:
    """Rules that declare no concept."""
    return sorted(policy.name for policy, _ in rules() if not guarded(policy))
