"""The job path on a real control plane, per cloud and stack: the README's GPU job, a CPU-only pod and the
job with an init container in every team namespace, through the API server's admission (LimitRange,
ResourceQuota, Priority, Kueue's webhooks), Kueue's admission, the Job controller and the scheduler.
Where these and tests/jobpath (the simulation) disagree, these decide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import jobs, simulated
from tests.e2e.conftest import Live
from tests.jobpath import pods

pytestmark = pytest.mark.e2e


def _gpu_count(pool_gpus: int, quota: int) -> int:
    return max(1, min(pool_gpus, quota))  # as tests/jobpath submits it


def _pool_value(pool: Any) -> str:
    value = pool.labels.get(pods.POOL_LABEL)
    assert value, f"GPU pool {pool.name} has no {pods.POOL_LABEL} label for a job to select"
    return value


def test_the_planned_objects_are_accepted(live: Live) -> None:
    assert live.refused == [], "\n".join(live.refused)


def test_the_cluster_queue_and_every_local_queue_are_active(live: Live) -> None:
    def active(obj: dict[str, Any]) -> bool:
        return any(
            c["type"] == "Active" and c["status"] == "True"
            for c in obj.get("status", {}).get("conditions", [])
        )

    client = live.client
    problems = []
    for cq in live.cluster.objects("ClusterQueue"):
        name = cq["metadata"]["name"]
        got = jobs._poll(
            lambda name=name: (
                (o := client.get("kueue.x-k8s.io/v1beta2", "ClusterQueue", name)) and active(o) and o
            ),
            20,
        )
        if not got:
            o = client.get("kueue.x-k8s.io/v1beta2", "ClusterQueue", name)
            problems.append(f"ClusterQueue {name}: {o.get('status', {}).get('conditions')}")
    for lq in live.cluster.objects("LocalQueue"):
        ns, name = lq["metadata"]["namespace"], lq["metadata"]["name"]
        got = jobs._poll(
            lambda ns=ns, name=name: active(client.get("kueue.x-k8s.io/v1beta2", "LocalQueue", name, ns)), 20
        )
        if not got:
            o = client.get("kueue.x-k8s.io/v1beta2", "LocalQueue", name, ns)
            problems.append(f"LocalQueue {ns}/{name}: {o.get('status', {}).get('conditions')}")
    assert problems == [], "\n".join(problems)


def _run_gpu_jobs(live: Live, *, init: bool) -> list[str]:
    problems = []
    for ns, quota in live.teams().items():
        for pool in live.cluster.gpu_pools:
            name = f"readme-{'init-' if init else ''}{_pool_value(pool)}".lower()
            job = jobs.readme_job(
                ns, name, pool=_pool_value(pool), gpus=_gpu_count(pool.gpus, quota), init=init
            )
            outcome = jobs.submit_job(live.client, job, f"{ns} on {pool.name}{' (init)' if init else ''}")
            real = outcome.problems(live.nodes_of(pool))
            live.verdicts.append(
                (outcome.what, simulated.verdict(live.cluster, simulated.job_pod(job), pool), real)
            )
            problems += real
            jobs.remove_job(live.client, ns, name)
    return problems


def test_readme_gpu_job_runs_on_every_gpu_pool_for_every_team(live: Live) -> None:
    problems = _run_gpu_jobs(live, init=False)
    assert problems == [], "\n".join(problems)


def test_gpu_job_with_an_init_container_runs_for_every_team(live: Live) -> None:
    problems = _run_gpu_jobs(live, init=True)
    assert problems == [], "\n".join(problems)


def test_cpu_only_pod_runs_in_every_team_namespace(live: Live) -> None:
    problems = []
    for ns in live.teams():
        pod = jobs.cpu_pod(ns, "cpu-only")
        outcome = jobs.submit_pod(live.client, pod, f"{ns} CPU-only pod")
        # Its pool is a CPU pool: a pod that needs no GPU must not hold a GPU node up (GPU pools scale to zero).
        cpu_nodes = {name for name, pool in live.nodes.items() if not pool.gpu}
        real = outcome.problems(cpu_nodes)
        if outcome.pod is not None and outcome.node not in cpu_nodes:
            real = [
                *real,
                f"{ns} CPU-only pod tolerations after admission: {outcome.pod['spec'].get('tolerations')}",
            ]
        live.verdicts.append(
            (outcome.what, simulated.verdict(live.cluster, simulated.plain_pod(pod), None), real)
        )
        problems += real
        jobs.force_delete_pod(live.client, ns, "cpu-only")
    assert problems == [], "\n".join(problems)


def _flavor_gpus(live: Live, pool_value: str) -> int:
    """The ClusterQueue's nominal GPU quota in the flavor whose node labels select the pool."""
    flavors = {
        (f.get("metadata") or {}).get("name")
        for f in live.cluster.objects("ResourceFlavor")
        if ((f.get("spec") or {}).get("nodeLabels") or {}).get(pods.POOL_LABEL) == pool_value
    }
    return sum(
        int(r["nominalQuota"])
        for cq in live.cluster.objects("ClusterQueue")
        for g in cq["spec"].get("resourceGroups") or []
        for f in g.get("flavors") or []
        if f["name"] in flavors
        for r in f.get("resources") or []
        if r["name"] == "nvidia.com/gpu"
    )


def test_a_team_over_its_quota_waits_without_blocking_another_team(live: Live) -> None:
    """One team fills its GPU quota with one-GPU jobs and submits one more; that one must wait in its queue (not
    admitted, so it holds none of the shared ClusterQueue's quota), and another team's job must still be admitted."""
    teams = live.teams()
    if len(teams) < 2:
        pytest.skip(f"{live.stack} has one team ({', '.join(teams)}): no other team to block")
    (full, quota), (other, _) = sorted(teams.items(), key=lambda t: t[1])[:2]
    # The pool with the most ClusterQueue quota: the team's quota runs out before the pool's capacity does.
    pool = max(live.cluster.gpu_pools, key=lambda p: _flavor_gpus(live, _pool_value(p)))
    value = _pool_value(pool)
    names = [f"fill-{i}" for i in range(quota)]
    try:
        for name in names:
            jobs.submit_job(live.client, jobs.readme_job(full, name, pool=value, gpus=1), f"{full} {name}")
        over = jobs.submit_job(
            live.client, jobs.readme_job(full, "over", pool=value, gpus=1), f"{full} over quota", timeout=15
        )
        fine = jobs.submit_job(
            live.client, jobs.readme_job(other, "meanwhile", pool=value, gpus=1), f"{other} meanwhile"
        )
        problems = []
        if over.node is not None:
            problems.append(f"{full}'s job over its quota of {quota} GPUs was bound to {over.node}")
        # README: "Kueue admits it when the quota allows". An admitted Workload holds ClusterQueue quota, which
        # every team shares, even while the namespace's ResourceQuota refuses its pods.
        if over.admitted:
            problems.append(
                f"{full}'s job over its quota of {quota} GPUs was admitted by Kueue and holds ClusterQueue quota: "
                f"{over.condition_text()}; its pods: {over.pod_events[:1] or 'none refused'}"
            )
        problems += [p for p in fine.problems(None) if "not scheduled" not in p]
        detail = (
            f"over-quota job: admitted={over.admitted} conditions=[{over.condition_text()}] "
            f"pod events={over.pod_events} unscheduled={over.unscheduled}"
        )
        print(f"{live.stack}-{live.cloud} {full} quota {quota} on {pool.name}: {detail}")
        assert problems == [], "\n".join([*problems, detail])
    finally:
        for name in [*names, "over"]:
            jobs.remove_job(live.client, full, name)
        jobs.remove_job(live.client, other, "meanwhile")


def test_the_simulated_job_path_agrees_with_the_control_plane(live: Live) -> None:
    """Runs after the submissions above (same cluster): where tests/jobpath and the control plane answer the same
    question, they must give the same verdict; the control plane's is the true one."""
    if not live.verdicts:
        pytest.skip("no submission was recorded on this cluster")
    disagreements = [
        f"{what}: simulation {'runs' if not sim else 'refuses: ' + '; '.join(sim)} | "
        f"control plane {'runs' if not real else 'refuses: ' + '; '.join(real)}"
        for what, sim, real in live.verdicts
        if bool(sim) != bool(real)
    ]
    assert disagreements == [], "\n".join(disagreements)
