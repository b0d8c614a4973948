"""AWS guardrails: S3 buckets private, KMS-encrypted, versioned and hard to destroy; VPC flow logs; tags.

Every rule reads the engine's camelCase properties, treats an unset property as the provider's
default, and skips (never guesses) values that are unknown during preview.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.common.tags import REQUIRED_TAG_KEYS
from policies.common import UNKNOWN, Unknown, elements, entries, has_key, linked_through, of_type, prop

# Type tokens; the V2 names are pulumi-aws's deprecated aliases of the same AWS resources.
BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
BUCKET_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
VPC = ("aws:ec2/vpc:Vpc",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)

# Taggable types the platform creates: checked even when `tags` is missing entirely.
TAGGABLE = frozenset(
    {
        *BUCKET,
        *VPC,
        *FLOW_LOG,
        "aws:ec2/subnet:Subnet",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:kms/key:Key",
        "aws:iam/role:Role",
    }
)

_PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _show(value: object) -> str:
    """A property value as the user wrote it in the program (JSON-ish)."""
    if value is None:
        return "unset"
    return json.dumps(value) if isinstance(value, bool | int | float | str) else repr(value)


def _validate_public_access_block(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in PUBLIC_ACCESS_BLOCK:
        return
    problems: list[str] = []
    for flag in _PUBLIC_ACCESS_FLAGS:
        value = prop(args.props, flag)
        # Unknown until the update runs; the update re-runs this rule with the real value.
        if isinstance(value, Unknown):
            continue
        # Unset is the provider default, false.
        if value is not True:
            problems.append(f"{flag} is {_show(value)}")
    if problems:
        report_violation(f"{', '.join(problems)}; all four flags must be true (unset means false).", None)


def _validate_bucket_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in BUCKET_ENCRYPTION:
        return
    rules = elements(args.props, "rules")
    if isinstance(rules, Unknown):
        return
    if not rules:
        report_violation("no encryption rule is set, so S3 uses SSE-S3 (AES256) without a KMS key.", None)
        return
    problems: list[str] = []
    for index, rule in enumerate(rules):
        if isinstance(rule, Unknown):
            continue
        where = f"rules[{index}]"
        algorithm = prop(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if not isinstance(algorithm, Unknown) and algorithm not in _KMS_ALGORITHMS:
            problems.append(
                f"{where}.applyServerSideEncryptionByDefault.sseAlgorithm is {_show(algorithm)}, "
                f"expected {' or '.join(_KMS_ALGORITHMS)}"
            )
        key = prop(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        if not isinstance(key, Unknown) and not key:
            problems.append(
                f"{where}.applyServerSideEncryptionByDefault.kmsMasterKeyId is unset, "
                "so the AWS-managed aws/s3 key is used instead of the platform's KMS key"
            )
        bucket_key = prop(rule, "bucketKeyEnabled")
        # Unset is the provider default, false.
        if not isinstance(bucket_key, Unknown) and bucket_key is not True:
            problems.append(f"{where}.bucketKeyEnabled is {_show(bucket_key)}, expected true")
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_bucket_versioning(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in BUCKET_VERSIONING:
        return
    status = prop(args.props, "versioningConfiguration", "status")
    if not isinstance(status, Unknown) and status != "Enabled":
        report_violation(f'versioningConfiguration.status is {_show(status)}, expected "Enabled".', None)


def _validate_force_destroy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in BUCKET:
        return
    # The provider default is false, which is the safe value.
    if prop(args.props, "forceDestroy", default=False) is True:
        report_violation(
            "forceDestroy is true, so destroying the stack deletes every object in the bucket.", None
        )


def _provider_default_tags(args: ResourceValidationArgs) -> dict[str, Any] | Unknown:
    """`defaultTags.tags` of the resource's explicit aws provider (the SDK sends it as a JSON string)."""
    if args.provider is None:
        return {}
    raw = prop(args.provider.props, "defaultTags")
    if isinstance(raw, Unknown):
        return UNKNOWN
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return entries(raw, "tags") if isinstance(raw, Mapping) else {}


def _effective_tags(args: ResourceValidationArgs) -> dict[str, Any] | Unknown:
    """Provider default tags, then `tagsAll` (set by the provider's Check), then the resource's own `tags`."""
    merged: dict[str, Any] = {}
    for layer in (_provider_default_tags(args), entries(args.props, "tagsAll"), entries(args.props, "tags")):
        if isinstance(layer, Unknown):
            return UNKNOWN
        merged.update(layer)
    return merged


def _validate_required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    if args.resource_type not in TAGGABLE and not has_key(args.props, "tags"):
        return
    tags = _effective_tags(args)
    if isinstance(tags, Unknown):
        return
    problems: list[str] = []
    missing = [key for key in REQUIRED_TAG_KEYS if tags.get(key) in (None, "")]
    if missing:
        problems.append(f"missing tags: {', '.join(missing)}")
    managed_by = tags.get("managed-by")
    if managed_by not in (None, "", "pulumi") and not isinstance(managed_by, Unknown):
        problems.append(f'tag managed-by is {_show(managed_by)}, expected "pulumi"')
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _bucket_has(companion_types: tuple[str, ...], companion: str) -> StackValidation:
    """A stack check: every bucket has a `companion` whose `bucket` input depends on it."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        linked = linked_through(args.resources, companion_types, "bucket")
        for bucket in of_type(args.resources, BUCKET):
            if bucket.urn not in linked:
                report_violation(
                    f"bucket {bucket.name} has no {companion} whose bucket input comes from it.", bucket.urn
                )

    return validate


def _validate_vpc_flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    linked = linked_through(args.resources, FLOW_LOG, "vpcId")
    for vpc in of_type(args.resources, VPC):
        flow_logs = linked.get(vpc.urn, [])
        if not flow_logs:
            report_violation(f"VPC {vpc.name} has no FlowLog whose vpcId input comes from it.", vpc.urn)
            continue
        traffic = [prop(log.props, "trafficType") for log in flow_logs]
        if any(isinstance(t, Unknown) or t == "ALL" for t in traffic):
            continue
        shown = ", ".join(f"{log.name}: {_show(t)}" for log, t in zip(flow_logs, traffic, strict=True))
        report_violation(f'VPC {vpc.name} flow logs do not capture trafficType "ALL" ({shown}).', vpc.urn)


s3_public_access_block_enabled = ResourceValidationPolicy(
    name="s3-public-access-block-enabled",
    description=(
        "S3 public access blocks must set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and "
        "restrictPublicBuckets to true, so no ACL or bucket policy can expose ML data."
    ),
    validate=_validate_public_access_block,
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_encrypted_with_kms = ResourceValidationPolicy(
    name="s3-bucket-encrypted-with-kms",
    description=(
        "S3 bucket encryption must use SSE-KMS (aws:kms or aws:kms:dsse) with the platform's KMS key and "
        "S3 Bucket Keys, so reading data needs key access and KMS request costs stay low."
    ),
    validate=_validate_bucket_encryption,
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_versioning_enabled = ResourceValidationPolicy(
    name="s3-bucket-versioning-enabled",
    description=(
        "S3 bucket versioning must be Enabled, so overwritten or deleted datasets and models can be recovered."
    ),
    validate=_validate_bucket_versioning,
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_force_destroy_disabled = ResourceValidationPolicy(
    name="s3-bucket-force-destroy-disabled",
    description=(
        "S3 buckets must not set forceDestroy, which lets a stack destroy delete all objects without recovery."
    ),
    validate=_validate_force_destroy,
    enforcement_level=EnforcementLevel.MANDATORY,
)

required_tags = ResourceValidationPolicy(
    name="required-tags",
    description=(
        f"AWS resources must carry the platform tags ({', '.join(REQUIRED_TAG_KEYS)}) with "
        'managed-by "pulumi", so every cost and resource has an owner.'
    ),
    validate=_validate_required_tags,
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_has_public_access_block = StackValidationPolicy(
    name="s3-bucket-has-public-access-block",
    description=(
        "Every S3 bucket must have its own BucketPublicAccessBlock; without one, only account settings "
        "stand between the bucket and the internet."
    ),
    validate=_bucket_has(PUBLIC_ACCESS_BLOCK, "BucketPublicAccessBlock"),
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_has_encryption = StackValidationPolicy(
    name="s3-bucket-has-encryption",
    description=(
        "Every S3 bucket must have its own BucketServerSideEncryptionConfiguration; otherwise it is "
        "encrypted only with the S3-managed key."
    ),
    validate=_bucket_has(BUCKET_ENCRYPTION, "BucketServerSideEncryptionConfiguration"),
    enforcement_level=EnforcementLevel.MANDATORY,
)

s3_bucket_has_versioning = StackValidationPolicy(
    name="s3-bucket-has-versioning",
    description="Every S3 bucket must have its own BucketVersioning; buckets are unversioned by default.",
    validate=_bucket_has(BUCKET_VERSIONING, "BucketVersioning"),
    enforcement_level=EnforcementLevel.MANDATORY,
)

vpc_flow_logs_enabled = StackValidationPolicy(
    name="vpc-flow-logs-enabled",
    description=(
        'Every VPC must have a flow log with trafficType "ALL", so network access can be audited and '
        "incidents investigated."
    ),
    validate=_validate_vpc_flow_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: list[Policy] = [
    s3_public_access_block_enabled,
    s3_bucket_encrypted_with_kms,
    s3_bucket_has_public_access_block,
    s3_bucket_has_encryption,
    s3_bucket_versioning_enabled,
    s3_bucket_has_versioning,
    s3_bucket_force_destroy_disabled,
    vpc_flow_logs_enabled,
    required_tags,
]
