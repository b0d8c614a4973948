"""AWS settings: endpoint lists, cluster admins, and the AWS limits caught before anything is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import SettingsError, StackSettings
from infra.settings.model import AWS_DEFAULT_INTERFACE_ENDPOINTS

LoadChanged = Callable[..., StackSettings]


def error_for(load_changed: LoadChanged, stack: str, changes: dict[str, Any]) -> str:
    with pytest.raises(SettingsError) as raised:
        load_changed(stack, changes)
    return str(raised.value)


def test_dev_relies_on_its_nat_gateway_and_prod_adds_the_node_apis_to_the_defaults(
    load_changed: LoadChanged,
) -> None:
    dev_stack, prod_stack = load_changed("dev"), load_changed("prod")
    dev, prod = dev_stack.settings.aws, prod_stack.settings.aws
    assert dev is not None and prod is not None
    assert dev.network.endpoints_for(dev_stack.settings.resolved) == []
    assert {"ec2", "eks-auth", "autoscaling"} <= set(prod.network.endpoints_for(prod_stack.settings.resolved))


def test_private_service_endpoints_bring_back_the_defaults_in_dev(load_changed: LoadChanged) -> None:
    stack = load_changed("dev", {"mlplat:profileOverrides": {"privateServiceEndpoints": True}})
    assert stack.settings.aws is not None
    assert stack.settings.aws.network.endpoints_for(stack.settings.resolved) == list(
        AWS_DEFAULT_INTERFACE_ENDPOINTS
    )


def test_default_endpoints_are_what_private_studio_and_image_pulls_need() -> None:
    assert set(AWS_DEFAULT_INTERFACE_ENDPOINTS) == {
        "sagemaker.api",
        "sagemaker.runtime",
        "studio",
        "sts",
        "logs",
        "ecr.api",
        "ecr.dkr",
    }


def test_prod_names_its_cluster_admins(load_changed: LoadChanged) -> None:
    aws = load_changed("prod").settings.aws
    assert aws is not None
    assert aws.kubernetes.admin_principal_arns == ["arn:aws:iam::123456789012:role/ml-platform-admins"]


def test_unknown_interface_endpoint_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.network.interfaceEndpoints": ["sts", "sagemaker"]})
    assert message.startswith("Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints[1]: input should be ")


def test_studio_without_nat_and_without_its_endpoints_is_refused(load_changed: LoadChanged) -> None:
    # VpcOnly Studio needs the SageMaker API and runtime through endpoints or a NAT gateway (SageMaker docs).
    message = error_for(
        load_changed,
        "dev",
        {
            "mlplat:profileOverrides": {"natStrategy": "none"},
            "mlplat:aws.network.interfaceEndpoints": ["ecr.api", "ecr.dkr", "ec2", "eks-auth"],
        },
    )
    assert message == (
        "Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints: VpcOnly SageMaker Studio without NAT need "
        "sagemaker.api, sagemaker.runtime, studio, sts, logs; add them to the list"
    )


def test_studio_with_a_nat_gateway_needs_no_endpoints(load_changed: LoadChanged) -> None:
    stack = load_changed("dev", {"mlplat:aws.network.interfaceEndpoints": []})
    assert stack.settings.resolved.nat_strategy == "single"


def test_nodes_without_nat_need_the_node_endpoints(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:profileOverrides": {"natStrategy": "none"}})
    assert message == (
        "Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints: EKS nodes without NAT need ec2, eks-auth; "
        "add them to the list"
    )


def test_without_nat_and_with_every_needed_endpoint_the_settings_load(load_changed: LoadChanged) -> None:
    endpoints = [*AWS_DEFAULT_INTERFACE_ENDPOINTS, "ec2", "eks-auth"]
    stack = load_changed(
        "dev",
        {
            "mlplat:profileOverrides": {"natStrategy": "none"},
            "mlplat:aws.network.interfaceEndpoints": endpoints,
        },
    )
    assert stack.settings.resolved.nat_strategy == "none"


def test_duplicate_endpoint_is_refused(load_changed: LoadChanged) -> None:
    endpoints = [*AWS_DEFAULT_INTERFACE_ENDPOINTS, "sts"]
    message = error_for(load_changed, "dev", {"mlplat:aws.network.interfaceEndpoints": endpoints})
    assert message == "Pulumi.dev.yaml: mlplat:aws.network.interfaceEndpoints: listed more than once: sts"


def test_admin_that_is_not_an_iam_role_or_user_arn_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(
        load_changed, "prod", {"mlplat:aws.kubernetes.adminPrincipalArns": ["ml-platform-admins"]}
    )
    assert message.startswith(
        "Pulumi.prod.yaml: mlplat:aws.kubernetes.adminPrincipalArns[0]: string should match"
    )


def test_gpu_pool_zone_outside_the_network_is_refused(load_changed: LoadChanged) -> None:
    # With pinned network zones the settings can tell; default zones come from EC2 (tests/constraints).
    pinned = {"mlplat:aws.network.availabilityZones": ["us-east-1a", "us-east-1b"]}
    message = error_for(load_changed, "dev", {**pinned, "mlplat:aws.gpuPools.0.zones": ["us-east-1c"]})
    assert message == (
        "Pulumi.dev.yaml: mlplat:aws.gpuPools[0].zones[0]: us-east-1c is not one of the network's zones "
        "(us-east-1a, us-east-1b)"
    )


def test_more_budget_emails_than_aws_notifies_is_refused(load_changed: LoadChanged) -> None:
    emails = [f"person{i}@example.com" for i in range(11)]
    with pytest.raises(SettingsError) as raised:
        load_changed("dev", {"mlplat:budget.alertEmails": emails})
    # Other clouds may limit the same list; AWS's limit is among the problems reported.
    assert ("mlplat:budget.alertEmails", "AWS budgets notify at most 10 addresses, got 11") in [
        (p.path, p.message) for p in raised.value.problems
    ]


def test_idle_shutdown_below_sagemakers_minimum_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:profileOverrides": {"idleShutdownMinutes": 30}})
    assert message == (
        "Pulumi.dev.yaml: mlplat:profileOverrides.idleShutdownMinutes: SageMaker idle shutdown needs at least "
        "60 minutes, got 30"
    )


def test_duplicate_workspace_user_is_refused(load_changed: LoadChanged) -> None:
    users = [{"name": "alice", "email": "a@example.com"}, {"name": "alice", "email": "b@example.com"}]
    message = error_for(load_changed, "dev", {"mlplat:aws.workspace.users": users})
    assert message == "Pulumi.dev.yaml: mlplat:aws.workspace.users[1].name: duplicate user name 'alice'"


def test_public_cluster_endpoint_open_to_everyone_is_refused(load_changed: LoadChanged) -> None:
    message = error_for(load_changed, "dev", {"mlplat:aws.kubernetes.publicAccessCidrs": ["0.0.0.0/0"]})
    assert message.startswith(
        "Pulumi.dev.yaml: mlplat:aws.kubernetes.publicAccessCidrs[0]: 0.0.0.0/0 is never"
    )
