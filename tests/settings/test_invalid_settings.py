"""Each class of settings mistake gets one line naming the stack file and the key path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings
from tests.conftest import DELETE, stack_document

LoadChanged = Callable[..., StackSettings]


def error_for(load_changed: LoadChanged, stack: str, changes: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_unknown_key_is_refused_with_a_suggestion(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "prod", {"mlplat:aws.gpuPools.0.maxNode": 3})
    assert (
        message
        == "Pulumi.prod.yaml: mlplat:aws.gpuPools[0].maxNode: unknown key 'maxNode' (did you mean 'maxNodes'?)"
    )


def test_unknown_top_level_key_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:gpuPool": []})
    assert message.startswith("Pulumi.dev.yaml: mlplat:gpuPool: unknown key 'gpuPool'")


def test_wrong_type_names_the_key_and_the_value(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.gpuPools.0.maxNodes": "lots"})
    assert message == (
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].maxNodes: input should be a valid integer, "
        "unable to parse string as an integer, got 'lots'"
    )


def test_out_of_range_value_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "prod", {"mlplat:aws.gpuPools.1.minNodes": -2})
    assert message == (
        "Pulumi.prod.yaml: mlplat:aws.gpuPools[1].minNodes: input should be greater than or equal to 0, got -2"
    )


def test_max_nodes_below_min_nodes_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "prod", {"mlplat:aws.gpuPools.1.minNodes": 3})
    assert message == "Pulumi.prod.yaml: mlplat:aws.gpuPools[1].maxNodes: must be >= minNodes (3), got 2"


def test_unknown_accelerator_lists_the_catalog(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.gpuPools.0.accelerator": "nvidia-v100"})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].accelerator: unknown accelerator 'nvidia-v100'"
    )
    assert "nvidia-t4" in message


def test_gpus_per_node_the_cloud_does_not_offer_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.gpuPools.0.gpusPerNode": 2})
    assert (
        message
        == "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].gpusPerNode: nvidia-t4 on aws comes with 1 or 4 GPUs per node, got 2"
    )


def test_accelerator_not_offered_on_the_cloud_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.gpuPools.0.accelerator": "nvidia-a10"})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].accelerator: nvidia-a10 is not offered on aws"
    )


def test_overlapping_cidrs_within_a_stack_are_refused(load_changed: LoadChanged) -> None:
    gcp = {
        "billingAccount": "01ABCD-23EF45-6789AB",
        "network": {"subnetCidr": "10.10.16.0/20"},
        "kubernetes": {"publicAccessCidrs": ["203.0.113.0/24"]},
    }
    message = error_for(
        load_changed, "dev", {"mlplat:gcp": gcp, "gcp:project": "mlplat-dev", "gcp:region": "us-central1"}
    )
    assert message == (
        "Pulumi.dev.yaml: mlplat:gcp.network.subnetCidr: 10.10.16.0/20 overlaps mlplat:aws.network.cidr (10.10.0.0/16)"
    )


def test_malformed_email_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:budget.alertEmails": ["ml-platform.example.com"]})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:budget.alertEmails[0]: value is not a valid email address"
    )


def test_missing_required_key_is_named(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:owner": DELETE})
    assert message == "Pulumi.dev.yaml: mlplat:owner: required key is missing"


def test_missing_provider_region_is_named(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"aws:region": DELETE})
    assert message == "Pulumi.dev.yaml: aws:region: required when mlplat:aws is set"


def test_public_cluster_endpoint_without_allow_list_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.kubernetes.publicAccessCidrs": []})
    assert message == (
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.publicAccessCidrs: required when the aws cluster API endpoint "
        "is public (profile dev)"
    )


def test_open_to_the_world_cidr_is_never_allowed(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.kubernetes.publicAccessCidrs": ["0.0.0.0/0"]})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.publicAccessCidrs[0]: 0.0.0.0/0 is never allowed"
    )


def test_plain_text_secret_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:alertWebhookUrl": "https://hooks.example.com/x"})
    assert message == (
        "Pulumi.dev.yaml: mlplat:alertWebhookUrl: must be a secret: run "
        "`pulumi config set --secret alertWebhookUrl <value>`"
    )
    assert "hooks.example.com" not in message


def test_team_quota_beyond_pool_capacity_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:teams.0.gpuQuota": 1000})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:teams[0].gpuQuota: 1000 GPUs exceeds what the GPU pools can ever provide on aws ("
    )


def test_environment_outside_the_profiles_must_name_one(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:environment": "staging"})
    assert (
        message
        == "Pulumi.dev.yaml: mlplat:profile: required when environment is 'staging' (choose dev or prod)"
    )


def test_several_problems_report_the_first_and_count_the_rest(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:owner": DELETE, "mlplat:costCenter": DELETE})
    assert message.endswith("(and 1 more problem)")


def test_a_misspelt_required_key_is_named_as_the_typo_not_as_missing(load_changed: LoadChanged) -> None:
    prod = stack_document("prod")
    pool = prod["config"]["mlplat:aws"]["gpuPools"][0]
    pool["maxNode"] = pool.pop("maxNodes")
    message = error_for(load_changed, "prod", {"mlplat:aws.gpuPools.0": pool})
    assert message == (
        "Pulumi.prod.yaml: mlplat:aws.gpuPools[0].maxNode: unknown key 'maxNode' (did you mean 'maxNodes'?)"
    )
