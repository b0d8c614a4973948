"""The stand-in provider plugins, driven over gRPC as the engine drives them (no Go, no CLI)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from mlplat.engine.replacements import replacing_properties, table
from mlplat.engine.standin.server import SECRET_SIG, SECRET_SIG_KEY, to_python
from tests.conftest import ROOT

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_URN = f"urn:pulumi:dev::mlplat::mlplat:gcp:Platform${BUCKET}::ml-data"


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


@pytest.fixture(scope="module")
def gcp() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """`pulumi-resource-gcp` as the engine starts it: a process that prints its port on stdout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mlplat.engine.standin", "gcp"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    stub.Configure(
        provider_pb2.ConfigureRequest(args=struct({"project": "acme-ml", "region": "europe-west4"}))
    )
    yield stub
    channel.close()
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def test_every_planned_resource_type_has_replacement_entry(reports: dict[str, Any]) -> None:
    planned = {
        r["type"]
        for _, report in reports.values()
        for r in report["resources"]
        if r["custom"] and not r["type"].startswith("pulumi:providers:")
    }
    assert planned, "the plans must list resources"
    missing = sorted(planned - set(table()))
    assert not missing, (
        f"record these in mlplat/data/replace_on_change.yaml (tools/e2e/replace_on_change.py): {missing}"
    )


def test_every_replacement_names_its_source() -> None:
    assert all(r.source.strip() for entries in table().values() for r in entries)


ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_URN = f"urn:pulumi:dev::mlplat::{ACCOUNT}::gpu-nodes"


def test_diff_replaces_service_account_for_documented_account_id_change(
    gcp: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    # pulumi_gcp's AccountArgs.account_id: "Changing this forces a new service account to be created."
    assert "accountId" in replacing_properties(ACCOUNT)
    diff = gcp.Diff(
        provider_pb2.DiffRequest(
            urn=ACCOUNT_URN,
            type=ACCOUNT,
            id="gpu-nodes",
            old_inputs=struct({"accountId": "gpu-nodes", "displayName": "GPU nodes"}),
            olds=struct({"accountId": "gpu-nodes", "displayName": "GPU nodes"}),
            news=struct({"accountId": "gpu-workers", "displayName": "GPU nodes"}),
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["accountId"]
    assert diff.detailedDiff["accountId"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE
    assert not diff.deleteBeforeReplace


def test_diff_updates_service_account_in_place_for_display_name(
    gcp: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    assert "displayName" not in replacing_properties(ACCOUNT)
    diff = gcp.Diff(
        provider_pb2.DiffRequest(
            urn=ACCOUNT_URN,
            type=ACCOUNT,
            id="gpu-nodes",
            old_inputs=struct({"accountId": "gpu-nodes", "displayName": "GPU nodes"}),
            news=struct({"accountId": "gpu-nodes", "displayName": "GPU node pools"}),
        )
    )
    assert list(diff.diffs) == ["displayName"] and not diff.replaces
    assert diff.detailedDiff["displayName"].kind == provider_pb2.PropertyDiff.UPDATE


def test_diff_updates_bucket_in_place_for_labels(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    assert "labels" not in replacing_properties(BUCKET)
    diff = gcp.Diff(
        provider_pb2.DiffRequest(
            urn=BUCKET_URN,
            type=BUCKET,
            id="ml-data",
            old_inputs=struct({"location": "US", "labels": {"team": "a"}}),
            news=struct({"location": "US", "labels": {"team": "b"}}),
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.diffs) == ["labels"] and not diff.replaces
    assert diff.detailedDiff["labels"].kind == provider_pb2.PropertyDiff.UPDATE


def test_diff_reports_no_change_for_equal_inputs(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    same = struct({"location": "US"})
    diff = gcp.Diff(provider_pb2.DiffRequest(urn=BUCKET_URN, type=BUCKET, id="x", old_inputs=same, news=same))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE


def test_create_answers_from_the_offline_fakes(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    from mlplat.engine.fakes import MockContext
    from mlplat.engine.mocks import computed_outputs

    inputs = {"location": "EU", "name": "acme-ml-data"}
    created = gcp.Create(provider_pb2.CreateRequest(urn=BUCKET_URN, type=BUCKET, properties=struct(inputs)))
    expected_id, expected = computed_outputs(
        BUCKET, "ml-data", inputs, MockContext(gcp_project="acme-ml", gcp_region="europe-west4")
    )
    assert created.id == expected_id
    assert to_python(created.properties) == expected


def test_create_preview_leaves_computed_outputs_unknown(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    created = gcp.Create(
        provider_pb2.CreateRequest(
            urn=BUCKET_URN, type=BUCKET, properties=struct({"location": "EU"}), preview=True
        )
    )
    assert created.id == ""
    assert to_python(created.properties) == {"location": "EU"}


def test_create_keeps_secret_inputs_secret(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    secret = {SECRET_SIG_KEY: SECRET_SIG, "value": "https://hooks.example/abc"}
    created = gcp.Create(
        provider_pb2.CreateRequest(
            urn="urn:pulumi:dev::mlplat::gcp:monitoring/notificationChannel:NotificationChannel::alerts",
            type="gcp:monitoring/notificationChannel:NotificationChannel",
            properties=struct({"type": "webhook_tokenauth", "labels": {"url": secret}}),
        )
    )
    assert to_python(created.properties)["labels"] == {
        SECRET_SIG_KEY: SECRET_SIG,
        "value": {"url": "https://hooks.example/abc"},
    }


def test_invoke_answers_from_the_fakes_calls(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    answer = gcp.Invoke(
        provider_pb2.InvokeRequest(tok="gcp:organizations/getProject:getProject", args=struct({}))
    )
    assert to_python(getattr(answer, "return"))["projectId"] == "acme-ml"


def test_invoke_without_fake_fails_with_its_token(gcp: provider_pb2_grpc.ResourceProviderStub) -> None:
    with pytest.raises(grpc.RpcError, match="gcp:compute/getZones:getZones"):
        gcp.Invoke(provider_pb2.InvokeRequest(tok="gcp:compute/getZones:getZones", args=struct({})))
