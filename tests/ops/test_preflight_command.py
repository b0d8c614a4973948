"""`mlplat preflight` in process: moto's EC2, Service Quotas from Stubber; what it prints and its exit statuses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.stub import Stubber

from mlplat import ops
from mlplat.app import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from tests.ops.conftest import invoke, one_line_error, write_project
from tests.ops.quotas import applied_quota, asked

pytestmark = pytest.mark.usefixtures("aws_read_only")  # preflight only reads

T4 = {"name": "t4", "accelerator": "nvidia-t4", "maxNodes": 2}


@pytest.fixture
def quota_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The command's own clients, with Service Quotas answering these responses (moto has no EC2 quotas)."""
    answers: list[dict[str, Any]] = []
    stubs: list[Stubber] = []
    real = ops.aws_clients

    def clients(services: Iterable[str], **options: Any) -> dict[str, BaseClient]:
        made = real(services, **options)
        stub = Stubber(made["service-quotas"])
        for answer in answers:
            code = answer["Quota"]["QuotaCode"]
            stub.add_response("get_service_quota", answer, asked(code))
        stub.activate()
        stubs.append(stub)
        return made

    monkeypatch.setattr(ops, "aws_clients", clients)
    yield answers
    for stub in stubs:
        stub.assert_no_pending_responses()
        stub.deactivate()


def test_preflight_exits_0_when_nothing_would_fail_the_deploy(
    tmp_path: Path, quota_answers: list[dict[str, Any]]
) -> None:
    write_project(tmp_path, [T4])
    quota_answers.append(applied_quota("L-3819A6DF", 64.0))

    result = invoke("preflight", "dev", "--cwd", str(tmp_path))

    assert result.exit_code == EXIT_OK, result.output
    assert "Preflight dev (AWS account 123456789012, us-east-1):" in result.stdout
    assert ", 0 failing," in result.stdout


def test_preflight_warns_and_exits_0_when_only_gpu_scale_up_lacks_quota(
    tmp_path: Path, quota_answers: list[dict[str, Any]]
) -> None:
    write_project(tmp_path, [T4])
    quota_answers.append(applied_quota("L-3819A6DF", 0.0))

    result = invoke("preflight", "dev", "--cwd", str(tmp_path))

    assert result.exit_code == EXIT_OK, result.output
    assert "warn" in result.stdout and "request L-3819A6DF of at least 8" in result.stdout
    assert "the warnings stop GPU pools scaling up" in result.stdout


def test_preflight_exits_1_when_the_deploy_itself_would_start_gpu_nodes_beyond_the_quota(
    tmp_path: Path, quota_answers: list[dict[str, Any]]
) -> None:
    write_project(tmp_path, [{**T4, "minNodes": 1}])
    quota_answers.append(applied_quota("L-3819A6DF", 0.0))

    result = invoke("preflight", "dev", "--cwd", str(tmp_path))

    assert result.exit_code == EXIT_FAILED
    assert "The deploy would fail" in result.stdout


def test_preflight_exits_2_with_one_line_on_invalid_settings(tmp_path: Path) -> None:
    write_project(tmp_path, [{**T4, "maxNodes": 0}])

    result = invoke("preflight", "dev", "--cwd", str(tmp_path))

    assert result.exit_code == EXIT_USAGE
    assert one_line_error(result).startswith("error: Pulumi.dev.yaml: mlplat:aws.gpuPools[0].maxNodes")


def test_preflight_json_is_the_findings_report(tmp_path: Path, quota_answers: list[dict[str, Any]]) -> None:
    write_project(tmp_path, [T4])
    quota_answers.append(applied_quota("L-3819A6DF", 64.0))

    result = invoke("preflight", "dev", "--cwd", str(tmp_path), "--json")

    assert result.exit_code == EXIT_OK
    report = json.loads(result.stdout)
    assert report["summary"]["fail"] == 0
    assert [f["check"] for f in report["findings"]][:3] == ["offering", "quota", "budget"]
