"""AWS guardrails: private, encrypted, logged and protected resources; GPU pools tainted and capped; a budget.

Sections: S3, network, keys and logs, IAM, SageMaker, EKS, GPU node groups, budget, tags.
Every rule reads the engine's camelCase properties, treats an unset property as the provider's
default, and skips (never guesses) values that are unknown during preview.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    UNKNOWN,
    Unknown,
    elements,
    entries,
    has_key,
    judges,
    linked_through,
    of_type,
    prop,
    with_remediation,
)
from policies.concepts import guards
from policies.controls import implements
from policies.facts import AWS_GPUS_PER_INSTANCE, GPU_TAINT_KEY, GPU_TAINT_VALUE, PLATFORM_TAG_KEYS

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
BUCKET_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
OWNERSHIP_CONTROLS = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
SUBNET = ("aws:ec2/subnet:Subnet",)
VPC = ("aws:ec2/vpc:Vpc",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
VPC_ENDPOINT = ("aws:ec2/vpcEndpoint:VpcEndpoint",)
SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup",)
INGRESS_RULE = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)
# The older standalone rule resource: ingress or egress by its `type`.
SECURITY_GROUP_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
LAUNCH_TEMPLATE = ("aws:ec2/launchTemplate:LaunchTemplate",)
KMS_KEY = ("aws:kms/key:Key",)
LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
IAM_POLICY_DOCUMENTS = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
IAM_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
OIDC_PROVIDER = ("aws:iam/openIdConnectProvider:OpenIdConnectProvider",)
SAGEMAKER_DOMAIN = ("aws:sagemaker/domain:Domain",)
SAGEMAKER_USER_PROFILE = ("aws:sagemaker/userProfile:UserProfile",)
EKS_CLUSTER = ("aws:eks/cluster:Cluster",)
EKS_NODE_GROUP = ("aws:eks/nodeGroup:NodeGroup",)
EKS_ADDON = ("aws:eks/addon:Addon",)
ACCESS_POLICY_ASSOCIATION = ("aws:eks/accessPolicyAssociation:AccessPolicyAssociation",)
ASG_TAG = ("aws:autoscaling/tag:Tag",)
SNS_TOPIC = ("aws:sns/topic:Topic",)
DEFAULT_SECURITY_GROUP = ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",)
CODEBUILD_PROJECT = ("aws:codebuild/project:Project",)
SNS_TOPIC_POLICY = ("aws:sns/topicPolicy:TopicPolicy",)
BUDGET = ("aws:budgets/budget:Budget",)

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
        *LAUNCH_TEMPLATE,
        *OIDC_PROVIDER,
        *SAGEMAKER_DOMAIN,
        *SAGEMAKER_USER_PROFILE,
        "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig",
        *EKS_CLUSTER,
        *EKS_NODE_GROUP,
        *EKS_ADDON,
        "aws:eks/accessEntry:AccessEntry",
        *SNS_TOPIC,
        *BUDGET,
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


def _encryption_problems(rules: list[Any], where: Callable[[int], str]) -> list[str]:
    problems: list[str] = []
    for index, rule in enumerate(rules):
        if isinstance(rule, Unknown):
            continue
        algorithm = prop(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        if not isinstance(algorithm, Unknown) and algorithm not in _KMS_ALGORITHMS:
            problems.append(
                f"{where(index)}.applyServerSideEncryptionByDefault.sseAlgorithm is {_show(algorithm)}, "
                f"expected {' or '.join(_KMS_ALGORITHMS)}"
            )
        key = prop(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        if not isinstance(key, Unknown) and not key:
            problems.append(
                f"{where(index)}.applyServerSideEncryptionByDefault.kmsMasterKeyId is unset, "
                "so the AWS-managed aws/s3 key is used instead of the platform's KMS key"
            )
        bucket_key = prop(rule, "bucketKeyEnabled")
        # Unset is the provider default, false.
        if not isinstance(bucket_key, Unknown) and bucket_key is not True:
            problems.append(f"{where(index)}.bucketKeyEnabled is {_show(bucket_key)}, expected true")
    return problems


def _validate_bucket_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in BUCKET:
        # The bucket's inline block (deprecated, same rule shape); unset leaves it to the separate resource.
        inline = prop(args.props, "serverSideEncryptionConfiguration", "rule")
        if inline is None or isinstance(inline, Unknown):
            return
        problems = _encryption_problems([inline], lambda _: "serverSideEncryptionConfiguration.rule")
        if problems:
            report_violation("; ".join(problems) + ".", None)
        return
    if args.resource_type not in BUCKET_ENCRYPTION:
        return
    rules = elements(args.props, "rules")
    if isinstance(rules, Unknown):
        return
    if not rules:
        report_violation("no encryption rule is set, so S3 uses SSE-S3 (AES256) without a KMS key.", None)
        return
    problems = _encryption_problems(rules, lambda index: f"rules[{index}]")
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_bucket_versioning(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in BUCKET:
        # The bucket's inline block (deprecated); unset leaves it to the separate resource.
        inline = prop(args.props, "versioning")
        if inline is None or isinstance(inline, Unknown):
            return
        enabled = prop(inline, "enabled")
        if not isinstance(enabled, Unknown) and enabled is not True:
            report_violation(
                f"versioning.enabled is {_show(enabled)}, expected true (unset means false).", None
            )
        return
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
    """`defaultTags.tags` of the resource's aws provider, explicit or default (a JSON string on the wire)."""
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
    missing = [key for key in PLATFORM_TAG_KEYS if tags.get(key) in (None, "")]
    if missing:
        problems.append(f"missing tags: {', '.join(missing)}")
    managed_by = tags.get("managed-by")
    if managed_by not in (None, "", "pulumi") and not isinstance(managed_by, Unknown):
        problems.append(f'tag managed-by is {_show(managed_by)}, expected "pulumi"')
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _bucket_has(
    companion_types: tuple[str, ...], companion: str
) -> StackValidation:  # pragma: no mutate block
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


s3_public_access_block_enabled = with_remediation(
    judges(
        ResourceValidationPolicy(
            name="s3-public-access-block-enabled",
            description=(
                "S3 public access blocks must set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and "
                "restrictPublicBuckets to true, so no ACL or bucket policy can expose ML data."
            ),
            validate=_validate_public_access_block,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        PUBLIC_ACCESS_BLOCK,
    ),
    {flag: True for flag in _PUBLIC_ACCESS_FLAGS},
)

s3_bucket_encrypted_with_kms = judges(
    ResourceValidationPolicy(
        name="s3-bucket-encrypted-with-kms",
        description=(
            "S3 bucket encryption must use SSE-KMS (aws:kms or aws:kms:dsse) with the platform's KMS key and "
            "S3 Bucket Keys, so reading data needs key access and KMS request costs stay low."
        ),
        validate=_validate_bucket_encryption,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    (*BUCKET_ENCRYPTION, *BUCKET),
)

s3_bucket_versioning_enabled = judges(
    ResourceValidationPolicy(
        name="s3-bucket-versioning-enabled",
        description=(
            "S3 bucket versioning must be Enabled, so overwritten or deleted datasets and models can be recovered."
        ),
        validate=_validate_bucket_versioning,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    (*BUCKET_VERSIONING, *BUCKET),
)

s3_bucket_force_destroy_disabled = with_remediation(
    judges(
        ResourceValidationPolicy(
            name="s3-bucket-force-destroy-disabled",
            description=(
                "S3 buckets must not set forceDestroy, which lets a stack destroy delete all objects without recovery."
            ),
            validate=_validate_force_destroy,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        BUCKET,
    ),
    {"forceDestroy": False},
)

required_tags = judges(
    ResourceValidationPolicy(
        name="required-tags",
        description=(
            f"AWS resources must carry the platform tags ({', '.join(PLATFORM_TAG_KEYS)}) with "
            'managed-by "pulumi", so every cost and resource has an owner.'
        ),
        validate=_validate_required_tags,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ("aws:*",),
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


# --- shared readers --------------------------------------------------------------------------------------


def _json_document(value: object) -> dict[str, Any] | Unknown | None:
    """An IAM-style policy document sent as JSON text (or already an object); None if it is not one."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return dict(value) if isinstance(value, Mapping) else None


def _number(value: object) -> str:
    """Numbers arrive as floats over the wire; show whole ones as integers."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _show(value)


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        return [value]
    return list(value)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _known(values: object) -> list[Any]:
    """The known elements of a list value (elements() output); unknown ones dropped."""
    return [] if isinstance(values, Unknown) else [v for v in _as_list(values) if not isinstance(v, Unknown)]


# --- network: endpoints and security groups --------------------------------------------------------------

_OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


def _validate_vpc_endpoint(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in VPC_ENDPOINT:
        return
    # Gateway endpoints (S3, DynamoDB) have neither DNS nor security groups; unset type means Gateway.
    if prop(args.props, "vpcEndpointType", default="Gateway") != "Interface":
        return
    problems: list[str] = []
    # Unset is the provider default, false: clients keep resolving the public service name.
    private_dns = prop(args.props, "privateDnsEnabled")
    if not isinstance(private_dns, Unknown) and private_dns is not True:
        problems.append(
            f"privateDnsEnabled is {_show(private_dns)}, so SDKs keep calling the public endpoint"
        )
    groups = elements(args.props, "securityGroupIds")
    if not isinstance(groups, Unknown) and not groups:
        problems.append("securityGroupIds is empty, so the VPC's default security group (no rules) applies")
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _open_sources(
    rule: Mapping[str, Any], list_keys: tuple[str, ...] = (), value_keys: tuple[str, ...] = ()
) -> list[str]:
    """The internet-wide CIDRs a rule admits, from list properties and single-value properties."""
    values = [v for key in list_keys for v in _known(elements(rule, key))]
    values += [prop(rule, key) for key in value_keys]
    return [v for v in values if v in _OPEN_CIDRS]


def _validate_no_public_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in SECURITY_GROUP:
        rules = elements(args.props, "ingress")
        if isinstance(rules, Unknown):
            return
        for index, rule in enumerate(rules):
            if isinstance(rule, Unknown):
                continue
            opened = _open_sources(rule, list_keys=("cidrBlocks", "ipv6CidrBlocks"))
            if opened:
                ports = f"{_number(prop(rule, 'fromPort'))}-{_number(prop(rule, 'toPort'))}"
                report_violation(
                    f"ingress[{index}] allows {', '.join(opened)} on ports {ports}; "
                    "allow the VPC, a security group or a named network instead.",
                    None,
                )
    elif args.resource_type in INGRESS_RULE:
        opened = _open_sources(args.props, value_keys=("cidrIpv4", "cidrIpv6"))
        if opened:
            report_violation(f"the rule allows {', '.join(opened)}; allow a narrower source instead.", None)
    elif args.resource_type in SECURITY_GROUP_RULE and prop(args.props, "type") == "ingress":
        opened = _open_sources(args.props, list_keys=("cidrBlocks", "ipv6CidrBlocks"))
        if opened:
            report_violation(
                f"the ingress rule allows {', '.join(opened)}; allow a narrower source instead.", None
            )


# --- keys and logs ---------------------------------------------------------------------------------------


def _validate_kms_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in KMS_KEY:
        return
    # Only symmetric encryption keys can rotate; the provider default spec is SYMMETRIC_DEFAULT.
    spec = prop(args.props, "customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    if isinstance(spec, Unknown) or spec != "SYMMETRIC_DEFAULT":
        return
    rotation = prop(args.props, "enableKeyRotation")
    if not isinstance(rotation, Unknown) and rotation is not True:
        report_violation(f"enableKeyRotation is {_show(rotation)}, expected true (unset means false).", None)


def _validate_log_group(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in LOG_GROUP:
        return
    problems: list[str] = []
    key = prop(args.props, "kmsKeyId")
    if not isinstance(key, Unknown) and not key:
        problems.append("kmsKeyId is unset, so logs are encrypted only with a CloudWatch-owned key")
    # Unset or 0 keeps logs forever: an unbounded cost and an unbounded store of sensitive data.
    retention = prop(args.props, "retentionInDays", default=0)
    if not isinstance(retention, Unknown) and not retention:
        problems.append("retentionInDays is unset, so logs never expire")
    if problems:
        report_violation("; ".join(problems) + ".", None)


# --- IAM -------------------------------------------------------------------------------------------------

# Managed policies that give a workload (or a person) far more than the platform ever needs.
BROAD_MANAGED_POLICIES = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "IAMFullAccess",
        "AmazonS3FullAccess",
        "AmazonSageMakerFullAccess",
        "AmazonEC2FullAccess",
        "AWSKeyManagementServicePowerUser",
    }
)


def _admin_wildcards(document: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        resources = _as_list(statement.get("Resource"))
        if "*" not in resources:
            continue
        wild = [
            a
            for a in _as_list(statement.get("Action"))
            if isinstance(a, str) and (a == "*" or a.endswith(":*"))
        ]
        if wild:
            sid = statement.get("Sid") or f"Statement[{index}]"
            found.append(f"{sid} allows {', '.join(wild)} on every resource")
    return found


def _validate_iam_policy_document(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_POLICY_DOCUMENTS:
        return
    document = _json_document(prop(args.props, "policy"))
    if isinstance(document, Unknown) or document is None:
        return
    found = _admin_wildcards(document)
    if found:
        report_violation("; ".join(found) + "; name the actions and resources the workload needs.", None)


def _validate_iam_attachment(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_ATTACHMENTS:
        return
    policy_arn = prop(args.props, "policyArn")
    if not isinstance(policy_arn, str):
        return
    name = policy_arn.rsplit("/", 1)[-1]
    if policy_arn.startswith("arn:aws:iam::aws:policy/") and name in BROAD_MANAGED_POLICIES:
        report_violation(
            f"attaches the AWS managed policy {name}; grant a least-privilege policy scoped to the "
            "platform's buckets, keys and services instead.",
            None,
        )


def _validate_oidc_provider(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in OIDC_PROVIDER:
        return
    audiences = elements(args.props, "clientIdLists")
    if isinstance(audiences, Unknown):
        return
    others = [a for a in _known(audiences) if a != "sts.amazonaws.com"]
    if others or not audiences:
        shown = ", ".join(map(_show, others)) if others else "none"
        report_violation(
            f"clientIdLists must be exactly sts.amazonaws.com for IRSA (other audiences: {shown}).", None
        )


# --- SageMaker -------------------------------------------------------------------------------------------

_SETTINGS = ("defaultUserSettings", "defaultSpaceSettings")


def _validate_domain_network(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    # Unset is the provider default, PublicInternetOnly: notebooks reach the internet around the VPC.
    access = prop(args.props, "appNetworkAccessType", default="PublicInternetOnly")
    if not isinstance(access, Unknown) and access != "VpcOnly":
        report_violation(f'appNetworkAccessType is {_show(access)}, expected "VpcOnly".', None)


def _validate_domain_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    key = prop(args.props, "kmsKeyId")
    if not isinstance(key, Unknown) and not key:
        report_violation("kmsKeyId is unset, so home EFS and space volumes use an AWS-managed key.", None)


def _validate_domain_security_groups(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    missing = []
    for settings in _SETTINGS:
        groups = elements(args.props, settings, "securityGroups")
        if not isinstance(groups, Unknown) and not groups:
            missing.append(f"{settings}.securityGroups")
    if missing:
        report_violation(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty; Studio apps and shared "
            "spaces each read their own setting, and without it they run in no platform security group.",
            None,
        )


def _idle_problems(settings: Mapping[str, Any], where: str) -> list[str]:
    idle = prop(settings, "jupyterLabAppSettings", "appLifecycleManagement", "idleSettings")
    if isinstance(idle, Unknown):
        return []
    state = prop(idle or {}, "lifecycleManagement", default="DISABLED")
    timeout = prop(idle or {}, "idleTimeoutInMinutes")
    problems = []
    if not isinstance(state, Unknown) and state != "ENABLED":
        problems.append(f"{where}.jupyterLabAppSettings idle shutdown is {_show(state)}")
    elif not isinstance(timeout, Unknown) and not timeout:
        problems.append(f"{where}.jupyterLabAppSettings has no idleTimeoutInMinutes")
    return problems


def _validate_domain_idle_shutdown(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    problems: list[str] = []
    for settings in _SETTINGS:
        value = prop(args.props, settings)
        if not isinstance(value, Unknown):
            problems.extend(_idle_problems(value or {}, settings))
    if problems:
        report_violation(
            "; ".join(problems) + "; idle JupyterLab apps keep billing until someone stops them.", None
        )


def _validate_domain_docker(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    # Unset is the service default, DISABLED.
    docker = prop(args.props, "domainSettings", "dockerSettings", "enableDockerAccess", default="DISABLED")
    if not isinstance(docker, Unknown) and docker != "DISABLED":
        report_violation(
            f"domainSettings.dockerSettings.enableDockerAccess is {_show(docker)}; Docker in Studio lets users "
            "build and run arbitrary images with the execution role.",
            None,
        )


def _validate_domain_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_DOMAIN:
        return
    # Unset is the provider default, Retain.
    retention = prop(args.props, "retentionPolicy", "homeEfsFileSystem", default="Retain")
    if not isinstance(retention, Unknown) and retention != "Retain":
        report_violation(
            f"retentionPolicy.homeEfsFileSystem is {_show(retention)}, so deleting the domain deletes every "
            "user's home directory.",
            None,
        )


def _validate_user_profile(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SAGEMAKER_USER_PROFILE:
        return
    settings = prop(args.props, "userSettings")
    if isinstance(settings, Unknown) or settings is None:
        return  # the domain's defaults apply
    problems: list[str] = []
    if has_key(settings, "securityGroups"):
        groups = elements(settings, "securityGroups")
        if not isinstance(groups, Unknown) and not groups:
            problems.append("userSettings.securityGroups overrides the domain's with an empty list")
    state = prop(
        settings, "jupyterLabAppSettings", "appLifecycleManagement", "idleSettings", "lifecycleManagement"
    )
    if state == "DISABLED":
        problems.append("userSettings turns JupyterLab idle shutdown off")
    if problems:
        report_violation("; ".join(problems) + ".", None)


# --- EKS -------------------------------------------------------------------------------------------------

REQUIRED_CONTROL_PLANE_LOGS = ("api", "audit", "authenticator")


def _validate_cluster_endpoint_restricted(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    problems: list[str] = []
    # Provider defaults: public access on, from 0.0.0.0/0; private access off.
    public = prop(args.props, "vpcConfig", "endpointPublicAccess")
    private = prop(args.props, "vpcConfig", "endpointPrivateAccess")
    if not isinstance(private, Unknown) and private is not True:
        problems.append(
            f"vpcConfig.endpointPrivateAccess is {_show(private)}, so nodes reach the API over the internet"
        )
    if public is True or public is None:
        cidrs = elements(args.props, "vpcConfig", "publicAccessCidrs")
        if not isinstance(cidrs, Unknown):
            known = _known(cidrs) or ["0.0.0.0/0 (unset)"]
            opened = [c for c in known if c.split(" ")[0] in _OPEN_CIDRS]
            if opened:
                problems.append(
                    f"the public endpoint is open to {', '.join(opened)}; list the networks that need it"
                )
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_cluster_endpoint_private(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    public = prop(args.props, "vpcConfig", "endpointPublicAccess")
    if not isinstance(public, Unknown) and public is not False:
        report_violation(
            f"vpcConfig.endpointPublicAccess is {_show(public)} (unset means true); the API should be reachable "
            "only from inside the VPC.",
            None,
        )


def _validate_cluster_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    config = prop(args.props, "encryptionConfig")
    if isinstance(config, Unknown):
        return
    if not config:
        report_violation(
            "encryptionConfig is unset, so Kubernetes secrets are not envelope-encrypted with KMS.", None
        )
        return
    problems: list[str] = []
    resources = elements(config, "resources")
    if not isinstance(resources, Unknown) and "secrets" not in resources:
        problems.append(
            f"encryptionConfig.resources is {_show(_known(resources))}, expected to include secrets"
        )
    key = prop(config, "provider", "keyArn")
    if not isinstance(key, Unknown) and not key:
        problems.append("encryptionConfig.provider.keyArn is unset")
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_cluster_logging(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    enabled = elements(args.props, "enabledClusterLogTypes")
    if isinstance(enabled, Unknown):
        return
    missing = [t for t in REQUIRED_CONTROL_PLANE_LOGS if t not in enabled]
    if missing:
        report_violation(
            f"enabledClusterLogTypes lacks {', '.join(missing)}; who did what to the cluster is lost.", None
        )


def _validate_cluster_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    problems: list[str] = []
    # Provider defaults: the aws-auth ConfigMap only, and an invisible admin entry for the creator.
    mode = prop(args.props, "accessConfig", "authenticationMode", default="CONFIG_MAP")
    if not isinstance(mode, Unknown) and mode != "API":
        problems.append(
            f'accessConfig.authenticationMode is {_show(mode)}, expected "API" (access entries only)'
        )
    creator = prop(args.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions", default=True)
    if not isinstance(creator, Unknown) and creator is not False:
        problems.append(
            "accessConfig.bootstrapClusterCreatorAdminPermissions is not false, so the creator gets an admin "
            "entry no preview shows"
        )
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_cluster_deletion_protection(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in EKS_CLUSTER:
        return
    protected = prop(args.props, "deletionProtection")
    if not isinstance(protected, Unknown) and protected is not True:
        report_violation(
            f"deletionProtection is {_show(protected)}, expected true (unset means false).", None
        )


def _validate_node_group(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in EKS_NODE_GROUP:
        return
    problems: list[str] = []
    template = prop(args.props, "launchTemplate")
    if not isinstance(template, Unknown) and not template:
        problems.append(
            "launchTemplate is unset, so nodes get EKS's default template (IMDS hop limit 2, no CMK)"
        )
    remote = prop(args.props, "remoteAccess")
    if not isinstance(remote, Unknown) and remote:
        problems.append("remoteAccess opens SSH to the nodes; use SSM or kubectl debug instead")
    if problems:
        report_violation("; ".join(problems) + ".", None)


def _validate_launch_template(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in LAUNCH_TEMPLATE:
        return
    problems: list[str] = []
    tokens = prop(args.props, "metadataOptions", "httpTokens", default="optional")
    if not isinstance(tokens, Unknown) and tokens != "required":
        problems.append(f'metadataOptions.httpTokens is {_show(tokens)}, expected "required" (IMDSv2 only)')
    hops = prop(args.props, "metadataOptions", "httpPutResponseHopLimit")
    if not isinstance(hops, Unknown) and hops != 1:
        problems.append(
            f"metadataOptions.httpPutResponseHopLimit is {_number(hops)}, expected 1 so pods cannot borrow the "
            "node's credentials"
        )
    for index, interface in enumerate(_known(elements(args.props, "networkInterfaces"))):
        public = prop(interface, "associatePublicIpAddress")
        if not isinstance(public, Unknown) and str(public).lower() == "true":
            problems.append(
                f"networkInterfaces[{index}].associatePublicIpAddress is {_show(public)}, expected unset"
            )
    mappings = elements(args.props, "blockDeviceMappings")
    if not isinstance(mappings, Unknown):
        if not mappings:
            problems.append(
                "blockDeviceMappings is empty, so the root volume takes the AMI's unencrypted default"
            )
        for index, mapping in enumerate(mappings):
            if isinstance(mapping, Unknown):
                continue
            ebs = prop(mapping, "ebs", default={})
            if isinstance(ebs, Unknown):
                continue
            where = f"blockDeviceMappings[{index}].ebs"
            encrypted = prop(ebs, "encrypted")
            if not isinstance(encrypted, Unknown) and str(encrypted).lower() != "true":
                problems.append(f"{where}.encrypted is {_show(encrypted)}, expected true")
            key = prop(ebs, "kmsKeyId")
            if not isinstance(key, Unknown) and not key:
                problems.append(f"{where}.kmsKeyId is unset, so the volume uses the AWS-managed EBS key")
            volume_type = prop(ebs, "volumeType")
            if not isinstance(volume_type, Unknown) and volume_type != "gp3":
                problems.append(f'{where}.volumeType is {_show(volume_type)}, expected "gp3"')
    if problems:
        report_violation("; ".join(problems) + ".", None)


# --- GPU node groups -------------------------------------------------------------------------------------

GPU_TAINT_EKS_EFFECT = "NO_SCHEDULE"
AUTOSCALER_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
DEFAULT_MAX_GPUS_PER_POOL = 64


def gpu_count(props: Mapping[str, Any]) -> int | None:
    """GPUs per node of a node group, if it is a GPU node group (by AMI, catalog instance type or label)."""
    for instance_type in _known(elements(props, "instanceTypes")):
        gpus = AWS_GPUS_PER_INSTANCE.get(str(instance_type))
        if gpus is not None:
            return gpus
    ami = prop(props, "amiType")
    labels = entries(props, "labels")
    labelled = not isinstance(labels, Unknown) and labels.get("nvidia.com/gpu.present") == "true"
    if (isinstance(ami, str) and "NVIDIA" in ami) or labelled:
        return 1  # a GPU node group whose size the catalog does not know
    return None


def _gpu_only(
    check: Callable[[ResourceValidationArgs, int], str | None],
) -> Callable[[ResourceValidationArgs, ReportViolation], None]:  # pragma: no mutate block
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in EKS_NODE_GROUP:
            return
        gpus = gpu_count(args.props)
        if gpus is None:
            return
        message = check(args, gpus)
        if message:
            report_violation(message, None)

    return validate


def _gpu_tainted(args: ResourceValidationArgs, _gpus: int) -> str | None:
    taints = elements(args.props, "taints")
    if isinstance(taints, Unknown) or any(isinstance(t, Unknown) for t in taints):
        return None
    tainted = any(
        prop(t, "key") == GPU_TAINT_KEY and prop(t, "effect") == GPU_TAINT_EKS_EFFECT for t in taints
    )
    if tainted:
        return None
    return (
        f"GPU node group has no {GPU_TAINT_KEY}:{GPU_TAINT_EKS_EFFECT} taint, so any pod can land on (and "
        "keep alive) a GPU node."
    )


def _gpu_scales_to_zero(args: ResourceValidationArgs, _gpus: int) -> str | None:
    minimum = prop(args.props, "scalingConfig", "minSize")
    if isinstance(minimum, Unknown) or minimum in (0, None):
        return None
    return (
        f"scalingConfig.minSize is {_number(minimum)}; GPU nodes should scale to zero when idle (minSize 0)."
    )


def _gpu_capped(args: ResourceValidationArgs, gpus: int) -> str | None:
    maximum = prop(args.props, "scalingConfig", "maxSize")
    if not isinstance(maximum, int | float):
        return None
    limit = int(args.get_config().get("maxGpusPerPool", DEFAULT_MAX_GPUS_PER_POOL))
    if maximum * gpus <= limit:
        return None
    return (
        f"scalingConfig.maxSize {int(maximum)} x {gpus} GPUs per node = {int(maximum) * gpus} GPUs, above the "
        f"cap of {limit} per pool (policy config maxGpusPerPool)."
    )


def _gpu_capacity_type(args: ResourceValidationArgs, _gpus: int) -> str | None:
    if not args.get_config().get("requireSpot", False):
        return None
    capacity = prop(args.props, "capacityType", default="ON_DEMAND")
    if isinstance(capacity, Unknown) or capacity == "SPOT":
        return None
    return f'capacityType is {_show(capacity)} (unset means ON_DEMAND); this stack runs GPU pools on "SPOT".'


# --- budget and alerts -----------------------------------------------------------------------------------


def _validate_topic_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SNS_TOPIC:
        return
    key = prop(args.props, "kmsMasterKeyId")
    if isinstance(key, Unknown):
        return
    if not key:
        report_violation("kmsMasterKeyId is unset, so messages are stored unencrypted.", None)
    elif key == "alias/aws/sns":
        report_violation(
            "kmsMasterKeyId is the AWS-managed alias/aws/sns key, whose policy no service such as Budgets can "
            "be allowed to use; use the platform's key.",
            None,
        )


def _public_statements(document: Mapping[str, Any]) -> list[str]:
    found = []
    for index, statement in enumerate(_statements(document)):
        principal = statement.get("Principal")
        everyone = principal == "*" or (
            isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))
        )
        if statement.get("Effect") == "Allow" and everyone and not statement.get("Condition"):
            found.append(str(statement.get("Sid") or f"Statement[{index}]"))
    return found


def _validate_topic_policy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in SNS_TOPIC_POLICY:
        return
    document = _json_document(prop(args.props, "policy"))
    if isinstance(document, Unknown) or document is None:
        return
    public = _public_statements(document)
    if public:
        report_violation(f"{', '.join(public)} allow anyone without a condition; name the principals.", None)


def _validate_budget(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in BUDGET:
        return
    problems: list[str] = []
    filters = elements(args.props, "costFilters")
    if not isinstance(filters, Unknown):
        for f in filters:
            if isinstance(f, Unknown) or prop(f, "name") != "TagKeyValue":
                continue
            for value in _known(elements(f, "values")):
                if isinstance(value, str) and not value.startswith(("user:", "aws:")):
                    problems.append(
                        f"cost filter TagKeyValue {_show(value)} lacks the user: prefix, so the budget matches "
                        "nothing and shows $0"
                    )
    notifications = elements(args.props, "notifications")
    if not isinstance(notifications, Unknown) and not any(isinstance(n, Unknown) for n in notifications):
        kinds = [prop(n, "notificationType") for n in notifications]
        if not any(isinstance(k, Unknown) for k in kinds):
            problems.extend(
                f"no {kind} notification" for kind in ("ACTUAL", "FORECASTED") if kind not in kinds
            )
        for index, n in enumerate(notifications):
            emails, topics = elements(n, "subscriberEmailAddresses"), elements(n, "subscriberSnsTopicArns")
            if (
                not isinstance(emails, Unknown)
                and not isinstance(topics, Unknown)
                and not emails
                and not topics
            ):
                problems.append(f"notifications[{index}] has no subscriber")
    if problems:
        report_violation("; ".join(problems) + ".", None)


# --- stack rules -----------------------------------------------------------------------------------------


# What bills by the hour whether or not anyone uses it: the spend a budget exists to catch.
RUNS_UP_A_BILL = frozenset(
    {
        *EKS_CLUSTER,
        *EKS_NODE_GROUP,
        *SAGEMAKER_DOMAIN,
        "aws:sagemaker/notebookInstance:NotebookInstance",
        "aws:sagemaker/endpoint:Endpoint",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/instance:Instance",
        "aws:autoscaling/group:Group",
    }
)


def _validate_stack_has_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    compute = sorted(
        {r.resource_type.rsplit(":", 1)[-1] for r in args.resources if r.resource_type in RUNS_UP_A_BILL}
    )
    if not compute:
        return
    budgets = of_type(args.resources, BUDGET)
    if not any(prop(b.props, "budgetType") in ("COST", UNKNOWN) for b in budgets):
        report_violation(
            f"the stack runs AWS compute ({', '.join(compute)}) but no COST budget (aws.budgets.Budget) watches it.",
            None,
        )


def _validate_gpu_scale_from_zero(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    linked = linked_through(args.resources, ASG_TAG, "autoscalingGroupName")
    for group in of_type(args.resources, EKS_NODE_GROUP):
        if gpu_count(group.props) is None or prop(group.props, "scalingConfig", "minSize") != 0:
            continue
        tags: dict[str, Any] = {}
        for tag in linked.get(group.urn, []):
            key, value = prop(tag.props, "tag", "key"), prop(tag.props, "tag", "value")
            if isinstance(key, str):
                tags[key] = value
        wanted: dict[str, str] = {}
        taints = elements(group.props, "taints")
        for t in [] if isinstance(taints, Unknown) else taints:
            key, value, effect = prop(t, "key"), prop(t, "value"), prop(t, "effect")
            if isinstance(key, str) and isinstance(effect, str):
                k8s_effect = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute"}.get(
                    effect, "PreferNoSchedule"
                )
                wanted[f"{AUTOSCALER_TEMPLATE}/taint/{key}"] = f"{value or ''}:{k8s_effect}"
        labels = entries(group.props, "labels")
        for key, value in ({} if isinstance(labels, Unknown) else labels).items():
            if isinstance(value, str):
                wanted[f"{AUTOSCALER_TEMPLATE}/label/{key}"] = value
        missing = [k for k, v in wanted.items() if tags.get(k) not in (v, UNKNOWN)]
        if missing:
            report_violation(
                f"GPU node group {group.name} scales from zero, but its Auto Scaling group lacks the cluster "
                f"autoscaler tags {', '.join(sorted(missing))} (aws.autoscaling.Tag whose autoscalingGroupName "
                "comes from the node group); the autoscaler cannot tell a pending GPU pod fits it.",
                group.urn,
            )


def _validate_cluster_log_groups(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # EKS writes to a log group it names after the cluster; the name is the link AWS itself uses.
    groups = {prop(g.props, "name"): g for g in of_type(args.resources, LOG_GROUP)}
    for cluster in of_type(args.resources, EKS_CLUSTER):
        name = prop(cluster.props, "name")
        logs = elements(cluster.props, "enabledClusterLogTypes")
        if not isinstance(name, str) or isinstance(logs, Unknown) or not logs:
            continue
        expected = f"/aws/eks/{name}/cluster"
        if expected not in groups:
            report_violation(
                f"cluster {name} logs to {expected}, but the stack does not create it, so EKS creates it "
                "without retention or a KMS key.",
                cluster.urn,
            )


CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
CORE_ADDONS = ("vpc-cni", "kube-proxy", "coredns")


def _validate_cluster_has_admin(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    associations = linked_through(args.resources, ACCESS_POLICY_ASSOCIATION, "clusterName")
    for cluster in of_type(args.resources, EKS_CLUSTER):
        # With the creator's bootstrap entry, someone can always get in; without it, an entry must say who.
        if (
            prop(cluster.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions", default=True)
            is not False
        ):
            continue
        policies = [prop(a.props, "policyArn") for a in associations.get(cluster.urn, [])]
        if any(isinstance(p, Unknown) or p == CLUSTER_ADMIN_POLICY for p in policies):
            continue
        report_violation(
            f"cluster {cluster.name} has no creator admin and no AccessPolicyAssociation of "
            "AmazonEKSClusterAdminPolicy whose clusterName comes from it, so nobody can administer it.",
            cluster.urn,
        )


def _validate_cluster_core_addons(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    addons = linked_through(args.resources, EKS_ADDON, "clusterName")
    for cluster in of_type(args.resources, EKS_CLUSTER):
        # Unset is the provider default, true: EKS installs unmanaged copies itself.
        if prop(cluster.props, "bootstrapSelfManagedAddons", default=True) is not False:
            continue
        names = [prop(a.props, "addonName") for a in addons.get(cluster.urn, [])]
        if any(isinstance(n, Unknown) for n in names):
            continue
        missing = [a for a in CORE_ADDONS if a not in names]
        if missing:
            report_violation(
                f"cluster {cluster.name} skips the self-managed add-ons but has no managed {', '.join(missing)} "
                "(aws.eks.Addon whose clusterName comes from it); its nodes never become Ready.",
                cluster.urn,
            )


STUDIO_ENDPOINT_SUFFIXES = ("sagemaker.api", "sagemaker.runtime", "studio", "sts", "logs")


def _private_services(endpoints: list[PolicyResource]) -> set[str] | Unknown:
    """Short service names ("sts", "studio", ...) of the interface endpoints that resolve privately."""
    services: set[str] = set()
    for endpoint in endpoints:
        name = prop(endpoint.props, "serviceName")
        dns = prop(endpoint.props, "privateDnsEnabled", default=False)
        if isinstance(name, Unknown):
            return UNKNOWN
        if isinstance(name, str) and dns in (True, UNKNOWN):
            # com.amazonaws.<region>.<service> or aws.sagemaker.<region>.studio
            services.add(
                name.split(".", 3)[-1] if name.startswith("com.amazonaws.") else name.rsplit(".", 1)[-1]
            )
    return services


def _vpcs_with_nat(resources: list[PolicyResource]) -> set[str]:
    """URNs of the VPCs holding a public NAT gateway (through the gateway's subnet)."""
    subnets = {r.urn: r for r in of_type(resources, ("aws:ec2/subnet:Subnet",))}
    found: set[str] = set()
    for nat in of_type(resources, ("aws:ec2/natGateway:NatGateway",)):
        if prop(nat.props, "connectivityType", default="public") != "public":
            continue
        for subnet in nat.property_dependencies.get("subnetId", []):
            if subnet.urn in subnets:
                found.update(vpc.urn for vpc in subnets[subnet.urn].property_dependencies.get("vpcId", []))
    return found


def _validate_domain_endpoints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    endpoints_by_vpc = linked_through(args.resources, VPC_ENDPOINT, "vpcId")
    with_nat = _vpcs_with_nat(list(args.resources))
    for domain in of_type(args.resources, SAGEMAKER_DOMAIN):
        if prop(domain.props, "appNetworkAccessType") != "VpcOnly":
            continue
        vpcs = domain.property_dependencies.get("vpcId", [])
        if not vpcs:
            continue  # a VPC outside this stack: nothing here to judge
        # VpcOnly Studio reaches the SageMaker API and runtime through interface endpoints or a NAT gateway
        # (docs.aws.amazon.com/sagemaker/latest/dg/studio-notebooks-and-internet-access.html).
        if any(vpc.urn in with_nat for vpc in vpcs):
            continue
        services = _private_services([e for vpc in vpcs for e in endpoints_by_vpc.get(vpc.urn, [])])
        if isinstance(services, Unknown):
            continue
        missing = [s for s in STUDIO_ENDPOINT_SUFFIXES if s not in services]
        if missing:
            report_violation(
                f"VpcOnly domain {domain.name} has no interface endpoint with private DNS in its VPC for "
                f"{', '.join(missing)}; Studio and its jobs hang or fail without them.",
                domain.urn,
            )


# --- S3 bucket policies, ownership, logging; subnets; key and decrypt permissions ---------------------------


def _denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    """A Deny of every S3 action to everyone when aws:SecureTransport is false (AWS FSBP S3.5)."""
    for statement in _statements(document):
        principal = statement.get("Principal")
        everyone = principal == "*" or (
            isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))
        )
        condition = statement.get("Condition")
        bool_condition = condition.get("Bool") if isinstance(condition, Mapping) else None
        insecure = (
            isinstance(bool_condition, Mapping)
            and str(bool_condition.get("aws:SecureTransport")).lower() == "false"
        )
        actions = _as_list(statement.get("Action"))
        if (
            statement.get("Effect") == "Deny"
            and everyone
            and insecure
            and ("s3:*" in actions or "*" in actions)
        ):
            return True
    return False


def _validate_bucket_tls(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies = linked_through(args.resources, BUCKET_POLICY, "bucket")
    for bucket in of_type(args.resources, BUCKET):
        documents = [_json_document(prop(p.props, "policy")) for p in policies.get(bucket.urn, [])]
        if any(
            isinstance(d, Unknown) or (d is not None and _denies_insecure_transport(d)) for d in documents
        ):
            continue
        report_violation(
            f"bucket {bucket.name} has no BucketPolicy (whose bucket input comes from it) denying s3:* to "
            'everyone when "aws:SecureTransport" is "false", so it accepts plain HTTP.',
            bucket.urn,
        )


def _validate_bucket_access_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    logged = linked_through(args.resources, BUCKET_LOGGING, "bucket")
    targets = linked_through(args.resources, BUCKET_LOGGING, "targetBucket")
    for bucket in of_type(args.resources, BUCKET):
        # A log bucket logging into itself would log its own log deliveries without end.
        if bucket.urn not in logged and bucket.urn not in targets:
            report_violation(
                f"bucket {bucket.name} has no BucketLogging whose bucket input comes from it, so nobody can "
                "tell who read or changed its objects.",
                bucket.urn,
            )


def _validate_ownership_controls(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in OWNERSHIP_CONTROLS:
        return
    ownership = prop(args.props, "rule", "objectOwnership")
    if not isinstance(ownership, Unknown) and ownership != "BucketOwnerEnforced":
        report_violation(
            f'rule.objectOwnership is {_show(ownership)}, expected "BucketOwnerEnforced" (ACLs disabled).',
            None,
        )


# Actions FSBP S3.6 refuses to grant other accounts: they change who may read the bucket, or its encryption.
_BUCKET_ADMIN_ACTIONS = frozenset(
    {
        "s3:DeleteBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutBucketPolicy",
        "s3:PutEncryptionConfiguration",
        "s3:PutObjectAcl",
        "s3:*",
        "*",
    }
)


def _validate_bucket_policy_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in BUCKET_POLICY:
        return
    document = _json_document(prop(args.props, "policy"))
    if isinstance(document, Unknown) or document is None:
        return
    found = []
    for index, statement in enumerate(_statements(document)):
        principal = statement.get("Principal")
        aws_principals = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        granted = [a for a in _as_list(statement.get("Action")) if a in _BUCKET_ADMIN_ACTIONS]
        if statement.get("Effect") == "Allow" and aws_principals and granted:
            found.append(f"{statement.get('Sid') or f'Statement[{index}]'} allows {', '.join(granted)}")
    if found:
        report_violation(
            "; ".join(found)
            + " to AWS principals; grant policy, ACL and encryption changes through IAM only.",
            None,
        )


def _validate_subnet(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in SUBNET and prop(args.props, "mapPublicIpOnLaunch") is True:
        report_violation(
            "mapPublicIpOnLaunch is true, so every instance launched here gets a public IP.", None
        )


# Actions that decrypt with a key: kms:Decrypt and kms:ReEncryptFrom, or a wildcard covering them (AWS FSBP KMS.1).
def _decrypts(action: object) -> bool:
    return isinstance(action, str) and action in (
        "*",
        "kms:*",
        "kms:Decrypt",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:ReEncryptFrom",
    )


def _validate_decrypt_on_all_keys(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_POLICY_DOCUMENTS:
        return
    document = _json_document(prop(args.props, "policy"))
    if isinstance(document, Unknown) or document is None:
        return
    found = []
    for index, statement in enumerate(_statements(document)):
        decrypting = [a for a in _as_list(statement.get("Action")) if _decrypts(a)]
        if statement.get("Effect") == "Allow" and "*" in _as_list(statement.get("Resource")) and decrypting:
            found.append(f"{statement.get('Sid') or f'Statement[{index}]'} allows {', '.join(decrypting)}")
    if found:
        report_violation("; ".join(found) + " on every KMS key; name the keys the workload uses.", None)


def _validate_key_policy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in KMS_KEY:
        return
    document = _json_document(prop(args.props, "policy"))
    if isinstance(document, Unknown) or document is None:
        return
    public = _public_statements(document)
    if public:
        report_violation(f"{', '.join(public)} allow anyone without a condition to use the key.", None)


# --- the policies ----------------------------------------------------------------------------------------


def _resource(
    name: str, description: str, validate: Any, types: Iterable[str], **extra: Any
) -> ResourceValidationPolicy:  # pragma: no mutate block
    return judges(
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
            **extra,
        ),
        types,
    )


def _stack(
    name: str, description: str, validate: StackValidation
) -> StackValidationPolicy:  # pragma: no mutate block
    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


vpc_endpoint_private_dns = _resource(
    "vpc-endpoint-private-dns",
    "Interface VPC endpoints must enable private DNS and carry a security group, so AWS SDKs in the VPC use "
    "them without configuration.",
    _validate_vpc_endpoint,
    VPC_ENDPOINT,
)
security_group_no_public_ingress = _resource(
    "security-group-no-public-ingress",
    "Security groups must not accept traffic from 0.0.0.0/0 or ::/0.",
    _validate_no_public_ingress,
    (*SECURITY_GROUP, *INGRESS_RULE, *SECURITY_GROUP_RULE),
)


def _validate_default_security_group(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in DEFAULT_SECURITY_GROUP:
        return
    # Managing the default group removes every rule it is not given (pulumi-aws DefaultSecurityGroup docs).
    opened = [key for key in ("ingress", "egress") if elements(args.props, key) not in (UNKNOWN, [])]
    if opened:
        report_violation(
            f"the VPC's default security group keeps {' and '.join(opened)} rules; anything launched without a "
            "group would get them (AWS FSBP EC2.2).",
            None,
        )


def _validate_codebuild_project(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in CODEBUILD_PROJECT:
        return
    problems: list[str] = []
    if prop(args.props, "environment", "privilegedMode") is True:
        problems.append("environment.privilegedMode is true (root on the build host's Docker daemon)")
    cloudwatch = prop(args.props, "logsConfig", "cloudwatchLogs", "status", default="ENABLED")
    s3 = prop(args.props, "logsConfig", "s3Logs", "status", default="DISABLED")
    if cloudwatch == "DISABLED" and s3 == "DISABLED":
        problems.append("logsConfig sends build logs nowhere (CloudWatch and S3 both DISABLED)")
    if s3 == "ENABLED" and prop(args.props, "logsConfig", "s3Logs", "encryptionDisabled") is True:
        problems.append("logsConfig.s3Logs.encryptionDisabled is true")
    location = prop(args.props, "source", "location")
    if isinstance(location, str) and "@" in location.split("://", 1)[-1].split("/", 1)[0]:
        problems.append("source.location carries credentials before its host")
    # FSBP CodeBuild.2 looks for these two in clear text (docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html).
    for index, variable in enumerate(_known(elements(args.props, "environment", "environmentVariables"))):
        name, kind = prop(variable, "name"), prop(variable, "type", default="PLAINTEXT")
        if name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") and kind == "PLAINTEXT":
            problems.append(
                f"environment.environmentVariables[{index}] holds {name} in clear text; use the runner's role"
            )
    if problems:
        report_violation("; ".join(problems) + ".", None)


kms_key_rotation_enabled = with_remediation(
    _resource(
        "kms-key-rotation-enabled",
        "Customer-managed KMS keys must rotate automatically.",
        _validate_kms_rotation,
        KMS_KEY,
    ),
    {"enableKeyRotation": True},
)
cloudwatch_log_group_encrypted_with_retention = _resource(
    "cloudwatch-log-group-encrypted-with-retention",
    "CloudWatch log groups must be encrypted with the platform's KMS key and expire.",
    _validate_log_group,
    LOG_GROUP,
)
ec2_default_security_group_closed = _resource(
    "ec2-default-security-group-closed",
    "The VPC's default security group must allow no inbound or outbound traffic (AWS FSBP EC2.2).",
    _validate_default_security_group,
    DEFAULT_SECURITY_GROUP,
)
codebuild_project_hardened = _resource(
    "codebuild-project-hardened",
    "CodeBuild projects must not run privileged, must log builds (encrypted when to S3), and must keep "
    "credentials out of the source URL (AWS FSBP CodeBuild.1, .3, .4, .5).",
    _validate_codebuild_project,
    CODEBUILD_PROJECT,
)
iam_policy_no_admin_wildcards = _resource(
    "iam-policy-no-admin-wildcards",
    'IAM policies must not allow "*" or "<service>:*" on every resource.',
    _validate_iam_policy_document,
    IAM_POLICY_DOCUMENTS,
)
iam_no_broad_managed_policies = _resource(
    "iam-no-broad-managed-policies",
    f"Roles must not get broad AWS managed policies ({', '.join(sorted(BROAD_MANAGED_POLICIES))}).",
    _validate_iam_attachment,
    IAM_ATTACHMENTS,
)
iam_oidc_provider_audience = _resource(
    "iam-oidc-provider-audience",
    "OIDC providers for EKS must accept only the sts.amazonaws.com audience.",
    _validate_oidc_provider,
    OIDC_PROVIDER,
)
sagemaker_domain_vpc_only = _resource(
    "sagemaker-domain-vpc-only",
    "SageMaker domains must use VpcOnly network access, so notebooks reach nothing the VPC does not allow.",
    _validate_domain_network,
    SAGEMAKER_DOMAIN,
)
sagemaker_domain_encrypted_with_kms = _resource(
    "sagemaker-domain-encrypted-with-kms",
    "SageMaker domains must encrypt home EFS and space volumes with the platform's KMS key.",
    _validate_domain_kms,
    SAGEMAKER_DOMAIN,
)
sagemaker_domain_security_groups = _resource(
    "sagemaker-domain-security-groups",
    "SageMaker domains must set security groups in both the default user settings and default space settings.",
    _validate_domain_security_groups,
    SAGEMAKER_DOMAIN,
)
sagemaker_domain_idle_shutdown = _resource(
    "sagemaker-domain-idle-shutdown",
    "SageMaker domains must shut idle JupyterLab apps down (app lifecycle management) for users and spaces.",
    _validate_domain_idle_shutdown,
    SAGEMAKER_DOMAIN,
)
sagemaker_domain_docker_access_disabled = _resource(
    "sagemaker-domain-docker-access-disabled",
    "SageMaker domains must keep Docker access disabled.",
    _validate_domain_docker,
    SAGEMAKER_DOMAIN,
)
sagemaker_domain_retains_home_storage = _resource(
    "sagemaker-domain-retains-home-storage",
    "SageMaker domains must retain the home EFS file system when deleted.",
    _validate_domain_retention,
    SAGEMAKER_DOMAIN,
)
sagemaker_user_profile_keeps_domain_hardening = _resource(
    "sagemaker-user-profile-keeps-domain-hardening",
    "SageMaker user profiles must not drop the domain's security groups or turn idle shutdown off.",
    _validate_user_profile,
    SAGEMAKER_USER_PROFILE,
)
eks_cluster_endpoint_restricted = _resource(
    "eks-cluster-endpoint-restricted",
    "EKS clusters must enable the private endpoint and never open a public endpoint to 0.0.0.0/0.",
    _validate_cluster_endpoint_restricted,
    EKS_CLUSTER,
)
eks_cluster_endpoint_private = _resource(
    "eks-cluster-endpoint-private",
    "EKS cluster API endpoints must be private (dev may allow-list networks).",
    _validate_cluster_endpoint_private,
    EKS_CLUSTER,
)
eks_cluster_secrets_encrypted = _resource(
    "eks-cluster-secrets-encrypted",
    "EKS clusters must envelope-encrypt Kubernetes secrets with a customer-managed KMS key.",
    _validate_cluster_secrets,
    EKS_CLUSTER,
)
eks_cluster_control_plane_logging = _resource(
    "eks-cluster-control-plane-logging",
    f"EKS clusters must send {', '.join(REQUIRED_CONTROL_PLANE_LOGS)} control-plane logs to CloudWatch.",
    _validate_cluster_logging,
    EKS_CLUSTER,
)
eks_cluster_access_entries = _resource(
    "eks-cluster-access-entries",
    "EKS clusters must authenticate through access entries only (API mode) without a hidden creator admin.",
    _validate_cluster_access,
    EKS_CLUSTER,
)
eks_cluster_deletion_protection = with_remediation(
    _resource(
        "eks-cluster-deletion-protection",
        "EKS clusters must have deletion protection on.",
        _validate_cluster_deletion_protection,
        EKS_CLUSTER,
    ),
    {"deletionProtection": True},
)
# What holds data or keys, or keeps the platform running: protected against `pulumi destroy` in prod.
DATA_STORES = (*BUCKET, *KMS_KEY, *EKS_CLUSTER, *SAGEMAKER_DOMAIN)


def _validate_protected(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in DATA_STORES and not args.opts.protect:
        report_violation(
            "the resource is not protected (Pulumi protect), so `pulumi destroy` would delete it and its data.",
            None,
        )


aws_data_stores_protected = _resource(
    "aws-data-stores-protected",
    "S3 buckets, KMS keys, EKS clusters and SageMaker domains must be protected with Pulumi's protect option.",
    _validate_protected,
    DATA_STORES,
)
eks_node_group_hardened = _resource(
    "eks-node-group-hardened",
    "EKS node groups must use the platform's launch template and must not open SSH.",
    _validate_node_group,
    EKS_NODE_GROUP,
)
ec2_launch_template_hardened = _resource(
    "ec2-launch-template-hardened",
    "Launch templates must require IMDSv2 with hop limit 1 and encrypted gp3 volumes under a customer key.",
    _validate_launch_template,
    LAUNCH_TEMPLATE,
)
eks_gpu_node_group_tainted = _resource(
    "eks-gpu-node-group-tainted",
    f"GPU node groups must carry the {GPU_TAINT_KEY}={GPU_TAINT_VALUE}:{GPU_TAINT_EKS_EFFECT} taint.",
    _gpu_only(_gpu_tainted),
    EKS_NODE_GROUP,
)
eks_gpu_node_group_scales_to_zero = _resource(
    "eks-gpu-node-group-scales-to-zero",
    "GPU node groups must have a minimum size of 0, so idle GPUs cost nothing.",
    _gpu_only(_gpu_scales_to_zero),
    EKS_NODE_GROUP,
)
eks_gpu_node_group_capped = _resource(
    "eks-gpu-node-group-capped",
    "GPU node groups must cap their GPUs (maxSize x GPUs per node) at the configured maxGpusPerPool.",
    _gpu_only(_gpu_capped),
    EKS_NODE_GROUP,
    config_schema=PolicyConfigSchema(
        properties={"maxGpusPerPool": {"type": "integer", "minimum": 1, "default": DEFAULT_MAX_GPUS_PER_POOL}}
    ),
)
eks_gpu_node_group_capacity_type = _resource(
    "eks-gpu-node-group-capacity-type",
    "GPU node groups must run on spot capacity where the stack's policy config sets requireSpot (dev).",
    _gpu_only(_gpu_capacity_type),
    EKS_NODE_GROUP,
    config_schema=PolicyConfigSchema(properties={"requireSpot": {"type": "boolean", "default": False}}),
)
sns_topic_encrypted_with_kms = _resource(
    "sns-topic-encrypted-with-kms",
    "SNS topics must be encrypted with a customer-managed KMS key.",
    _validate_topic_encryption,
    SNS_TOPIC,
)
sns_topic_policy_not_public = _resource(
    "sns-topic-policy-not-public",
    "SNS topic policies must not allow anyone without a condition.",
    _validate_topic_policy,
    SNS_TOPIC_POLICY,
)
aws_budget_alerts = _resource(
    "aws-budget-alerts",
    "AWS budgets must alert on actual and forecast spend to a subscriber, and tag filters must use user: keys.",
    _validate_budget,
    BUDGET,
)
aws_stack_has_budget = _stack(
    "aws-stack-has-budget",
    "Every stack that runs AWS compute (EKS, SageMaker, NAT gateways, instances) must create a COST budget.",
    _validate_stack_has_budget,
)
eks_gpu_node_group_scales_from_zero = _stack(
    "eks-gpu-node-group-scales-from-zero",
    "GPU node groups with minSize 0 must tag their Auto Scaling group with the cluster autoscaler's node "
    "template labels and taints.",
    _validate_gpu_scale_from_zero,
)
eks_cluster_has_admin_access = _stack(
    "eks-cluster-has-admin-access",
    "An EKS cluster without the creator's bootstrap admin must grant AmazonEKSClusterAdminPolicy through an "
    "access entry, or nobody can administer it.",
    _validate_cluster_has_admin,
)
eks_cluster_has_core_addons = _stack(
    "eks-cluster-has-core-addons",
    "An EKS cluster that skips the self-managed add-ons must have managed vpc-cni, kube-proxy and coredns.",
    _validate_cluster_core_addons,
)
eks_cluster_logs_retained = _stack(
    "eks-cluster-logs-retained",
    "Every EKS cluster with control-plane logs must have its /aws/eks/<name>/cluster log group in the stack.",
    _validate_cluster_log_groups,
)
sagemaker_domain_has_private_endpoints = _stack(
    "sagemaker-domain-has-private-endpoints",
    "A VpcOnly SageMaker domain's VPC without a NAT gateway must have private-DNS interface endpoints for "
    "SageMaker API, runtime, Studio, STS and CloudWatch Logs.",
    _validate_domain_endpoints,
)

# The S3 controls: docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html (S3.5, S3.6, S3.9, S3.12, S3.13).
s3_bucket_denies_insecure_transport = _stack(
    "s3-bucket-denies-insecure-transport",
    'Every S3 bucket must have a bucket policy denying s3:* to everyone when "aws:SecureTransport" is false.',
    _validate_bucket_tls,
)
s3_bucket_access_logging = _stack(
    "s3-bucket-access-logging",
    "Every S3 bucket, except the one receiving the logs, must send server access logs (BucketLogging).",
    _validate_bucket_access_logging,
)
s3_bucket_has_lifecycle = _stack(
    "s3-bucket-has-lifecycle",
    "Every S3 bucket must have its own BucketLifecycleConfiguration, so old versions and uploads expire.",
    _bucket_has(BUCKET_LIFECYCLE, "BucketLifecycleConfiguration"),
)
s3_bucket_has_ownership_controls = _stack(
    "s3-bucket-has-ownership-controls",
    "Every S3 bucket must have its own BucketOwnershipControls; only they disable ACLs.",
    _bucket_has(OWNERSHIP_CONTROLS, "BucketOwnershipControls"),
)
s3_bucket_acls_disabled = _resource(
    "s3-bucket-acls-disabled",
    'S3 ownership controls must be "BucketOwnerEnforced", so ACLs grant nobody access.',
    _validate_ownership_controls,
    OWNERSHIP_CONTROLS,
)
s3_bucket_policy_no_cross_account_admin = _resource(
    "s3-bucket-policy-no-cross-account-admin",
    "Bucket policies must not let AWS principals change the bucket's policy, ACLs or encryption.",
    _validate_bucket_policy_grants,
    BUCKET_POLICY,
)
# EC2.15: docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-15
ec2_subnet_no_public_ip_on_launch = _resource(
    "ec2-subnet-no-public-ip-on-launch",
    "Subnets must not assign public IPs to the instances launched in them.",
    _validate_subnet,
    SUBNET,
)
# KMS.1, KMS.2, KMS.5: docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html
iam_policy_no_decrypt_on_all_keys = _resource(
    "iam-policy-no-decrypt-on-all-keys",
    "IAM policies must not allow kms:Decrypt or kms:ReEncryptFrom on every KMS key.",
    _validate_decrypt_on_all_keys,
    IAM_POLICY_DOCUMENTS,
)
kms_key_policy_not_public = _resource(
    "kms-key-policy-not-public",
    "KMS key policies must not allow everyone (Principal *) without a condition.",
    _validate_key_policy,
    KMS_KEY,
)

# --- what each rule guards (policies/concepts.py) --------------------------------------------------------

guards(s3_bucket_denies_insecure_transport, "public-access")
guards(s3_bucket_access_logging, "audit-logging")
guards(s3_bucket_has_lifecycle, "storage-lifecycle")
guards(s3_bucket_has_ownership_controls, "public-access")
guards(s3_bucket_acls_disabled, "public-access")
guards(s3_bucket_policy_no_cross_account_admin, "public-access", "least-privilege-iam")
guards(ec2_subnet_no_public_ip_on_launch, "public-access")
guards(iam_policy_no_decrypt_on_all_keys, "least-privilege-iam")
guards(kms_key_policy_not_public, "public-access")
guards(s3_public_access_block_enabled, "public-access")
guards(s3_bucket_encrypted_with_kms, "encryption-cmk")
guards(s3_bucket_has_public_access_block, "public-access")
guards(s3_bucket_has_encryption, "encryption-cmk")
guards(s3_bucket_versioning_enabled, "versioning")
guards(s3_bucket_has_versioning, "versioning")
guards(s3_bucket_force_destroy_disabled, "deletion-protection")
guards(vpc_flow_logs_enabled, "flow-logs")
guards(vpc_endpoint_private_dns, "private-service-access", "network-segmentation")
guards(security_group_no_public_ingress, "public-access")
guards(ec2_default_security_group_closed, "public-access", "network-segmentation")
guards(codebuild_project_hardened, "node-hardening", "audit-logging")
guards(kms_key_rotation_enabled, "key-rotation")
guards(cloudwatch_log_group_encrypted_with_retention, "encryption-cmk", "audit-logging", "storage-lifecycle")
guards(iam_policy_no_admin_wildcards, "least-privilege-iam")
guards(iam_no_broad_managed_policies, "least-privilege-iam")
guards(iam_oidc_provider_audience, "cluster-identity")
guards(sagemaker_domain_vpc_only, "public-access")
guards(sagemaker_domain_encrypted_with_kms, "encryption-cmk")
guards(sagemaker_domain_security_groups, "network-segmentation")
guards(sagemaker_domain_idle_shutdown, "idle-shutdown")
guards(sagemaker_domain_docker_access_disabled, "node-hardening")
guards(sagemaker_domain_retains_home_storage, "deletion-protection")
guards(sagemaker_user_profile_keeps_domain_hardening, "network-segmentation", "idle-shutdown")
guards(sagemaker_domain_has_private_endpoints, "private-service-access")
guards(eks_cluster_endpoint_restricted, "private-api-endpoints")
guards(eks_cluster_endpoint_private, "private-api-endpoints")
guards(eks_cluster_secrets_encrypted, "kubernetes-secrets-encryption")
guards(eks_cluster_control_plane_logging, "audit-logging")
guards(eks_cluster_access_entries, "cluster-identity")
guards(eks_cluster_deletion_protection, "deletion-protection")
guards(aws_data_stores_protected, "pulumi-protect")
guards(eks_cluster_logs_retained, "audit-logging")
guards(eks_cluster_has_admin_access, "cluster-identity", "cluster-operable")
guards(eks_cluster_has_core_addons, "cluster-operable")
guards(eks_node_group_hardened, "node-hardening")
guards(ec2_launch_template_hardened, "node-hardening", "encryption-cmk")
guards(eks_gpu_node_group_tainted, "gpu-taint")
guards(eks_gpu_node_group_scales_to_zero, "gpu-scale-to-zero")
guards(eks_gpu_node_group_capped, "gpu-capped")
guards(eks_gpu_node_group_capacity_type, "gpu-spot-dev")
guards(eks_gpu_node_group_scales_from_zero, "gpu-scale-to-zero", "gpu-schedulable")
guards(sns_topic_encrypted_with_kms, "encryption-cmk")
guards(sns_topic_policy_not_public, "public-access")
guards(aws_budget_alerts, "budget-alerts")
guards(aws_stack_has_budget, "budget-alerts")
guards(required_tags, "required-tags")


# --- the published controls each rule implements (policies/controls.py) -------------------------------------

implements(eks_cluster_control_plane_logging, "cis-eks:2.1.1", "aws-fsbp:EKS.8")
implements(s3_bucket_denies_insecure_transport, "aws-fsbp:S3.5")
implements(s3_bucket_policy_no_cross_account_admin, "aws-fsbp:S3.6")
implements(s3_bucket_access_logging, "aws-fsbp:S3.9")
implements(s3_bucket_has_lifecycle, "aws-fsbp:S3.10", "aws-fsbp:S3.13")
implements(s3_bucket_has_ownership_controls, "aws-fsbp:S3.12")
implements(s3_bucket_acls_disabled, "aws-fsbp:S3.12")
# A node gets a public IP from its subnet or its launch template's interfaces; both rules refuse it.
implements(ec2_subnet_no_public_ip_on_launch, "aws-fsbp:EC2.15", "aws-fsbp:EC2.9", "cis-eks:5.4.3")
implements(ec2_launch_template_hardened, "aws-fsbp:EC2.25", "aws-fsbp:EC2.9", "cis-eks:5.4.3")
implements(codebuild_project_hardened, "aws-fsbp:CodeBuild.2")
implements(iam_policy_no_decrypt_on_all_keys, "aws-fsbp:KMS.1", "aws-fsbp:KMS.2")
implements(kms_key_policy_not_public, "aws-fsbp:KMS.5")
implements(eks_cluster_logs_retained, "cis-eks:2.1.2")
implements(cloudwatch_log_group_encrypted_with_retention, "cis-eks:2.1.2")
implements(eks_cluster_access_entries, "cis-eks:4.1.7", "cis-eks:5.5.1")
implements(iam_oidc_provider_audience, "cis-eks:5.2.1")
implements(eks_cluster_secrets_encrypted, "cis-eks:5.3.1", "aws-fsbp:EKS.3")
implements(eks_cluster_endpoint_restricted, "cis-eks:5.4.1", "aws-fsbp:EKS.1")
implements(eks_cluster_endpoint_private, "cis-eks:5.4.2", "aws-fsbp:EKS.1")
implements(
    codebuild_project_hardened,
    "aws-fsbp:CodeBuild.1",
    "aws-fsbp:CodeBuild.3",
    "aws-fsbp:CodeBuild.4",
    "aws-fsbp:CodeBuild.5",
)
implements(ec2_default_security_group_closed, "aws-fsbp:EC2.2")
implements(ec2_launch_template_hardened, "aws-fsbp:EC2.3", "aws-fsbp:EC2.8")
implements(vpc_flow_logs_enabled, "aws-fsbp:EC2.6")
implements(vpc_endpoint_private_dns, "aws-fsbp:EC2.10")
implements(sagemaker_domain_has_private_endpoints, "aws-fsbp:EC2.10")
implements(
    security_group_no_public_ingress,
    "aws-fsbp:EC2.13",
    "aws-fsbp:EC2.14",
    "aws-fsbp:EC2.18",
    "aws-fsbp:EC2.19",
)
implements(iam_policy_no_admin_wildcards, "aws-fsbp:IAM.1", "aws-fsbp:IAM.21")
implements(aws_data_stores_protected, "aws-fsbp:KMS.3")
implements(kms_key_rotation_enabled, "aws-fsbp:KMS.4")
implements(s3_public_access_block_enabled, "aws-fsbp:S3.2", "aws-fsbp:S3.3", "aws-fsbp:S3.8")
implements(s3_bucket_has_public_access_block, "aws-fsbp:S3.2", "aws-fsbp:S3.3", "aws-fsbp:S3.8")
implements(s3_bucket_versioning_enabled, "aws-fsbp:S3.14")
implements(s3_bucket_has_versioning, "aws-fsbp:S3.14")
implements(s3_bucket_encrypted_with_kms, "aws-fsbp:S3.17")
implements(s3_bucket_has_encryption, "aws-fsbp:S3.17")
implements(sns_topic_encrypted_with_kms, "aws-fsbp:SNS.1")
implements(sns_topic_policy_not_public, "aws-fsbp:SNS.4")


POLICIES: list[Policy] = [
    s3_public_access_block_enabled,
    ec2_default_security_group_closed,
    codebuild_project_hardened,
    s3_bucket_encrypted_with_kms,
    s3_bucket_has_public_access_block,
    s3_bucket_has_encryption,
    s3_bucket_versioning_enabled,
    s3_bucket_has_versioning,
    s3_bucket_force_destroy_disabled,
    vpc_flow_logs_enabled,
    vpc_endpoint_private_dns,
    security_group_no_public_ingress,
    kms_key_rotation_enabled,
    cloudwatch_log_group_encrypted_with_retention,
    iam_policy_no_admin_wildcards,
    iam_no_broad_managed_policies,
    iam_oidc_provider_audience,
    sagemaker_domain_vpc_only,
    sagemaker_domain_encrypted_with_kms,
    sagemaker_domain_security_groups,
    sagemaker_domain_idle_shutdown,
    sagemaker_domain_docker_access_disabled,
    sagemaker_domain_retains_home_storage,
    sagemaker_user_profile_keeps_domain_hardening,
    sagemaker_domain_has_private_endpoints,
    eks_cluster_endpoint_restricted,
    eks_cluster_endpoint_private,
    eks_cluster_secrets_encrypted,
    eks_cluster_control_plane_logging,
    eks_cluster_access_entries,
    eks_cluster_deletion_protection,
    aws_data_stores_protected,
    eks_cluster_logs_retained,
    eks_cluster_has_admin_access,
    eks_cluster_has_core_addons,
    eks_node_group_hardened,
    ec2_launch_template_hardened,
    eks_gpu_node_group_tainted,
    eks_gpu_node_group_scales_to_zero,
    eks_gpu_node_group_capped,
    eks_gpu_node_group_capacity_type,
    eks_gpu_node_group_scales_from_zero,
    sns_topic_encrypted_with_kms,
    sns_topic_policy_not_public,
    aws_budget_alerts,
    aws_stack_has_budget,
    required_tags,
    s3_bucket_denies_insecure_transport,
    s3_bucket_access_logging,
    s3_bucket_has_lifecycle,
    s3_bucket_has_ownership_controls,
    s3_bucket_acls_disabled,
    s3_bucket_policy_no_cross_account_admin,
    ec2_subnet_no_public_ip_on_launch,
    iam_policy_no_decrypt_on_all_keys,
    kms_key_policy_not_public,
]
