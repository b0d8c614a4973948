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
DUPLICATE_TEAMS = [{"name": "research", "gpuQuota": 1, "members": []} for _ in range(2)]

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
    # Azure: AKS API server VNet integration needs a delegated subnet of at least /28
    # (learn.microsoft.com/azure/aks/api-server-vnet-integration).
    (
        "dev",
        {"mlplat:azure.network.apiServerSubnetCidr": "10.30.21.0/29"},
        "Pulumi.dev.yaml: mlplat:azure.network.apiServerSubnetCidr: AKS needs at least a /28 for the API server, "
        "got 10.30.21.0/29",
    ),
    (
        "dev",
        {"mlplat:azure.network.apiServerSubnetCidr": "10.31.0.0/28"},
        "Pulumi.dev.yaml: mlplat:azure.network.apiServerSubnetCidr: 10.31.0.0/28 is not inside vnetCidr "
        "(10.30.0.0/16)",
    ),
    (
        "dev",
        {"mlplat:azure.network.apiServerSubnetCidr": "10.30.0.0/28"},
        "Pulumi.dev.yaml: mlplat:azure.network.apiServerSubnetCidr: 10.30.0.0/28 overlaps "
        "mlplat:azure.network.aksSubnetCidr (10.30.0.0/20)",
    ),
    (
        "dev",
        {"mlplat:azure.network.apiServerSubnetCidr": "10.30.16.0/28"},
        "Pulumi.dev.yaml: mlplat:azure.network.apiServerSubnetCidr: 10.30.16.0/28 overlaps "
        "mlplat:azure.network.computeSubnetCidr (10.30.16.0/22)",
    ),
    (
        "dev",
        {"mlplat:azure.network.apiServerSubnetCidr": "10.30.22.0/28"},
        "Pulumi.dev.yaml: mlplat:azure.network.apiServerSubnetCidr: 10.30.22.0/28 overlaps "
        "mlplat:azure.kubernetes.deployRunner.subnetCidr (10.30.22.0/24)",
    ),
    (
        "dev",
        {"mlplat:azure.kubernetes.deployRunner.subnetCidr": "10.30.0.0/24"},
        "Pulumi.dev.yaml: mlplat:azure.kubernetes.deployRunner.subnetCidr: 10.30.0.0/24 overlaps "
        "mlplat:azure.network.aksSubnetCidr (10.30.0.0/20)",
    ),
    (
        "dev",
        {"mlplat:azure.network.podCidr": "10.30.0.0/16"},
        "Pulumi.dev.yaml: mlplat:azure.network.podCidr: 10.30.0.0/16 overlaps vnetCidr (10.30.0.0/16); "
        "pods and services need their own range",
    ),
    (
        "dev",
        {"mlplat:azure.network.serviceCidr": "10.30.0.0/16"},
        "Pulumi.dev.yaml: mlplat:azure.network.serviceCidr: 10.30.0.0/16 overlaps vnetCidr (10.30.0.0/16); "
        "pods and services need their own range",
    ),
    (
        "dev",
        {"mlplat:azure.network.serviceCidr": "10.244.0.0/16"},
        "Pulumi.dev.yaml: mlplat:azure.network.serviceCidr: 10.244.0.0/16 overlaps podCidr (10.244.0.0/16)",
    ),
    (
        "dev",
        {"mlplat:azure.workspace.publicAccessCidrs": DELETE},
        "Pulumi.dev.yaml: mlplat:azure.workspace.publicAccessCidrs: required while the workspace is public: "
        "the networks its users browse Studio from",
    ),
    # Azure Storage firewall: /31 and /32 address ranges are not supported
    # (learn.microsoft.com/azure/storage/common/storage-network-security).
    (
        "dev",
        {"mlplat:azure.workspace.publicAccessCidrs": ["198.51.100.0/31"]},
        "Pulumi.dev.yaml: mlplat:azure.workspace.publicAccessCidrs[0]: 198.51.100.0/31: use a /30 or wider range",
    ),
    (
        "dev",
        {"mlplat:azure.kubernetes.adminGroupObjectIds": DELETE},
        "Pulumi.dev.yaml: mlplat:azure.kubernetes.adminGroupObjectIds: required: local accounts are disabled, "
        "so only these Entra groups can administer the cluster",
    ),
    # Azure availability zones are numbered 1, 2 and 3 (learn.microsoft.com/azure/reliability/availability-zones-overview).
    (
        "dev",
        {"mlplat:azure.gpuPools.0.zones": ["4"]},
        "Pulumi.dev.yaml: mlplat:azure.gpuPools[0].zones[0]: Azure zones are 1, 2 or 3, got '4'",
    ),
    (
        "dev",
        {"mlplat:azure.workspace.users.0.objectId": DELETE},
        "Pulumi.dev.yaml: mlplat:azure.workspace.users[0].objectId: required: Azure ML assigns each compute "
        "instance to an Entra object id",
    ),
    # Azure Consumption budgets take at most five notifications (learn.microsoft.com/rest/api/consumption/budgets).
    (
        "dev",
        {"mlplat:budget.thresholds": [10, 20, 30, 40, 50]},
        "Pulumi.dev.yaml: mlplat:budget.thresholds: Azure budgets take at most 4 thresholds besides the forecast, "
        "got 5",
    ),
    (
        "dev",
        {"mlplat:gcp": DELETE},
        "Pulumi.dev.yaml: mlplat:budget.perCloud.gcp: gcp is not configured in this stack",
    ),
    (
        "dev",
        {"mlplat:budget.monthlyUsd": 1499},
        "Pulumi.dev.yaml: mlplat:budget.perCloud: adds up to more than monthlyUsd (1499)",
    ),
    # Azure budget notification thresholds are percentages up to 1000
    # (learn.microsoft.com/rest/api/consumption/budgets: "has to be between 0.01 and 1000").
    (
        "dev",
        {"mlplat:budget.thresholds": [0]},
        "Pulumi.dev.yaml: mlplat:budget.thresholds[0]: must be a percentage between 1 and 1000, got 0",
    ),
    (
        "dev",
        {"mlplat:budget.thresholds": [1001]},
        "Pulumi.dev.yaml: mlplat:budget.thresholds[0]: must be a percentage between 1 and 1000, got 1001",
    ),
    (
        "dev",
        {"mlplat:budget.thresholds": [50, 50]},
        "Pulumi.dev.yaml: mlplat:budget.thresholds[1]: 50 is listed more than once",
    ),
    # Azure budgets start on the first day of a month (learn.microsoft.com/rest/api/consumption/budgets).
    (
        "dev",
        {"mlplat:budget.startDate": "2027-01-02"},
        "Pulumi.dev.yaml: mlplat:budget.startDate: must be the first day of a month, got 2027-01-02",
    ),
    (
        "dev",
        {"mlplat:teams": DUPLICATE_TEAMS},
        "Pulumi.dev.yaml: mlplat:teams[1].name: duplicate team name 'research'",
    ),
    (
        "dev",
        {
            "mlplat:aws.gpuPools": [
                {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 1} for _ in range(2)
            ]
        },
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[1].name: duplicate pool name 't4'",
    ),
    (
        "dev",
        {"mlplat:aws.workspace.users": [{"name": "alice", "email": "alice@example.com"} for _ in range(2)]},
        "Pulumi.dev.yaml: mlplat:aws.workspace.users[1].name: duplicate user name 'alice'",
    ),
    (
        "dev",
        {"mlplat:gcp.buckets": ["data", "data"]},
        "Pulumi.dev.yaml: mlplat:gcp.buckets[1]: duplicate bucket name 'data'",
    ),
    (
        "dev",
        {"mlplat:aws.kubernetes.enabled": False},
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.enabled: GPU pools need the cluster; set enabled: true",
    ),
    (
        "dev",
        {"mlplat:teams.0.members.0.awsPrincipalArn": DELETE},
        "Pulumi.dev.yaml: mlplat:teams[0].members[0].awsPrincipalArn: required with mlplat:aws: EKS grants "
        "namespace access to IAM principals",
    ),
    (
        "dev",
        {"mlplat:teams.0.members.0.azureObjectId": DELETE},
        "Pulumi.dev.yaml: mlplat:teams[0].members[0].azureObjectId: required with mlplat:azure: AKS grants "
        "namespace access to Entra ID objects",
    ),
    (
        "prod",
        {"mlplat:gcp.gpuPools.0.zones": DELETE},
        "Pulumi.prod.yaml: mlplat:gcp.gpuPools[0].zones: required in a regional cluster: the zones of "
        "us-central1 that offer nvidia-l4",
    ),
    (
        "dev",
        {"mlplat:aws.gpuPools.0.accelerator": "nvidia-a10"},
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].accelerator: nvidia-a10 is not offered on aws; choose one of "
        "nvidia-a100, nvidia-a10g, nvidia-h100, nvidia-l4, nvidia-t4",
    ),
    (
        "dev",
        {"mlplat:teams.0.gpuQuota": 3},
        "Pulumi.dev.yaml: mlplat:teams[0].gpuQuota: 3 GPUs exceeds what the GPU pools can ever provide on "
        "aws (2), gcp (2), azure (2)",
    ),
    (
        # Each cluster mixing strategies is its own problem: the line counts the second one.
        "dev",
        {
            f"mlplat:{cloud}.gpuPools": [
                {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 1},
                {"name": "op", "accelerator": "nvidia-t4", "maxNodes": 1, "driverStrategy": "gpu-operator"},
            ]
            for cloud in ("aws", "gcp")
        },
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[1].driverStrategy: gpu-operator cannot share the aws cluster with "
        "cloud-managed (gpuPools[0]); use one driver strategy for all of its pools (and 1 more problem)",
    ),
    (
        "dev",
        {"mlplat:aws.network.interfaceEndpoints": ["sts", "logs", "sts", "logs"]},
        "Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints: listed more than once: logs, sts",
    ),
    (
        "dev",
        {"mlplat:profileOverrides": {"natStrategy": "none"}, "mlplat:aws.network.interfaceEndpoints": []},
        "Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints: EKS nodes without NAT and VpcOnly SageMaker "
        "Studio without NAT need sagemaker.api, sagemaker.runtime, studio, sts, logs, ec2, ecr.api, ecr.dkr, "
        "eks-auth; add them to the list",
    ),
]

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("prod", {"mlplat:aws.kubernetes.systemNodes": {"minNodes": 2, "maxNodes": 2}}),
    ("prod", {"mlplat:aws.gpuPools.1.minNodes": 2, "mlplat:aws.gpuPools.1.maxNodes": 2}),
    ("dev", {"mlplat:aws.network.cidr": "10.10.0.0/24"}),
    ("dev", {"mlplat:aws.network.cidr": "10.10.0.0/16"}),
    ("dev", {"mlplat:aws.kubernetes.publicAccessCidrs": ["198.51.100.0/24"]}),
    ("dev", {"mlplat:azure.workspace.publicAccessCidrs": ["198.51.100.0/30"]}),
    ("dev", {"mlplat:azure.gpuPools.0.zones": ["1", "2", "3"]}),
    # Without a VNet-injected runner the deploy job runs elsewhere; no runner subnet to check.
    ("dev", {"mlplat:azure.kubernetes.deployRunner": DELETE}),
    ("dev", {"mlplat:budget.thresholds": [10, 20, 30, 40]}),
    ("dev", {"mlplat:budget.thresholds": [1, 1000]}),
    ("dev", {"mlplat:budget.monthlyUsd": 1500}),
    ("dev", {"mlplat:budget.startDate": "2027-01-01"}),
    # A GCP budget notifies up to five email channels (cloud.google.com/billing/docs/how-to/budgets).
    ("dev", {"mlplat:budget.alertEmails": [f"a{i}@example.com" for i in range(5)]}),
    # AWS Budgets notifies up to 10 email subscribers (docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html).
    (
        "dev",
        {
            "mlplat:gcp": DELETE,
            "mlplat:budget.perCloud.gcp": DELETE,
            "mlplat:budget.alertEmails": [f"a{i}@example.com" for i in range(10)],
        },
    ),
    # Without pinned network zones, the pool's zones are checked against EC2's when the program runs.
    ("dev", {"mlplat:aws.gpuPools.0.zones": ["us-east-1a"]}),
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
