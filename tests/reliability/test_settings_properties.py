"""Any stack file the model accepts is accepted whole; any single mistake is refused with its key path.

Settings alone are cheap, so those properties draw many examples; the program and the command line
(which stop before any resource) draw fewer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pulumi
import pytest
from hypothesis import given, settings

from infra.settings import SettingsError
from mlplat.engine.mocks import PlatformMocks, RecordingMonitor
from mlplat.engine.program import run_program
from tests.conftest import ROOT, mlplat_process, yaml_text
from tests.reliability.stackfiles import settings_of, stack_config
from tests.reliability.strategies import Mistake, StackFile, mistakes, stack_files


@given(stack_files())
def test_every_drawn_stack_file_is_accepted_with_its_profile(file: StackFile) -> None:
    loaded = settings_of(file.stack, file.document).settings
    assert loaded.profile_name == file.profile
    assert loaded.clouds == [c for c in ("aws", "gcp", "azure") if f"mlplat:{c}" in file.config]
    for cloud in loaded.clouds:
        drawn = file.config[f"mlplat:{cloud}"].get("gpuPools", [])
        pools = getattr(loaded, cloud).gpu_pools
        assert [p.name for p in pools] == [p["name"] for p in drawn]
        assert all(p.min_nodes == d.get("minNodes", 0) for p, d in zip(pools, drawn, strict=True))


@given(mistakes())
def test_a_single_mistake_is_refused_naming_the_file_and_key(case: tuple[StackFile, Mistake]) -> None:
    file, mistake = case
    with pytest.raises(SettingsError) as raised:
        settings_of(file.stack, mistake.document)
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"Pulumi.{file.stack}.yaml: {mistake.path}: "), (mistake.kind, message)
    assert len(raised.value.problems) == 1, (mistake.kind, [p.path for p in raised.value.problems])


@settings(max_examples=25)
@given(mistakes())
def test_the_program_refuses_a_mistake_before_registering_anything(case: tuple[StackFile, Mistake]) -> None:
    file, mistake = case
    monitor = RecordingMonitor(PlatformMocks())
    with pytest.raises(pulumi.RunError) as raised:
        run_program(ROOT, stack_config(file.stack, mistake.document), monitor=monitor)
    assert str(raised.value).startswith(f"Pulumi.{file.stack}.yaml: {mistake.path}: ")
    assert [r.type for r in monitor.recorded] == ["pulumi:pulumi:Stack"]


@settings(max_examples=4)
@given(mistakes())
def test_the_command_line_exits_2_with_one_line_and_no_traceback(case: tuple[StackFile, Mistake]) -> None:
    file, mistake = case
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
        (project / f"Pulumi.{file.stack}.yaml").write_text(yaml_text(mistake.document))
        proc = mlplat_process("plan", file.stack, "--cwd", str(project))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: Pulumi.{file.stack}.yaml: {mistake.path}: ")
    assert "Traceback" not in proc.stderr
