"""The pipeline's AWS identities of one environment: one IAM role per job (`mlplat.ops.pipeline`).

Each role trusts GitHub's OIDC issuer for exactly one subject, `repo:<owner>/<repo>:environment:<github
environment>` (GitHub docs, "OpenID Connect reference"), and holds one inline policy built from
`mlplat/data/permissions.yaml` (docs/permissions.md), no AWS managed policy:

- previewer (`preview-E`): Describe/List/Get of metadata; its stack's state and lock files; Decrypt with
  its environment's state key only. No object reads from data buckets, no secret values.
- deployer (`E`): those reads, and changes held to its environment in a shared account: by the platform's
  names (`mlplat-E-*`) or the `environment` tag (`aws:RequestTag/environment` on create,
  `aws:ResourceTag/environment` otherwise); roles only under `mlplat-E-*` and only with the permissions
  boundary `mlplat-E-boundary` (no IAM changes, no state), so no role it makes reaches admin.
- cluster deployer (`E-eks`): `eks:DescribeCluster` on its cluster, its own stack's state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from mlplat.ops import error_code
from mlplat.ops.bootstrap import Check
from mlplat.ops.permissions import aws_actions, aws_created_by, is_read, table
from mlplat.ops.pipeline import LOCK_ORGANIZATION, PROJECT, Job, aws_role_arn, jobs, platform_stack
from mlplat.ops.steps import Steps

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The one AWS session length of the pipeline: cloud-login asks for it, every role allows it (a test
# keeps .github/actions/cloud-login equal). A first deploy of three clouds outlasts the default hour.
MAX_SESSION_SECONDS = 10800
POLICY_NAME = "pipeline"
TAGS = [{"Key": "managed-by", "Value": "mlplat"}, {"Key": "purpose", "Value": "pipeline"}]
_TAG_VERBS = ("CreateTags", "DeleteTags", "AddTags", "TagResource", "UntagResource")
_BOUNDED = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
)
_IAM_WRITES = [
    "iam:Add*", "iam:Attach*", "iam:Create*", "iam:Delete*", "iam:Detach*", "iam:PassRole", "iam:Put*",
    "iam:Remove*", "iam:SetDefaultPolicyVersion", "iam:Tag*", "iam:Untag*", "iam:Update*",
]  # fmt: skip


@dataclass(frozen=True)
class AwsTarget:
    env: str
    repo: str
    bucket: str
    key_arn: str  # the environment's state key: S3 default encryption and the awskms:// secrets provider
    account: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"

    @property
    def boundary_arn(self) -> str:
        return self.arn("iam", f"policy/{boundary_name(self.env)}", region=False)

    @property
    def provider_arn(self) -> str:
        return self.arn("iam", f"oidc-provider/{GITHUB_ISSUER}", region=False)

    @property
    def bucket_arn(self) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket}"

    def fill(self, template: str) -> str:
        return template.format(
            partition=self.partition, region=self.region, account=self.account, env=self.env
        )


def boundary_name(env: str) -> str:
    return f"{PROJECT}-{env}-boundary"


def _allow(sid: str, actions: list[str], resources: list[str] | str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions))}
    statement["Resource"] = resources
    if condition:
        statement["Condition"] = condition
    return statement


def _deny(sid: str, actions: list[str], resources: list[str] | str, **condition: Any) -> dict[str, Any]:
    return {**_allow(sid, actions, resources, **condition), "Effect": "Deny"}


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


# --- state: by object path (Pulumi's DIY backend layout: .pulumi/{stacks,history,backups,locks}/<project>/<stack>)


def _state(t: AwsTarget, job: Job) -> list[dict[str, Any]]:
    objects = f"{t.bucket_arn}/.pulumi"
    own = list(job.stacks)
    readable = [f"{objects}/meta.yaml", *(f"{objects}/stacks/{s}.json*" for s in own)]
    if job.kind == "cluster-deployer":  # the cluster stack reads its platform stack (StackReference)
        readable.append(f"{objects}/stacks/{PROJECT}/{platform_stack(job.env)}.json*")
    out = [
        _allow("ListState", ["s3:ListBucket"], t.bucket_arn),
        _allow("ReadState", ["s3:GetObject"], readable),
        _allow(
            "OwnLocks",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            [f"{objects}/locks/{LOCK_ORGANIZATION}/{s}/*" for s in own],
        ),
    ]
    if job.kind != "previewer":
        written = [f"{objects}/{kind}/{s}/*" for s in own for kind in ("history", "backups")]
        out.append(
            _allow(
                "WriteOwnState",
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                [*(f"{objects}/stacks/{s}.json*" for s in own), *written],
            )
        )
    # The bucket's SSE-KMS: only through S3 and only for this bucket (KMS docs, kms:ViaService and
    # kms:EncryptionContext:context-key; S3 uses the bucket or object ARN as encryption context).
    out.append(
        _allow(
            "StateBucketEncryption",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            "*",
            StringEquals={"kms:ViaService": f"s3.{t.region}.amazonaws.com"},
            StringLike={"kms:EncryptionContext:aws:s3:arn": [t.bucket_arn, f"{t.bucket_arn}/.pulumi/*"]},
        )
    )
    secrets = ["kms:Decrypt", "kms:DescribeKey"]
    if job.kind != "previewer":
        secrets += ["kms:Encrypt", "kms:GenerateDataKey"]
    out.append(_allow("StackSecrets", secrets, t.key_arn))
    return out


# --- the jobs' policies ------------------------------------------------------------------------------


def previewer_policy(t: AwsTarget, job: Job) -> dict[str, Any]:
    reads = [a for a in aws_actions("previewer") if is_read(a)]
    return _document([_allow("ReadMetadata", reads, "*"), *_state(t, job)])


def cluster_deployer_policy(t: AwsTarget, job: Job) -> dict[str, Any]:
    cluster = t.arn("eks", f"cluster/{PROJECT}-{job.env}")
    return _document([_allow("OwnCluster", aws_actions("cluster-deployer"), cluster), *_state(t, job)])


def _is_tagging(action: str) -> bool:
    return action.split(":", 1)[1].startswith(_TAG_VERBS)


def deployer_policy(t: AwsTarget, job: Job) -> dict[str, Any]:
    section = table()["aws"]
    actions = aws_actions("deployer")
    changes = [a for a in actions if not is_read(a)]
    env_tag = {"aws:ResourceTag/environment": t.env}
    statements: list[dict[str, Any]] = []  # its reads are the managed policy `read_policy`
    tagging: list[str] = []
    for service, scope in sorted(section["scopes"].items()):
        own = [a for a in changes if a.split(":", 1)[0] == service]
        if not own:
            continue
        name = service.capitalize()
        if scope.get("resources"):
            named = [a for a in own if any(w in a for w in scope.get("only", [""]))]
            statements.append(_allow(f"{name}ByName", named, [t.fill(r) for r in scope["resources"]]))
        if scope.get("tag"):
            tags = [a for a in own if _is_tagging(a)]
            tagging += tags
            created = [a for a in own if aws_created_by(a)] + tags
            statements.append(_allow(f"{name}TaggedForEnvironment", own, "*", StringEquals=env_tag))
            statements.append(
                _allow(
                    f"{name}CreateTaggedForEnvironment",
                    created,
                    "*",
                    StringEquals={"aws:RequestTag/environment": t.env},
                )
            )
    statements += _iam(t, [a for a in changes if a.startswith("iam:")], section)
    prefix = f"{PROJECT}-{t.env}"
    pipeline_roles = [t.arn("iam", f"role/{j.identity}", region=False) for j in jobs(t.env, "aws")]
    statements += [
        # Its own and its siblings' roles, and the boundary, are the bootstrap's: never the deployer's.
        _deny("KeepPipelineRolesAndBoundary", _IAM_WRITES, [*pipeline_roles, t.boundary_arn]),
        _deny("KeepBoundaries", ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"], "*"),
        # Tagging a resource of another environment into this one would hand it over.
        _deny(
            "KeepOtherEnvironmentsTags",
            sorted(set(tagging)),
            "*",
            StringNotEquals=env_tag,
            Null={"aws:ResourceTag/environment": "false"},
        ),
    ]
    assert all(a.split(":", 1)[0] in {*section["scopes"], "iam"} for a in changes), prefix
    return _document(statements)


def _iam(t: AwsTarget, changes: list[str], section: dict[str, Any]) -> list[dict[str, Any]]:
    roles = t.arn("iam", f"role/{PROJECT}-{t.env}-*", region=False)
    oidc = [a for a in changes if "OpenIDConnectProvider" in a]
    bounded = [a for a in changes if a in _BOUNDED]
    plain = [a for a in changes if a not in (*oidc, *bounded, "iam:PassRole")]
    boundary = {"iam:PermissionsBoundary": t.boundary_arn}
    return [
        _allow("IamOwnRoles", plain, roles),
        _allow(
            "IamOwnRolesWithinBoundary",
            [a for a in bounded if a != "iam:AttachRolePolicy"],
            roles,
            StringEquals=boundary,
        ),
        _allow(
            "IamAttachPlannedManagedPolicies",
            ["iam:AttachRolePolicy"],
            roles,
            StringEquals=boundary,
            ArnEquals={"iam:PolicyARN": [t.fill(p) for p in section["managed-policies"]]},
        ),
        _allow(
            "IamPassOwnRoles",
            ["iam:PassRole"],
            roles,
            StringEquals={"iam:PassedToService": section["pass-role-to"]},
        ),
        _allow(
            "IamClusterOidcProviders",
            oidc,
            t.arn("iam", "oidc-provider/*", region=False),
            StringEquals={"aws:ResourceTag/environment": t.env},
        ),
        _allow(
            "IamCreateClusterOidcProviders",
            [a for a in oidc if a.startswith(("iam:Create", "iam:Tag"))],
            t.arn("iam", "oidc-provider/*", region=False),
            StringEquals={"aws:RequestTag/environment": t.env},
        ),
        _allow(
            "IamServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            t.arn("iam", "role/aws-service-role/*", region=False),
            StringEquals={"iam:AWSServiceName": section["service-linked-roles"]},
        ),
    ]


def read_policy(t: AwsTarget) -> dict[str, Any]:
    """The deployer's metadata reads, as a managed policy of its own: with its changes they outgrow the
    10,240 characters IAM allows a role's inline policies (IAM docs, "IAM and AWS STS quotas")."""
    return _document([_allow("ReadMetadata", [a for a in aws_actions("deployer") if is_read(a)], "*")])


def read_policy_name(env: str) -> str:
    return f"{PROJECT}-{env}-deployer-read"


def boundary_policy(t: AwsTarget) -> dict[str, Any]:
    """What any role the deployer makes can ever do: no IAM changes, no account settings, no state."""
    return _document(
        [
            {"Sid": "WithinTheBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"},
            _deny("NoIamChanges", [a for a in _IAM_WRITES if a != "iam:PassRole"], "*"),
            _deny("NoAccountChanges", ["account:*", "organizations:*"], "*"),
            _deny("NoState", ["s3:*"], [t.bucket_arn, f"{t.bucket_arn}/*"]),
            _deny("NoStateKey", ["kms:*"], t.key_arn),
        ]
    )


def policy(t: AwsTarget, job: Job) -> dict[str, Any]:
    build = {
        "previewer": previewer_policy,
        "deployer": deployer_policy,
        "cluster-deployer": cluster_deployer_policy,
    }[job.kind]
    return build(t, job)


def trust_policy(t: AwsTarget, job: Job) -> dict[str, Any]:
    return _document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": t.provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_ISSUER}:aud": AUDIENCE,
                        f"{GITHUB_ISSUER}:sub": job.subject(t.repo),
                    }
                },
            }
        ]
    )


# --- creating them -----------------------------------------------------------------------------------


def _compact(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _parsed(document: Any) -> Any:
    return json.loads(document) if isinstance(document, str) else document


def ensure_identities(iam: BaseClient, t: AwsTarget, steps: Steps) -> dict[str, str]:
    """The OIDC provider, the boundary and one role per job; GitHub environment -> role ARN."""
    _provider(iam, t, steps)
    _managed_policy(
        iam,
        t,
        boundary_name(t.env),
        boundary_policy(t),
        "permissions boundary of the deployer's roles",
        steps,
    )
    _managed_policy(iam, t, read_policy_name(t.env), read_policy(t), "the deployer's metadata reads", steps)
    return {job.github_environment: _role(iam, t, job, steps) for job in jobs(t.env, "aws")}


def _provider(iam: BaseClient, t: AwsTarget, steps: Steps) -> None:
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    found = t.provider_arn in listed
    steps.ensure(
        "GitHub OIDC provider",
        t.provider_arn,
        lambda: t.provider_arn if found else None,
        lambda: iam.create_open_id_connect_provider(
            Url=f"https://{GITHUB_ISSUER}",
            ClientIDList=[AUDIENCE],
            # IAM no longer checks the thumbprint for this issuer; the API still accepts one.
            ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
            Tags=TAGS,
        ),
    )
    if found:
        audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=t.provider_arn).get(
            "ClientIDList", []
        )
        if AUDIENCE not in audiences:
            steps.change(
                "GitHub OIDC provider audience",
                AUDIENCE,
                lambda: iam.add_client_id_to_open_id_connect_provider(
                    OpenIDConnectProviderArn=t.provider_arn, ClientID=AUDIENCE
                ),
            )


def _get_policy(iam: BaseClient, arn: str) -> dict[str, Any] | None:
    try:
        return iam.get_policy(PolicyArn=arn)["Policy"]
    except Exception as error:
        if error_code(error) != "NoSuchEntity":
            raise
        return None


def _managed_policy(
    iam: BaseClient, t: AwsTarget, name: str, wanted: dict[str, Any], detail: str, steps: Steps
) -> None:
    arn = t.arn("iam", f"policy/{name}", region=False)
    subject = f"policy {name}"
    found = steps.ensure(
        subject,
        detail,
        lambda: _get_policy(iam, arn),
        lambda: iam.create_policy(
            PolicyName=name,
            PolicyDocument=_compact(wanted),
            Description=f"mlplat {t.env}: {detail}",
            Tags=TAGS,
        )["Policy"],
    )
    if found is None or steps.checks[-1].status != "ok":
        return
    version = iam.get_policy_version(PolicyArn=arn, VersionId=found["DefaultVersionId"])
    if _parsed(version["PolicyVersion"]["Document"]) == wanted:
        return

    def update() -> None:
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= 5 and old:  # IAM keeps at most five versions
            iam.delete_policy_version(PolicyArn=arn, VersionId=old[0]["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=_compact(wanted), SetAsDefault=True)

    steps.checks.pop()
    steps.change(subject, "brought to the table", update)
    _fixed(steps)


def _fixed(steps: Steps) -> None:
    """A change to something that existed reads `fixed`, not `created`."""
    last = steps.checks[-1]
    if last.status == "created":
        steps.checks[-1] = Check(last.subject, "fixed", last.detail)


def _get_role(iam: BaseClient, name: str) -> dict[str, Any] | None:
    try:
        return iam.get_role(RoleName=name)["Role"]
    except Exception as error:
        if error_code(error) != "NoSuchEntity":
            raise
        return None


def _role(iam: BaseClient, t: AwsTarget, job: Job, steps: Steps) -> str:
    name, trust, inline = job.identity, trust_policy(t, job), policy(t, job)
    subject = f"role {name}"
    managed = (
        [t.arn("iam", f"policy/{read_policy_name(t.env)}", region=False)] if job.kind == "deployer" else []
    )

    def create() -> dict[str, Any]:
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=_compact(trust),
            MaxSessionDuration=MAX_SESSION_SECONDS,
            Description=f"mlplat {job.kind} of {t.env}: GitHub environment {job.github_environment}",
            Tags=TAGS,
        )["Role"]
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=_compact(inline))
        for arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        return role

    role = steps.ensure(subject, f"trusted for {job.subject(t.repo)}", lambda: _get_role(iam, name), create)
    if role is None or steps.checks[-1].status != "ok":
        return aws_role_arn(t.account, job, t.partition)
    differences: list[str] = []
    if _parsed(role["AssumeRolePolicyDocument"]) != trust:
        differences.append("trust policy")
    if role.get("MaxSessionDuration", 3600) != MAX_SESSION_SECONDS:
        differences.append("session length")
    try:
        current = _parsed(iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"])
    except Exception as error:
        if error_code(error) != "NoSuchEntity":
            raise
        current = None
    if current != inline:
        differences.append("inline policy")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    extra = [a for a in attached if a not in managed]  # the old design's ReadOnlyAccess / PowerUserAccess
    missing = [a for a in managed if a not in attached]
    if extra or missing:
        differences.append("managed policies")
    if differences:

        def update() -> None:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=_compact(trust))
            iam.update_role(RoleName=name, MaxSessionDuration=MAX_SESSION_SECONDS)
            iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=_compact(inline))
            for arn in extra:
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)
            for arn in missing:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)

        steps.checks.pop()
        steps.change(subject, f"brought to the table: {', '.join(differences)}", update)
        _fixed(steps)
    return role["Arn"]
