"""AWS under moto, in process: fake credentials, clients, a recorder of API calls, and small projects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from moto import mock_aws
from typer.testing import CliRunner, Result

from infra.settings import StackSettings, load_settings
from mlplat.cli import app
from mlplat.engine.stackfile import load_stack_config

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
REAL_AWS_SETTINGS = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@contextmanager
def moto_account() -> Iterator[None]:
    """A fresh moto AWS with fake credentials; nothing from the developer's shell leaks in."""
    with pytest.MonkeyPatch.context() as patch:
        for name in REAL_AWS_SETTINGS:
            patch.delenv(name, raising=False)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        with mock_aws():
            yield


@pytest.fixture
def aws() -> Iterator[None]:
    with moto_account():
        yield


@pytest.fixture(scope="module")
def aws_read_only() -> Iterator[None]:
    """One moto account for a module whose tests only read from it (starting EC2's emulation takes seconds)."""
    with moto_account():
        yield


@cache
def client(service: str, region: str = REGION) -> BaseClient:
    """A shared client: making one costs more than most calls, and moto intercepts it under any mock."""
    return new_client(service, region)


def new_client(service: str, region: str = REGION) -> BaseClient:
    """A client of one's own, for a test that instruments it (Stubber, CallLog)."""
    return boto3.client(service, region_name=region)


class CallLog:
    """The API operations clients made, e.g. `s3.PutBucketPolicy`."""

    def __init__(self, *clients: BaseClient) -> None:
        self.calls: list[str] = []
        for c in clients:
            c.meta.events.register("before-call", self._record)

    def _record(self, event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]  # before-call.s3.PutBucketPolicy
        self.calls.append(f"{service}.{operation}")

    @property
    def writes(self) -> list[str]:
        reads = ("Get", "Head", "List", "Describe")
        return [c for c in self.calls if not c.split(".", 1)[1].startswith(reads)]


def write_project(
    directory: Path,
    pools: list[dict[str, Any]],
    *,
    stack: str = "dev",
    network: dict[str, Any] | None = None,
    spot: bool | None = None,
) -> Path:
    """A self-contained project with one stack, so these tests do not move when the repository's stacks do."""
    aws: dict[str, Any] = {"kubernetes": {"publicAccessCidrs": ["203.0.113.0/24"]}, "gpuPools": pools}
    if network is not None:
        aws["network"] = network
    config: dict[str, Any] = {
        "aws:region": REGION,
        "mlplat:environment": "dev",
        "mlplat:owner": "ml-platform",
        "mlplat:costCenter": "cc-ml-1234",
        "mlplat:budget": {"monthlyUsd": 1500, "alertEmails": ["ml-platform@example.com"]},
        "mlplat:versions": {
            "kubernetes": {"aws": "1.35", "gcp": "1.35", "azure": "1.35"},
            "charts": {
                "nvidiaDevicePlugin": "0.17.1",
                "gpuOperator": "v25.3.0",
                "dcgmExporter": "4.1.1",
                "kueue": "0.13.4",
                "clusterAutoscaler": "9.47.0",
            },
        },
        "mlplat:aws": aws,
    }
    if spot is not None:
        config["mlplat:profileOverrides"] = {"spot": spot}
    (directory / "Pulumi.yaml").write_text("name: mlplat\nruntime: python\n")
    (directory / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": config}, indent=2))
    return directory


def stack_settings(directory: Path, pools: list[dict[str, Any]], **options: Any) -> StackSettings:
    write_project(directory, pools, **options)
    config = load_stack_config(directory, "dev")
    return load_settings("dev", config.config, config.secret_keys)


def invoke(*args: str) -> Result:
    """The `mlplat` command line, in process (the AWS it reaches is whatever mock is active)."""
    return CliRunner().invoke(app, list(args))


def one_line_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]
