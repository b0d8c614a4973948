"""The stack files in the repository load, and profiles supply the defaults a user expects."""

from __future__ import annotations

from collections.abc import Callable

from infra.settings import PROFILES, StackSettings


def test_dev_stack_file_loads_with_the_dev_profile(load_changed: Callable[..., StackSettings]) -> None:
    stack = load_changed("dev")
    assert stack.settings.profile_name == "dev"
    assert stack.settings.resolved == PROFILES["dev"]
    assert stack.providers.aws_region == "us-east-1"


def test_prod_stack_file_loads_with_the_prod_profile(load_changed: Callable[..., StackSettings]) -> None:
    stack = load_changed("prod")
    assert stack.settings.profile_name == "prod"
    assert stack.settings.resolved.nat_strategy == "perAz"
    assert stack.settings.resolved.deletion_protection is True


def test_dev_profile_is_cheap_and_prod_profile_is_protected() -> None:
    dev, prod = PROFILES["dev"], PROFILES["prod"]
    assert (dev.nat_strategy, dev.spot, dev.deletion_protection, dev.force_destroy) == (
        "single",
        True,
        False,
        True,
    )
    assert (prod.nat_strategy, prod.spot, prod.deletion_protection, prod.force_destroy) == (
        "perAz",
        False,
        True,
        False,
    )
    assert prod.private_cluster_endpoint and not dev.private_cluster_endpoint
    assert prod.bucket_versioning and prod.access_logging


def test_profile_override_wins_over_the_profile_default(load_changed: Callable[..., StackSettings]) -> None:
    stack = load_changed(
        "prod", {"mlplat:profileOverrides": {"natStrategy": "single", "logRetentionDays": 90}}
    )
    assert stack.settings.resolved.nat_strategy == "single"
    assert stack.settings.resolved.log_retention_days == 90
    assert stack.settings.resolved.deletion_protection is True  # untouched defaults stay


def test_environment_other_than_dev_or_prod_names_its_profile(
    load_changed: Callable[..., StackSettings],
) -> None:
    stack = load_changed("prod", {"mlplat:environment": "staging", "mlplat:profile": "prod"})
    assert stack.settings.environment == "staging"
    assert stack.settings.profile_name == "prod"


def test_gpu_pool_defaults_scale_to_zero_and_follow_the_profile_for_spot(
    load_changed: Callable[..., StackSettings],
) -> None:
    stack = load_changed("dev")
    assert stack.settings.aws is not None
    pool = stack.settings.aws.gpu_pools[0]
    assert pool.min_nodes == 0
    assert pool.gpus_per_node == 1
    assert pool.uses_spot(stack.settings.resolved) is True
    assert pool.uses_spot(PROFILES["prod"]) is False


def test_secret_value_stays_secret_and_out_of_reprs(load_changed: Callable[..., StackSettings]) -> None:
    stack = load_changed("dev", {"mlplat:alertWebhookUrl": {"secure": "v1:abcdef=="}})
    webhook = stack.settings.alert_webhook_url
    assert webhook is not None
    assert "[secret]" not in repr(stack.settings)
    assert webhook.get_secret_value() == "[secret]"


def test_structured_values_arrive_as_json_text_like_the_engine_passes_them(
    load_changed: Callable[..., StackSettings],
) -> None:
    stack = load_changed("dev", {"mlplat:aws.gpuPools.0.maxNodes": 5})
    assert stack.settings.aws is not None
    assert stack.settings.aws.gpu_pools[0].max_nodes == 5
