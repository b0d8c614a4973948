"""Kubernetes versions inside standard support: the pack's own copy of the clouds' calendars, and the rule.

A version past standard support bills extended support (EKS $0.60 instead of $0.10 per cluster hour,
the GKE Extended channel's extra fee, AKS long-term support on the Premium tier) or runs unpatched.
The dates are the pack's own copy, so a mistake in the program's calendar cannot hide here;
tests/test_versions.py compares both copies with each other.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from policies.common import UNKNOWN, Unknown, elements, judges, prop
from policies.concepts import guards
from policies.controls import implements

# Read 2026-12-01.
# EKS: docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (release calendar).
# GKE: cloud.google.com/kubernetes-engine/docs/release-schedule (end of standard support, estimated).
# AKS: learn.microsoft.com/azure/aks/supported-kubernetes-versions (end of life; month-only dates are
#      the month's last day).
STANDARD_SUPPORT_ENDS: Final[dict[str, dict[str, dt.date]]] = {
    "aws": {
        "1.32": dt.date(2026, 3, 23),
        "1.33": dt.date(2026, 7, 29),
        "1.34": dt.date(2026, 12, 2),
        "1.35": dt.date(2027, 3, 27),
    },
    "gcp": {
        "1.32": dt.date(2026, 4, 11),
        "1.33": dt.date(2026, 8, 3),
        "1.34": dt.date(2026, 10, 1),
        "1.35": dt.date(2027, 4, 11),
    },
    "azure": {
        "1.32": dt.date(2026, 3, 31),
        "1.33": dt.date(2026, 7, 31),
        "1.34": dt.date(2026, 11, 30),
        "1.35": dt.date(2027, 3, 31),
        "1.36": dt.date(2027, 6, 30),
        "1.37": dt.date(2027, 10, 31),
    },
}
WARN_DAYS: Final = 60
SERVICE: Final = {"aws": "EKS", "gcp": "GKE", "azure": "AKS"}
AFTER_STANDARD: Final = {
    "aws": "extended support at $0.60 instead of $0.10 per cluster hour",
    "gcp": "an Extended-channel fee, or a forced upgrade on the other channels",
    "azure": "no patches, or long-term support on the Premium tier",
}

EKS_CLUSTER: Final = "aws:eks/cluster:Cluster"
GKE_CLUSTER: Final = "gcp:container/cluster:Cluster"
AKS_CLUSTER: Final = "azure-native:containerservice:ManagedCluster"
AKS_POOL: Final = "azure-native:containerservice:AgentPool"

_MINOR = re.compile(r"^v?(\d+\.\d+)(?:\.|$|-)")


def minor(version: object) -> str | None:
    """ "1.35", "1.35.2" and "1.35.3-gke.100" are all minor version "1.35"."""
    found = _MINOR.match(version) if isinstance(version, str) else None
    return found.group(1) if found else None


def _versions(resource_type: str, props: Any) -> list[tuple[str, object]]:
    """(where, version) pairs the resource pins; an unset version is the service's default, which is current."""
    if resource_type == EKS_CLUSTER:
        return [("version", prop(props, "version"))]
    if resource_type == GKE_CLUSTER:
        return [("minMasterVersion", prop(props, "minMasterVersion"))]
    if resource_type == AKS_CLUSTER:
        found: list[tuple[str, object]] = [("kubernetesVersion", prop(props, "kubernetesVersion"))]
        pools = elements(props, "agentPoolProfiles")
        if not isinstance(pools, Unknown):
            for i, pool in enumerate(pools):
                found.append(
                    (f"agentPoolProfiles[{i}].orchestratorVersion", prop(pool, "orchestratorVersion"))
                )
        return found
    if resource_type == AKS_POOL:
        return [("orchestratorVersion", prop(props, "orchestratorVersion"))]
    return []


def _cloud(resource_type: str) -> str:
    return "azure" if resource_type.startswith("azure-native:") else resource_type.split(":")[0]


def problems(resource_type: str, props: Any, today: dt.date, warn_days: int = WARN_DAYS) -> list[str]:
    """What is wrong with the versions a cluster or node pool pins, judged on `today`."""
    cloud = _cloud(resource_type)
    calendar = STANDARD_SUPPORT_ENDS.get(cloud, {})
    found: list[str] = []
    for where, version in _versions(resource_type, props):
        if version is None or version is UNKNOWN:
            continue
        key = minor(version)
        ends = calendar.get(key or "")
        service = SERVICE[cloud]
        if ends is None:
            known = ", ".join(sorted(calendar))
            found.append(
                f"{where} {version!r} is not in the {service} calendar the pack knows ({known}); "
                "add its dates to policies/versions.py or pin a listed version"
            )
        elif ends <= today:
            found.append(
                f"{where} {version!r}: {service} standard support for {key} ended on {ends} "
                f"({AFTER_STANDARD[cloud]}); pin a newer version in mlplat:versions.kubernetes.{cloud}"
            )
        elif (ends - today).days <= warn_days:
            found.append(
                f"{where} {version!r}: {service} standard support for {key} ends on {ends}, in "
                f"{(ends - today).days} days ({AFTER_STANDARD[cloud]} after that); upgrade before then"
            )
    return found


def _today(config: Any) -> dt.date:
    as_of = config.get("asOf") if hasattr(config, "get") else None
    return dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else dt.date.today()


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (EKS_CLUSTER, GKE_CLUSTER, AKS_CLUSTER, AKS_POOL):
        return
    config = args.get_config()
    warn_days = config.get("warnDays", WARN_DAYS)
    found = problems(args.resource_type, args.props, _today(config), int(warn_days))
    if found:
        report_violation("; ".join(found) + ".", None)


kubernetes_version_in_standard_support = judges(
    ResourceValidationPolicy(
        name="kubernetes-version-in-standard-support",
        description=(
            "EKS, GKE and AKS clusters and node pools pin a Kubernetes version that stays in its cloud's standard "
            f"support for at least {WARN_DAYS} more days, so no cluster slides into extended-support billing or "
            "runs unpatched."
        ),
        validate=_validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema(
            properties={
                "warnDays": {
                    "type": "integer",
                    "default": WARN_DAYS,
                    "description": "flag a version this many days before its standard support ends",
                },
                "asOf": {"type": "string", "description": "judge on this date (YYYY-MM-DD) instead of today"},
            }
        ),
    ),
    (EKS_CLUSTER, GKE_CLUSTER, AKS_CLUSTER, AKS_POOL),
)

guards(kubernetes_version_in_standard_support, "kubernetes-version-support")

POLICIES = [kubernetes_version_in_standard_support]

implements(kubernetes_version_in_standard_support, "aws-fsbp:EKS.2", "cis-gcp:4.12", "mcsb:PV-6")
