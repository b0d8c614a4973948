"""The `mlplat:azure` settings: defaults that work, and each Azure mistake named by its key path."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings
from tests.conftest import DELETE

LoadChanged = Callable[..., StackSettings]


def problems_for(load_changed: LoadChanged, stack: str, changes: dict[str, Any]) -> dict[str, str]:
    """Every problem the change causes, by key path (the first one is what the user sees)."""
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    assert "\n" not in str(raised.value)
    return {p.path: p.message for p in raised.value.problems}


def test_stack_files_leave_the_azure_budget_start_to_the_month_of_the_first_deploy(
    load_changed: LoadChanged,
) -> None:
    # Azure refuses a new budget starting before the current month, so a pinned date goes stale.
    for stack in ("dev", "prod"):
        loaded = load_changed(stack)
        assert loaded.settings.azure is not None
        assert loaded.providers.azure_location == "eastus"
        assert loaded.settings.budget.start_date is None


def test_azure_defaults_give_the_cluster_and_workspace_their_own_ranges_and_sizes(
    load_changed: LoadChanged,
) -> None:
    azure = load_changed("dev").settings.azure
    assert azure is not None
    n = azure.network
    assert n.api_server_subnet_cidr.subnet_of(n.vnet_cidr) and n.api_server_subnet_cidr.prefixlen == 28
    assert n.pod_cidr == IPv4Network("10.244.0.0/16") and n.service_cidr == IPv4Network("10.0.0.0/16")
    assert azure.workspace.compute_vm_size == "Standard_DS3_v2"
    assert azure.workspace.compute_max_nodes == 2  # the dev stack file caps it
    assert azure.workspace.instance_vm_size == "Standard_DS3_v2"


def test_prod_stack_uses_its_own_vnet_range(load_changed: LoadChanged) -> None:
    azure = load_changed("prod").settings.azure
    assert azure is not None
    assert azure.network.vnet_cidr == IPv4Network("10.31.0.0/16")


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"mlplat:azure.network.apiServerSubnetCidr": "10.99.0.0/28"},
            "mlplat:azure.network.apiServerSubnetCidr",
            "10.99.0.0/28 is not inside vnetCidr (10.30.0.0/16)",
        ),
        (
            {"mlplat:azure.network.apiServerSubnetCidr": "10.30.21.0/29"},
            "mlplat:azure.network.apiServerSubnetCidr",
            "AKS needs at least a /28 for the API server, got 10.30.21.0/29",
        ),
        (
            {"mlplat:azure.network.apiServerSubnetCidr": "10.30.20.0/28"},
            "mlplat:azure.network.apiServerSubnetCidr",
            "10.30.20.0/28 overlaps mlplat:azure.network.endpointsSubnetCidr (10.30.20.0/24)",
        ),
        (
            {"mlplat:azure.network.podCidr": "10.30.128.0/17"},
            "mlplat:azure.network.podCidr",
            "10.30.128.0/17 overlaps vnetCidr (10.30.0.0/16); pods and services need their own range",
        ),
        (
            {"mlplat:azure.network.serviceCidr": "10.244.0.0/20"},
            "mlplat:azure.network.serviceCidr",
            "10.244.0.0/20 overlaps podCidr (10.244.0.0/16)",
        ),
    ],
    ids=["api-outside-vnet", "api-too-small", "api-overlaps-endpoints", "pods-in-vnet", "services-in-pods"],
)
def test_cluster_ranges_must_fit_the_vnet_without_overlapping(
    load_changed: LoadChanged, changes: dict[str, Any], path: str, message: str
) -> None:
    assert problems_for(load_changed, "dev", changes)[path] == message


def test_cluster_administrators_are_required_because_local_accounts_are_off(
    load_changed: LoadChanged,
) -> None:
    problems = problems_for(load_changed, "prod", {"mlplat:azure.kubernetes.adminGroupObjectIds": DELETE})
    assert problems["mlplat:azure.kubernetes.adminGroupObjectIds"].startswith(
        "required: local accounts are disabled"
    )


def test_workspace_users_need_an_entra_object_id_and_distinct_names(load_changed: LoadChanged) -> None:
    users = [{"name": "bob", "email": "bob@example.com"}, {"name": "bob", "email": "b2@example.com"}]
    problems = problems_for(load_changed, "dev", {"mlplat:azure.workspace.users": users})
    assert problems["mlplat:azure.workspace.users[0].objectId"].startswith("required: Azure ML assigns")
    assert problems["mlplat:azure.workspace.users[1].name"] == "duplicate user name 'bob'"


def test_gpu_pool_zones_are_azure_zone_numbers(load_changed: LoadChanged) -> None:
    problems = problems_for(load_changed, "dev", {"mlplat:azure.gpuPools.0.zones": ["eastus-1"]})
    assert problems["mlplat:azure.gpuPools[0].zones[0]"] == "Azure zones are 1, 2 or 3, got 'eastus-1'"


def test_azure_budgets_take_at_most_four_actual_thresholds(load_changed: LoadChanged) -> None:
    problems = problems_for(load_changed, "dev", {"mlplat:budget.thresholds": [25, 50, 75, 90, 100]})
    assert problems["mlplat:budget.thresholds"].startswith("Azure budgets take at most 4 thresholds")


def test_budget_start_date_when_given_must_be_a_first_of_month(load_changed: LoadChanged) -> None:
    assert load_changed("prod", {"mlplat:budget.startDate": "2027-01-01"}).settings.budget.start_date
    mid_month = problems_for(load_changed, "prod", {"mlplat:budget.startDate": "2026-12-15"})
    assert mid_month["mlplat:budget.startDate"] == "must be the first day of a month, got 2026-12-15"


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("computeMaxNodes", 0, "greater than or equal to 1"),
        ("computeMaxNodes", 101, "less than or equal to 100"),
        ("computeVmSize", "DS3_v2", "should match pattern"),
        ("instanceVmSize", "Standard DS3", "should match pattern"),
    ],
)
def test_workspace_compute_sizes_are_validated(
    load_changed: LoadChanged, key: str, value: Any, fragment: str
) -> None:
    problems = problems_for(load_changed, "dev", {f"mlplat:azure.workspace.{key}": value})
    assert fragment in problems[f"mlplat:azure.workspace.{key}"]
