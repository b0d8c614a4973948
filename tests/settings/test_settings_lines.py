"""The exact line a user reads for each cross-field mistake, and the boundary value that is still fine.

Each case changes one thing in the repository's dev or prod stack file; the refusal is the one line
`Pulumi.<stack>.yaml: <key path>: <message>` that `mlplat plan` prints, and its twin, the nearest
value the check must accept, loads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings
from tests.conftest import DELETE

LoadChanged = Callable[..., StackSettings]

REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "dev",
        {
            "mlplat:aws": DELETE,
            "mlplat:gcp": DELETE,
            "mlplat:azure": DELETE,
            "mlplat:budget.perCloud": DELETE,
        },
        "Pulumi.dev.yaml: mlplat:aws: no cloud configured: set at least one of mlplat:aws, mlplat:gcp, mlplat:azure",
    ),
    ("dev", {"aws:region": DELETE}, "Pulumi.dev.yaml: aws:region: required when mlplat:aws is set"),
    ("dev", {"gcp:project": DELETE}, "Pulumi.dev.yaml: gcp:project: required when mlplat:gcp is set"),
    ("dev", {"gcp:region": DELETE}, "Pulumi.dev.yaml: gcp:region: required when mlplat:gcp is set"),
    (
        "dev",
        {"azure-native:location": DELETE},
        "Pulumi.dev.yaml: azure-native:location: required when mlplat:azure is set",
    ),
    (
        "dev",
        {"mlplat:versions.kubernetes.gcp": DELETE},
        'Pulumi.dev.yaml: mlplat:versions.kubernetes.gcp: required while mlplat:gcp runs a cluster, e.g. "1.35" (quote it)',
    ),
    (
        "prod",
        {"mlplat:aws.kubernetes.systemNodes": {"minNodes": 3, "maxNodes": 2}},
        "Pulumi.prod.yaml: mlplat:aws.kubernetes.systemNodes.maxNodes: must be >= minNodes (3), got 2",
    ),
    (
        "dev",
        {"mlplat:aws.network.cidr": "10.10.0.0/25"},
        "Pulumi.dev.yaml: mlplat:aws.network.cidr: must be between /16 and /24, got 10.10.0.0/25",
    ),
    (
        "dev",
        {"mlplat:aws.network.cidr": "10.10.0.0/15"},
        "Pulumi.dev.yaml: mlplat:aws.network.cidr: must be between /16 and /24, got 10.10.0.0/15",
    ),
    (
        "dev",
        {"mlplat:aws.network.availabilityZones": ["us-east-1a", "us-east-1a"]},
        "Pulumi.dev.yaml: mlplat:aws.network.availabilityZones: zones must be distinct",
    ),
    # GKE: the control plane's private range is a /28 (cloud.google.com/kubernetes-engine/docs/how-to/private-clusters).
    (
        "dev",
        {"mlplat:gcp.network.masterCidr": "172.16.0.0/27"},
        "Pulumi.dev.yaml: mlplat:gcp.network.masterCidr: GKE needs a /28, got 172.16.0.0/27",
    ),
    (
        "dev",
        {"mlplat:gcp.network.podsCidr": "10.40.0.0/16"},
        "Pulumi.dev.yaml: mlplat:gcp.network.podsCidr: 10.40.0.0/16 overlaps mlplat:gcp.network.subnetCidr "
        "(10.40.0.0/20)",
    ),
    (
        "dev",
        {"mlplat:gcp.network.servicesCidr": "10.44.0.0/20"},
        "Pulumi.dev.yaml: mlplat:gcp.network.servicesCidr: 10.44.0.0/20 overlaps mlplat:gcp.network.podsCidr "
        "(10.44.0.0/14)",
    ),
    (
        "dev",
        {"mlplat:gcp.network.masterCidr": "10.48.0.0/28"},
        "Pulumi.dev.yaml: mlplat:gcp.network.masterCidr: 10.48.0.0/28 overlaps mlplat:gcp.network.servicesCidr "
        "(10.48.0.0/20)",
    ),
    (
        "dev",
        {"mlplat:aws.network.cidr": "10.30.0.0/16"},
        "Pulumi.dev.yaml: mlplat:azure.network.vnetCidr: 10.30.0.0/16 overlaps mlplat:aws.network.cidr "
        "(10.30.0.0/16)",
    ),
    (
        "dev",
        {"mlplat:azure.network.aksSubnetCidr": "10.31.0.0/20"},
        "Pulumi.dev.yaml: mlplat:azure.network.aksSubnetCidr: 10.31.0.0/20 is not inside vnetCidr (10.30.0.0/16)",
    ),
    (
        "dev",
        {"mlplat:azure.network.computeSubnetCidr": "10.30.8.0/22"},
        "Pulumi.dev.yaml: mlplat:azure.network.computeSubnetCidr: 10.30.8.0/22 overlaps "
        "mlplat:azure.network.aksSubnetCidr (10.30.0.0/20)",
    ),
    (
        "dev",
        {"mlplat:azure.network.endpointsSubnetCidr": "10.30.16.0/24"},
        "Pulumi.dev.yaml: mlplat:azure.network.endpointsSubnetCidr: 10.30.16.0/24 overlaps "
        "mlplat:azure.network.computeSubnetCidr (10.30.16.0/22)",
    ),
    (
        "dev",
        {"mlplat:aws.kubernetes.publicAccessCidrs": ["0.0.0.0/0"]},
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.publicAccessCidrs[0]: 0.0.0.0/0 is never allowed; "
        "list the networks that need the API",
    ),
    (
        # An explicit public endpoint in prod needs its allow-list, whatever the profile's default.
        "prod",
        {"mlplat:aws.kubernetes.privateEndpoint": False},
        "Pulumi.prod.yaml: mlplat:aws.kubernetes.publicAccessCidrs: required when the aws cluster API "
        "endpoint is public (profile prod)",
    ),
]

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("prod", {"mlplat:aws.kubernetes.systemNodes": {"minNodes": 2, "maxNodes": 2}}),
    ("prod", {"mlplat:aws.gpuPools.1.minNodes": 2, "mlplat:aws.gpuPools.1.maxNodes": 2}),
    ("dev", {"mlplat:aws.network.cidr": "10.10.0.0/24"}),
    ("dev", {"mlplat:aws.network.cidr": "10.10.0.0/16"}),
    ("dev", {"mlplat:aws.kubernetes.publicAccessCidrs": ["198.51.100.0/24"]}),
]


@pytest.mark.parametrize(
    ("stack", "changes", "line"), REFUSED, ids=[line.split(": ")[1] for _, _, line in REFUSED]
)
def test_a_mistake_is_refused_with_its_one_line(
    load_changed: LoadChanged, stack: str, changes: dict[str, Any], line: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    assert str(raised.value) == line


@pytest.mark.parametrize(("stack", "changes"), ACCEPTED)
def test_the_nearest_valid_value_loads(
    load_changed: LoadChanged, stack: str, changes: dict[str, Any]
) -> None:
    assert load_changed(stack, changes).stack == stack
