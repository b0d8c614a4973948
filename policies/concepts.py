"""What each rule guards: a fixed vocabulary of concepts, each rule's declaration, and the cells that do not apply.

`policies/matrix.py` lays the declarations out as a concept-by-cloud matrix (generated into docs/policies.md);
`tests/policies/test_guardrail_matrix.py` fails on a cell with neither a rule nor a reason here, so a concept
guarded on one cloud cannot silently stay unguarded on the equivalent resources of another.
"""

from __future__ import annotations

from typing import Final, TypeVar

from pulumi_policy import Policy

# The vocabulary, in the matrix's row order: concept -> what it means, in one line.
CONCEPTS: Final[dict[str, str]] = {
    "encryption-cmk": "Data at rest (buckets, disks, logs, topics, ML stores) is encrypted with a customer-managed key.",
    "key-rotation": "Customer-managed keys rotate automatically.",
    "kubernetes-secrets-encryption": "Kubernetes Secrets are envelope-encrypted with a customer-managed key.",
    "public-access": "Nothing is public: no public principals, ACLs or network access on data stores and "
    "workspaces, no ingress from the internet, no public IPs.",
    "private-api-endpoints": "Kubernetes API servers are reached on private endpoints (dev may allow-list networks).",
    "private-service-access": "Workloads reach cloud services privately: private or interface endpoints with "
    "private DNS, Private Google Access.",
    "network-segmentation": "Networks are segmented: custom subnets, each filtered (security groups, NSGs, "
    "network policy), egress through NAT.",
    "pulumi-protect": "Data stores, keys, clusters and workspaces carry Pulumi `protect` (mandatory in prod).",
    "deletion-protection": "The cloud's own deletion protection: protection flags, locks, purge protection, "
    "retained storage, no forceDestroy, nothing shared torn down on destroy.",
    "audit-logging": "Control-plane and key-access audit logs are collected, encrypted and retained.",
    "flow-logs": "Network traffic is logged (VPC / VNet flow logs, NAT logs).",
    "versioning": "Object versioning and soft delete keep overwritten or deleted data recoverable.",
    "storage-lifecycle": "Stored artefacts expire, so storage cost stays bounded (image cleanup, log retention).",
    "required-tags": "Every resource carries the platform tags/labels, so every cost has an owner.",
    "least-privilege-iam": "Identities get only what their job needs: no admin wildcards, basic or owner roles, "
    "broad managed policies or default accounts.",
    "cluster-identity": "Cluster access goes through the cloud's identity (no local accounts, legacy auth or "
    "hidden admins), and pods use workload identity.",
    "node-hardening": "Nodes and notebook hosts are hardened: protected instance metadata, secure boot, no SSH, "
    "root or Docker access.",
    "idle-shutdown": "Idle notebooks and ML compute stop on their own.",
    "gpu-capped": "GPU pools (and teams' GPU quotas) have a ceiling.",
    "gpu-scale-to-zero": "GPU pools scale to zero when idle, and can scale up again from zero.",
    "gpu-spot-dev": "GPU pools run on spot capacity where the stack requires it (dev).",
    "gpu-taint": "GPU nodes are tainted so only GPU workloads land there, and GPU daemons tolerate the taint.",
    "gpu-schedulable": "GPU jobs can run: drivers, a pool the autoscaler understands, autoscaling on.",
    "cluster-operable": "Clusters come up usable: core add-ons, an administrator, a pool for system pods, an SLA tier.",
    "kubernetes-version-support": "Clusters run a Kubernetes version in standard support and take patches "
    "(release channel, auto-upgrade).",
    "pinned-versions": "Charts installed in clusters are pinned to exact versions, so what dev proved is what prod gets.",
    "gpu-quotas-queues": "Teams share GPUs through quotas, limit ranges and queues that work.",
    "budget-alerts": "Every cloud has a budget that alerts someone on actual and forecast spend.",
    "cost-within-budget": "The plan's estimated idle and peak cost stay within the stack's budget.",
}

# The matrix's columns: a rule's cloud comes from the packages of the types it judges (`judges`), or, for a
# stack rule, from the module it lives in (policies/matrix.py). Kubernetes rules judge objects on all three clusters.
CLOUDS: Final[dict[str, str]] = {"aws": "AWS", "gcp": "GCP", "azure": "Azure", "kubernetes": "Kubernetes"}

_IN_THE_CLUSTER = "a Kubernetes object on every cluster; no cloud API holds it (see the Kubernetes column)"
_ON_THE_CLOUD = "a setting of the cloud's own resources; no Kubernetes object the platform installs holds it"

# Concept -> why it needs no Kubernetes rule.
_NOT_IN_THE_CLUSTER: Final[dict[str, str]] = {
    "encryption-cmk": "Kubernetes objects keep no data at rest of their own; Secrets are the cluster's setting "
    "(kubernetes-secrets-encryption)",
    "key-rotation": "keys live in the clouds' key services, not in the cluster",
    "kubernetes-secrets-encryption": "envelope encryption is set on the cloud's cluster resource",
    "public-access": "the platform creates no Service or Ingress itself and sets no chart's service type, so "
    "nothing in a cluster gets an address outside it",
    "private-api-endpoints": "the API server's endpoint is set on the cloud's cluster resource",
    "private-service-access": _ON_THE_CLOUD,
    "pulumi-protect": "the platform's Kubernetes objects hold no data and are recreated from the program; the "
    "data stores and clusters are protected on each cloud",
    "deletion-protection": _ON_THE_CLOUD,
    "audit-logging": "control-plane audit logs are switched on at the cloud's cluster resource",
    "flow-logs": _ON_THE_CLOUD,
    "versioning": "the platform keeps no data in Kubernetes objects",
    "storage-lifecycle": "the platform keeps no data in Kubernetes objects",
    "required-tags": "Kubernetes objects are not billed; cost ownership lives in the clouds' tags",
    "cluster-identity": _ON_THE_CLOUD,
    "idle-shutdown": "notebooks and ML compute are the clouds' ML workspaces, not cluster objects",
    "gpu-spot-dev": "spot or on-demand is a property of the cloud's node pool",
    "cluster-operable": _ON_THE_CLOUD,
    "kubernetes-version-support": "the Kubernetes version is pinned on the cloud's cluster and pools",
    "budget-alerts": "budgets are billing resources of each cloud",
    "cost-within-budget": "the estimate prices the clouds' capacity; Kubernetes objects cost nothing",
}
# Concepts that exist only inside the clusters.
_ONLY_IN_THE_CLUSTER: Final = ("pinned-versions", "gpu-quotas-queues")

# (concept, cloud) -> why no rule is needed there: the concept does not exist there, or the platform creates
# no such resource there (the reason says which).
NOT_APPLICABLE: Final[dict[tuple[str, str], str]] = {
    **{(concept, "kubernetes"): reason for concept, reason in _NOT_IN_THE_CLUSTER.items()},
    **{
        (concept, cloud): _IN_THE_CLUSTER
        for concept in _ONLY_IN_THE_CLUSTER
        for cloud in ("aws", "gcp", "azure")
    },
}

# Policy name -> the concepts it guards. Keyed by name, so a rule re-wrapped later (`with_remediation`) keeps it.
GUARDS: dict[str, tuple[str, ...]] = {}

P = TypeVar("P", bound=Policy)


def guards(policy: P, *concepts: str) -> P:
    """Declare the concepts `policy` guards (from `CONCEPTS`); returns the policy unchanged."""
    unknown = [c for c in concepts if c not in CONCEPTS]
    if unknown or not concepts:
        raise ValueError(
            f"{policy.name}: guards needs concepts from policies.concepts.CONCEPTS, got {concepts}"
        )
    GUARDS[policy.name] = tuple(concepts)
    return policy


def guarded(policy: Policy) -> tuple[str, ...]:
    """The concepts `policy` declares; empty when it declares none."""
    return GUARDS.get(policy.name, ())
