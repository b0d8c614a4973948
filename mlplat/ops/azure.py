"""`mlplat bootstrap azure`: one environment's subscription made ready for the pipeline, through ARM.

In the environment's subscription it registers the resource providers the platform's resource types
live in (`mlplat/data/permissions.yaml`), then creates in resource group `mlplat-<env>-bootstrap`: the
state storage account (no public blob access, no shared keys, TLS 1.2, versioning and soft delete) and
its `state` container; a Key Vault (RBAC, purge protection) with the `pulumi-state` key for the
`azurekeyvault://` secrets provider; and one user-assigned managed identity per job (`mlplat.ops.pipeline`)
with one federated credential for its GitHub environment, a custom role from the permission table at
subscription scope, state access limited by blob path, and the key.

Managed identities rather than Entra app registrations: each comes with its service principal, is
created through ARM alone (no Graph rights), and `azure/login` signs in with its client id the same way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from mlplat.ops.bootstrap import Check
from mlplat.ops.permissions import azure_actions, azure_namespaces
from mlplat.ops.pipeline import GITHUB_ISSUER, LOCK_ORGANIZATION, Job, jobs
from mlplat.ops.steps import Steps

AUDIENCE = "api://AzureADTokenExchange"  # Entra docs: workload identity federation with GitHub Actions
CONTAINER = "state"
KEY = "pulumi-state"
POLL_SECONDS = 5.0
TAGS = {"managed-by": "mlplat", "purpose": "pulumi-state"}
# Built-in role ids (Azure docs, "Azure built-in roles"): the same in every tenant.
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"  # Key Vault Crypto User: encrypt, decrypt with keys
_PRIVILEGED = (OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR)


class AzureError(Exception):
    """A problem the operator fixes; its message is one line naming what to fix."""


@dataclass
class AzureClients:
    resources: Any
    storage: Any
    keyvault: Any
    msi: Any
    authorization: Any
    caller_object_id: str
    tenant_id: str

    @classmethod
    def connect(cls, credential: Any, subscription: str, **client_options: Any) -> AzureClients:
        from azure.mgmt.authorization import AuthorizationManagementClient
        from azure.mgmt.keyvault import KeyVaultManagementClient
        from azure.mgmt.msi import ManagedServiceIdentityClient
        from azure.mgmt.resource.resources import ResourceManagementClient
        from azure.mgmt.storage import StorageManagementClient

        claims = _claims(credential.get_token("https://management.azure.com/.default").token)
        return cls(
            ResourceManagementClient(credential, subscription, **client_options),
            StorageManagementClient(credential, subscription, **client_options),
            KeyVaultManagementClient(credential, subscription, **client_options),
            ManagedServiceIdentityClient(credential, subscription, **client_options),
            AuthorizationManagementClient(credential, subscription, **client_options),
            claims.get("oid", ""),
            claims.get("tid", ""),
        )


def _claims(token: str) -> dict[str, Any]:
    """The access token's payload (who is calling, in which tenant); read, not verified."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def describe(error: Exception) -> str:
    code = getattr(getattr(error, "error", None), "code", None)
    message = getattr(getattr(error, "error", None), "message", None) or str(error)
    message = " ".join(message.split())[:220]
    return f"{code}: {message}" if code else message


def _code(error: Exception) -> str:
    return getattr(getattr(error, "error", None), "code", None) or ""


def _get(call: Any, *args: Any) -> Any | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return call(*args)
    except ResourceNotFoundError:
        return None


@dataclass(frozen=True)
class AzureTarget:
    subscription: str
    env: str
    location: str
    repo: str
    storage_account: str = ""
    key_vault: str = ""

    @property
    def resource_group(self) -> str:
        return f"mlplat-{self.env}-bootstrap"

    @property
    def suffix(self) -> str:
        return hashlib.sha256(self.subscription.encode()).hexdigest()[:6]

    @property
    def account(self) -> str:
        return self.storage_account or f"mlplat{self.env}{self.suffix}"

    @property
    def vault(self) -> str:
        return self.key_vault or f"mlplat-{self.env}-{self.suffix}"

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.subscription}"

    @property
    def group_scope(self) -> str:
        return f"{self.scope}/resourceGroups/{self.resource_group}"

    @property
    def container_scope(self) -> str:
        return (
            f"{self.group_scope}/providers/Microsoft.Storage/storageAccounts/{self.account}"
            f"/blobServices/default/containers/{CONTAINER}"
        )

    @property
    def key_scope(self) -> str:
        return f"{self.group_scope}/providers/Microsoft.KeyVault/vaults/{self.vault}/keys/{KEY}"


def check_names(t: AzureTarget) -> None:
    if not re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", t.subscription):
        raise ValueError(f"subscription {t.subscription!r} is not a subscription id (a GUID)")
    if not re.fullmatch(r"[a-z0-9]{3,24}", t.account):
        raise ValueError(f"storage account {t.account!r}: 3-24 lowercase letters and digits")
    if not re.fullmatch(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]", t.vault):
        raise ValueError(
            f"key vault {t.key_vault!r}: 3-24 letters, digits and single hyphens, starting with a letter"
        )


@dataclass
class AzureBootstrap:
    target: AzureTarget
    tenant_id: str = ""
    checks: list[Check] = field(default_factory=list)
    identities: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # GitHub env -> (client id, object id)

    @property
    def backend_url(self) -> str:
        return f"azblob://{CONTAINER}?storage_account={self.target.account}"

    @property
    def secrets_provider(self) -> str:
        return f"azurekeyvault://{self.target.vault}.vault.azure.net/keys/{KEY}"


def bootstrap_azure(c: AzureClients, t: AzureTarget, *, dry_run: bool = False) -> AzureBootstrap:
    """Check first (nothing is created when a check fails), then create what is missing."""
    result = AzureBootstrap(t, tenant_id=c.tenant_id)
    unregistered = _preflight(c, t)
    steps = Steps(dry_run)
    _register(c, unregistered, steps)
    steps.ensure(
        "resource group",
        f"{t.resource_group} in {t.location}",
        lambda: _get(c.resources.resource_groups.get, t.resource_group),
        lambda: c.resources.resource_groups.create_or_update(
            t.resource_group, {"location": t.location, "tags": TAGS}
        ),
    )
    _storage(c, t, steps)
    _vault(c, t, steps)
    for job in jobs(t.env, "azure"):
        result.identities[job.github_environment] = _identity(c, t, job, steps)
    result.checks = steps.checks
    return result


# --- checks -----------------------------------------------------------------------------------------


def _preflight(c: AzureClients, t: AzureTarget) -> list[str]:
    from azure.core.exceptions import HttpResponseError

    try:
        states = {ns: c.resources.providers.get(ns).registration_state for ns in azure_namespaces()}
    except HttpResponseError as error:
        if _code(error) in ("SubscriptionNotFound", "InvalidSubscriptionId"):
            raise AzureError(
                f"subscription {t.subscription} does not exist or is not in this tenant "
                "(check --subscription and `az login --tenant`)"
            ) from None
        if _code(error) in ("AuthorizationFailed", "InvalidAuthenticationTokenTenant"):
            raise AzureError(
                f"these credentials cannot read subscription {t.subscription}: {describe(error)}"
            ) from None
        raise
    assigned = {
        (a.role_definition_id or "").rsplit("/", 1)[-1]
        for a in c.authorization.role_assignments.list_for_scope(
            t.scope, filter=f"assignedTo('{c.caller_object_id}')"
        )
        if t.scope.startswith((a.scope or "").rstrip("/") or "/") and not a.condition
    }
    if OWNER not in assigned and not (
        "b24988ac-6180-42a0-ab88-20f7382dd24c" in assigned and USER_ACCESS_ADMINISTRATOR in assigned
    ):
        raise AzureError(
            f"these credentials are not Owner (nor Contributor and User Access Administrator) of subscription "
            f"{t.subscription}; run as one"
        )
    if not _get(c.resources.resource_groups.get, t.resource_group):
        account = c.storage.storage_accounts.check_name_availability(
            {"name": t.account, "type": "Microsoft.Storage/storageAccounts"}
        )
        if not account.name_available:
            raise AzureError(f"storage account name {t.account} is taken; pass another --storage-account")
        vault = c.keyvault.vaults.check_name_availability(
            {"name": t.vault, "type": "Microsoft.KeyVault/vaults"}
        )
        if not vault.name_available:
            raise AzureError(f"key vault name {t.vault} is taken (or soft-deleted); pass another --key-vault")
    return [ns for ns, state in states.items() if state != "Registered"]


def _register(c: AzureClients, namespaces: list[str], steps: Steps) -> None:
    if not namespaces:
        steps.note("resource providers", "ok", f"{len(azure_namespaces())} registered")
        return

    def register() -> None:
        for ns in namespaces:
            c.resources.providers.register(ns)
        deadline = (
            time.monotonic() + 600
        )  # registration takes minutes (Azure docs: "Register resource provider")
        pending = list(namespaces)
        while pending:
            pending = [
                ns for ns in pending if c.resources.providers.get(ns).registration_state != "Registered"
            ]
            if pending and time.monotonic() > deadline:
                raise AzureError(f"{', '.join(pending)} still registering after 10 minutes; rerun later")
            if pending:
                time.sleep(POLL_SECONDS)

    steps.change("resource providers", f"register {', '.join(namespaces)}", register)


# --- state storage and key --------------------------------------------------------------------------


def _storage(c: AzureClients, t: AzureTarget, steps: Steps) -> None:
    accounts = c.storage.storage_accounts
    account = steps.ensure(
        "storage account",
        f"{t.account}: no public blobs, no shared keys, TLS 1.2",
        lambda: _get(accounts.get_properties, t.resource_group, t.account),
        lambda: accounts.begin_create(
            t.resource_group,
            t.account,
            {
                "location": t.location,
                "kind": "StorageV2",
                "sku": {"name": "Standard_GRS"},
                "tags": TAGS,
                "properties": {
                    "allowBlobPublicAccess": False,
                    "allowSharedKeyAccess": False,  # Entra sign-in only (Pulumi's azblob uses it)
                    "minimumTlsVersion": "TLS1_2",
                    "supportsHttpsTrafficOnly": True,
                    "defaultToOAuthAuthentication": True,
                },
            },
        ).result(),
    )
    if account is not None and steps.checks[-1].status == "ok":
        short = [
            what
            for what, bad in (
                ("public blob access allowed", account.allow_blob_public_access is not False),
                ("shared keys allowed", account.allow_shared_key_access is not False),
                ("TLS below 1.2 accepted", account.minimum_tls_version != "TLS1_2"),
            )
            if bad
        ]
        if short:
            steps.checks[-1] = Check("storage account", "weaker", f"{t.account}: {'; '.join(short)}")
    if steps.dry_run and account is None:
        steps.note("blob versioning and soft delete", "planned", "versioning on, 30-day soft delete")
        steps.note("state container", "planned", f"{CONTAINER}, private")
        return
    service = c.storage.blob_services.get_service_properties(t.resource_group, t.account)
    if (
        service.is_versioning_enabled
        and service.delete_retention_policy
        and service.delete_retention_policy.enabled
    ):
        steps.note("blob versioning and soft delete", "ok", "on")
    else:
        steps.change(
            "blob versioning and soft delete",
            "versioning on, 30-day soft delete",
            lambda: c.storage.blob_services.set_service_properties(
                t.resource_group,
                t.account,
                {
                    "properties": {
                        "isVersioningEnabled": True,
                        "deleteRetentionPolicy": {"enabled": True, "days": 30},
                        "containerDeleteRetentionPolicy": {"enabled": True, "days": 30},
                    }
                },
            ),
        )
    steps.ensure(
        "state container",
        f"{CONTAINER}, private",
        lambda: _get(c.storage.blob_containers.get, t.resource_group, t.account, CONTAINER),
        lambda: c.storage.blob_containers.create(
            t.resource_group, t.account, CONTAINER, {"properties": {"publicAccess": "None"}}
        ),
    )


def _vault(c: AzureClients, t: AzureTarget, steps: Steps) -> None:
    vault = steps.ensure(
        "key vault",
        f"{t.vault}: RBAC, purge protection",
        lambda: _get(c.keyvault.vaults.get, t.resource_group, t.vault),
        lambda: c.keyvault.vaults.begin_create_or_update(
            t.resource_group,
            t.vault,
            {
                "location": t.location,
                "tags": TAGS,
                "properties": {
                    "tenantId": c.tenant_id,
                    "sku": {"family": "A", "name": "standard"},
                    "enableRbacAuthorization": True,
                    "enableSoftDelete": True,
                    "softDeleteRetentionInDays": 90,
                    "enablePurgeProtection": True,
                },
            },
        ).result(),
    )
    if vault is not None and steps.checks[-1].status == "ok":
        props = vault.properties
        short = [w for w, bad in (("access policies, not RBAC", not props.enable_rbac_authorization),
                                  ("no purge protection", not props.enable_purge_protection)) if bad]  # fmt: skip
        if short:
            steps.checks[-1] = Check("key vault", "weaker", f"{t.vault}: {'; '.join(short)}")
    steps.ensure(
        "key",
        f"{KEY}: RSA 3072, rotated yearly",
        lambda: None if vault is None else _get(c.keyvault.keys.get, t.resource_group, t.vault, KEY),
        lambda: c.keyvault.keys.create_if_not_exist(
            t.resource_group,
            t.vault,
            KEY,
            {
                "tags": TAGS,
                "properties": {
                    "kty": "RSA",
                    "keySize": 3072,
                    "keyOps": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
                    "rotationPolicy": {
                        "attributes": {"expiryTime": "P2Y"},
                        "lifetimeActions": [
                            {"trigger": {"timeAfterCreate": "P1Y"}, "action": {"type": "rotate"}}
                        ],
                    },
                },
            },
        ),
    )


# --- identities -------------------------------------------------------------------------------------


def state_paths(job: Job) -> list[str]:
    """Blob name prefixes a job writes: its stacks' checkpoints, history, backups; locks for a previewer."""
    out = []
    for stack in job.stacks:
        out.append(f".pulumi/locks/{LOCK_ORGANIZATION}/{stack}/")
        if job.kind != "previewer":
            out += [f".pulumi/stacks/{stack}.json", f".pulumi/history/{stack}/", f".pulumi/backups/{stack}/"]
    return out


def blob_write_condition(job: Job) -> str:
    """ABAC: writes and deletes only under the job's paths (Azure docs, "Example Azure role assignment
    conditions for Blob Storage": blob path with StringStartsWith)."""
    blobs = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
    actions = " AND ".join(f"!(ActionMatches{{'{blobs}/{a}'}})" for a in ("write", "add/action", "delete"))
    paths = " OR ".join(f"@Resource[{blobs}:path] StringStartsWith '{p}'" for p in state_paths(job))
    return f"(({actions}) OR ({paths}))"


def role_assignment_condition() -> str:
    """ABAC: the deployer may assign any role but Owner, User Access Administrator and RBAC Administrator
    (Azure docs, "Delegate Azure role assignment management to others with conditions")."""
    ids = ", ".join(_PRIVILEGED)
    return (
        "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
        f"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {{{ids}}}))"
        " AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR "
        f"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {{{ids}}}))"
    )


def _identity(c: AzureClients, t: AzureTarget, job: Job, steps: Steps) -> tuple[str, str]:
    from azure.mgmt.msi.models import FederatedIdentityCredential, Identity

    identities = c.msi.user_assigned_identities
    identity = steps.ensure(
        f"identity {job.identity}",
        f"{job.kind} of {t.env}",
        lambda: _get(identities.get, t.resource_group, job.identity),
        lambda: identities.create_or_update(
            t.resource_group, job.identity, Identity(location=t.location, tags=TAGS)
        ),
    )
    subject = job.subject(t.repo)
    credentials = c.msi.federated_identity_credentials
    existing = (
        None
        if identity is None
        else _get(credentials.get, t.resource_group, job.identity, job.github_environment)
    )
    if existing is not None and existing.subject != subject:
        steps.note(f"{job.identity}: trusted for", "weaker", f"{existing.subject}, not {subject}")
    else:
        steps.ensure(
            f"{job.identity}: trusted for",
            subject,
            lambda: existing,
            lambda: credentials.create_or_update(
                t.resource_group,
                job.identity,
                job.github_environment,
                FederatedIdentityCredential(issuer=GITHUB_ISSUER, subject=subject, audiences=[AUDIENCE]),
            ),
        )
    client_id = identity.client_id if identity is not None else "(after creation)"
    principal = identity.principal_id if identity is not None else None
    role_id = _custom_role(c, t, job, steps)
    condition = role_assignment_condition() if job.kind == "deployer" else None
    _assign(c, steps, job, t.scope, role_id, principal, condition, f"{job.identity} role at the subscription")
    blob_role = f"{t.scope}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_DATA_CONTRIBUTOR}"
    _assign(
        c, steps, job, t.container_scope, blob_role, principal, blob_write_condition(job), "state container"
    )
    key_role = f"{t.scope}/providers/Microsoft.Authorization/roleDefinitions/{CRYPTO_USER}"
    _assign(c, steps, job, t.key_scope, key_role, principal, None, "state key")
    return client_id or "", principal or ""


def _custom_role(c: AzureClients, t: AzureTarget, job: Job, steps: Steps) -> str:
    from azure.mgmt.authorization.models import Permission, RoleDefinition

    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{t.scope}/mlplat-role/{job.identity}"))
    role_id = f"{t.scope}/providers/Microsoft.Authorization/roleDefinitions/{name}"
    actions = azure_actions(job.kind)
    definitions = c.authorization.role_definitions
    existing = _get(definitions.get, t.scope, name)

    def create() -> Any:
        return definitions.create_or_update(
            t.scope,
            name,
            RoleDefinition(
                role_name=job.identity,
                description=f"mlplat {job.kind} of {t.env}: derived from the planned resource types",
                role_type="CustomRole",
                permissions=[
                    Permission(actions=actions, not_actions=[], data_actions=[], not_data_actions=[])
                ],
                assignable_scopes=[t.scope],
            ),
        )

    if existing is not None and sorted(existing.permissions[0].actions or []) != actions:
        steps.change(f"custom role {job.identity}", "actions brought to the permission table", create)
    else:
        steps.ensure(
            f"custom role {job.identity}",
            f"{len(actions)} actions (docs/permissions.md)",
            lambda: existing,
            create,
        )
    return role_id


def _assign(
    c: AzureClients, steps: Steps, job: Job, scope: str, role_id: str, principal: str | None,
    condition: str | None, what: str,
) -> None:  # fmt: skip
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    subject = f"{job.identity}: {what}"
    if principal is None:
        steps.note(subject, "planned", role_id.rsplit("/", 1)[-1])
        return
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{role_id}|{principal}"))
    existing = [
        a
        for a in c.authorization.role_assignments.list_for_scope(scope, filter=f"assignedTo('{principal}')")
        if (a.role_definition_id or "").lower() == role_id.lower()
        and (a.scope or "").lower() == scope.lower()
    ]
    if any(a.condition == condition for a in existing):
        steps.note(subject, "ok", role_id.rsplit("/", 1)[-1])
        return
    steps.change(
        subject,
        role_id.rsplit("/", 1)[-1] + (" (conditioned)" if condition else ""),
        lambda: c.authorization.role_assignments.create(
            scope,
            name,
            RoleAssignmentCreateParameters(
                role_definition_id=role_id,
                principal_id=principal,
                principal_type="ServicePrincipal",  # a new identity may not have replicated yet
                condition=condition,
                condition_version="2.0" if condition else None,
            ),
        ),
    )
