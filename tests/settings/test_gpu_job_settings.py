"""Settings for the GPU job path: one driver strategy per cluster, members' identities per cloud, the
EKS autoscaler's chart. Each refusal is one line naming the stack file and the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings
from tests.conftest import DELETE

LoadChanged = Callable[..., StackSettings]


def error_for(load_changed: LoadChanged, stack: str, changes: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    return str(raised.value)


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_mixing_driver_strategies_in_one_cluster_is_refused(load_changed: LoadChanged, cloud: str) -> None:
    # AKS documents its managed driver and the GPU operator's as mutually exclusive within a cluster
    # (learn.microsoft.com/azure/aks/gpu-cluster); one rule for every cloud keeps one story per cluster.
    message = error_for(load_changed, "prod", {f"mlplat:{cloud}.gpuPools.1.driverStrategy": "gpu-operator"})
    assert message == (
        f"Pulumi.prod.yaml: mlplat:{cloud}.gpuPools[1].driverStrategy: gpu-operator cannot share the {cloud} "
        "cluster with cloud-managed (gpuPools[0]); use one driver strategy for all of its pools"
    )


def test_every_pool_on_the_operator_is_accepted(load_changed: LoadChanged) -> None:
    loaded = load_changed(
        "prod",
        {
            "mlplat:gcp.gpuPools.0.driverStrategy": "gpu-operator",
            "mlplat:gcp.gpuPools.1.driverStrategy": "gpu-operator",
        },
    )
    assert loaded.settings.gcp is not None
    assert {p.driver_strategy for p in loaded.settings.gcp.gpu_pools} == {"gpu-operator"}


@pytest.mark.parametrize(("key", "cloud"), [("awsPrincipalArn", "aws"), ("azureObjectId", "azure")])
def test_a_member_without_an_identity_on_a_cloud_with_a_cluster_is_refused(
    load_changed: LoadChanged, key: str, cloud: str
) -> None:
    message = error_for(load_changed, "dev", {f"mlplat:teams.0.members.0.{key}": DELETE})
    assert message.startswith(
        f"Pulumi.dev.yaml: mlplat:teams[0].members[0].{key}: required with mlplat:{cloud}"
    )


def test_a_member_is_an_identity_per_cloud_not_a_bare_email(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:teams.0.members": ["alice@example.com"]})
    assert message.startswith("Pulumi.dev.yaml: mlplat:teams[0].members[0]:")


def test_eks_gpu_pools_need_the_autoscaler_chart(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:versions.charts.clusterAutoscaler": DELETE})
    assert message == (
        "Pulumi.dev.yaml: mlplat:versions.charts.clusterAutoscaler: required with EKS GPU pools: "
        "the cluster autoscaler scales them up from zero"
    )
