"""What each cloud computes for a resource, per type token, for the offline engine's mocks.

Each cloud module exports `OUTPUTS` (type token -> function(name, inputs, ctx) -> computed outputs,
optionally with an "id") and `CALLS` (invoke token -> function(args, ctx) -> result).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Outputs = dict[str, Any]


@dataclass(frozen=True)
class MockContext:
    """Where the stack deploys, so computed ARNs, ids and endpoints look like the real ones."""

    aws_region: str = "us-east-1"
    gcp_project: str = "mlplat-project"
    gcp_region: str = "us-central1"
    azure_location: str = "eastus"
    azure_subscription: str = "00000000-0000-4000-8000-000000000000"
    # Who runs the program (a previewer, a deployer): what the clouds' "who am I" reads answer.
    caller: str = "mlplat-plan"
    # Fully qualified stack name -> its outputs in wire form, for StackReference reads.
    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_config(
        cls, config: dict[str, str], stack_outputs: Mapping[str, Mapping[str, Any]] | None = None
    ) -> MockContext:
        defaults = cls()
        return cls(
            stack_outputs=dict(stack_outputs or {}),
            aws_region=config.get("aws:region") or defaults.aws_region,
            gcp_project=config.get("gcp:project") or defaults.gcp_project,
            gcp_region=config.get("gcp:region") or defaults.gcp_region,
            azure_location=config.get("azure-native:location") or defaults.azure_location,
        )


OutputFn = Callable[[str, Outputs, MockContext], Outputs]
CallFn = Callable[[dict[str, Any], MockContext], dict[str, Any]]


# The cluster CA every fake cluster answers with: a real self-signed X.509 certificate (made once with
# `openssl req -x509 -newkey ec`; its key was discarded), because the real Kubernetes provider parses the
# kubeconfig's CA before it dials the server (tests/e2e: "failed to initialize discovery client: unable
# to load root certificates: unable to parse bytes as PEM block" with a made-up one).
FAKE_CLUSTER_CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBtzCCAV2gAwIBAgIUc0M/d8cgNyQRyDqEwpK51mUhh+owCgYIKoZIzj0EAwIw
MDEuMCwGA1UEAwwlbWxwbGF0IG9mZmxpbmUgZW5naW5lIGZha2UgY2x1c3RlciBD
QTAgFw0yNjEyMDcyMjMyNTJaGA8yMTI2MTExMzIyMzI1MlowMDEuMCwGA1UEAwwl
bWxwbGF0IG9mZmxpbmUgZW5naW5lIGZha2UgY2x1c3RlciBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABOUPZ6jLcTAzcVMbjDKDL7WMwvjDd65hiKyJ9BJa6SvC
kYaQvvKE7ZyvSC1rEirhw+TTF3W14ZTfrl8YYCuv3LKjUzBRMB0GA1UdDgQWBBRE
7b+t+w7T/+N5x6GKnFlZiU3P6DAfBgNVHSMEGDAWgBRE7b+t+w7T/+N5x6GKnFlZ
iU3P6DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCmY5+IwQeH
qi2gPhki7WEytVXafnly5iH9AE4qVZ+zWQIgdU+KTo9auT+alKsLl2gdZHSE2ir9
wzBJ09xoDaXS9Ts=
-----END CERTIFICATE-----
"""


def short_hash(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]
