"""What the AWS APIs refuse: names, tag limits, key policy principals, role ordering, budget limits."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

from mlplat.engine.constraints.common import PlanView, Res, Rule, dig, known, mapping_rule, name_rule

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"

# Every AWS type that takes a `tags` map (the provider merges default tags into the same map).
TAGGED = (
    "aws:budgets/budget:Budget",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/eip:Eip",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:eks/accessEntry:AccessEntry",
    "aws:eks/addon:Addon",
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/role:Role",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:sagemaker/domain:Domain",
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig",
    "aws:sagemaker/userProfile:UserProfile",
    "aws:sns/topic:Topic",
)

_TAGGING = "AWS Tagging Best Practices / Tag API reference: tag restrictions (50 tags, key 128, value 256, no aws: prefix)"


def _tag(key: str, value: Any) -> str | None:
    if not 1 <= len(key) <= 128:
        return f"tag key {key!r} must be 1-128 characters"
    if key.lower().startswith("aws:"):
        return f"tag key {key!r} uses the reserved aws: prefix"
    if len(str(value)) > 256:
        return f"tag {key!r}: value longer than 256 characters"
    return None


def _policy(res: Res, key: str) -> dict[str, Any] | None:
    text = res.value(key)
    if not known(text) or not isinstance(text, str):
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def _aws_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    values = principal.get("AWS", []) if isinstance(principal, dict) else []
    return [v for v in (values if isinstance(values, list) else [values]) if isinstance(v, str)]


def _key_principals_exist(res: Res, plan: PlanView) -> Iterator[str]:
    document = _policy(res, "policy")
    if document is None:
        return
    created = {r.physical("arn") for r in plan.of_type(ROLE)}
    for statement in _statements(document):
        for principal in _aws_principals(statement):
            if not known(principal) or principal == "*" or principal.endswith(":root"):
                continue
            if principal in created or principal in plan.read_arns:
                continue
            yield (
                f"statement {statement.get('Sid', '?')!r} names {principal}, which this plan neither creates "
                "nor reads from the account: KMS refuses a policy whose principal does not exist yet"
            )


def _role_arn_refs(res: Res) -> list[str]:
    refs = [res.value(k) for k in ("roleArn", "nodeRoleArn", "serviceAccountRoleArn")]
    for association in res.value("podIdentityAssociations") or []:
        refs.append(dig(association, "roleArn"))
    return [r for r in refs if known(r)]


def _role_permissions_first(res: Res, plan: PlanView) -> Iterator[str]:
    waits = plan.waits_for(res)
    for arn in _role_arn_refs(res):
        for role in plan.with_output(ROLE, "arn", arn):
            granting = [
                r
                for r in plan.of_type(ATTACHMENT) + plan.of_type(INLINE)
                if r.value("role") in (role.physical("name"), role.physical("id"))
            ]
            missing = sorted(r.name for r in granting if r.urn not in waits)
            if missing:
                yield (
                    f"uses role {role.name} but does not wait for its policies ({', '.join(missing)}): "
                    "created in a race and left undeletable on destroy"
                )


def _trust_size(res: Res, plan: PlanView) -> Iterator[str]:
    text = res.value("assumeRolePolicy")
    if known(text) and isinstance(text, str):
        compact = json.dumps(json.loads(text), separators=(",", ":")) if text.startswith("{") else text
        if len(compact) > 2048:
            yield f"trust policy is {len(compact)} characters; the default quota is 2048"


def _pod_identity_trust_scoped(res: Res, plan: PlanView) -> Iterator[str]:
    document = _policy(res, "assumeRolePolicy")
    for statement in _statements(document or {}):
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else None
        if service != "pods.eks.amazonaws.com" and not (
            isinstance(service, list) and "pods.eks.amazonaws.com" in service
        ):
            continue
        condition = json.dumps(statement.get("Condition", {}))
        for key in ("aws:SourceAccount", "aws:SourceArn"):
            if key not in condition:
                yield f"trusts pods.eks.amazonaws.com without a {key} condition (confused deputy)"


def _budget_notifications(res: Res, plan: PlanView) -> Iterator[str]:
    notifications = res.value("notifications") or []
    if len(notifications) > 10:
        yield f"{len(notifications)} notifications; a budget takes at most 10"
    for n in notifications:
        emails = dig(n, "subscriberEmailAddresses") or []
        topics = dig(n, "subscriberSnsTopicArns") or []
        if len(emails) > 10 or len(topics) > 1:
            yield f"notification at {dig(n, 'threshold')}: at most 10 email and 1 SNS subscribers"


_LOG_RETENTION = {0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827}
_LOG_RETENTION |= {2192, 2557, 2922, 3288, 3653}


def _log_retention(res: Res, plan: PlanView) -> Iterator[str]:
    days = res.value("retentionInDays")
    if known(days) and int(days) not in _LOG_RETENTION:
        yield f"retentionInDays {days} is not one of the values CloudWatch Logs accepts"


def _vpc_cidr(res: Res, plan: PlanView) -> Iterator[str]:
    cidr = res.value("cidrBlock")
    if known(cidr):
        size = ipaddress.ip_network(str(cidr), strict=False).prefixlen
        if not 16 <= size <= 28:
            yield f"cidrBlock {cidr}: a VPC's block must be between /16 and /28"


def _access_entry_principal(res: Res, plan: PlanView) -> Iterator[str]:
    arn = res.value("principalArn")
    if known(arn) and ":assumed-role/" in str(arn):
        yield f"principalArn {arn} is a session; EKS access entries take the IAM role or user"


def _kubernetes_labels(res: Res, plan: PlanView) -> Iterator[str]:
    from mlplat.engine.constraints.kubernetes import label_problems

    yield from label_problems(res.value("labels") or {})


def _node_group_taints(res: Res, plan: PlanView) -> Iterator[str]:
    taints = res.value("taints") or []
    if len(taints) > 50:
        yield f"{len(taints)} taints; a node group takes at most 50"


_IAM_NAME = r"[\w+=,.@-]+"

RULES: tuple[Rule, ...] = (
    mapping_rule(
        "aws-tags",
        TAGGED,
        "tags",
        refuses="more than 50 tags; a key over 128 or a value over 256 characters; keys starting aws:",
        source=_TAGGING,
        max_entries=50,
        entry=_tag,
    ),
    mapping_rule(
        "aws-autoscaling-tag",
        ("aws:autoscaling/tag:Tag",),
        "tag",
        refuses="an Auto Scaling tag key over 128 or value over 256 characters",
        source="EC2 Auto Scaling API reference, Tag: Key 1-128, Value 0-256 characters",
        max_entries=3,
        entry=lambda k, v: _tag(str(v), "") if k == "key" else None,
    ),
    name_rule(
        "aws-codebuild-project-name",
        ("aws:codebuild/project:Project",),
        "name",
        r"[A-Za-z0-9][A-Za-z0-9_-]*",
        what="letters, digits, hyphens and underscores, starting with a letter or digit",
        source="AWS CodeBuild API reference, CreateProject name: 2-255 characters, [A-Za-z0-9][A-Za-z0-9\\-_]{1,254}",
        min_length=2,
        max_length=255,
    ),
    name_rule(
        "aws-s3-bucket-name",
        ("aws:s3/bucket:Bucket",),
        "bucket",
        r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
        what="lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
        source="Amazon S3 User Guide, general purpose bucket naming rules (3-63 characters)",
        min_length=3,
        max_length=63,
        forbidden_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    ),
    name_rule(
        "aws-s3-bucket-prefix",
        ("aws:s3/bucket:Bucket",),
        "bucketPrefix",
        r"[a-z0-9][a-z0-9.-]*",
        what="lowercase, at most 37 characters (the provider appends 26)",
        source="pulumi_aws.s3.Bucket docstring, bucket_prefix: 'Must be lowercase and less than or equal to 37 characters'",
        max_length=37,
    ),
    name_rule(
        "aws-iam-role-name",
        (ROLE,),
        "name",
        _IAM_NAME,
        what="letters, digits and +=,.@_-",
        source="IAM API reference, CreateRole RoleName: 1-64 characters of [\\w+=,.@-]",
        max_length=64,
    ),
    name_rule(
        "aws-iam-role-name-prefix",
        (ROLE,),
        "namePrefix",
        _IAM_NAME,
        what="at most 38 characters (the provider appends 26)",
        source="pulumi_aws.iam.Role docstring, name_prefix; IAM CreateRole RoleName 64 characters",
        max_length=38,
    ),
    Rule(
        "aws-iam-trust-policy-size",
        (ROLE,),
        "a role trust policy over 2048 characters (default quota)",
        "IAM User Guide, IAM and AWS STS quotas: role trust policy length 2048 characters",
        _trust_size,
    ),
    Rule(
        "aws-pod-identity-trust-scoped",
        (ROLE,),
        "(accepted, but documented as required) a Pod Identity trust without aws:SourceAccount/aws:SourceArn",
        "Amazon EKS User Guide, Pod Identity role trust: scope pods.eks.amazonaws.com with SourceAccount/SourceArn",
        _pod_identity_trust_scoped,
    ),
    name_rule(
        "aws-iam-inline-policy-name",
        (INLINE,),
        "name",
        _IAM_NAME,
        what="letters, digits and +=,.@_-",
        source="IAM API reference, PutRolePolicy PolicyName: 1-128 characters of [\\w+=,.@-]",
        max_length=128,
    ),
    name_rule(
        "aws-kms-alias-name",
        ("aws:kms/alias:Alias",),
        "name",
        r"alias/(?!aws/)[A-Za-z0-9/_-]+",
        what="'alias/' then letters, digits, /, _ and -, never alias/aws/",
        source="AWS KMS API reference, CreateAlias AliasName: 1-256 characters, ^alias/[a-zA-Z0-9/_-]+$",
        max_length=256,
    ),
    Rule(
        "aws-kms-key-policy-principals-exist",
        ("aws:kms/key:Key",),
        "a key policy naming an IAM principal that does not exist (MalformedPolicyDocumentException)",
        "AWS KMS Developer Guide, key policies: principals must exist when the policy is set",
        _key_principals_exist,
    ),
    Rule(
        "aws-role-permissions-before-use",
        ("aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:eks/addon:Addon"),
        "(races) a cluster, node group or add-on created before its role's policies are attached",
        "pulumi_aws.eks.NodeGroup/Cluster docstrings: 'Ensure that IAM Role permissions are created before and deleted after'",
        _role_permissions_first,
    ),
    name_rule(
        "aws-eks-cluster-name",
        ("aws:eks/cluster:Cluster",),
        "name",
        r"[0-9A-Za-z][A-Za-z0-9_-]*",
        what="starts with a letter or digit, then letters, digits, - and _",
        source="Amazon EKS API reference, CreateCluster name: 1-100 characters, ^[0-9A-Za-z][A-Za-z0-9\\-_]*",
        max_length=100,
    ),
    name_rule(
        "aws-eks-node-group-name",
        ("aws:eks/nodeGroup:NodeGroup",),
        "nodeGroupName",
        r"[0-9A-Za-z][A-Za-z0-9_-]*",
        what="starts with a letter or digit, then letters, digits, - and _",
        source="Amazon EKS API reference, CreateNodegroup nodegroupName: 1-63 characters",
        max_length=63,
    ),
    name_rule(
        "aws-eks-node-group-name-prefix",
        ("aws:eks/nodeGroup:NodeGroup",),
        "nodeGroupNamePrefix",
        r"[0-9A-Za-z][A-Za-z0-9_-]*",
        what="at most 37 characters (the provider appends 26, nodegroupName takes 63)",
        source="Amazon EKS API reference, CreateNodegroup nodegroupName 63; pulumi_aws.eks.NodeGroup node_group_name_prefix",
        max_length=37,
    ),
    Rule(
        "aws-eks-node-group-labels",
        ("aws:eks/nodeGroup:NodeGroup",),
        "Kubernetes label keys and values that are not valid",
        "Kubernetes docs, Labels and Selectors: syntax and character set",
        _kubernetes_labels,
    ),
    Rule(
        "aws-eks-node-group-taints",
        ("aws:eks/nodeGroup:NodeGroup",),
        "more than 50 taints on a node group",
        "Amazon EKS API reference, CreateNodegroup taints: maximum 50 items",
        _node_group_taints,
    ),
    Rule(
        "aws-eks-access-entry-principal",
        ("aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"),
        "an assumed-role session ARN as an access entry principal",
        "Amazon EKS User Guide, access entries: principalArn is an IAM user or role, not a session",
        _access_entry_principal,
    ),
    name_rule(
        "aws-launch-template-name-prefix",
        ("aws:ec2/launchTemplate:LaunchTemplate",),
        "namePrefix",
        r"[a-zA-Z0-9().\-/_]+",
        what="letters, digits and ().-/_, at most 102 (the provider appends 26; names take 128)",
        source="Amazon EC2 API reference, CreateLaunchTemplate LaunchTemplateName: 3-128, [a-zA-Z0-9\\(\\)\\.\\-/_]+",
        max_length=102,
    ),
    name_rule(
        "aws-security-group-name",
        ("aws:ec2/securityGroup:SecurityGroup",),
        "name",
        r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
        what="letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with sg-",
        source="Amazon EC2 API reference, CreateSecurityGroup GroupName: up to 255 characters",
        max_length=255,
        forbidden_prefixes=("sg-",),
    ),
    Rule(
        "aws-vpc-cidr-size",
        ("aws:ec2/vpc:Vpc",),
        "an IPv4 VPC block larger than /16 or smaller than /28",
        "Amazon VPC User Guide, VPC CIDR blocks: between /16 and /28",
        _vpc_cidr,
    ),
    name_rule(
        "aws-log-group-name",
        ("aws:cloudwatch/logGroup:LogGroup",),
        "name",
        r"[.\-_/#A-Za-z0-9]+",
        what="letters, digits and ._-/#",
        source="CloudWatch Logs API reference, CreateLogGroup logGroupName: 1-512, [\\.\\-_/#A-Za-z0-9]+",
        max_length=512,
    ),
    Rule(
        "aws-log-group-retention",
        ("aws:cloudwatch/logGroup:LogGroup",),
        "a retention that is not one of the listed day counts",
        "CloudWatch Logs API reference, PutRetentionPolicy retentionInDays: valid values",
        _log_retention,
    ),
    *(
        name_rule(
            f"aws-sagemaker-{kind}-name",
            (token,),
            key,
            r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            what="letters and digits joined by hyphens",
            source=f"Amazon SageMaker API reference, {api}: 1-63 characters, ^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}",
            max_length=63,
        )
        for kind, token, key, api in (
            ("domain", "aws:sagemaker/domain:Domain", "domainName", "CreateDomain DomainName"),
            ("user-profile", "aws:sagemaker/userProfile:UserProfile", "userProfileName", "CreateUserProfile"),
            (
                "lifecycle-config",
                "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig",
                "studioLifecycleConfigName",
                "CreateStudioLifecycleConfig",
            ),
        )
    ),
    name_rule(
        "aws-sns-topic-name",
        ("aws:sns/topic:Topic",),
        "name",
        r"[A-Za-z0-9_-]+",
        what="letters, digits, hyphens and underscores",
        source="Amazon SNS API reference, CreateTopic Name: 1-256 characters",
        max_length=256,
    ),
    name_rule(
        "aws-budget-name",
        ("aws:budgets/budget:Budget",),
        "name",
        r"[^:\\]+",
        what="no ':' or '\\'",
        source="AWS Budgets API reference, Budget BudgetName: 1-100 characters, [^:\\\\]+",
        max_length=100,
    ),
    Rule(
        "aws-budget-notifications",
        ("aws:budgets/budget:Budget",),
        "more than 10 notifications, or a notification with more than 10 email / 1 SNS subscribers",
        "AWS Budgets API reference, CreateBudget NotificationsWithSubscribers: 10; Subscribers: 11 (10 email, 1 SNS)",
        _budget_notifications,
    ),
)

# Types whose fields the program sets have no documented constraint beyond the provider's schema.
UNCONSTRAINED: dict[str, str] = {
    "pulumi:providers:aws": "the engine's default provider: its inputs are the stack file's `aws:region`, checked with the settings",
    ATTACHMENT: "a managed policy ARN and a role name, both references",
    "aws:codebuild/webhook:Webhook": "a project reference and a WORKFLOW_JOB_QUEUED filter only",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": (
        "cluster and role references, and a namespace and service account the Kubernetes rules name"
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "two security group references and port 443",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "references only",
    "aws:s3/bucketVersioning:BucketVersioning": "enum status only",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "enum only",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "booleans only",
    "aws:s3/bucketPolicy:BucketPolicy": "principals are the account and AWS services",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "enum only",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "day counts, no documented cap met",
    "aws:s3/bucketLogging:BucketLogging": "references only",
    "aws:sns/topicPolicy:TopicPolicy": "principals are AWS services",
}
