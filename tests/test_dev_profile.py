"""The cheaper dev stack: what it saves on, and the features it keeps."""

from __future__ import annotations

import re
from typing import Any

Report = dict[str, Any]


def _of_type(report: Report, token: str) -> list[dict[str, Any]]:
    return [r for r in report["resources"] if r["type"] == token]


def _named(report: Report, token: str, suffix: str) -> dict[str, Any]:
    (found,) = [r for r in _of_type(report, token) if r["name"].endswith(suffix)]
    return found


def test_dev_system_nodes_run_on_spot_where_the_cloud_allows_it(reports: dict[str, Any]) -> None:
    dev, prod = reports["dev"][1], reports["prod"][1]
    group = "aws:eks/nodeGroup:NodeGroup"
    assert _named(dev, group, "-system-ng")["inputs"]["capacityType"] == "SPOT"
    assert _named(prod, group, "-system-ng")["inputs"]["capacityType"] == "ON_DEMAND"
    pool = "gcp:container/nodePool:NodePool"
    assert _named(dev, pool, "-gke-system")["inputs"]["nodeConfig"]["spot"] is True
    assert _named(prod, pool, "-gke-system")["inputs"]["nodeConfig"]["spot"] is False


def test_dev_aks_system_pool_is_on_demand_with_at_least_four_vcpus(reports: dict[str, Any]) -> None:
    # AKS: system pools need at least 4 vCPUs, no B-series, and cannot be spot (use-system-pools,
    # spot-node-pool). Azure VM names carry the vCPU count after the family letters (VM naming conventions).
    (cluster,) = _of_type(reports["dev"][1], "azure-native:containerservice:ManagedCluster")
    (system,) = [p for p in cluster["inputs"]["agentPoolProfiles"] if p["mode"] == "System"]
    assert system.get("scaleSetPriority", "Regular") == "Regular"
    size = re.match(r"^Standard_([A-Z]+)(\d+)", system["vmSize"])
    assert size is not None and size.group(1) != "B" and int(size.group(2)) >= 4


def test_dev_keeps_workspaces_gpu_pools_from_zero_encryption_and_flow_logs(reports: dict[str, Any]) -> None:
    dev = reports["dev"][1]
    for token in (
        "aws:sagemaker/domain:Domain",
        "gcp:workbench/instance:Instance",
        "azure-native:machinelearningservices:Workspace",
        "aws:ec2/flowLog:FlowLog",
        "aws:kms/key:Key",
        "gcp:kms/cryptoKey:CryptoKey",
        "azure-native:keyvault:Key",
    ):
        assert _of_type(dev, token), token
    assert _named(dev, "gcp:compute/subnetwork:Subnetwork", "")["inputs"].get("logConfig"), "GCP flow logs"
    gpu_groups = [g for g in _of_type(dev, "aws:eks/nodeGroup:NodeGroup") if "-gpu-" in g["name"]]
    assert gpu_groups and all(g["inputs"]["scalingConfig"]["minSize"] == 0 for g in gpu_groups)


def test_dev_aws_api_traffic_goes_through_its_nat_gateway(reports: dict[str, Any]) -> None:
    dev = reports["dev"][1]
    endpoints = _of_type(dev, "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e["inputs"]["vpcEndpointType"] for e in endpoints] == ["Gateway"]  # S3: free
    assert _of_type(dev, "aws:ec2/natGateway:NatGateway")
