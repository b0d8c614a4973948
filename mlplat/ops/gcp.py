"""`mlplat bootstrap gcp`: one environment's project made ready for the pipeline, through Google's REST APIs.

In the environment's project it creates: the APIs the platform and the bootstrap use; a Cloud KMS key
ring and key (90-day rotation) for state encryption and the `gcpkms://` secrets provider; the state
bucket (uniform access, public access prevention, versioning, the key as default CMEK, noncurrent
versions expire); a workload identity pool and GitHub provider accepting this repository only; and one
service account per job (`mlplat.ops.pipeline`), each usable only from its GitHub environment, holding
a custom role with the permissions its job needs (`mlplat/data/permissions.yaml`), state access and the key.

It uses google-api-python-client: the one official Google client covering every API needed here
(no google-cloud-* library manages workload identity pools), with one transport to fake in tests.
Nothing is created before the checks pass (project visible, caller's rights, billing account rights).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mlplat.ops.bootstrap import Check
from mlplat.ops.permissions import gcp_apis, gcp_permissions
from mlplat.ops.pipeline import GITHUB_ISSUER, LOCK_ORGANIZATION, Job, gcp_service_account_email, jobs
from mlplat.ops.steps import Steps

POOL = "github"
PROVIDER = "github"
KEY = "pulumi-state"
ROTATION = timedelta(days=90)
POLL_SECONDS = 2.0
NONCURRENT_DAYS = 90
LABELS = {"managed-by": "mlplat", "purpose": "pulumi-state"}
# What the bootstrap itself calls, before the platform's own APIs.
BOOTSTRAP_APIS = (
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",  # google-github-actions/auth impersonates the service account
    "sts.googleapis.com",  # token exchange for workload identity federation
    "cloudkms.googleapis.com",
    "storage.googleapis.com",
    "cloudbilling.googleapis.com",
)
# What the caller must hold on the project (Owner has all of them).
CALLER_PERMISSIONS = (
    "serviceusage.services.enable",
    "iam.serviceAccounts.create",
    "iam.serviceAccounts.setIamPolicy",
    "iam.workloadIdentityPools.create",
    "iam.workloadIdentityPoolProviders.create",
    "iam.roles.create",
    "resourcemanager.projects.setIamPolicy",
    "storage.buckets.create",
    "cloudkms.keyRings.create",
    "cloudkms.cryptoKeys.create",
    "cloudkms.cryptoKeys.setIamPolicy",
)
BILLING_PERMISSIONS = ("billing.accounts.getIamPolicy", "billing.accounts.setIamPolicy")
BUDGET_ROLE = "roles/billing.costsManager"  # billing.budgets.* on the billing account (Cloud Billing docs)


class GcpError(Exception):
    """A problem the operator fixes; its message is one line naming what to fix."""


@dataclass
class GcpApis:
    """The discovery-based clients, built from one credential or one fake transport."""

    crm: Any
    serviceusage: Any
    iam: Any
    kms: Any
    storage: Any
    billing: Any

    @classmethod
    def connect(cls, credentials: Any = None, http: Any = None) -> GcpApis:
        from googleapiclient.discovery import build

        def api(name: str, version: str) -> Any:
            options: dict[str, Any] = {"http": http} if http is not None else {"credentials": credentials}
            return build(name, version, static_discovery=True, cache_discovery=False, **options)

        return cls(
            api("cloudresourcemanager", "v3"),
            api("serviceusage", "v1"),
            api("iam", "v1"),
            api("cloudkms", "v1"),
            api("storage", "v1"),
            api("cloudbilling", "v1"),
        )


def describe(error: Exception) -> str:
    """`403 PERMISSION_DENIED: ... (SERVICE_DISABLED)` from Google's error body (AIP-193)."""
    from googleapiclient.errors import HttpError

    if not isinstance(error, HttpError):
        return " ".join(str(error).split()) or type(error).__name__
    try:
        body = json.loads(error.content or b"{}").get("error", {})
    except ValueError:
        body = {}
    reasons = [d.get("reason") for d in body.get("details", []) if d.get("reason")]
    message = " ".join(str(body.get("message", "")).split())[:200]
    status = body.get("status") or ""
    reason = f" ({', '.join(reasons)})" if reasons else ""
    return f"{error.status_code} {status}: {message}{reason}".replace("  ", " ")


def _reason(error: Exception) -> str:
    try:
        details = json.loads(error.content or b"{}").get("error", {}).get("details", [])  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return ""
    return next((d.get("reason", "") for d in details if d.get("reason")), "")


def _run(request: Any) -> Any:
    return request.execute(num_retries=2)


# Under --dry-run the APIs a fresh project lacks stay disabled, so what they would hold does not exist yet.
_DISABLED_MEANS_ABSENT: ContextVar[bool] = ContextVar("disabled_means_absent", default=False)


def _get(request: Any) -> Any | None:
    """The resource, or None when the API answers 404."""
    from googleapiclient.errors import HttpError

    try:
        return _run(request)
    except HttpError as error:
        if error.status_code == 404:
            return None
        if _DISABLED_MEANS_ABSENT.get() and _reason(error) == "SERVICE_DISABLED":
            return None
        raise


def _wait(
    operation: dict[str, Any], poll: Callable[[str], Any], what: str, timeout: float = 300
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while not operation.get("done"):
        if time.monotonic() > deadline:
            raise GcpError(f"{what}: operation {operation.get('name')} not done after {timeout:.0f}s; rerun")
        time.sleep(POLL_SECONDS)
        operation = _run(poll(operation["name"]))
    if "error" in operation:
        raise GcpError(f"{what} failed: {operation['error'].get('message', operation['error'])}")
    return operation


@dataclass(frozen=True)
class GcpTarget:
    project: str
    env: str
    region: str
    bucket: str
    repo: str

    @property
    def key_ring(self) -> str:
        return f"projects/{self.project}/locations/{self.region}/keyRings/mlplat-{self.env}-state"

    @property
    def key(self) -> str:
        return f"{self.key_ring}/cryptoKeys/{KEY}"


@dataclass
class GcpBootstrap:
    target: GcpTarget
    project_number: str = ""
    checks: list[Check] = field(default_factory=list)
    service_accounts: dict[str, str] = field(default_factory=dict)  # GitHub environment -> email

    @property
    def backend_url(self) -> str:
        return f"gs://{self.target.bucket}"

    @property
    def secrets_provider(self) -> str:
        return f"gcpkms://{self.target.key}"

    @property
    def workload_identity_provider(self) -> str:
        return f"projects/{self.project_number}/locations/global/workloadIdentityPools/{POOL}/providers/{PROVIDER}"


def check_bucket_name(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]", name) or name.startswith("goog"):
        raise ValueError(
            f"bucket name {name!r}: 3-63 lowercase letters, digits, '-' and '_', starting and ending "
            "with a letter or digit, not starting with 'goog'"
        )


def check_project_id(project: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", project):
        raise ValueError(f"project {project!r} is not a project id (6-30 lowercase letters, digits, hyphens)")


def bootstrap_gcp(apis: GcpApis, target: GcpTarget, *, dry_run: bool = False) -> GcpBootstrap:
    """Check first (nothing is created when a check fails), then create what is missing."""
    result = GcpBootstrap(target)
    result.project_number, billing_account = _preflight(apis, target)
    steps = Steps(dry_run)
    _DISABLED_MEANS_ABSENT.set(dry_run)
    _enable_apis(apis, target, result.project_number, steps)
    _key(apis, target, steps)
    _bucket(apis, target, result.project_number, steps)
    _federation(apis, target, steps)
    for job in jobs(target.env, "gcp"):
        result.service_accounts[job.github_environment] = _service_account(apis, target, job, result, steps)
    _billing(apis, target, billing_account, steps)
    result.checks = steps.checks
    return result


# --- checks -----------------------------------------------------------------------------------------


def _preflight(apis: GcpApis, t: GcpTarget) -> tuple[str, str]:
    from googleapiclient.errors import HttpError

    try:
        project = _run(apis.crm.projects().get(name=f"projects/{t.project}"))
    except HttpError as error:
        if error.status_code in (403, 404) and _reason(error) != "SERVICE_DISABLED":
            raise GcpError(
                f"project {t.project} does not exist or these credentials cannot see it "
                "(check --project and `gcloud auth application-default login`)"
            ) from None
        raise
    if project.get("state", "ACTIVE") != "ACTIVE":
        raise GcpError(f"project {t.project} is {project['state']}; restore it or choose another --project")
    number = project["name"].split("/", 1)[1]
    granted = _run(
        apis.crm.projects().testIamPermissions(
            resource=f"projects/{t.project}", body={"permissions": list(CALLER_PERMISSIONS)}
        )
    ).get("permissions", [])
    missing = [p for p in CALLER_PERMISSIONS if p not in granted]
    if missing:
        raise GcpError(
            f"these credentials lack {', '.join(missing)} on project {t.project}; "
            "run as a project Owner (roles/owner)"
        )
    info = _run(apis.billing.projects().getBillingInfo(name=f"projects/{t.project}"))
    account = info.get("billingAccountName") or ""
    if not info.get("billingEnabled") or not account:
        raise GcpError(f"project {t.project} has no billing account; link one (Billing > Account management)")
    granted = _run(
        apis.billing.billingAccounts().testIamPermissions(
            resource=account, body={"permissions": list(BILLING_PERMISSIONS)}
        )
    ).get("permissions", [])
    if set(BILLING_PERMISSIONS) - set(granted):
        deployer = gcp_service_account_email(t.project, jobs(t.env, "gcp")[1])
        raise GcpError(
            f"the platform's budget needs {BUDGET_ROLE} on {account} for serviceAccount:{deployer}, and these "
            "credentials cannot grant it: a billing account administrator must grant it, or run this as one"
        )
    return number, account


# --- APIs -------------------------------------------------------------------------------------------


def _enable_apis(apis: GcpApis, t: GcpTarget, number: str, steps: Steps) -> None:
    wanted = sorted({*BOOTSTRAP_APIS, *gcp_apis()})
    listed = _run(
        apis.serviceusage.services().list(parent=f"projects/{number}", filter="state:ENABLED", pageSize=200)
    )
    enabled = {s["config"]["name"] for s in listed.get("services", [])}
    missing = [a for a in wanted if a not in enabled]
    if not missing:
        steps.note("APIs", "ok", f"{len(wanted)} enabled")
        return

    def enable() -> None:
        for start in range(0, len(missing), 20):  # batchEnable takes at most 20 services
            operation = _run(
                apis.serviceusage.services().batchEnable(
                    parent=f"projects/{number}", body={"serviceIds": missing[start : start + 20]}
                )
            )
            _wait(operation, lambda n: apis.serviceusage.operations().get(name=n), "enabling APIs")

    steps.change("APIs", f"enable {', '.join(missing)}", enable)


# --- the key and the bucket -------------------------------------------------------------------------


def _key(apis: GcpApis, t: GcpTarget, steps: Steps) -> None:
    rings = apis.kms.projects().locations().keyRings()
    parent = t.key_ring.rsplit("/keyRings/", 1)[0]
    steps.ensure(
        "KMS key ring",
        t.key_ring,
        lambda: _get(rings.get(name=t.key_ring)),
        lambda: _run(rings.create(parent=parent, keyRingId=t.key_ring.rsplit("/", 1)[1], body={})),
    )
    keys = rings.cryptoKeys()
    seconds = int(ROTATION.total_seconds())
    key = steps.ensure(
        "KMS key",
        f"{t.key} (rotation every {ROTATION.days} days)",
        lambda: _get(keys.get(name=t.key)),
        lambda: _run(
            keys.create(
                parent=t.key_ring,
                cryptoKeyId=KEY,
                body={
                    "purpose": "ENCRYPT_DECRYPT",
                    "rotationPeriod": f"{seconds}s",
                    "nextRotationTime": (datetime.now(UTC) + ROTATION).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "labels": LABELS,
                },
            )
        ),
    )
    if key is not None and key.get("purpose") != "ENCRYPT_DECRYPT":
        raise GcpError(
            f"{t.key} is a {key.get('purpose')} key, not ENCRYPT_DECRYPT; delete nothing, use another --env"
        )
    if key is not None and not key.get("rotationPeriod"):
        steps.note("key rotation", "weaker", f"{t.key} has no rotation period; set one in Cloud KMS")


def _bucket_body(t: GcpTarget) -> dict[str, Any]:
    return {
        "name": t.bucket,
        "location": t.region,
        "labels": LABELS,
        "iamConfiguration": {
            "uniformBucketLevelAccess": {"enabled": True},
            "publicAccessPrevention": "enforced",
        },
        "versioning": {"enabled": True},
        "encryption": {"defaultKmsKeyName": t.key},
        "lifecycle": {
            "rule": [
                {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": NONCURRENT_DAYS}}
            ]
        },
    }


def _shortfalls(bucket: dict[str, Any], t: GcpTarget) -> list[str]:
    iam = bucket.get("iamConfiguration", {})
    short = []
    if not iam.get("uniformBucketLevelAccess", {}).get("enabled"):
        short.append("uniform bucket-level access off")
    if iam.get("publicAccessPrevention") != "enforced":
        short.append("public access prevention not enforced")
    if not bucket.get("versioning", {}).get("enabled"):
        short.append("versioning off")
    if not bucket.get("encryption", {}).get("defaultKmsKeyName"):
        short.append("no default CMEK")
    return short


def _bucket(apis: GcpApis, t: GcpTarget, number: str, steps: Steps) -> None:
    from googleapiclient.errors import HttpError

    agent = _run(apis.storage.projects().serviceAccount().get(projectId=t.project))["email_address"]
    # Cloud Storage encrypts with the key as its service agent (Cloud Storage docs, "Use CMEK").
    _bind(
        steps,
        "key: Cloud Storage service agent",
        lambda: (
            _run(apis.kms.projects().locations().keyRings().cryptoKeys().getIamPolicy(resource=t.key))
            if not steps.dry_run
            or _get(apis.kms.projects().locations().keyRings().cryptoKeys().get(name=t.key))
            else {}
        ),
        lambda p: _run(
            apis.kms.projects()
            .locations()
            .keyRings()
            .cryptoKeys()
            .setIamPolicy(resource=t.key, body={"policy": p})
        ),
        [("roles/cloudkms.cryptoKeyEncrypterDecrypter", f"serviceAccount:{agent}", None)],
    )
    try:
        existing = _get(apis.storage.buckets().get(bucket=t.bucket))
    except HttpError as error:
        if error.status_code == 403:
            raise GcpError(
                f"bucket name {t.bucket} is taken by someone else; choose another --bucket"
            ) from None
        raise
    if existing is None:
        steps.change(
            "bucket",
            f"gs://{t.bucket} in {t.region}, CMEK {t.key.rsplit('/', 1)[1]}, versioned, no public access",
            lambda: _run(apis.storage.buckets().insert(project=t.project, body=_bucket_body(t))),
        )
        return
    if str(existing.get("projectNumber")) != number:
        raise GcpError(f"bucket {t.bucket} belongs to another project; choose another --bucket")
    if existing.get("location", "").lower() != t.region.lower():
        raise GcpError(f"bucket {t.bucket} is in {existing.get('location')}, not {t.region}; pass --region")
    short = _shortfalls(existing, t)
    steps.note("bucket", "weaker" if short else "ok", "; ".join(short) if short else f"gs://{t.bucket}")


# --- federation and identities ----------------------------------------------------------------------


def _federation(apis: GcpApis, t: GcpTarget, steps: Steps) -> None:
    pools = apis.iam.projects().locations().workloadIdentityPools()
    parent = f"projects/{t.project}/locations/global"
    pool_name = f"{parent}/workloadIdentityPools/{POOL}"
    poll = lambda n: pools.operations().get(name=n)  # noqa: E731
    pool = steps.ensure(
        "workload identity pool",
        pool_name,
        lambda: _get(pools.get(name=pool_name)),
        lambda: _wait(
            _run(
                pools.create(
                    parent=parent,
                    workloadIdentityPoolId=POOL,
                    body={"displayName": "GitHub Actions", "description": "mlplat pipeline jobs"},
                )
            ),
            poll,
            "creating the workload identity pool",
        ),
    )
    if pool is not None and pool.get("state") == "DELETED":
        raise GcpError(
            f"{pool_name} is deleted (kept 30 days); undelete it in IAM > Workload Identity Federation"
        )
    condition = f"assertion.repository == '{t.repo}'"
    providers = pools.providers()
    provider_name = f"{pool_name}/providers/{PROVIDER}"
    provider = steps.ensure(
        "GitHub OIDC provider",
        f"{provider_name}: {condition}",
        lambda: _get(providers.get(name=provider_name)),
        lambda: _wait(
            _run(
                providers.create(
                    parent=pool_name,
                    workloadIdentityPoolProviderId=PROVIDER,
                    body={
                        "displayName": "GitHub Actions",
                        "oidc": {"issuerUri": GITHUB_ISSUER},
                        "attributeMapping": {
                            "google.subject": "assertion.sub",
                            "attribute.repository": "assertion.repository",
                        },
                        "attributeCondition": condition,
                    },
                )
            ),
            lambda n: providers.operations().get(name=n),
            "creating the GitHub provider",
        ),
    )
    found = steps.checks[-1].status == "ok"
    if found and provider is not None and provider.get("attributeCondition") != condition:
        # No condition, or another one, lets other repositories' jobs in.
        steps.checks[-1] = Check(
            "GitHub OIDC provider",
            "weaker",
            f"accepts {provider.get('attributeCondition')!r}, not {condition!r}; change it or use another project",
        )


def _custom_role_id(job: Job) -> str:
    return job.identity.replace("-", "_")  # role ids: letters, digits, '_' and '.'


def _service_account(apis: GcpApis, t: GcpTarget, job: Job, result: GcpBootstrap, steps: Steps) -> str:
    email = gcp_service_account_email(t.project, job)
    accounts = apis.iam.projects().serviceAccounts()
    resource = f"projects/{t.project}/serviceAccounts/{email}"
    steps.ensure(
        f"service account {job.identity}",
        f"{job.kind} of {t.env}",
        lambda: _get(accounts.get(name=resource)),
        lambda: _run(
            accounts.create(
                name=f"projects/{t.project}",
                body={
                    "accountId": job.identity,
                    "serviceAccount": {
                        "displayName": job.identity,
                        "description": f"mlplat {job.kind}, GitHub environment {job.github_environment}",
                    },
                },
            )
        ),
    )
    subject = job.subject(t.repo)
    principal = (
        f"principal://iam.googleapis.com/projects/{result.project_number}/locations/global/"
        f"workloadIdentityPools/{POOL}/subject/{subject}"
    )
    _bind(
        steps,
        f"{job.identity}: trusted for",
        lambda: (
            _run(accounts.getIamPolicy(resource=resource))
            if not steps.dry_run or _get(accounts.get(name=resource))
            else {}
        ),
        lambda p: _run(accounts.setIamPolicy(resource=resource, body={"policy": p})),
        [("roles/iam.workloadIdentityUser", principal, None)],
        label=subject,
    )
    role_name = f"projects/{t.project}/roles/{_custom_role_id(job)}"
    permissions = gcp_permissions(job.kind)
    roles = apis.iam.projects().roles()
    role = steps.ensure(
        f"custom role {_custom_role_id(job)}",
        f"{len(permissions)} permissions (docs/permissions.md)",
        lambda: _get(roles.get(name=role_name)),
        lambda: _run(
            roles.create(
                parent=f"projects/{t.project}",
                body={
                    "roleId": _custom_role_id(job),
                    "role": {
                        "title": job.identity,
                        "description": f"mlplat {job.kind} of {t.env}: derived from the planned resource types",
                        "includedPermissions": list(permissions),
                        "stage": "GA",
                    },
                },
            )
        ),
    )
    if role is not None and sorted(role.get("includedPermissions", [])) != sorted(permissions):
        if not steps.dry_run:
            _run(
                roles.patch(
                    name=role_name,
                    updateMask="includedPermissions",
                    body={"includedPermissions": list(permissions)},
                )
            )
        steps.checks[-1] = Check(
            f"custom role {_custom_role_id(job)}",
            "planned" if steps.dry_run else "fixed",
            "permissions brought to the table",
        )
    member = f"serviceAccount:{email}"
    _bind(
        steps,
        f"project: {job.identity}",
        lambda: _run(
            apis.crm.projects().getIamPolicy(
                resource=f"projects/{t.project}", body={"options": {"requestedPolicyVersion": 3}}
            )
        ),
        lambda p: _run(
            apis.crm.projects().setIamPolicy(resource=f"projects/{t.project}", body={"policy": p})
        ),
        [(role_name, member, None)],
    )
    _bind(
        steps,
        f"state bucket: {job.identity}",
        lambda: (
            _run(apis.storage.buckets().getIamPolicy(bucket=t.bucket, optionsRequestedPolicyVersion=3))
            if not steps.dry_run or _get(apis.storage.buckets().get(bucket=t.bucket))
            else {}
        ),
        lambda p: _run(apis.storage.buckets().setIamPolicy(bucket=t.bucket, body=p)),
        _state_bindings(t, job, member),
    )
    key_role = (
        "roles/cloudkms.cryptoKeyDecrypter"
        if job.kind == "previewer"
        else "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    )
    keys = apis.kms.projects().locations().keyRings().cryptoKeys()
    _bind(
        steps,
        f"state key: {job.identity}",
        lambda: (
            _run(keys.getIamPolicy(resource=t.key)) if not steps.dry_run or _get(keys.get(name=t.key)) else {}
        ),
        lambda p: _run(keys.setIamPolicy(resource=t.key, body={"policy": p})),
        [(key_role, member, None)],
    )
    return email


def state_prefixes(bucket: str, job: Job) -> list[str]:
    """The object names a job writes: its stacks' checkpoints, history and backups; locks for a previewer."""
    objects = f"projects/_/buckets/{bucket}/objects/.pulumi"
    out = []
    for stack in job.stacks:
        out.append(f"{objects}/locks/{LOCK_ORGANIZATION}/{stack}/")
        if job.kind != "previewer":
            out += [
                f"{objects}/stacks/{stack}.json",
                f"{objects}/history/{stack}/",
                f"{objects}/backups/{stack}/",
            ]
    return out


def _state_bindings(t: GcpTarget, job: Job, member: str) -> list[tuple[str, str, dict[str, str] | None]]:
    expression = " || ".join(f'resource.name.startsWith("{p}")' for p in state_prefixes(t.bucket, job))
    condition = {"title": f"{job.identity} state", "expression": expression}
    # Reading every object: the platform stack is read by the cluster stack (StackReference).
    return [("roles/storage.objectViewer", member, None), ("roles/storage.objectUser", member, condition)]


def _billing(apis: GcpApis, t: GcpTarget, account: str, steps: Steps) -> None:
    deployer = gcp_service_account_email(t.project, jobs(t.env, "gcp")[1])
    previewer = gcp_service_account_email(t.project, jobs(t.env, "gcp")[0])
    _bind(
        steps,
        f"billing account {account}",
        lambda: _run(apis.billing.billingAccounts().getIamPolicy(resource=account)),
        lambda p: _run(apis.billing.billingAccounts().setIamPolicy(resource=account, body={"policy": p})),
        [
            (BUDGET_ROLE, f"serviceAccount:{deployer}", None),
            ("roles/billing.viewer", f"serviceAccount:{previewer}", None),
        ],
    )


# --- IAM policies -----------------------------------------------------------------------------------


def _bind(
    steps: Steps,
    subject: str,
    read: Callable[[], dict[str, Any]],
    write: Callable[[dict[str, Any]], Any],
    wanted: Sequence[tuple[str, str, dict[str, str] | None]],
    label: str | None = None,
) -> None:
    """Add bindings (role, member, condition) to an IAM policy, read-modify-write with its etag."""
    policy = read()
    bindings: list[dict[str, Any]] = [dict(b) for b in policy.get("bindings", [])]
    missing = []
    for role, member, condition in wanted:
        same = [b for b in bindings if b["role"] == role and b.get("condition") == condition]
        if any(member in b.get("members", []) for b in same):
            continue
        missing.append(f"{role.rsplit('/', 1)[-1]}")
        if same:
            same[0]["members"] = [*same[0].get("members", []), member]
        else:
            bindings.append(
                {"role": role, "members": [member], **({"condition": condition} if condition else {})}
            )
    detail = label or ", ".join(role.rsplit("/", 1)[-1] for role, _, _ in wanted)
    if not missing:
        steps.note(subject, "ok", detail)
        return
    new = {**policy, "bindings": bindings}
    if any(c for _, _, c in wanted):
        new["version"] = 3  # conditional bindings need policy version 3
    steps.change(subject, detail, lambda: write(new))
