"""The accelerator catalog: accelerator -> machine shapes per cloud, read from one data file."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from ruamel.yaml import YAML

Cloud = Literal["aws", "gcp", "azure"]
CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "azure")

_DATA = Path(__file__).with_name("accelerators.yaml")


class MachineShape(BaseModel):
    """One machine type that carries `gpus` accelerators."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    instance_type: str = Field(alias="instanceType")
    gpus: int = Field(gt=0)
    vcpus: int = Field(gt=0)
    memory_gib: float = Field(alias="memoryGib", gt=0)
    accelerator_type: str | None = Field(default=None, alias="acceleratorType")  # GCP guest accelerator
    quota_family: str | None = Field(default=None, alias="quotaFamily")  # AWS vCPU quota bucket


class Accelerator(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    aws: tuple[MachineShape, ...] = ()
    gcp: tuple[MachineShape, ...] = ()
    azure: tuple[MachineShape, ...] = ()

    def shapes(self, cloud: Cloud) -> tuple[MachineShape, ...]:
        return getattr(self, cloud)

    def shape(self, cloud: Cloud, gpus: int) -> MachineShape | None:
        return next((s for s in self.shapes(cloud) if s.gpus == gpus), None)


@cache
def accelerators() -> dict[str, Accelerator]:
    raw = YAML(typ="safe").load(_DATA.read_text())
    return {name: Accelerator(name=name, **body) for name, body in raw.items()}


def machine_shape(accelerator: str, cloud: Cloud, gpus: int) -> MachineShape:
    """The machine for `gpus` x `accelerator` on `cloud`; settings validation guarantees it exists."""
    shape = accelerators()[accelerator].shape(cloud, gpus)
    if shape is None:
        raise KeyError(f"{accelerator} with {gpus} GPUs per node is not offered on {cloud}")
    return shape


def find_by_instance_type(cloud: Cloud, instance_type: str) -> tuple[str, MachineShape] | None:
    """Reverse lookup used by the cost estimate and policies: instance type -> (accelerator, shape)."""
    for acc in accelerators().values():
        for shape in acc.shapes(cloud):
            if shape.instance_type == instance_type:
                return acc.name, shape
    return None
