"""infra/ is a normal Pulumi program: it runs as the language host runs it and refuses bad settings first."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi
import pytest
from google.protobuf.json_format import MessageToDict

from mlplat.engine.mocks import PlatformMocks, RecordingMonitor
from mlplat.engine.program import run_program
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT, set_path, stack_document, write_stack


def test_invalid_settings_stop_the_program_before_any_resource_is_registered(tmp_path: Path) -> None:
    write_stack(
        tmp_path, "dev", set_path(stack_document("dev"), "mlplat:aws.gpuPools.0.accelerator", "nvidia-v100")
    )
    (tmp_path / "infra").symlink_to(ROOT / "infra")
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(
        pulumi.RunError, match=r"^Pulumi\.dev\.yaml: mlplat:aws\.gpuPools\[0\]\.accelerator: unknown"
    ):
        run_program(tmp_path, load_stack_config(tmp_path, "dev"), monitor=monitor)
    assert [r.type for r in monitor.recorded] == ["pulumi:pulumi:Stack"]


def test_program_imports_without_the_project_root_on_sys_path(tmp_path: Path) -> None:
    """The language host runs `runpy.run_path("infra")`; only the installed project makes `components` importable."""
    script = textwrap.dedent(
        f"""
        import os, runpy, sys
        from mlplat import gc_tuning
        gc_tuning.for_short_run()  # as the test workers run
        root = {str(ROOT)!r}
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != root]
        os.chdir(root)
        import pulumi
        from mlplat.engine.mocks import PlatformMocks
        pulumi.runtime.set_mocks(PlatformMocks(), project="mlplat", stack="dev", preview=False)
        from mlplat.engine.stackfile import load_stack_config
        from pathlib import Path
        stack = load_stack_config(Path(root), "dev")
        pulumi.runtime.set_all_config(stack.config, sorted(stack.secret_keys))
        runpy.run_path(os.path.join(root, "infra"), run_name="__main__")
        print("imported", sorted(m for m in sys.modules if m.split(".")[0] in ("components", "infra"))[:3])
        """
    )
    proc = subprocess.run(
        [sys.executable, "-P", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "imported ['components'" in proc.stdout


def test_the_offline_engine_refuses_a_duplicate_urn_like_the_engine() -> None:
    from mlplat.engine.mocks import DuplicateUrnError
    from mlplat.engine.program import run_in_mock_engine

    def body() -> None:
        pulumi.ComponentResource("mlplat:test:Thing", "same")
        pulumi.ComponentResource("mlplat:test:Thing", "same")

    with pytest.raises(
        DuplicateUrnError, match=r"^Duplicate resource URN 'urn:pulumi:dev::mlplat::mlplat:test:Thing::same'"
    ):
        run_in_mock_engine(body, stack="dev", config={})


def test_urns_carry_the_whole_chain_of_component_types_as_the_engine_builds_them() -> None:
    """urn:pulumi:STACK::PROJECT::Outer$Mid$Leaf::name; top-level types have no stack prefix."""
    from mlplat.engine.program import run_in_mock_engine

    def body() -> None:
        for outer_type, outer_name in (("mlplat:test:Left", "left"), ("mlplat:test:Right", "right")):
            outer = pulumi.ComponentResource(outer_type, outer_name)
            mid = pulumi.ComponentResource(
                "mlplat:test:Mid", f"{outer_name}-mid", opts=pulumi.ResourceOptions(parent=outer)
            )
            # Same type and name under both: the engine keeps them apart by the outer type.
            pulumi.ComponentResource("mlplat:test:Leaf", "leaf", opts=pulumi.ResourceOptions(parent=mid))

    run = run_in_mock_engine(body, stack="dev", config={})

    assert sorted(r.urn for r in run.resources if r.type != "pulumi:pulumi:Stack") == sorted(
        [
            "urn:pulumi:dev::mlplat::mlplat:test:Left::left",
            "urn:pulumi:dev::mlplat::mlplat:test:Left$mlplat:test:Mid::left-mid",
            "urn:pulumi:dev::mlplat::mlplat:test:Left$mlplat:test:Mid$mlplat:test:Leaf::leaf",
            "urn:pulumi:dev::mlplat::mlplat:test:Right::right",
            "urn:pulumi:dev::mlplat::mlplat:test:Right$mlplat:test:Mid::right-mid",
            "urn:pulumi:dev::mlplat::mlplat:test:Right$mlplat:test:Mid$mlplat:test:Leaf::leaf",
        ]
    )
    assert run.stack_urn == "urn:pulumi:dev::mlplat::pulumi:pulumi:Stack::mlplat-dev"


def test_preview_answers_echo_inputs_and_leave_what_the_provider_fills_in_unknown() -> None:
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    from mlplat.engine.fakes import MockContext
    from mlplat.engine.mocks import preview_outputs

    ctx = MockContext()
    vault = preview_outputs(
        "azure-native:keyvault:Vault",
        "kv",
        {"vaultName": "kv-dev", "properties": {"enablePurgeProtection": True}},
        ctx,
    )
    assert vault == {
        "vaultName": "kv-dev",
        "properties": {"enablePurgeProtection": True, "vaultUri": UNKNOWN},
    }
    identity = {"type": "UserAssigned", "userAssignedIdentities": [Unknown()]}
    account = preview_outputs("azure-native:storage:StorageAccount", "st", {"identity": identity}, ctx)
    assert account["identity"]["userAssignedIdentities"] == UNKNOWN  # a list in, a map out: unknown
    bucket = preview_outputs("aws:s3/bucket:Bucket", "data", {"forceDestroy": False}, ctx)
    assert bucket == {"forceDestroy": False}  # no arn, no bucket name: unknown until created


# What `pulumi preview` prints for a resource with no explicit provider (pulumi/pulumi, engine output):
# `[provider=urn:pulumi:dev::PROJECT::pulumi:providers:aws::default_1_5_0::04da6b54-80e4-46f7-96ec-b56ff0331ba9]`.
ENGINE_UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _default_provider_program() -> None:
    import pulumi_aws as aws

    aws.s3.Bucket("data")
    explicit = aws.Provider("eu", aws.ProviderArgs(region="eu-west-1"))
    aws.s3.Bucket("replica", opts=pulumi.ResourceOptions(provider=explicit))
    aws.get_caller_identity()


@pytest.mark.parametrize("preview", [True, False])
def test_a_resource_without_a_provider_gets_the_packages_default_provider_as_in_the_engine(
    preview: bool,
) -> None:
    """pulumi/pulumi `source_eval.go` newRegisterDefaultProviderEvent, `target.go` GetPackageConfig.

    `__internal: {}` beside `version`: providers/registry.go SetProviderVersion, and what the real v3.274
    preview shows (tests/e2e/test_differential.py found it missing here).
    """
    from importlib.metadata import version

    from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

    from mlplat.engine.program import run_in_mock_engine

    installed = version("pulumi_aws")
    major, minor, patch = installed.split(".")[:3]
    tags = json.dumps({"tags": {"team": "ml"}})
    config = {
        "aws:region": "us-east-1",
        "aws:defaultTags": tags,
        "aws:secretKey": "s3cr3t",
        "gcp:project": "not-asked-for",
        "mlplat:environment": "dev",
    }
    run = run_in_mock_engine(
        _default_provider_program, stack="dev", config=config, secret_keys={"aws:secretKey"}, preview=preview
    )

    providers = [r for r in run.resources if r.type.startswith("pulumi:providers:")]
    default_urn = f"urn:pulumi:dev::mlplat::pulumi:providers:aws::default_{major}_{minor}_{patch}"
    assert sorted(r.urn for r in providers) == sorted(
        [default_urn, "urn:pulumi:dev::mlplat::pulumi:providers:aws::eu"]
    )
    (default,) = (r for r in providers if r.urn == default_urn)
    assert default.parent == ""
    assert MessageToDict(default.inputs) == {
        "region": "us-east-1",
        "defaultTags": tags,
        "secretKey": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "s3cr3t"},
        "version": installed,
        "__internal": {},
    }
    by_name = {r.name: r for r in run.resources}
    default_urn_part, _, default_id = by_name["data"].provider.rpartition("::")
    assert default_urn_part == default_urn
    assert (default_id == ENGINE_UNKNOWN_ID) is preview
    assert default_id != ""
    assert by_name["replica"].provider.startswith("urn:pulumi:dev::mlplat::pulumi:providers:aws::eu::")
    # Registered when first needed, before the resource that needs it, and once.
    order = [r.urn for r in run.resources]
    assert order.index(default_urn) < order.index(by_name["data"].urn)


def test_an_invoke_alone_registers_its_packages_default_provider() -> None:
    import pulumi_gcp as gcp

    from mlplat.engine.program import run_in_mock_engine

    def body() -> None:
        gcp.organizations.get_project()

    run = run_in_mock_engine(body, stack="dev", config={"gcp:project": "p-1"})
    (provider,) = (r for r in run.resources if r.type == "pulumi:providers:gcp")
    assert MessageToDict(provider.inputs)["project"] == "p-1"
