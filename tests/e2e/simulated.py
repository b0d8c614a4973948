"""The simulated job path's verdict (tests/jobpath) for the same submission, restricted to what the live
control plane also answers: admission, Kueue, and whether a node of the pool takes the pod (labels, taints,
resources). Scale-up from zero, drivers and device plugins are not asked of the live cluster (its nodes exist
and advertise GPUs from the start), so they are left out of the comparison."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.jobpath import kube, path, pods
from tests.jobpath.facts import GPU, tolerations_the_cloud_adds
from tests.jobpath.plan import Cluster, Pool


def job_pod(job: dict[str, Any]) -> kube.Pod:
    """The pod the Job controller makes of a Job, in the simulation's shape."""
    spec = job["spec"]["template"]["spec"]
    return {
        **spec,
        "namespace": job["metadata"]["namespace"],
        "labels": dict(job["metadata"].get("labels") or {}),
    }


def plain_pod(pod: dict[str, Any]) -> kube.Pod:
    return {**pod["spec"], "namespace": pod["metadata"]["namespace"], "labels": {}}


def _node_takes(cluster: Cluster, pool: Pool, pod: kube.Pod) -> list[str]:
    requests = kube.pod_requests(pod)
    tolerations = [
        *(pod.get("tolerations") or []),
        *tolerations_the_cloud_adds(cluster.cloud, path.names_gpu(pod)),
    ]
    why = kube.selects(pod, pool.labels) + [f"taint {t}" for t in kube.untolerated(tolerations, pool.taints)]
    if requests.get(GPU, Decimal(0)) > pool.gpus:
        why.append(f"{requests[GPU]} GPUs on a node with {pool.gpus}")
    if requests.get("cpu", Decimal(0)) > Decimal(str(pool.shape.vcpus)):
        why.append(f"{requests['cpu']} CPUs on a node with {pool.shape.vcpus}")
    if requests.get("memory", Decimal(0)) > Decimal(str(pool.shape.memory_gib)) * 1024**3:
        why.append(f"memory {requests['memory']} on a node with {pool.shape.memory_gib}Gi")
    return why


def verdict(cluster: Cluster, pod: kube.Pod, pool: Pool | None) -> list[str]:
    """Empty when the simulation says the pod runs (on `pool` when given, else anywhere)."""
    pod, problems = path.admit(cluster, pod)
    if problems:
        return problems
    if path.QUEUE_LABEL in (pod.get("labels") or {}):
        pod, problems = path.kueue(cluster, pod)
        if problems:
            return problems
    reasons = []
    for candidate in [pool] if pool else cluster.pools:
        why = _node_takes(cluster, candidate, pod)
        if not why:
            return []
        reasons.append(f"{candidate.name}: {', '.join(why)}")
    return [f"stays Pending ({'; '.join(reasons)})"]


__all__ = ["job_pod", "plain_pod", "pods", "verdict"]
