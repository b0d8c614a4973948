"""What fails a first deploy (exit 1) against what only blocks scale-up (warn): AWS zones by zone id,
Elastic IPs, VPCs and standard vCPUs (moto, and Stubber where moto has no EC2 quotas); GCP and Azure
quotas from responses in their documented shapes; and reaching a cluster API (local listeners)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from infra.settings import StackSettings, load_settings
from mlplat.engine.stackfile import load_stack_config
from mlplat.ops.cloud_quotas import check_azure_quotas, check_gcp_quotas, gcp_and_azure_findings
from mlplat.ops.preflight import check_deploy_capacity
from mlplat.ops.reachability import check_endpoint
from tests.conftest import ROOT
from tests.ops.conftest import ACCOUNT, REGION, client, new_client, stack_settings

pytestmark = pytest.mark.usefixtures("aws")

T4 = {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}


def ec2_quota(code: str, value: float, name: str) -> dict[str, Any]:
    """GetServiceQuota's answer (Service Quotas API reference: Quota)."""
    return {
        "Quota": {
            "ServiceCode": "ec2",
            "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
            "QuotaArn": f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:ec2/{code}",
            "QuotaCode": code,
            "QuotaName": name,
            "Value": value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
        }
    }


@pytest.fixture
def quotas() -> Iterator[Stubber]:
    with Stubber(new_client("service-quotas")) as stubber:
        yield stubber


def by_check(findings: list[Any], check: str) -> list[Any]:
    return [f for f in findings if f.check == check]


def test_a_zone_eks_does_not_support_fails_the_deploy_by_its_zone_id(tmp_path: Path, quotas: Stubber) -> None:
    # moto maps us-east-1e to use1-az3, a zone id EKS documents it does not support.
    settings = stack_settings(tmp_path, [T4], network={"availabilityZones": ["us-east-1a", "us-east-1e"]})
    (zone,) = by_check(check_deploy_capacity(settings, client("ec2"), quotas.client), "zone")
    assert zone.status == "fail"
    assert "us-east-1e (use1-az3)" in zone.message


def test_supported_zones_pass_with_their_ids(tmp_path: Path, quotas: Stubber) -> None:
    settings = stack_settings(tmp_path, [T4], network={"availabilityZones": ["us-east-1a", "us-east-1b"]})
    (zone,) = by_check(check_deploy_capacity(settings, client("ec2"), quotas.client), "zone")
    assert zone.status == "ok" and "use1-az" in zone.message


def test_elastic_ips_in_use_leave_too_few_for_the_nat_gateways(tmp_path: Path, quotas: Stubber) -> None:
    for _ in range(5):
        client("ec2").allocate_address(Domain="vpc")
    quotas.add_response(
        "get_service_quota",
        ec2_quota("L-0263D0A3", 5.0, "EC2-VPC Elastic IPs"),
        {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
    )
    settings = stack_settings(tmp_path, [T4])
    findings = check_deploy_capacity(settings, client("ec2"), quotas.client)
    eip = next(f for f in findings if f.subject == "EC2-VPC Elastic IPs")
    assert eip.status == "fail"
    assert "5 in use of 5; NAT gateways need 1" in eip.message


def test_system_nodes_beyond_the_standard_vcpu_quota_fail_and_their_scale_up_warns(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path, [T4])
    with Stubber(new_client("service-quotas")) as quotas:
        quotas.add_client_error("get_service_quota", "AccessDeniedException", "no", expected_params=None)
        quotas.add_client_error("get_service_quota", "AccessDeniedException", "no", expected_params=None)
        quotas.add_response(
            "get_service_quota",
            ec2_quota("L-1216C47A", 4.0, "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
            {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"},
        )
        findings = check_deploy_capacity(settings, client("ec2"), quotas.client)
    (system,) = [f for f in findings if f.subject.startswith("system nodes")]
    # m6i.large has 2 vCPUs (moto's EC2 instance types): 1 node at deploy, 3 at most.
    assert system.status == "warn"
    assert "the deploy starts 2 vCPUs, scale-up needs 6" in system.message


# --- GCP and Azure, from responses in their documented shapes -----------------------------------------------

# Compute Engine regions.get (https://cloud.google.com/compute/docs/reference/rest/v1/regions/get): Quota
# {metric, limit, usage, owner}.
GCP_REGION = {
    "kind": "compute#region",
    "name": "us-central1",
    "status": "UP",
    "quotas": [
        {"metric": "CPUS", "limit": 24.0, "usage": 0.0},
        {"metric": "PREEMPTIBLE_CPUS", "limit": 0.0, "usage": 0.0},
        {"metric": "NVIDIA_T4_GPUS", "limit": 1.0, "usage": 0.0},
        {"metric": "PREEMPTIBLE_NVIDIA_T4_GPUS", "limit": 1.0, "usage": 0.0},
        {"metric": "NVIDIA_L4_GPUS", "limit": 0.0, "usage": 0.0},
        {"metric": "NVIDIA_A100_GPUS", "limit": 16.0, "usage": 0.0},
    ],
}
# Compute usages (https://learn.microsoft.com/rest/api/compute/usage/list), as `az vm list-usage` prints it.
AZURE_USAGES = [
    {
        "currentValue": 0,
        "limit": 20,
        "name": {"localizedValue": "Total Regional vCPUs", "value": "cores"},
        "unit": "Count",
    },
    {
        "currentValue": 0,
        "limit": 3,
        "name": {"localizedValue": "Total Regional Low-priority vCPUs", "value": "lowPriorityCores"},
        "unit": "Count",
    },
    {
        "currentValue": 0,
        "limit": 16,
        "name": {"localizedValue": "Standard DDSv5 Family vCPUs", "value": "standardDDSv5Family"},
        "unit": "Count",
    },
    {
        "currentValue": 0,
        "limit": 0,
        "name": {"localizedValue": "Standard NCASv3_T4 Family vCPUs", "value": "standardNCASv3_T4Family"},
        "unit": "Count",
    },
]


def repository(stack: str) -> StackSettings:
    config = load_stack_config(ROOT, stack)
    return load_settings(stack, config.config, config.secret_keys)


def test_gcp_gpu_quota_short_of_max_nodes_warns_and_a_spot_cpu_shortfall_warns() -> None:
    findings = check_gcp_quotas(repository("dev"), GCP_REGION)
    gpus = next(f for f in findings if "PREEMPTIBLE_NVIDIA_T4_GPUS" in f.message)
    # The dev t4 pool is spot with 2 nodes of 1 GPU: quota 1 blocks the second node, not the deploy.
    assert gpus.status == "warn" and "peak 2" in gpus.message
    system = next(f for f in findings if f.subject.endswith("system") and "GCP CPUS" in f.message)
    assert system.status == "ok"


def test_gcp_cpu_quota_below_what_the_deploy_starts_fails() -> None:
    region = {"quotas": [{**q, "limit": 2.0} if q["metric"] == "CPUS" else q for q in GCP_REGION["quotas"]]}
    cpus = next(f for f in check_gcp_quotas(repository("dev"), region) if "GCP CPUS" in f.message)
    assert cpus.status == "fail" and "the deploy needs 4" in cpus.message


def test_azure_spot_gpu_pool_counts_against_low_priority_cores_and_warns_beyond_them() -> None:
    findings = check_azure_quotas(repository("dev"), AZURE_USAGES)
    spot = next(f for f in findings if "Low-priority" in f.message)
    assert (spot.subject, spot.status) == ("t4", "warn")  # 2 x 4 vCPUs against 3
    system = next(f for f in findings if "DDSv5" in f.message)
    assert system.status == "ok"


def test_azure_system_nodes_beyond_the_regional_cores_fail_the_deploy() -> None:
    usages = [{**u, "currentValue": 18} if u["name"]["value"] == "cores" else u for u in AZURE_USAGES]
    cores = next(
        f for f in check_azure_quotas(repository("dev"), usages) if "Total Regional vCPUs" in f.message
    )
    assert cores.status == "fail"


def test_quotas_that_cannot_be_read_are_unknown_never_failing() -> None:
    def no_cli(command: list[str]) -> Any:
        raise RuntimeError(f"{command[0]} is not installed")

    findings = gcp_and_azure_findings(repository("dev"), no_cli)
    assert [(f.subject, f.status) for f in findings] == [("GCP", "unknown"), ("Azure", "unknown")]


# --- reaching a cluster API ---------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_an_endpoint_that_resolves_and_accepts_is_reachable(listener: int) -> None:
    finding = check_endpoint(f"https://localhost:{listener}")
    assert finding.status == "ok" and "127.0.0.1" in finding.message


def test_an_endpoint_nothing_listens_on_fails_with_where_to_run_instead() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    finding = check_endpoint(f"127.0.0.1:{free}", timeout=1.0)
    assert finding.status == "fail" and "does not answer" in finding.message
    assert "Where each deploy runs" in finding.message


def test_an_endpoint_that_does_not_resolve_fails() -> None:
    finding = check_endpoint("https://cluster.invalid")  # .invalid never resolves (RFC 2606)
    assert finding.status == "fail" and "does not resolve" in finding.message
