"""A fresh Azure subscription as Azure Resource Manager answers for it, behind azure-core's transport.

The azure-mgmt clients send through azure-core's RequestsTransport; a `requests` adapter mounted on its
session answers in process. Shapes follow the REST references:
- Providers Get / Register: https://learn.microsoft.com/rest/api/resources/providers
  (a new subscription: `NotRegistered`; a PUT in an unregistered namespace answers 409
  `MissingSubscriptionRegistration`, https://aka.ms/rps-not-found)
- Resource Groups: https://learn.microsoft.com/rest/api/resources/resource-groups
- Storage Accounts, Blob Services, Blob Containers, Check Name Availability:
  https://learn.microsoft.com/rest/api/storagerp/storage-accounts
- Vaults and Keys (management plane): https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults
- User Assigned Identities, Federated Identity Credentials:
  https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities
- Role Definitions, Role Assignments (List For Scope with `$filter=assignedTo('{id}')`):
  https://learn.microsoft.com/rest/api/authorization/role-assignments
Errors: `{"error": {"code", "message"}}` (ARM's common error response); an unknown subscription answers
404 `SubscriptionNotFound`.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import BaseAdapter

from mlplat.ops.azure import OWNER

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
TENANT = "72f988bf-0000-0000-0000-000000000000"
CALLER = "c0ffee00-0000-0000-0000-000000000001"
ALWAYS_REGISTERED = {"microsoft.resources", "microsoft.authorization", "microsoft.managedidentity"}


class FakeCredential:
    """An azure-core TokenCredential whose token carries the caller's object and tenant ids."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        token = f"{part({'alg': 'none'})}.{part({'oid': CALLER, 'tid': TENANT})}.sig"
        return AccessToken(token, int(time.time()) + 3600)


class FakeArm(BaseAdapter):
    def __init__(self, subscription: str = SUBSCRIPTION, *, caller_roles: tuple[str, ...] = (OWNER,)) -> None:
        super().__init__()
        self.subscription = subscription
        self.registered = set(ALWAYS_REGISTERED)
        self.registering: set[str] = set()
        self.objects: dict[str, dict[str, Any]] = {}
        self.taken_names: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        for role in caller_roles:
            self._put_assignment(f"/subscriptions/{subscription}", CALLER, role, None)

    @property
    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] in ("PUT", "PATCH", "DELETE") or c[1].endswith("/register")]

    def transport(self) -> RequestsTransport:
        session = requests.Session()
        session.mount("https://", self)
        return RequestsTransport(session=session, session_owner=False)

    def close(self) -> None:
        pass

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        path = unquote(parts.path).rstrip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.calls.append((request.method or "GET", path))
        body = json.loads(request.body) if isinstance(request.body, (str, bytes)) and request.body else {}
        status, answer = self._route(request.method or "GET", path, query, body)
        content = json.dumps(answer).encode()
        response = requests.Response()
        response.status_code = status
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(content),
            status=status,
            headers={"Content-Type": "application/json"},
            preload_content=False,
        )
        response.headers.update({"Content-Type": "application/json"})
        response.url = request.url or ""
        response.request = request
        return response

    # --- answers ----------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[int, Any]:
        return status, {"error": {"code": code, "message": message}}

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        m = re.match(r"/subscriptions/([^/]+)", path)
        if not m or m[1] != self.subscription:
            sub = m[1] if m else "?"
            return self._error(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        rest = path[m.end() :]
        provider = re.fullmatch(r"/providers/([^/]+)(/register)?", rest)
        if provider:
            return self._provider(provider[1], bool(provider[2]))
        if rest.endswith("/checkNameAvailability"):
            name = body["name"]
            return 200, {
                "nameAvailable": name not in self.taken_names,
                **({"reason": "AlreadyExists"} if name in self.taken_names else {}),
            }
        if re.search(r"/providers/Microsoft\.Authorization/roleAssignments$", path):
            return 200, {
                "value": self._assignments(path.rsplit("/providers/", 1)[0], query.get("$filter", ""))
            }
        namespace = re.findall(r"/providers/([^/]+)/", path)
        if method in ("PUT", "POST") and namespace and namespace[-1].lower() not in self.registered:
            return self._error(
                409,
                "MissingSubscriptionRegistration",
                f"The subscription is not registered to use namespace '{namespace[-1]}'. "
                "See https://aka.ms/rps-not-found for how to register subscriptions.",
            )
        key = path.lower()
        if method == "GET":
            if key in self.objects:
                return 200, self.objects[key]
            code = (
                "ResourceGroupNotFound"
                if re.fullmatch(r"/resourcegroups/[^/]+", rest.lower())
                else "ResourceNotFound"
            )
            return self._error(404, code, f"The Resource '{path}' was not found.")
        if method == "PUT":
            return self._put(path, body)
        return self._error(405, "MethodNotAllowed", f"{method} {path}")

    def _provider(self, namespace: str, register: bool) -> tuple[int, Any]:
        ns = namespace.lower()
        if register:
            self.registering.add(ns)
            state = "Registering"
        elif ns in self.registering:  # registered by the next read
            self.registering.discard(ns)
            self.registered.add(ns)
            state = "Registered"
        else:
            state = "Registered" if ns in self.registered else "NotRegistered"
        return 200, {
            "id": f"/subscriptions/{self.subscription}/providers/{namespace}",
            "namespace": namespace,
            "registrationState": state,
            "resourceTypes": [],
        }

    def _put(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        name = path.rsplit("/", 1)[1]
        stored = {**body, "id": path, "name": name}
        properties = dict(stored.get("properties") or {})
        if "/providers/Microsoft.Authorization/roleAssignments/" in path:
            return 201, self._put_assignment(path.split("/providers/Microsoft.Authorization/")[0],
                                             properties["principalId"], properties["roleDefinitionId"].rsplit("/", 1)[1],
                                             properties.get("condition"), name)  # fmt: skip
        if "/userAssignedIdentities/" in path and "/federatedIdentityCredentials/" not in path:
            existing = self.objects.get(path.lower(), {}).get("properties", {})
            properties = {
                "tenantId": "72f988bf-0000-0000-0000-000000000000",
                "principalId": existing.get("principalId", str(uuid.uuid4())),
                "clientId": existing.get("clientId", str(uuid.uuid4())),
            }
        if re.search(r"/(storageAccounts|vaults)/[^/]+$", path):
            properties["provisioningState"] = "Succeeded"
        if re.search(r"/storageAccounts/[^/]+$", path) and path.lower() not in self.objects:
            service = f"{path}/blobServices/default"  # every account has one, with versioning off
            self.objects[service.lower()] = {
                "id": service,
                "name": "default",
                "properties": {"deleteRetentionPolicy": {"enabled": False}},
            }
        if stored.get("properties") is not None or properties:
            stored["properties"] = properties
        self.objects[path.lower()] = stored
        created = "/roleDefinitions/" in path  # Role Definitions - Create Or Update answers 201
        return (201 if created else 200), stored

    def _put_assignment(
        self, scope: str, principal: str, role: str, condition: str | None, name: str = ""
    ) -> dict[str, Any]:
        name = name or str(uuid.uuid4())
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        assignment = {
            "id": path,
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": f"/subscriptions/{self.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                "principalId": principal,
                "principalType": "User" if principal == CALLER else "ServicePrincipal",
                "scope": scope,
                **({"condition": condition, "conditionVersion": "2.0"} if condition else {}),
            },
        }
        self.objects[path.lower()] = assignment
        return assignment

    def _assignments(self, scope: str, filter_: str) -> list[dict[str, Any]]:
        """Assignments at the scope and above it, to the principal of `assignedTo('<id>')`."""
        principal = re.search(r"assignedTo\('([^']+)'\)", filter_)
        return [
            a
            for key, a in self.objects.items()
            if "/providers/microsoft.authorization/roleassignments/" in key
            and scope.lower().startswith(a["properties"]["scope"].lower())
            and (principal is None or a["properties"]["principalId"] == principal[1])
        ]

    def assignments_of(self, principal: str) -> list[dict[str, Any]]:
        return [a["properties"] for a in self._assignments(f"/subscriptions/{self.subscription}/x", "") if a["properties"]["principalId"] == principal] + [
            a["properties"] for k, a in self.objects.items()
            if "/providers/microsoft.authorization/roleassignments/" in k and a["properties"]["principalId"] == principal
            and a["properties"]["scope"].count("/") > 2
        ]  # fmt: skip
