"""`run_preflight`: instance offerings from moto's EC2, vCPU quotas from Stubber (moto has no EC2 quotas)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from infra.settings import StackSettings
from mlplat.ops.preflight import AwsPool, Finding, Preflight, check_quotas, run_preflight
from tests.ops.conftest import ACCOUNT, client, new_client, stack_settings
from tests.ops.quotas import applied_quota, asked, default_quota

pytestmark = pytest.mark.usefixtures("aws_read_only")  # preflight only reads

T4 = {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}  # g4dn.xlarge, 4 vCPUs, spot in dev
G_SPOT, G_ON_DEMAND, P_ON_DEMAND = "L-3819A6DF", "L-DB2E81BA", "L-417A185B"


@pytest.fixture
def stub() -> Iterator[Stubber]:
    """Service Quotas answering from the responses a test adds, in order; every one must be asked for."""
    with Stubber(new_client("service-quotas")) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def preflight(settings: StackSettings, quotas: Stubber) -> Preflight:
    return run_preflight(
        settings, account=ACCOUNT, ec2=client("ec2"), quotas=quotas.client, budgets=client("budgets")
    )


def only(result: Preflight, check: str) -> list[Finding]:
    return [f for f in result.findings if f.check == check]


def settings(tmp_path: Path, *pools: dict[str, Any], **options: Any) -> StackSettings:
    return stack_settings(tmp_path, list(pools), **options)


def test_passes_when_the_type_is_offered_in_every_zone_and_the_quota_covers_the_pool(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))

    result = preflight(settings(tmp_path, T4), stub)

    assert [(f.check, f.status) for f in result.findings] == [
        ("offering", "ok"),
        ("quota", "ok"),
        ("budget", "ok"),
    ]
    assert not result.failed


def test_missing_gpu_quota_warns_that_scale_up_is_blocked_and_names_the_quota_and_the_vcpus_to_request(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 0.0), asked(G_SPOT))

    result = preflight(settings(tmp_path, T4), stub)

    # GPU pools start at zero nodes: the deploy succeeds, the pool cannot scale up.
    (quota,) = only(result, "quota")
    assert quota.status == "warn"
    assert "All G and VT Spot Instance Requests (L-3819A6DF)" in quota.message
    assert "8 vCPUs at full scale (t4 2 x 4)" in quota.message
    assert "blocks scale-up beyond 0 vCPUs, not the deploy" in quota.message
    assert "request L-3819A6DF of at least 8 in us-east-1" in quota.message
    assert not result.failed


def test_missing_gpu_quota_fails_when_the_deploy_itself_starts_gpu_nodes(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 0.0), asked(G_SPOT))

    result = preflight(settings(tmp_path, {**T4, "minNodes": 1}), stub)

    (quota,) = only(result, "quota")
    assert quota.status == "fail" and "the deploy starts 4 vCPUs" in quota.message
    assert result.failed


def test_pools_that_share_a_quota_are_summed_against_it(tmp_path: Path, stub: Stubber) -> None:
    a10g = {"name": "a10g", "accelerator": "nvidia-a10g", "maxNodes": 4}  # g5.xlarge: 16 vCPUs at most
    l4 = {"name": "l4", "accelerator": "nvidia-l4", "gpusPerNode": 4, "maxNodes": 2}  # g6.12xlarge: 96
    a100 = {"name": "a100", "accelerator": "nvidia-a100", "gpusPerNode": 8, "maxNodes": 2}  # p4d: 192
    stub.add_response("get_service_quota", applied_quota(G_ON_DEMAND, 100.0), asked(G_ON_DEMAND))
    stub.add_response("get_service_quota", applied_quota(P_ON_DEMAND, 192.0), asked(P_ON_DEMAND))

    result = preflight(settings(tmp_path, a10g, a100, l4, spot=False), stub)

    g, p = only(result, "quota")
    assert (g.subject, g.status, g.data["neededVcpus"]) == ("a10g, l4", "warn", 112)
    assert "a10g 4 x 4 + l4 2 x 48" in g.message
    assert (p.subject, p.status, p.data["neededVcpus"]) == ("a100", "ok", 192)


def test_spot_and_on_demand_pools_of_one_family_draw_on_separate_quotas(
    tmp_path: Path, stub: Stubber
) -> None:
    steady = {"name": "steady", "accelerator": "nvidia-t4", "maxNodes": 1, "spot": False}
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 8.0), asked(G_SPOT))
    stub.add_response("get_service_quota", applied_quota(G_ON_DEMAND, 4.0), asked(G_ON_DEMAND))

    result = preflight(settings(tmp_path, T4, steady), stub)

    assert [(f.subject, f.status, f.data["quotaCode"]) for f in only(result, "quota")] == [
        ("t4", "ok", G_SPOT),
        ("steady", "ok", G_ON_DEMAND),
    ]


def pool(name: str, instance_type: str, vcpus: int, family: str, *, spot: bool) -> AwsPool:
    return AwsPool(name, instance_type, vcpus, 1, spot, family, ("us-east-1a",))


def test_on_demand_p4_and_p5_share_the_p_quota_while_their_spot_capacity_does_not(stub: Stubber) -> None:
    a100, h100 = (
        pool("a100", "p4d.24xlarge", 96, "P", spot=False),
        pool("h100", "p5.48xlarge", 192, "P5", spot=False),
    )
    spot_a100, spot_h100 = (
        pool("spot-a100", "p4d.24xlarge", 96, "P", spot=True),
        pool("spot-h100", "p5.48xlarge", 192, "P5", spot=True),
    )
    stub.add_response("get_service_quota", applied_quota(P_ON_DEMAND, 288.0), asked(P_ON_DEMAND))
    stub.add_response("get_service_quota", applied_quota("L-7212CCBC", 96.0), asked("L-7212CCBC"))
    stub.add_response("get_service_quota", applied_quota("L-C4BD4855", 0.0), asked("L-C4BD4855"))

    findings = check_quotas(stub.client, [a100, h100, spot_a100, spot_h100], "us-east-1")

    assert [(f.subject, f.data["neededVcpus"], f.status) for f in findings] == [
        ("a100, h100", 288, "ok"),
        ("spot-a100", 96, "ok"),
        ("spot-h100", 192, "warn"),
    ]


def test_pool_without_a_known_quota_is_unknown(stub: Stubber) -> None:
    (finding,) = check_quotas(stub.client, [pool("x", "x1.large", 4, "X", spot=False)], "us-east-1")

    assert (finding.status, finding.message) == (
        "unknown",
        "no known EC2 vCPU quota for on-demand x1.large (catalog quotaFamily: X)",
    )


def test_instance_type_not_offered_in_a_pool_zone_fails_and_names_the_zone(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))
    zones = {"availabilityZones": ["us-east-1a", "us-east-1e"]}  # moto, like AWS, has no g4dn in us-east-1e

    result = preflight(settings(tmp_path, T4, network=zones), stub)

    (offering,) = only(result, "offering")
    assert offering.status == "fail"
    assert offering.data["missingZones"] == ["us-east-1e"]
    assert offering.message.startswith(
        "g4dn.xlarge is not offered in us-east-1e; set the pool's zones to some of"
    )
    assert result.failed


def test_pool_zones_are_checked_instead_of_the_networks_when_set(tmp_path: Path, stub: Stubber) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))
    zones = {"availabilityZones": ["us-east-1a", "us-east-1e"]}

    result = preflight(settings(tmp_path, {**T4, "zones": ["us-east-1a"]}, network=zones), stub)

    assert [(f.status, f.data["zones"]) for f in only(result, "offering")] == [("ok", ["us-east-1a"])]


def test_pools_without_zones_are_checked_in_the_networks_zones(tmp_path: Path, stub: Stubber) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))

    result = preflight(
        settings(tmp_path, T4, network={"availabilityZones": ["us-east-1c", "us-east-1d"]}), stub
    )

    assert only(result, "offering")[0].data["zones"] == ["us-east-1c", "us-east-1d"]


def test_profile_zone_count_decides_the_zones_when_the_network_names_none(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))

    result = preflight(settings(tmp_path, T4), stub)

    assert only(result, "offering")[0].data["zones"] == ["us-east-1a", "us-east-1b"]  # dev: 2 zones


def test_quota_never_changed_in_the_account_is_read_from_the_aws_default(
    tmp_path: Path, stub: Stubber
) -> None:
    stub.add_client_error(
        "get_service_quota",
        service_error_code="NoSuchResourceException",
        service_message="The request failed because applied value for the specified context Id do not exist.",
        expected_params=asked(G_SPOT),
    )
    stub.add_response("get_aws_default_service_quota", default_quota(G_SPOT, 4.0), asked(G_SPOT))

    (quota,) = only(preflight(settings(tmp_path, T4), stub), "quota")

    assert (quota.status, quota.data["quotaVcpus"]) == ("warn", 4.0)


def test_unreadable_quota_is_unknown_and_does_not_fail_the_preflight(tmp_path: Path, stub: Stubber) -> None:
    stub.add_client_error(
        "get_service_quota",
        service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform servicequotas:GetServiceQuota",
        expected_params=asked(G_SPOT),
    )

    result = preflight(settings(tmp_path, T4), stub)

    (quota,) = only(result, "quota")
    assert quota.status == "unknown"
    assert (
        "unknown (service quotas unavailable: AccessDeniedException: User is not authorized" in quota.message
    )
    assert not result.failed


def test_budget_is_reported_with_its_monthly_limit_and_alert_emails(tmp_path: Path, stub: Stubber) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 64.0), asked(G_SPOT))

    (budget,) = only(preflight(settings(tmp_path, T4), stub), "budget")

    assert budget.status == "ok"
    assert budget.message == "1500 USD a month; alerts at 50%, 80%, 100% to ml-platform@example.com"


def test_stack_without_gpu_pools_checks_only_the_budget(tmp_path: Path, stub: Stubber) -> None:
    result = preflight(settings(tmp_path), stub)

    assert [f.check for f in result.findings] == ["budget"]


def test_json_report_lists_every_finding_with_a_summary(tmp_path: Path, stub: Stubber) -> None:
    stub.add_response("get_service_quota", applied_quota(G_SPOT, 0.0), asked(G_SPOT))

    report = preflight(settings(tmp_path, T4), stub).to_json()

    assert (report["stack"], report["region"], report["account"]) == ("dev", "us-east-1", ACCOUNT)
    assert report["summary"] == {"ok": 2, "warn": 1, "fail": 0, "unknown": 0}
    quota = next(f for f in report["findings"] if f["check"] == "quota")
    assert quota | {"message": ""} == {
        "check": "quota",
        "subject": "t4",
        "status": "warn",
        "message": "",
        "quotaCode": G_SPOT,
        "quotaName": "All G and VT Spot Instance Requests",
        "neededVcpus": 8,
        "quotaVcpus": 0.0,
    }
