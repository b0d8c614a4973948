"""Physical names that respect each cloud's limits, derived the same way everywhere.

Logical (Pulumi) names are `f"{component}-{purpose}"`; physical names are built here when a
cloud needs a specific shape (S3/GCS 63 lowercase, Azure storage 24 alphanumerics, ...).
Too-long names are truncated and end in a short hash of the full name, so they stay unique.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class NameRule:
    max_length: int
    allowed: str  # regex character class of allowed characters
    separator: str = "-"
    lowercase: bool = True
    reserve: int = 0  # characters kept free for the provider's random suffix (autonaming prefixes)


RULES: dict[str, NameRule] = {
    # Prefixes for provider autonaming: the provider appends up to 26 characters.
    "s3-bucket-prefix": NameRule(63, "a-z0-9-", reserve=26),
    "gcs-bucket": NameRule(63, "a-z0-9-"),
    "aws-iam-role": NameRule(64, "A-Za-z0-9+=,.@_-", lowercase=False),
    "aws-eks-cluster": NameRule(100, "A-Za-z0-9_-", lowercase=False),
    "aws-sagemaker-domain": NameRule(63, "A-Za-z0-9-", lowercase=False),
    "aws-kms-alias": NameRule(250, "A-Za-z0-9/_-", lowercase=False),
    "gcp-resource": NameRule(63, "a-z0-9-"),
    "gcp-service-account": NameRule(30, "a-z0-9-"),
    "gke-cluster": NameRule(40, "a-z0-9-"),
    "gke-node-pool": NameRule(40, "a-z0-9-"),
    "azure-resource-group": NameRule(90, "A-Za-z0-9._()-", lowercase=False),
    "azure-storage-account": NameRule(24, "a-z0-9", separator=""),
    "azure-key-vault": NameRule(24, "a-z0-9-"),
    "azure-container-registry": NameRule(50, "a-z0-9", separator=""),
    "azure-aks-cluster": NameRule(63, "a-z0-9-"),
    "azure-agent-pool": NameRule(12, "a-z0-9", separator=""),
    "azure-ml-workspace": NameRule(33, "a-z0-9-"),
    "azure-ml-compute": NameRule(24, "a-z0-9-"),
}

_HASH_LENGTH = 6


def physical_name(kind: str, *parts: str) -> str:
    """Join `parts` into a name valid for `kind`, truncating with a stable hash suffix when too long."""
    rule = RULES[kind]
    joined = rule.separator.join(p for p in parts if p)
    if rule.lowercase:
        joined = joined.lower()
    cleaned = re.sub(f"[^{rule.allowed}]+", rule.separator, joined)
    if rule.separator:
        cleaned = re.sub(f"{re.escape(rule.separator)}+", rule.separator, cleaned).strip(rule.separator)
    limit = rule.max_length - rule.reserve
    if len(cleaned) <= limit:
        return cleaned
    digest = hashlib.sha256(joined.encode()).hexdigest()[:_HASH_LENGTH]
    head = cleaned[: limit - _HASH_LENGTH - len(rule.separator)].rstrip(rule.separator)
    return f"{head}{rule.separator}{digest}"


def validate_physical_name(kind: str, name: str) -> bool:
    rule = RULES[kind]
    return len(name) <= rule.max_length and re.fullmatch(f"[{rule.allowed}]+", name) is not None


def principal_key(principal: str) -> str:
    """A short stable key for a principal (an IAM ARN, an Entra object id, an email) in a logical name.

    Logical names come from what identifies a thing, never from its position in a list: `member-{i}`
    renames every member after the one who joined, and the cloud refuses the duplicate (STYLE.md). A
    principal has no readable key the cloud guarantees, so its name carries a hash of the principal: the
    same identity gives the same name whichever list it is in and wherever. IAM role and user names, Entra
    object ids and email addresses compare case-insensitively, so the key does too.
    """
    return hashlib.sha256(principal.strip().lower().encode()).hexdigest()[:8]


def positional_alias(name: str, old: str | None) -> list[pulumi.Alias]:
    """The alias that moves a resource from its old positional logical name `old` to `name`, if there was one.

    Only for resources a deployed stack may hold under the old name and that a rename would break (a
    duplicate the cloud refuses, or access lost when the old one is deleted). The old name is computed from
    the current list, so it matches what a stack deployed when nothing in the list changed in the same
    deploy (README "Day two": deploy the rename before changing members).
    """
    return [pulumi.Alias(name=old)] if old is not None and old != name else []
