"""GCP settings: the defaults a user relies on, and each GCP mistake named by its key path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings

LoadChanged = Callable[..., StackSettings]


def gcp_of(stack: StackSettings) -> Any:
    assert stack.settings.gcp is not None
    return stack.settings.gcp


def error_for(load_changed: LoadChanged, stack: str, changes: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    return str(raised.value)


def test_stack_files_deploy_gcp_in_their_own_project_and_region(load_changed: LoadChanged) -> None:
    dev, prod = load_changed("dev"), load_changed("prod")
    assert (dev.providers.gcp_project, dev.providers.gcp_region) == ("acme-mlplat-dev", "us-central1")
    assert (prod.providers.gcp_project, prod.providers.gcp_region) == ("acme-mlplat-prod", "us-central1")


def test_gcp_defaults_zone_a_of_the_region_the_regular_channel_and_a_small_workbench(
    load_changed: LoadChanged,
) -> None:
    gcp = gcp_of(load_changed("dev"))
    assert gcp.zone is None
    assert gcp.zone_in("us-central1") == "us-central1-a"
    assert gcp.kubernetes.release_channel == "REGULAR"
    assert (gcp.workspace.machine_type, gcp.workspace.data_disk_size_gb) == ("e2-standard-4", 100)


def test_gcp_keys_can_be_set_explicitly(load_changed: LoadChanged) -> None:
    gcp = gcp_of(
        load_changed(
            "dev",
            {
                "mlplat:gcp.zone": "us-central1-c",
                "mlplat:gcp.kubernetes.releaseChannel": "STABLE",
                "mlplat:gcp.workspace.machineType": "n2-standard-8",
                "mlplat:gcp.workspace.dataDiskSizeGb": 500,
            },
        )
    )
    assert gcp.zone_in("us-central1") == "us-central1-c"
    assert gcp.kubernetes.release_channel == "STABLE"
    assert (gcp.workspace.machine_type, gcp.workspace.data_disk_size_gb) == ("n2-standard-8", 500)


def test_dev_gcp_gpu_pool_is_spot_by_profile_and_prod_pools_are_on_demand(load_changed: LoadChanged) -> None:
    dev, prod = load_changed("dev"), load_changed("prod")
    assert [p.uses_spot(dev.settings.resolved) for p in gcp_of(dev).gpu_pools] == [True]
    assert [p.uses_spot(prod.settings.resolved) for p in gcp_of(prod).gpu_pools] == [False, False]


def test_zone_outside_the_region_is_refused(load_changed: LoadChanged) -> None:
    assert error_for(load_changed, "dev", {"mlplat:gcp.zone": "europe-west4-a"}) == (
        "Pulumi.dev.yaml: mlplat:gcp.zone: europe-west4-a is not in gcp:region (us-central1)"
    )


def test_malformed_zone_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:gcp.zone": "us-central1"})
    assert message.startswith("Pulumi.dev.yaml: mlplat:gcp.zone: string should match pattern")


def test_gpu_pool_zone_outside_the_region_is_refused(load_changed: LoadChanged) -> None:
    assert error_for(load_changed, "prod", {"mlplat:gcp.gpuPools.1.zones.1": "us-east1-b"}) == (
        "Pulumi.prod.yaml: mlplat:gcp.gpuPools[1].zones[1]: us-east1-b is not in gcp:region (us-central1)"
    )


def test_unknown_release_channel_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:gcp.kubernetes.releaseChannel": "NIGHTLY"})
    assert message.startswith("Pulumi.dev.yaml: mlplat:gcp.kubernetes.releaseChannel: input should be")


def test_too_small_workbench_data_disk_is_refused(load_changed: LoadChanged) -> None:
    assert error_for(load_changed, "dev", {"mlplat:gcp.workspace.dataDiskSizeGb": 5}) == (
        "Pulumi.dev.yaml: mlplat:gcp.workspace.dataDiskSizeGb: input should be greater than or equal to 10, got 5"
    )


def test_more_alert_emails_than_a_gcp_budget_can_notify_are_refused(load_changed: LoadChanged) -> None:
    emails = [f"u{i}@example.com" for i in range(6)]
    assert error_for(load_changed, "prod", {"mlplat:budget.alertEmails": emails}) == (
        "Pulumi.prod.yaml: mlplat:budget.alertEmails: a GCP budget notifies at most 5 addresses, got 6"
    )


def test_gcp_ranges_must_not_overlap_the_other_clouds(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "prod", {"mlplat:gcp.network.subnetCidr": "10.20.0.0/20"})
    assert "mlplat:gcp.network.subnetCidr: 10.20.0.0/20 overlaps" in message
