"""Any stack file the model accepts is accepted whole; any single mistake is refused with its key path.

These run on settings alone (no program), so they afford many examples.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from infra.settings import SettingsError
from tests.reliability.stackfiles import settings_of
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
