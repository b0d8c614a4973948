"""GPU and CPU quotas on GCP and Azure, judged from the documented API answers.

- GCP: Compute Engine `regions.get` (`gcloud compute regions describe REGION --format=json`) answers
  `quotas: [{metric, limit, usage}]`; GPUs count per accelerator metric (`NVIDIA_T4_GPUS`, spot/preemptible
  capacity under `PREEMPTIBLE_NVIDIA_T4_GPUS`), vCPUs under `CPUS` (https://cloud.google.com/compute/resource-usage).
- Azure: Compute `usages` (`az vm list-usage --location L --output json`) answers
  `[{name: {value, localizedValue}, currentValue, limit, unit}]` in vCPUs per VM family, with `cores`
  (regional total) and `lowPriorityCores` (Spot) (https://learn.microsoft.com/rest/api/compute/usage/list).

GPU pools start at minNodes (usually 0), so a GPU shortfall blocks scale-up (`warn`); a shortfall for
what the deploy itself starts (system nodes, pools with minNodes above 0) blocks the deploy (`fail`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from infra.gpu import gpu_pool_specs
from infra.settings import StackSettings
from mlplat.ops.preflight import Finding

# GCP guest accelerator type -> its regional quota metric (Compute Engine GPU quotas).
GCP_GPU_METRICS = {
    "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
    "nvidia-l4": "NVIDIA_L4_GPUS",
    "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
    "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
    "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
}
GCP_SYSTEM_VCPUS = 4  # e2-standard-4, components/gcp/cluster.py SystemPool

# Azure VM size -> the usage name of its family quota (vCPUs), as `usages` names them.
AZURE_FAMILIES = {
    "Standard_NC4as_T4_v3": "standardNCASv3_T4Family",
    "Standard_NC64as_T4_v3": "standardNCASv3_T4Family",
    "Standard_NV36ads_A10_v5": "StandardNVADSA10v5Family",
    "Standard_NV72ads_A10_v5": "StandardNVADSA10v5Family",
    "Standard_NC24ads_A100_v4": "StandardNCADSA100v4Family",
    "Standard_NC48ads_A100_v4": "StandardNCADSA100v4Family",
    "Standard_NC96ads_A100_v4": "StandardNCADSA100v4Family",
    "Standard_ND96asr_v4": "standardNDASv4_A100Family",
    "Standard_NC40ads_H100_v5": "standardNCadsH100v5Family",
    "Standard_ND96isr_H100_v5": "standardNDSH100v5Family",
}
AZURE_SYSTEM = ("standardDDSv5Family", 4)  # Standard_D4ds_v5, components/azure/cluster.py SystemPool


def _verdict(check_subject: str, head: str, at_deploy: int, peak: int, headroom: float, ask: str) -> Finding:
    data = {"deploy": at_deploy, "peak": peak, "available": headroom}
    if at_deploy > headroom:
        return Finding("quota", check_subject, "fail", f"{head}; the deploy needs {at_deploy}; {ask}", data)
    if peak > headroom:
        return Finding(
            "quota",
            check_subject,
            "warn",
            f"{head}; blocks scale-up beyond {headroom:g}, not the deploy; {ask}",
            data,
        )
    return Finding("quota", check_subject, "ok", head, data)


def check_gcp_quotas(stack: StackSettings, region: dict[str, Any]) -> list[Finding]:
    gcp = stack.settings.gcp
    if gcp is None:
        return []
    quotas = {q["metric"]: q for q in region.get("quotas", [])}
    needs: dict[str, list[tuple[str, int, int]]] = defaultdict(list)  # metric -> (pool, at deploy, peak)
    findings: list[Finding] = []
    for spec in gpu_pool_specs("gcp", gcp.gpu_pools, stack.settings.resolved):
        metric = GCP_GPU_METRICS.get(spec.accelerator_type or "")
        if metric is None:
            findings.append(
                Finding(
                    "quota", spec.name, "unknown", f"no known GPU quota metric for {spec.accelerator_type}"
                )
            )
            continue
        metric = f"PREEMPTIBLE_{metric}" if spec.spot else metric
        needs[metric].append(
            (spec.name, spec.min_nodes * spec.gpus_per_node, spec.max_nodes * spec.gpus_per_node)
        )
        cpus = "PREEMPTIBLE_CPUS" if spec.spot else "CPUS"
        needs[cpus].append((spec.name, spec.min_nodes * spec.vcpus, spec.max_nodes * spec.vcpus))
    if gcp.kubernetes.enabled:
        nodes = gcp.kubernetes.system_nodes
        needs["CPUS"].append(
            (
                "system",
                nodes.min_nodes_for(stack.settings.resolved) * GCP_SYSTEM_VCPUS,
                nodes.max_nodes * GCP_SYSTEM_VCPUS,
            )
        )
    for metric, members in needs.items():
        subject = ", ".join(name for name, _, _ in members)
        quota = quotas.get(metric)
        if quota is None:
            findings.append(Finding("quota", subject, "unknown", f"{metric}: not in the region's quotas"))
            continue
        headroom = float(quota["limit"]) - float(quota.get("usage", 0))
        at_deploy, peak = sum(m[1] for m in members), sum(m[2] for m in members)
        head = f"GCP {metric}: {float(quota['usage']):g} used of {float(quota['limit']):g}; peak {peak}"
        findings.append(
            _verdict(
                subject,
                head,
                at_deploy,
                peak,
                headroom,
                f"request {metric} of at least {peak} (IAM & Admin > Quotas)",
            )
        )
    return findings


def check_azure_quotas(stack: StackSettings, usages: Sequence[dict[str, Any]]) -> list[Finding]:
    azure = stack.settings.azure
    if azure is None:
        return []
    by_name = {u["name"]["value"].lower(): u for u in usages}
    needs: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    findings: list[Finding] = []
    for spec in gpu_pool_specs("azure", azure.gpu_pools, stack.settings.resolved):
        family = AZURE_FAMILIES.get(spec.instance_type)
        if family is None:
            findings.append(
                Finding("quota", spec.name, "unknown", f"no known vCPU family for {spec.instance_type}")
            )
            continue
        cores = (spec.min_nodes * spec.vcpus, spec.max_nodes * spec.vcpus)
        # Spot VMs count against lowPriorityCores only; regular ones against their family and cores.
        for name in ("lowPriorityCores",) if spec.spot else (family, "cores"):
            needs[name].append((spec.name, *cores))
    if azure.kubernetes.enabled:
        family, vcpus = AZURE_SYSTEM
        nodes = azure.kubernetes.system_nodes
        for name in (family, "cores"):
            needs[name].append(
                ("system", nodes.min_nodes_for(stack.settings.resolved) * vcpus, nodes.max_nodes * vcpus)
            )
    for name, members in needs.items():
        subject = ", ".join(n for n, _, _ in members)
        usage = by_name.get(name.lower())
        if usage is None:
            findings.append(
                Finding("quota", subject, "unknown", f"Azure {name}: not in the location's usages")
            )
            continue
        headroom = float(usage["limit"]) - float(usage["currentValue"])
        at_deploy, peak = sum(m[1] for m in members), sum(m[2] for m in members)
        label = usage["name"].get("localizedValue") or name
        head = f"Azure {label}: {usage['currentValue']} used of {usage['limit']} vCPUs; peak {peak}"
        findings.append(
            _verdict(
                subject,
                head,
                at_deploy,
                peak,
                headroom,
                f"request {name} of at least {peak} (Quotas in the portal)",
            )
        )
    return findings


Runner = Callable[[list[str]], str]


def cli_json(command: list[str]) -> Any:
    """The JSON a cloud CLI prints (gcloud, az), using the operator's own sign-in."""
    if shutil.which(command[0]) is None:
        raise RuntimeError(f"{command[0]} is not installed")
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        )
    return json.loads(proc.stdout)


def gcp_and_azure_findings(
    stack: StackSettings, fetch: Callable[[list[str]], Any] = cli_json
) -> list[Finding]:
    findings: list[Finding] = []
    providers = stack.providers
    if stack.settings.gcp is not None and providers.gcp_region and providers.gcp_project:
        command = [
            "gcloud",
            "compute",
            "regions",
            "describe",
            providers.gcp_region,
            "--project",
            providers.gcp_project,
            "--format=json",
        ]
        try:
            findings += check_gcp_quotas(stack, fetch(command))
        except (RuntimeError, ValueError, KeyError) as error:
            findings.append(Finding("quota", "GCP", "unknown", f"GCP quotas unavailable ({error})"))
    if stack.settings.azure is not None and providers.azure_location:
        command = ["az", "vm", "list-usage", "--location", providers.azure_location, "--output", "json"]
        try:
            findings += check_azure_quotas(stack, fetch(command))
        except (RuntimeError, ValueError, KeyError) as error:
            findings.append(Finding("quota", "Azure", "unknown", f"Azure quotas unavailable ({error})"))
    return findings
