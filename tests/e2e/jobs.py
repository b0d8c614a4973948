"""Submitting the README's job (and a plain pod) to a live cluster and following it: the API server's
admission, Kueue's Workload conditions, the Job controller's pods, the scheduler's binding. Every refusal
and condition is kept verbatim."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.api import ApiError, Client
from tests.jobpath import pods

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def readme_job(namespace: str, name: str, *, pool: str, gpus: int, init: bool = False) -> dict[str, Any]:
    """The README's Job as a user copies it, aimed at `pool` with `gpus` GPUs (tests/jobpath/pods.py)."""
    job = copy.deepcopy(pods.readme_job())
    job["metadata"] = {**job["metadata"], "name": name, "namespace": namespace}
    spec = job["spec"]["template"]["spec"]
    spec.setdefault("nodeSelector", {})[pods.POOL_LABEL] = pool
    for c in spec["containers"]:
        for which in ("limits", "requests"):
            res = (c.get("resources") or {}).get(which) or {}
            if "nvidia.com/gpu" in res:
                res["nvidia.com/gpu"] = gpus
    if init:
        spec["initContainers"] = pods.with_init_container({})["initContainers"]
    return job


def cpu_pod(namespace: str, name: str) -> dict[str, Any]:
    plain = pods.cpu_pod(namespace)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": plain["containers"]},
    }


@dataclass
class Outcome:
    what: str
    refused: str | None = None  # the API server's refusal of the object itself
    workload: dict[str, Any] | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    pod_events: list[str] = field(default_factory=list)  # the Job controller's FailedCreate messages
    pod: dict[str, Any] | None = None
    node: str | None = None
    unscheduled: str | None = None  # the scheduler's PodScheduled=False message

    @property
    def admitted(self) -> bool:
        return any(c["type"] == "Admitted" and c["status"] == "True" for c in self.conditions)

    def condition_text(self) -> str:
        return "; ".join(
            f"{c['type']}={c['status']} ({c.get('reason')}): {c.get('message')}" for c in self.conditions
        )

    def problems(self, nodes_of_pool: set[str] | None) -> list[str]:
        if self.refused:
            return [f"{self.what}: refused: {self.refused}"]
        found = []
        if self.workload is not None and not self.admitted:
            found.append(f"{self.what}: Workload not admitted: {self.condition_text() or 'no conditions'}")
        if self.pod is None and not found:
            found.append(
                f"{self.what}: no pod: {' | '.join(self.pod_events) or 'the Job controller created none'}"
            )
        if self.pod is not None and self.node is None:
            found.append(f"{self.what}: not scheduled: {self.unscheduled or 'no PodScheduled condition'}")
        if self.node is not None and nodes_of_pool is not None and self.node not in nodes_of_pool:
            found.append(
                f"{self.what}: bound to {self.node}, not to a node of the intended pool {sorted(nodes_of_pool)}"
            )
        return found


def _poll(probe: Any, timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)


def workload_of(client: Client, namespace: str, job: str) -> dict[str, Any] | None:
    for w in client.list("kueue.x-k8s.io/v1beta2", "Workload", namespace):
        if any(
            o.get("name") == job and o.get("kind") == "Job" for o in w["metadata"].get("ownerReferences", [])
        ):
            return w
    return None


def events_for(client: Client, namespace: str, name: str) -> list[str]:
    body = client.request(
        "GET",
        f"/api/v1/namespaces/{namespace}/events",
        "list events",
        params={"fieldSelector": f"involvedObject.name={name}"},
    )
    return [
        f"{e.get('reason')}: {e.get('message')}" for e in body.get("items", []) if e.get("type") == "Warning"
    ]


def follow_pod(client: Client, outcome: Outcome, namespace: str, name: str, timeout: float) -> None:
    def bound() -> bool:
        pod = client.get("v1", "Pod", name, namespace)
        outcome.pod = pod
        outcome.node = pod["spec"].get("nodeName")
        for c in pod.get("status", {}).get("conditions", []):
            if c["type"] == "PodScheduled" and c["status"] == "False":
                outcome.unscheduled = c.get("message")
        return outcome.node is not None

    _poll(bound, timeout)


def submit_job(client: Client, job: dict[str, Any], what: str, *, timeout: float = 30) -> Outcome:
    ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
    outcome = Outcome(what)
    try:
        client.create(job)
    except ApiError as e:
        outcome.refused = e.message
        return outcome
    outcome.workload = _poll(lambda: workload_of(client, ns, name), timeout)
    if outcome.workload is None:
        outcome.pod_events = ["Kueue created no Workload for the Job"]
        return outcome

    def admitted() -> bool:
        w = workload_of(client, ns, name)
        outcome.workload = w
        outcome.conditions = (w or {}).get("status", {}).get("conditions", [])
        return outcome.admitted

    if not _poll(admitted, timeout):
        return outcome
    pods_of = lambda: client.list("v1", "Pod", ns, selector=f"batch.kubernetes.io/job-name={name}")  # noqa: E731
    created = _poll(pods_of, timeout)
    if not created:
        outcome.pod_events = events_for(client, ns, name)
        return outcome
    follow_pod(client, outcome, ns, created[0]["metadata"]["name"], timeout)
    return outcome


def submit_pod(client: Client, pod: dict[str, Any], what: str, *, timeout: float = 30) -> Outcome:
    outcome = Outcome(what)
    try:
        client.create(pod)
    except ApiError as e:
        outcome.refused = e.message
        return outcome
    follow_pod(client, outcome, pod["metadata"]["namespace"], pod["metadata"]["name"], timeout)
    return outcome


def remove_job(client: Client, namespace: str, name: str, timeout: float = 30) -> None:
    """Deletes the Job, force-deletes its pods (no kubelet confirms a graceful deletion) and waits until Kueue
    has released its Workload's quota."""
    client.delete("batch/v1", "Job", name, namespace)
    for pod in client.list("v1", "Pod", namespace, selector=f"batch.kubernetes.io/job-name={name}"):
        force_delete_pod(client, namespace, pod["metadata"]["name"])
    _poll(lambda: workload_of(client, namespace, name) is None, timeout)


def force_delete_pod(client: Client, namespace: str, name: str) -> None:
    try:
        client.request(
            "DELETE",
            client.path("v1", "Pod", namespace, name),
            f"delete pod {name}",
            json={"gracePeriodSeconds": 0},
        )
    except ApiError as e:
        if e.code != 404:
            raise
