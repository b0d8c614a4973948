"""A fresh GCP project as Google's REST APIs answer for it, behind google-api-python-client's transport.

googleapiclient sends every request through `http.request(uri, method, body, headers)` (httplib2's
interface, which the library's own HttpMock also implements); this fake answers there, in process.
Shapes follow the REST references:
- Resource Manager v3 projects (get, testIamPermissions, get/setIamPolicy):
  https://cloud.google.com/resource-manager/reference/rest/v3/projects
- Service Usage v1 services.list / batchEnable (a long-running Operation):
  https://cloud.google.com/service-usage/docs/reference/rest/v1/services
- Cloud Billing v1 projects.getBillingInfo, billingAccounts.testIamPermissions / get/setIamPolicy:
  https://cloud.google.com/billing/docs/reference/rest/v1/projects/getBillingInfo
- Cloud KMS v1 keyRings / cryptoKeys: https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings
- Cloud Storage JSON v1 buckets, bucket IAM, projects.serviceAccount:
  https://cloud.google.com/storage/docs/json_api/v1/buckets
- IAM v1 workloadIdentityPools (+providers, both return Operations), serviceAccounts, roles:
  https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools
Errors follow https://cloud.google.com/apis/design/errors: `{"error": {"code", "message", "status", "details"}}`;
a disabled API answers 403 PERMISSION_DENIED with an ErrorInfo whose reason is SERVICE_DISABLED, and a
project the caller cannot see answers 403 (Resource Manager does not reveal whether it exists).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httplib2

# A new project has these on (Service Usage docs, "Services enabled by default" lists the storage APIs;
# Resource Manager, Service Usage and Cloud Billing answer for the caller's quota project).
DEFAULT_ENABLED = {
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
    "cloudbilling.googleapis.com",
    "storage.googleapis.com",
}
BILLING_ACCOUNT = "billingAccounts/012345-6789AB-CDEF01"


class FakeGcp:
    def __init__(
        self,
        project: str = "acme-ml-dev",
        number: str = "123456789012",
        *,
        caller_lacks: Iterable[str] = (),
        billing_admin: bool = True,
        billing_enabled: bool = True,
    ) -> None:
        self.project, self.number = project, number
        self.caller_lacks = set(caller_lacks)
        self.billing_admin = billing_admin
        self.billing_enabled = billing_enabled
        self.enabled = set(DEFAULT_ENABLED)
        self.objects: dict[str, dict[str, Any]] = {}
        self.policies: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, host/path)

    @property
    def writes(self) -> list[tuple[str, str]]:
        reads = (":getIamPolicy", ":testIamPermissions")
        return [c for c in self.calls if c[0] != "GET" and not c[1].endswith(reads)]

    # httplib2.Http's interface, as googleapiclient calls it
    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **_: Any
    ) -> tuple[httplib2.Response, bytes]:
        parts = urlsplit(uri)
        host = parts.netloc.split(".")[0]
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.calls.append((method, f"{host}{path}"))
        payload = json.loads(body) if body else {}
        status, answer = self._route(host, method, path, query, payload)
        return httplib2.Response({"status": str(status), "content-type": "application/json"}), json.dumps(
            answer
        ).encode()

    # --- answers ----------------------------------------------------------------------------------

    def _error(self, code: int, status: str, message: str, reason: str | None = None) -> tuple[int, Any]:
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if reason:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason,
                    "domain": "googleapis.com",
                    "metadata": {"consumer": f"projects/{self.number}"},
                }
            ]
        return code, {"error": error}

    def _not_found(self, name: str) -> tuple[int, Any]:
        return self._error(404, "NOT_FOUND", f"{name} not found.")

    def _operation(self, response: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"name": f"operations/op-{len(self.calls)}", "done": True, "response": response}

    def _policy(self, resource: str, payload: dict[str, Any] | None = None) -> tuple[int, Any]:
        if payload is not None:
            policy = payload.get("policy", payload)
            if not policy.get("version") and any("condition" in b for b in policy.get("bindings", [])):
                return self._error(400, "INVALID_ARGUMENT", "conditions require policy version 3")
            self.policies[resource] = {**policy, "etag": f"BwX{len(self.calls)}"}
        return 200, self.policies.get(resource, {"version": 1, "etag": "ACAB"})

    def _route(
        self, host: str, method: str, path: str, query: dict[str, str], payload: Any
    ) -> tuple[int, Any]:
        api = f"{host}.googleapis.com"
        if api not in self.enabled:
            return self._error(
                403,
                "PERMISSION_DENIED",
                f"{api} has not been used in project {self.number} before or it is disabled.",
                "SERVICE_DISABLED",
            )
        handler = getattr(self, f"_{host}")
        return handler(method, path, query, payload)

    def _project_known(self, ref: str) -> bool:
        return ref in (self.project, self.number)

    def _cloudresourcemanager(
        self, method: str, path: str, query: dict[str, str], payload: Any
    ) -> tuple[int, Any]:
        m = re.fullmatch(r"/v3/projects/([^/:]+)(:\w+)?", path)
        if not m or not self._project_known(m[1]):
            return self._error(403, "PERMISSION_DENIED", f"The caller does not have permission on {path}")
        resource = f"projects/{self.project}"
        if m[2] is None:
            return 200, {"name": f"projects/{self.number}", "projectId": self.project, "state": "ACTIVE"}
        if m[2] == ":testIamPermissions":
            return 200, {"permissions": [p for p in payload["permissions"] if p not in self.caller_lacks]}
        return self._policy(resource, payload.get("policy") and payload if m[2] == ":setIamPolicy" else None)

    def _serviceusage(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, Any]:
        if path.startswith("/v1/operations/"):
            return 200, {"name": path[4:], "done": True}
        if path == f"/v1/projects/{self.number}/services":
            return 200, {
                "services": [
                    {
                        "name": f"projects/{self.number}/services/{s}",
                        "config": {"name": s},
                        "state": "ENABLED",
                    }
                    for s in sorted(self.enabled)
                ]
            }
        if path == f"/v1/projects/{self.number}/services:batchEnable":
            if len(payload["serviceIds"]) > 20:
                return self._error(400, "INVALID_ARGUMENT", "at most 20 services per batchEnable")
            self.enabled.update(payload["serviceIds"])
            return self._operation({"services": []})
        return self._not_found(path)

    def _cloudbilling(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, Any]:
        if path == f"/v1/projects/{self.project}/billingInfo":
            return 200, {
                "name": f"projects/{self.project}/billingInfo",
                "projectId": self.project,
                "billingAccountName": BILLING_ACCOUNT if self.billing_enabled else "",
                "billingEnabled": self.billing_enabled,
            }
        m = re.fullmatch(rf"/v1/({BILLING_ACCOUNT}):(\w+)", path)
        if not m:
            return self._not_found(path)
        if m[2] == "testIamPermissions":
            return 200, {"permissions": payload["permissions"] if self.billing_admin else []}
        if m[2] == "setIamPolicy" and not self.billing_admin:
            return self._error(403, "PERMISSION_DENIED", "The caller does not have permission")
        return self._policy(m[1], payload if m[2] == "setIamPolicy" else None)

    def _cloudkms(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, Any]:
        m = re.fullmatch(r"/v1/(projects/[^:]+?)(:\w+)?", path)
        assert m, path
        name, verb = m[1], m[2]
        if verb in (":getIamPolicy", ":setIamPolicy"):
            if name not in self.objects:
                return self._not_found(name)
            return self._policy(name, payload if verb == ":setIamPolicy" else None)
        if method == "GET":
            return (200, self.objects[name]) if name in self.objects else self._not_found(name)
        child = query.get("keyRingId") or query.get("cryptoKeyId")
        full = f"{name}/{child}"
        if full in self.objects:
            return self._error(409, "ALREADY_EXISTS", f"{full} already exists.")
        if name.endswith("/cryptoKeys") and name.rsplit("/cryptoKeys", 1)[0] not in self.objects:
            return self._not_found(name.rsplit("/cryptoKeys", 1)[0])
        self.objects[full] = {**payload, "name": full, "createTime": "2026-12-07T00:00:00Z"}
        return 200, self.objects[full]

    def _storage(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, Any]:
        if path == f"/storage/v1/projects/{self.project}/serviceAccount":
            return 200, {
                "kind": "storage#serviceAccount",
                "email_address": f"service-{self.number}@gs-project-accounts.iam.gserviceaccount.com",
            }
        if path == "/storage/v1/b" and method == "POST":
            name = f"b/{payload['name']}"
            if name in self.objects:
                return self._error(
                    409,
                    "CONFLICT",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                )
            key = payload.get("encryption", {}).get("defaultKmsKeyName")
            agent = f"serviceAccount:service-{self.number}@gs-project-accounts.iam.gserviceaccount.com"
            if key and not any(agent in b["members"] for b in self.policies.get(key, {}).get("bindings", [])):
                return self._error(
                    403, "PERMISSION_DENIED", "The Cloud Storage service agent cannot use the key."
                )
            self.objects[name] = {
                **payload,
                "kind": "storage#bucket",
                "id": payload["name"],
                "location": payload["location"].upper(),
                "projectNumber": self.number,
            }
            return 200, self.objects[name]
        m = re.fullmatch(r"/storage/v1/(b/[^/]+)(/iam)?", path)
        assert m, path
        if m[1] not in self.objects:
            return self._not_found(m[1])
        if m[2]:
            return self._policy(m[1], payload if method == "PUT" else None)
        return 200, self.objects[m[1]]

    def _iam(self, method: str, path: str, query: dict[str, str], payload: Any) -> tuple[int, Any]:
        m = re.fullmatch(r"/v1/(projects/[^:]+?)(:\w+)?", path)
        assert m, path
        name, verb = m[1], m[2]
        if "/operations/" in name:
            return 200, {"name": name, "done": True}
        if verb in (":getIamPolicy", ":setIamPolicy"):
            if name not in self.objects:
                return self._not_found(name)
            return self._policy(name, payload if verb == ":setIamPolicy" else None)
        if method == "GET":
            return (200, self.objects[name]) if name in self.objects else self._not_found(name)
        if method == "PATCH":
            self.objects[name].update(payload)
            return 200, self.objects[name]
        if name.endswith("/workloadIdentityPools") or name.endswith("/providers"):
            child = query.get("workloadIdentityPoolId") or query["workloadIdentityPoolProviderId"]
            full = f"{name}/{child}"
            if full in self.objects:
                return self._error(409, "ALREADY_EXISTS", "Requested entity already exists")
            self.objects[full] = {**payload, "name": full, "state": "ACTIVE"}
            return 200, {"name": f"{full}/operations/op{len(self.calls)}", "done": False}
        if name.endswith("/serviceAccounts"):
            email = f"{payload['accountId']}@{self.project}.iam.gserviceaccount.com"
            full = f"projects/{self.project}/serviceAccounts/{email}"
            if full in self.objects:
                return self._error(
                    409, "ALREADY_EXISTS", f"Service account {payload['accountId']} already exists"
                )
            self.objects[full] = {
                **payload["serviceAccount"],
                "name": full,
                "email": email,
                "uniqueId": "1049",
            }
            return 200, self.objects[full]
        if name.endswith("/roles"):
            full = f"{name}/{payload['roleId']}"
            self.objects[full] = {**payload["role"], "name": full, "etag": "BwX"}
            return 200, self.objects[full]
        return self._not_found(path)
