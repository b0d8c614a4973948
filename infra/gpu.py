"""Resolve settings' GPU pools for one cloud through the accelerator catalog."""

from __future__ import annotations

from collections.abc import Sequence

from components.catalog import Cloud, machine_shape
from components.common.gpu import GpuPoolSpec
from infra.settings import GpuPool, Profile


def gpu_pool_specs(cloud: Cloud, pools: Sequence[GpuPool], profile: Profile) -> list[GpuPoolSpec]:
    specs = []
    for pool in pools:
        shape = machine_shape(pool.accelerator, cloud, pool.gpus_per_node)
        specs.append(
            GpuPoolSpec(
                name=pool.name,
                accelerator=pool.accelerator,
                instance_type=shape.instance_type,
                gpus_per_node=shape.gpus,
                vcpus=shape.vcpus,
                memory_gib=shape.memory_gib,
                min_nodes=pool.min_nodes,
                max_nodes=pool.max_nodes,
                spot=pool.uses_spot(profile),
                disk_size_gb=pool.disk_size_gb,
                driver_strategy=pool.driver_strategy,
                labels=dict(pool.labels),
                zones=list(pool.zones) if pool.zones else None,
                accelerator_type=shape.accelerator_type,
            )
        )
    return specs
