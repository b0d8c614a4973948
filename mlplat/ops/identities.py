"""The pipeline's AWS identities, one per job: a read-only previewer, a dev deployer and a prod deployer.

Each role trusts GitHub's OIDC issuer for one repository and only the subjects of its jobs
(GitHub docs, "About security hardening with OpenID Connect": `sub` is `repo:<owner>/<repo>:environment:<name>`
for jobs with an environment, `repo:<owner>/<repo>:pull_request` for pull-request jobs):

- previewer: `pull_request` and `environment:preview`; AWS ReadOnlyAccess, plus what reading state needs:
  objects of the state bucket, lock files under `.pulumi/locks/`, and decrypting with the state key
  (state and stack secrets are encrypted with it);
- deployer-dev / deployer-prod: `environment:dev` / `environment:prod` only; PowerUserAccess (everything but
  IAM and Organizations), IAM limited to roles and policies named for their own stack (`mlplat-<stack>-*`,
  Pulumi's autonames start with the logical name), state read-write, and the state key.

Idempotent like the state backend: created when missing, `ok` when equal, `weaker` when different
(left alone unless `fix=True`, which rewrites the trust policy and the inline policy).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from mlplat.ops import error_code
from mlplat.ops.bootstrap import Check

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
# The one AWS session length of the pipeline: cloud-login asks for it, every role allows it (a test
# keeps .github/actions/cloud-login equal). A first deploy of three clouds outlasts the default hour.
MAX_SESSION_SECONDS = 10800
_MANAGED = "arn:aws:iam::aws:policy/"
TAGS = [{"Key": "managed-by", "Value": "mlplat"}, {"Key": "purpose", "Value": "pipeline"}]


@dataclass(frozen=True)
class Identity:
    role_name: str
    subjects: tuple[str, ...]
    managed_policy: str
    inline: dict[str, Any]
    secret: str  # the GitHub secret that holds its ARN, and where


def identities(repo: str, bucket: str, key_arn: str, account: str, project: str = "mlplat") -> list[Identity]:
    bucket_arn = f"arn:aws:s3:::{bucket}"
    read_state = [
        {"Sid": "ListState", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn},
        {"Sid": "ReadState", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket_arn}/*"},
    ]

    def key(*actions: str) -> dict[str, Any]:
        return {"Sid": "StateKey", "Effect": "Allow", "Action": list(actions), "Resource": key_arn}

    previewer = {
        "Version": "2012-10-17",
        "Statement": [
            *read_state,
            {
                "Sid": "PreviewLocks",
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{bucket_arn}/.pulumi/locks/*",
            },
            # Decrypt state and secrets; lock files are written under the bucket's SSE-KMS default.
            key("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"),
        ],
    }

    def deployer(stack: str) -> dict[str, Any]:
        own = f"{project}-{stack}-*"
        return {
            "Version": "2012-10-17",
            "Statement": [
                *read_state,
                {
                    "Sid": "WriteState",
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{bucket_arn}/.pulumi/*",
                },
                key("kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:GenerateDataKey"),
                {
                    "Sid": "OwnRolesAndPolicies",
                    "Effect": "Allow",
                    "Action": ["iam:*Role*", "iam:*Policy*", "iam:*InstanceProfile*", "iam:PassRole"],
                    "Resource": [
                        f"arn:aws:iam::{account}:role/{own}",
                        f"arn:aws:iam::{account}:policy/{own}",
                        f"arn:aws:iam::{account}:instance-profile/{own}",
                    ],
                },
                {
                    "Sid": "ClusterOidcProviders",
                    "Effect": "Allow",
                    "Action": ["iam:*OpenIDConnectProvider*"],
                    "Resource": f"arn:aws:iam::{account}:oidc-provider/oidc.eks.*",
                },
                {
                    "Sid": "ServiceLinkedRoles",
                    "Effect": "Allow",
                    "Action": ["iam:CreateServiceLinkedRole", "iam:GetRole", "iam:ListAttachedRolePolicies"],
                    "Resource": "*",
                },
            ],
        }

    return [
        Identity(
            f"{project}-pipeline-previewer",
            (f"repo:{repo}:pull_request", f"repo:{repo}:environment:preview"),
            f"{_MANAGED}ReadOnlyAccess",
            previewer,
            "AWS_PREVIEW_ROLE_ARN (repository secret)",
        ),
        *(
            Identity(
                f"{project}-pipeline-deployer-{stack}",
                (f"repo:{repo}:environment:{stack}",),
                f"{_MANAGED}PowerUserAccess",
                deployer(stack),
                f"AWS_DEPLOY_ROLE_ARN (secret of environment {stack})",
            )
            for stack in ("dev", "prod")
        ),
    ]


def trust_policy(account: str, subjects: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_ISSUER}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{GITHUB_ISSUER}:aud": AUDIENCE, f"{GITHUB_ISSUER}:sub": list(subjects)}
                },
            }
        ],
    }


@dataclass(frozen=True)
class PipelineIdentities:
    provider_arn: str
    roles: dict[str, str]  # role name -> ARN
    secrets: dict[str, str]  # secret description -> ARN
    checks: tuple[Check, ...]


def ensure_identities(
    iam: BaseClient, *, repo: str, bucket: str, key_arn: str, account: str, fix: bool = False
) -> PipelineIdentities:
    checks: list[Check] = []
    provider_arn = _ensure_provider(iam, account, checks)
    roles: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for identity in identities(repo, bucket, key_arn, account):
        arn = _ensure_role(iam, account, identity, fix, checks)
        roles[identity.role_name] = arn
        secrets[identity.secret] = arn
    return PipelineIdentities(provider_arn, roles, secrets, tuple(checks))


def _ensure_provider(iam: BaseClient, account: str, checks: list[Check]) -> str:
    arn = f"arn:aws:iam::{account}:oidc-provider/{GITHUB_ISSUER}"
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    if arn in listed:
        audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get("ClientIDList", [])
        if AUDIENCE not in audiences:
            iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=AUDIENCE)
            checks.append(Check("GitHub OIDC provider", "fixed", f"audience {AUDIENCE} added"))
        else:
            checks.append(Check("GitHub OIDC provider", "ok", arn))
        return arn
    created = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB_ISSUER}",
        ClientIDList=[AUDIENCE],
        # IAM no longer checks the thumbprint for this issuer; the API still accepts one.
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
        Tags=TAGS,
    )
    checks.append(Check("GitHub OIDC provider", "created", created["OpenIDConnectProviderArn"]))
    return created["OpenIDConnectProviderArn"]


def _policy(document: Any) -> Any:
    return json.loads(document) if isinstance(document, str) else document


def _ensure_role(iam: BaseClient, account: str, identity: Identity, fix: bool, checks: list[Check]) -> str:
    name, trust = identity.role_name, trust_policy(account, identity.subjects)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as error:
        if error_code(error) != "NoSuchEntity":
            raise
        role = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            MaxSessionDuration=MAX_SESSION_SECONDS,
            Description=f"mlplat pipeline: {', '.join(identity.subjects)}",
            Tags=TAGS,
        )["Role"]
        iam.attach_role_policy(RoleName=name, PolicyArn=identity.managed_policy)
        iam.put_role_policy(RoleName=name, PolicyName="pipeline", PolicyDocument=json.dumps(identity.inline))
        checks.append(Check(f"role {name}", "created", f"trusted for {', '.join(identity.subjects)}"))
        return role["Arn"]
    differences: list[str] = []
    if _policy(role["AssumeRolePolicyDocument"]) != trust:
        differences.append("trust policy")
    if role.get("MaxSessionDuration", 3600) != MAX_SESSION_SECONDS:
        differences.append(f"session length {role.get('MaxSessionDuration', 3600)}s")
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    if identity.managed_policy not in attached:
        differences.append(f"{identity.managed_policy.rsplit('/', 1)[-1]} not attached")
    try:
        inline = _policy(iam.get_role_policy(RoleName=name, PolicyName="pipeline")["PolicyDocument"])
    except Exception as error:
        if error_code(error) != "NoSuchEntity":
            raise
        inline = None
    if inline != identity.inline:
        differences.append("inline policy")
    if not differences:
        checks.append(Check(f"role {name}", "ok", f"trusted for {', '.join(identity.subjects)}"))
    elif not fix:
        checks.append(Check(f"role {name}", "weaker", f"differs: {', '.join(differences)} (--fix rewrites)"))
    else:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        iam.update_role(RoleName=name, MaxSessionDuration=MAX_SESSION_SECONDS)
        iam.attach_role_policy(RoleName=name, PolicyArn=identity.managed_policy)
        iam.put_role_policy(RoleName=name, PolicyName="pipeline", PolicyDocument=json.dumps(identity.inline))
        checks.append(Check(f"role {name}", "fixed", f"rewrote {', '.join(differences)}"))
    return role["Arn"]
