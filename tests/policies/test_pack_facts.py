"""The pack stands alone: its own facts and requirements, kept equal to the program's by these tests.

A guardrail that imported the program's constants would agree with the program even when both are
wrong; these copies are compared here instead, so drift fails loudly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from components.catalog import CLOUDS, accelerators
from components.common import gpu
from components.common.tags import REQUIRED_TAG_KEYS
from policies import facts

ROOT = Path(__file__).resolve().parents[2]


def test_the_pack_requires_the_platform_tags_the_program_applies() -> None:
    assert facts.PLATFORM_TAG_KEYS == REQUIRED_TAG_KEYS


def test_the_pack_looks_for_the_gpu_taint_the_program_puts_on_pools() -> None:
    assert (facts.GPU_TAINT_KEY, facts.GPU_TAINT_VALUE, facts.GPU_TAINT_EFFECT) == (
        gpu.GPU_TAINT_KEY,
        gpu.GPU_TAINT_VALUE,
        gpu.GPU_TAINT_EFFECT,
    )


def test_the_pack_knows_every_gpu_machine_of_the_catalog_with_its_gpu_count() -> None:
    tables = {"aws": facts.AWS_GPUS_PER_INSTANCE, "azure": facts.AZURE_GPUS_PER_INSTANCE}
    checked = 0
    for accelerator in accelerators().values():
        for cloud in CLOUDS:
            for shape in accelerator.shapes(cloud):
                checked += 1
                if cloud == "gcp":
                    # Machines with a guest accelerator are N1; the others carry their GPUs in the type.
                    bundled = shape.instance_type.startswith(facts.GCP_GPU_MACHINE_PREFIXES)
                    assert bundled == (shape.instance_type.split("-")[0] != "n1"), shape.instance_type
                else:
                    assert tables[cloud].get(shape.instance_type) == shape.gpus, (cloud, shape.instance_type)
    assert checked > 0


def test_the_pack_imports_nothing_from_the_program() -> None:
    probe = (
        "import json, sys; import policies.pack; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('components', 'infra', 'mlplat'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT / "policies", capture_output=True, text=True, check=True
    )
    assert json.loads(proc.stdout) == []


def test_the_pack_pins_the_same_sdk_versions_as_the_project() -> None:
    def pins(text: str) -> dict[str, str]:
        return dict(re.findall(r'"?([a-z][a-z0-9-]*)==([0-9][^"\s,]*)', text))

    project = pins((ROOT / "pyproject.toml").read_text())
    pack = pins((ROOT / "policies" / "requirements.txt").read_text())
    assert pack, "policies/requirements.txt pins nothing"
    assert {name: project.get(name) for name in pack} == pack
