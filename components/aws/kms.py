"""A customer-managed KMS key per purpose: rotation on, an alias, and a key policy for its services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws import iam


@dataclass(frozen=True)
class KmsKeyArgs:
    purpose: str  # "data", "logs", "sagemaker", "eks-secrets", ...
    alias: str  # "alias/<project>-<stack>-<purpose>", unique within the account and region
    region: str
    tags: Mapping[str, str]
    service_principals: Sequence[str] = ()  # services that encrypt with the key on the caller's behalf
    allow_cloudwatch_logs: bool = (
        False  # CloudWatch Logs uses the key directly, scoped to this account's groups
    )
    # EC2 Auto Scaling launches EKS nodes whose volumes use this key (through its service-linked role).
    allow_autoscaling_volumes: bool = False
    rotation_period_days: int = 365
    deletion_window_days: int = 30
    deletion_protection: bool = False
    extra_statements: Sequence[Mapping[str, object]] = field(default_factory=tuple)


class KmsKey(pulumi.ComponentResource):
    key_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:aws:KmsKey", name, None, opts)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        statements = [
            iam.statement(
                sid="AccountAdministers",
                principals={"AWS": pulumi.Output.concat("arn:aws:iam::", account, ":root")},
                actions=["kms:*"],
                resources="*",
            )
        ]
        if args.service_principals:
            statements.append(
                iam.statement(
                    sid="ServicesEncrypt",
                    principals={"Service": list(args.service_principals)},
                    actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                    resources="*",
                    conditions={"StringEquals": {"aws:SourceAccount": account}},
                )
            )
        if args.allow_cloudwatch_logs:
            statements.append(
                iam.statement(
                    sid="CloudWatchLogsEncrypt",
                    principals={"Service": f"logs.{args.region}.amazonaws.com"},
                    actions=[
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    resources="*",
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                                "arn:aws:logs:", args.region, ":", account, ":*"
                            )
                        }
                    },
                )
            )
        if args.allow_autoscaling_volumes:
            statements.extend(_autoscaling_statements(self))
        statements.extend(dict(s) for s in args.extra_statements)

        keep = pulumi.ResourceOptions(parent=self, protect=args.deletion_protection)
        self.key = aws.kms.Key(
            f"{name}-key",
            aws.kms.KeyArgs(
                description=f"mlplat {args.purpose} key",
                enable_key_rotation=True,
                rotation_period_in_days=args.rotation_period_days,
                deletion_window_in_days=args.deletion_window_days,
                policy=iam.document(*statements),
                tags=dict(args.tags),
            ),
            opts=keep,
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            aws.kms.AliasArgs(name=args.alias, target_key_id=self.key.key_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_id = self.key.key_id
        self.arn = self.key.arn
        self.alias_name = self.alias.name
        self.register_outputs({"key_id": self.key_id, "arn": self.arn, "alias_name": self.alias_name})


AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"


def _autoscaling_statements(parent: pulumi.Resource) -> list[dict[str, object]]:
    """What the Auto Scaling service-linked role needs to launch instances with volumes under this key.

    KMS refuses a key policy naming a principal that does not exist (MalformedPolicyDocumentException),
    and the role exists only once the account has had an Auto Scaling group. So its ARN is read from the
    account: a missing role stops the preview with the read's error, before anything is created (README:
    `aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com` once per account).
    """
    role = aws.iam.get_role_output(name=AUTOSCALING_ROLE, opts=pulumi.InvokeOutputOptions(parent=parent)).arn
    return [
        iam.statement(
            sid="AutoScalingUsesKeyForVolumes",
            principals={"AWS": role},
            actions=[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            resources="*",
        ),
        iam.statement(
            sid="AutoScalingGrantsForAttachedVolumes",
            principals={"AWS": role},
            actions=["kms:CreateGrant"],
            resources="*",
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]
