"""infra/ is a normal Pulumi program: it runs as the language host runs it and refuses bad settings first."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi
import pytest

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
