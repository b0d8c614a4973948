"""Create, or verify, the S3 bucket and KMS key behind Pulumi's self-managed state backend.

Idempotent, and it never deletes or weakens anything. On a bucket that already exists, a setting
below the baseline is reported as `weaker` and changed only with `fix=True`, through calls that
configure the bucket and never touch its objects. The one baseline setting that would touch
objects (expiring noncurrent versions) is set on new buckets only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from mlplat.ops import error_code

# ok: meets the baseline; created: set on a new bucket or key; fixed: strengthened (fix=True);
# weaker: below the baseline and left alone; advice: short of the baseline, not a risk, left alone;
# planned: missing, and would be created without --dry-run.
Status = Literal["ok", "created", "fixed", "weaker", "advice", "planned"]


def default_alias(env: str) -> str:
    """One state key per environment: a job decrypts only its own environment's stack secrets."""
    return f"alias/mlplat-{env}-state"


NONCURRENT_VERSION_DAYS = 90  # old state versions stay restorable for a quarter
TAGS = {"managed-by": "mlplat", "purpose": "pulumi-state"}
_PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_KMS = ("aws:kms", "aws:kms:dsse")


class BootstrapError(Exception):
    """The bucket or key cannot serve as asked (name taken, another region, unusable key)."""


@dataclass(frozen=True)
class Check:
    subject: str
    status: Status
    detail: str


@dataclass(frozen=True)
class StateBackend:
    bucket: str
    region: str
    alias: str
    key_arn: str
    checks: tuple[Check, ...]

    @property
    def weaker(self) -> list[Check]:
        return [c for c in self.checks if c.status == "weaker"]

    @property
    def changed(self) -> list[Check]:
        return [c for c in self.checks if c.status in ("created", "fixed")]

    @property
    def backend_url(self) -> str:
        """Pulumi's documented S3 backend URL; `awssdk=v2` makes the CLI honour `region`."""
        return f"s3://{self.bucket}?region={self.region}&awssdk=v2"

    @property
    def secrets_provider(self) -> str:
        return f"awskms://{self.alias}?region={self.region}"

    def pulumi_commands(self, stacks: Sequence[str]) -> list[str]:
        return [
            f"pulumi login '{self.backend_url}'",
            *(f"pulumi stack init {s} --secrets-provider '{self.secrets_provider}'" for s in stacks),
        ]


def normalize_alias(name: str) -> str:
    """`state` or `alias/state` -> `alias/state`; refuses names KMS reserves or rejects."""
    alias = name if name.startswith("alias/") else f"alias/{name}"
    if not re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", alias):
        raise ValueError(f"KMS alias {name!r}: letters, digits, '/', '_' and '-' only")
    if alias.startswith("alias/aws/"):
        raise ValueError(f"KMS alias {name!r}: alias/aws/ is reserved for AWS managed keys")
    return alias


def check_bucket_name(name: str) -> None:
    """S3's naming rules, without dots (they break TLS on virtual-hosted addresses)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name):
        raise ValueError(
            f"bucket name {name!r}: 3-63 characters, lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3")):
        raise ValueError(f"bucket name {name!r}: prefix or suffix reserved by S3")


def bootstrap_state_backend(
    s3: BaseClient,
    kms: BaseClient,
    *,
    bucket: str,
    region: str,
    alias: str,
    fix: bool = False,
    dry_run: bool = False,
) -> StateBackend:
    """Make `bucket` (in `region`) and the key behind `alias` ready for Pulumi, or say what falls short."""
    exists = _bucket_exists(s3, bucket, region)  # before creating a key for a bucket we cannot use
    if dry_run:
        return _plan(s3, kms, bucket, region, alias, exists)
    key_arn, key_checks = _ensure_key(kms, alias, fix)
    target = _Target(bucket, region, alias, key_arn)
    if exists:
        bucket_checks = [Check("bucket", "ok", f"{bucket} in {region}")]
        bucket_checks += [_settle(rule, s3, target, fix) for rule in RULES]
    else:
        _create_bucket(s3, target)
        bucket_checks = [Check("bucket", "created", f"{bucket} in {region}")]
        for rule in RULES:
            rule.apply(s3, target, None)
            bucket_checks.append(Check(rule.subject, "created", rule.read(s3, target).detail))
    return StateBackend(bucket, region, alias, key_arn, (*key_checks, *bucket_checks))


def _plan(
    s3: BaseClient, kms: BaseClient, bucket: str, region: str, alias: str, exists: bool
) -> StateBackend:
    """--dry-run: what exists is read (never changed), what is missing is `planned`."""
    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
        key_arn, checks = meta["Arn"], [Check("KMS key", "ok", f"{alias} -> {meta['Arn']}")]
    except ClientError as error:
        if error_code(error) != "NotFoundException":
            raise
        key_arn = f"arn:aws:kms:{region}:(account):key/(new)"
        checks = [Check("KMS key", "planned", f"{alias}, automatic rotation on")]
    if exists:
        target = _Target(bucket, region, alias, key_arn)
        checks += [Check("bucket", "ok", f"{bucket} in {region}")]
        checks += [_settle(rule, s3, target, False) for rule in RULES]
    else:
        checks += [Check("bucket", "planned", f"{bucket} in {region}")]
        checks += [Check(rule.subject, "planned", rule.wanted) for rule in RULES]
    return StateBackend(bucket, region, alias, key_arn, tuple(checks))


# --- the key ---------------------------------------------------------------------------------------


def _ensure_key(kms: BaseClient, alias: str, fix: bool) -> tuple[str, list[Check]]:
    try:
        meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) != "NotFoundException":
            raise
        meta = kms.create_key(
            Description="Pulumi state: S3 default encryption and the awskms:// secrets provider (mlplat)",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": k, "TagValue": v} for k, v in TAGS.items()],
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])  # first: a rerun finds the key
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        return meta["Arn"], [
            Check("KMS key", "created", f"{alias} -> {meta['Arn']}"),
            Check("key rotation", "created", "automatic rotation on"),
        ]

    problem = _unusable(meta)
    if problem:
        raise BootstrapError(
            f"{alias} points at key {meta['KeyId']}, which {problem}; choose another --kms-alias"
        )
    checks = [Check("KMS key", "ok", f"{alias} -> {meta['Arn']}")]
    if kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]:
        checks.append(Check("key rotation", "ok", "automatic rotation on"))
    elif fix:
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        checks.append(Check("key rotation", "fixed", "automatic rotation off -> on"))
    else:
        checks.append(Check("key rotation", "weaker", "automatic rotation off; --fix turns it on"))
    return meta["Arn"], checks


def _unusable(meta: dict[str, Any]) -> str | None:
    if meta.get("KeyState") != "Enabled":
        return f"is {meta.get('KeyState')}"
    if meta.get("KeyManager") == "AWS":
        return "is an AWS managed key"
    if (
        meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        or meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"
    ):
        return "is not a symmetric encryption key"
    return None


# --- the bucket ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    bucket: str
    region: str
    alias: str
    key_arn: str

    @property
    def partition(self) -> str:
        return self.key_arn.split(":")[1]

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    def is_our_key(self, ref: str | None) -> bool:
        if not ref:
            return False
        account_prefix = self.key_arn.rsplit(":", 1)[0]  # arn:aws:kms:<region>:<account>
        key_id = self.key_arn.rsplit("/", 1)[-1]
        return ref in {self.key_arn, key_id, self.alias, f"{account_prefix}:{self.alias}"}


def _bucket_exists(s3: BaseClient, bucket: str, region: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error_code(error)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied", "Forbidden"):
            raise BootstrapError(
                f"bucket {bucket} exists but these credentials cannot use it (another account owns it, "
                "or s3:ListBucket is denied); choose another --bucket"
            ) from None
        raise
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    actual = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    if actual != region:
        raise BootstrapError(f"bucket {bucket} is in {actual}, not {region}; pass --region {actual}")
    return True


def _create_bucket(s3: BaseClient, t: _Target) -> None:
    request: dict[str, Any] = {"Bucket": t.bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if t.region != "us-east-1":  # the one region S3 refuses as an explicit location constraint
        request["CreateBucketConfiguration"] = {"LocationConstraint": t.region}
    try:
        s3.create_bucket(**request)
    except ClientError as error:
        if error_code(error) == "BucketAlreadyExists":
            raise BootstrapError(f"bucket name {t.bucket} is taken; choose another --bucket") from None
        raise
    s3.get_waiter("bucket_exists").wait(Bucket=t.bucket, WaiterConfig={"Delay": 2, "MaxAttempts": 30})
    s3.put_bucket_tagging(
        Bucket=t.bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in TAGS.items()]}
    )


@dataclass(frozen=True)
class _Reading:
    meets: bool
    detail: str
    current: Any = None  # what `apply` builds on, so a fix keeps what is already there


@dataclass(frozen=True)
class _Rule:
    subject: str
    wanted: str  # the baseline, in the words a weaker finding uses
    read: Callable[[BaseClient, _Target], _Reading]
    apply: Callable[[BaseClient, _Target, Any], None]
    unfixable: str | None = None  # why an existing bucket is never changed for this rule


def _settle(rule: _Rule, s3: BaseClient, t: _Target, fix: bool) -> Check:
    reading = rule.read(s3, t)
    if reading.meets:
        return Check(rule.subject, "ok", reading.detail)
    if rule.unfixable:
        return Check(rule.subject, "advice", f"{reading.detail}; {rule.unfixable}")
    if fix:
        rule.apply(s3, t, reading.current)
        return Check(rule.subject, "fixed", f"{reading.detail} -> {rule.read(s3, t).detail}")
    return Check(rule.subject, "weaker", f"{reading.detail}; --fix sets: {rule.wanted}")


def _missing(error: ClientError, *codes: str) -> bool:
    return error_code(error) in codes


# Public access block


def _read_public_access(s3: BaseClient, t: _Target) -> _Reading:
    try:
        config = s3.get_public_access_block(Bucket=t.bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if _missing(error, "NoSuchPublicAccessBlockConfiguration"):
            return _Reading(False, "no public access block")
        raise
    off = [flag for flag in _PUBLIC_ACCESS_FLAGS if not config.get(flag)]
    return _Reading(not off, f"{', '.join(off)} off" if off else "all four blocks on")


def _apply_public_access(s3: BaseClient, t: _Target, _: Any) -> None:
    s3.put_public_access_block(
        Bucket=t.bucket, PublicAccessBlockConfiguration=dict.fromkeys(_PUBLIC_ACCESS_FLAGS, True)
    )


# Object ownership


def _read_ownership(s3: BaseClient, t: _Target) -> _Reading:
    try:
        rules = s3.get_bucket_ownership_controls(Bucket=t.bucket)["OwnershipControls"]["Rules"]
    except ClientError as error:
        if _missing(error, "OwnershipControlsNotFoundError"):
            return _Reading(False, "no ownership controls (ACLs in effect)")
        raise
    ownership = rules[0]["ObjectOwnership"] if rules else "not set"
    if ownership == "BucketOwnerEnforced":
        return _Reading(True, "BucketOwnerEnforced (ACLs disabled)")
    return _Reading(False, f"{ownership} (ACLs in effect)")


def _apply_ownership(s3: BaseClient, t: _Target, _: Any) -> None:
    s3.put_bucket_ownership_controls(
        Bucket=t.bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )


# Versioning


def _read_versioning(s3: BaseClient, t: _Target) -> _Reading:
    status = s3.get_bucket_versioning(Bucket=t.bucket).get("Status")
    return _Reading(status == "Enabled", {None: "never enabled"}.get(status, str(status).lower()))


def _apply_versioning(s3: BaseClient, t: _Target, _: Any) -> None:
    s3.put_bucket_versioning(Bucket=t.bucket, VersioningConfiguration={"Status": "Enabled"})


# Default encryption


def _read_encryption(s3: BaseClient, t: _Target) -> _Reading:
    try:
        rules = s3.get_bucket_encryption(Bucket=t.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as error:
        if _missing(error, "ServerSideEncryptionConfigurationNotFoundError"):
            return _Reading(False, "no default encryption")
        raise
    rule = rules[0] if rules else {}
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    if algorithm not in _KMS:
        return _Reading(False, f"{algorithm or 'no'} default encryption, not SSE-KMS", rule)
    which = t.alias if t.is_our_key(key) else f"another key ({key})" if key else "the AWS managed key aws/s3"
    if algorithm == "aws:kms" and not rule.get("BucketKeyEnabled"):  # DSSE-KMS has no bucket keys
        return _Reading(False, f"SSE-KMS with {which}, bucket key off", rule)
    if algorithm == "aws:kms:dsse":
        return _Reading(True, f"DSSE-KMS with {which}", rule)
    return _Reading(True, f"SSE-KMS with {which}, bucket key on", rule)


def _apply_encryption(s3: BaseClient, t: _Target, current: dict[str, Any] | None) -> None:
    default = (current or {}).get("ApplyServerSideEncryptionByDefault", {})
    if default.get("SSEAlgorithm") in _KMS:
        wanted = default  # already SSE-KMS: keep its key, turn the bucket key on
    else:
        wanted = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": t.key_arn}
    s3.put_bucket_encryption(
        Bucket=t.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": wanted, "BucketKeyEnabled": True}]
        },
    )


# TLS-only bucket policy (the same statements as components/aws/bucket.py)


def _tls_statements(t: _Target) -> dict[str, dict[str, Any]]:
    def deny(condition: dict[str, dict[str, str]]) -> dict[str, Any]:
        return {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [t.arn, f"{t.arn}/*"],
            "Condition": condition,
        }

    return {
        "DenyInsecureTransport": deny({"Bool": {"aws:SecureTransport": "false"}}),
        "DenyOutdatedTls": deny({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    }


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition(statement: dict[str, Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Condition operators and keys compare case-insensitively, values as text ("false" == False)."""
    return {
        op.lower(): {
            key.lower(): tuple(sorted(str(v).lower() for v in _listed(vs))) for key, vs in body.items()
        }
        for op, body in (statement.get("Condition") or {}).items()
    }


def _guards(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """`existing` denies at least what `wanted` denies."""
    principal = existing.get("Principal")
    resources = set(_listed(existing.get("Resource", [])))
    return (
        existing.get("Effect") == "Deny"
        and principal in ("*", {"AWS": "*"})
        and "s3:*" in _listed(existing.get("Action", []))
        and ("*" in resources or set(wanted["Resource"]) <= resources)
        and _condition(existing) == _condition(wanted)
    )


def _read_policy(s3: BaseClient, t: _Target) -> _Reading:
    try:
        document = json.loads(s3.get_bucket_policy(Bucket=t.bucket)["Policy"])
    except ClientError as error:
        if _missing(error, "NoSuchBucketPolicy"):
            return _Reading(False, "no bucket policy")
        raise
    statements = _listed(document.get("Statement", []))
    absent = [
        sid for sid, wanted in _tls_statements(t).items() if not any(_guards(s, wanted) for s in statements)
    ]
    if absent:
        return _Reading(False, f"policy lacks {', '.join(absent)}", document)
    return _Reading(True, "denies plain HTTP and TLS older than 1.2")


def _apply_policy(s3: BaseClient, t: _Target, current: dict[str, Any] | None) -> None:
    document: dict[str, Any] = dict(current or {"Version": "2012-10-17"})
    statements = list(_listed(document.get("Statement", [])))
    taken = {s.get("Sid") for s in statements}
    for sid, wanted in _tls_statements(t).items():
        if not any(_guards(s, wanted) for s in statements):
            # Every statement already there stays; ours only adds denials.
            statements.append({"Sid": sid if sid not in taken else f"{sid}Mlplat", **wanted})
    document["Statement"] = statements
    s3.put_bucket_policy(Bucket=t.bucket, Policy=json.dumps(document))


# Lifecycle: noncurrent state versions expire (new buckets only)

_LIFECYCLE_RULE = {
    "ID": "expire-noncurrent-versions",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}


def _whole_bucket(rule: dict[str, Any]) -> bool:
    scope = rule.get("Filter", {"Prefix": rule.get("Prefix", "")})
    return scope in ({}, {"Prefix": ""})


def _read_lifecycle(s3: BaseClient, t: _Target) -> _Reading:
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=t.bucket)["Rules"]
    except ClientError as error:
        if _missing(error, "NoSuchLifecycleConfiguration"):
            rules = []
        else:
            raise
    for rule in rules:
        expiry = rule.get("NoncurrentVersionExpiration")
        if rule.get("Status") == "Enabled" and expiry and _whole_bucket(rule):
            return _Reading(True, f"noncurrent versions expire after {expiry.get('NoncurrentDays')} days")
    return _Reading(False, "no rule expires noncurrent versions")


def _apply_lifecycle(s3: BaseClient, t: _Target, _: Any) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=t.bucket, LifecycleConfiguration={"Rules": [_LIFECYCLE_RULE]}
    )


# Applied in this order to a new bucket: the public access block first, so it is never public for a moment.
RULES: tuple[_Rule, ...] = (
    _Rule(
        "public access block",
        "all four blocks on",
        _read_public_access,
        _apply_public_access,
    ),
    _Rule(
        "object ownership",
        "BucketOwnerEnforced (ACLs disabled)",
        _read_ownership,
        _apply_ownership,
    ),
    _Rule("versioning", "enabled", _read_versioning, _apply_versioning),
    _Rule(
        "encryption",
        "SSE-KMS with a bucket key (the state key, unless another KMS key is set)",
        _read_encryption,
        _apply_encryption,
    ),
    _Rule(
        "TLS-only policy",
        "denies plain HTTP and TLS older than 1.2",
        _read_policy,
        _apply_policy,
    ),
    _Rule(
        "lifecycle",
        f"noncurrent versions expire after {NONCURRENT_VERSION_DAYS} days",
        _read_lifecycle,
        _apply_lifecycle,
        unfixable="left alone on an existing bucket: expiring versions deletes objects; add a rule yourself",
    ),
)


# --- prerequisites of the platform ----------------------------------------------------------------

AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"


def ensure_autoscaling_role(iam: BaseClient, dry_run: bool = False) -> Check:
    """EKS node groups launch Auto Scaling groups, which need this service-linked role; a first preview
    already reads it, and IAM creates it only on request (IAM docs, "Using service-linked roles")."""
    try:
        iam.get_role(RoleName=AUTOSCALING_ROLE)
        return Check("Auto Scaling service-linked role", "ok", AUTOSCALING_ROLE)
    except ClientError as error:
        if error_code(error) != "NoSuchEntity":
            raise
    if dry_run:
        return Check("Auto Scaling service-linked role", "planned", AUTOSCALING_ROLE)
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    return Check("Auto Scaling service-linked role", "created", AUTOSCALING_ROLE)
