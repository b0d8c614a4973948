"""The facts the guardrails judge against, owned by the pack.

The pack never imports the program's constants: a rule that shares the program's tag set, GPU
taint or catalog agrees with the program even when both are wrong, and a pack must publish on its
own (`pulumi policy publish`). `tests/policies/test_pack_facts.py` compares these copies with the
program's, so drift fails loudly instead of passing silently.
"""

from __future__ import annotations

from typing import Final

# The platform's tag set, required on every taggable resource of every cloud.
PLATFORM_TAG_KEYS: Final = ("environment", "owner", "cost-center", "managed-by", "stack")

# GPU pools are tainted so only pods that ask for GPUs land there (Kubernetes spelling of the effect).
GPU_TAINT_KEY: Final = "nvidia.com/gpu"
GPU_TAINT_VALUE: Final = "present"
GPU_TAINT_EFFECT: Final = "NoSchedule"

# GPUs per instance for the GPU machine types a pool may use. Sources, read 2026-11:
# https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html (accelerated computing, "GPUs"),
# https://learn.microsoft.com/azure/virtual-machines/sizes/gpu-accelerated/ (each NC/ND/NV series page).
AWS_GPUS_PER_INSTANCE: Final[dict[str, int]] = {
    **dict.fromkeys(("g4dn.xlarge", "g4dn.2xlarge", "g4dn.4xlarge", "g4dn.8xlarge", "g4dn.16xlarge"), 1),
    "g4dn.12xlarge": 4,
    "g4dn.metal": 8,
    **dict.fromkeys(("g5.xlarge", "g5.2xlarge", "g5.4xlarge", "g5.8xlarge", "g5.16xlarge"), 1),
    "g5.12xlarge": 4,
    "g5.24xlarge": 4,
    "g5.48xlarge": 8,
    **dict.fromkeys(("g6.xlarge", "g6.2xlarge", "g6.4xlarge", "g6.8xlarge", "g6.16xlarge"), 1),
    "g6.12xlarge": 4,
    "g6.24xlarge": 4,
    "g6.48xlarge": 8,
    **dict.fromkeys(("g6e.xlarge", "g6e.2xlarge", "g6e.4xlarge", "g6e.8xlarge", "g6e.16xlarge"), 1),
    "g6e.12xlarge": 2,
    "g6e.24xlarge": 4,
    "g6e.48xlarge": 8,
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8,
    "p4de.24xlarge": 8,
    "p5.4xlarge": 1,
    "p5.48xlarge": 8,
    "p5e.48xlarge": 8,
    "p5en.48xlarge": 8,
}
AZURE_GPUS_PER_INSTANCE: Final[dict[str, int]] = {
    "Standard_NC4as_T4_v3": 1,
    "Standard_NC8as_T4_v3": 1,
    "Standard_NC16as_T4_v3": 1,
    "Standard_NC64as_T4_v3": 4,
    "Standard_NC24ads_A100_v4": 1,
    "Standard_NC48ads_A100_v4": 2,
    "Standard_NC96ads_A100_v4": 4,
    "Standard_ND96asr_v4": 8,
    "Standard_ND96amsr_A100_v4": 8,
    "Standard_NC40ads_H100_v5": 1,
    "Standard_NC80adis_H100_v5": 2,
    "Standard_ND96isr_H100_v5": 8,
    "Standard_NV36ads_A10_v5": 1,
    "Standard_NV72ads_A10_v5": 2,
}
# GCP: machine families whose GPUs come with the machine type (A2, A3, A4, G2, G4); N1 attaches
# guest accelerators instead. https://cloud.google.com/compute/docs/gpus
GCP_GPU_MACHINE_PREFIXES: Final = ("a2-", "a3-", "a4-", "g2-", "g4-")
