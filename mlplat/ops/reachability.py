"""Can this machine reach a cluster's API? DNS resolves, then TCP 443 connects (no credentials needed)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from mlplat.ops.preflight import Finding

ADVICE = (
    "run the deploy from where the API answers (README: Where each deploy runs): the CodeBuild runner in "
    "the VPC for EKS, the runners in the VNet for AKS, the DNS endpoint for GKE"
)


def check_endpoint(endpoint: str, timeout: float = 3.0) -> Finding:
    """`endpoint` is a URL or host[:port] (a kubeconfig's server); port 443 unless it names one."""
    parts = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    host, port = parts.hostname or endpoint, parts.port or 443
    data: dict[str, object] = {"host": host, "port": port}
    try:
        addresses = sorted(
            {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        )
    except OSError as error:
        return Finding(
            "endpoint", endpoint, "fail", f"{host} does not resolve here ({error}); {ADVICE}", data
        )
    data["addresses"] = addresses
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        message = (
            f"{host} resolves to {', '.join(addresses)} but port {port} does not answer ({error}); {ADVICE}"
        )
        return Finding("endpoint", endpoint, "fail", message, data)
    return Finding("endpoint", endpoint, "ok", f"{host}:{port} ({', '.join(addresses)}) answers", data)
