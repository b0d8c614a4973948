"""A small Kubernetes REST client over `requests` (already a dependency through pulumi-kubernetes): server-side
apply, create, get, list, patch and delete by apiVersion/kind, with resource names from API discovery.
Errors carry the API server's own Status message, verbatim."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

T = TypeVar("T")
FIELD_MANAGER = "mlplat-e2e"


class ApiError(Exception):
    def __init__(self, code: int, status: dict[str, Any], what: str) -> None:
        self.code = code
        self.status = status
        self.reason = status.get("reason", "")
        self.message = status.get("message") or json.dumps(status)
        super().__init__(f"{what}: {code} {self.reason}: {self.message}")


@dataclass(frozen=True)
class Resource:
    plural: str
    namespaced: bool


class Client:
    def __init__(self, server: str, ca: Path, cert: Path, key: Path) -> None:
        self.server = server
        self.session = requests.Session()
        # Not the environment's CA bundle (REQUESTS_CA_BUNDLE overrides a session's `verify`) nor its proxies.
        self.session.trust_env = False
        self.session.verify = str(ca)
        self.session.cert = (str(cert), str(key))
        self._discovered: dict[str, dict[str, Resource]] = {}

    # --- plumbing ---------------------------------------------------------------------------------------

    def request(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(method, self.server + path, timeout=30, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body, what)
        return body

    def resource(self, api_version: str, kind: str, *, refresh: bool = False) -> Resource:
        if refresh or api_version not in self._discovered:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            listing = self.request("GET", base, f"discover {api_version}")
            self._discovered[api_version] = {
                r["kind"]: Resource(r["name"], r["namespaced"])
                for r in listing.get("resources", [])
                if "/" not in r["name"]
            }
        found = self._discovered[api_version].get(kind)
        if found is None:
            raise KeyError(f"the API server serves no {kind} in {api_version}")
        return found

    def path(self, api_version: str, kind: str, namespace: str | None = None, name: str | None = None) -> str:
        r = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if r.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{r.plural}"
        return f"{base}/{name}" if name else base

    # --- verbs ------------------------------------------------------------------------------------------

    def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply, as the Pulumi Kubernetes provider does by default."""
        meta = manifest["metadata"]
        path = self.path(manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"])
        return self.request(
            "PATCH",
            path,
            f"apply {manifest['kind']} {meta.get('namespace', '')}/{meta['name']}",
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            data=json.dumps(manifest),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        meta = manifest["metadata"]
        path = self.path(manifest["apiVersion"], manifest["kind"], meta.get("namespace"))
        return self.request(
            "POST",
            path,
            f"create {manifest['kind']} {meta.get('namespace', '')}/{meta.get('name')}",
            json=manifest,
        )

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        return self.request("GET", self.path(api_version, kind, namespace, name), f"get {kind} {name}")

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[dict[str, Any]]:
        params = {"labelSelector": selector} if selector else {}
        body = self.request("GET", self.path(api_version, kind, namespace), f"list {kind}", params=params)
        return body.get("items", [])

    def patch_status(
        self, api_version: str, kind: str, name: str, status: dict[str, Any], namespace: str | None = None
    ) -> dict[str, Any]:
        return self.request(
            "PATCH",
            self.path(api_version, kind, namespace, name) + "/status",
            f"patch {kind} {name} status",
            data=json.dumps({"status": status}),
            headers={"Content-Type": "application/merge-patch+json"},
        )

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        try:
            self.request(
                "DELETE",
                self.path(api_version, kind, namespace, name),
                f"delete {kind} {name}",
                json={"propagationPolicy": "Background"},
            )
        except ApiError as e:
            if e.code != 404:
                raise

    def ready(self) -> bool:
        try:
            return self.session.get(self.server + "/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False


def wait(what: str, probe: Callable[[], T | None], timeout: float = 60, every: float = 0.5) -> T:
    """Polls until `probe` returns something other than None/False; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            found = probe()
            if found:
                return found
        except (ApiError, KeyError, requests.RequestException) as e:
            last = e
        time.sleep(every)
    raise TimeoutError(
        f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last})" if last else "")
    )
