"""The pods the check submits: the README's GPU job (as a user copies it), a CPU-only pod, and the job with
an init container, each in a team's namespace."""

from __future__ import annotations

import copy
import re
from typing import Any

from ruamel.yaml import YAML

from tests.conftest import ROOT

POOL_LABEL = "mlplat.io/gpu-pool"


def readme_job() -> dict[str, Any]:
    """The Job in README "GPU jobs on the clusters", parsed as a user's `kubectl apply` would read it."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## GPU jobs on the clusters") :]
    section = section[: section.index("\n## ", 3)]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    jobs = [doc for block in blocks if (doc := YAML(typ="safe").load(block)) and doc.get("kind") == "Job"]
    assert len(jobs) == 1, "README 'GPU jobs on the clusters' shows exactly one Job"
    return jobs[0]


def job_pod(job: dict[str, Any], *, pool: str, gpus: int) -> dict[str, Any]:
    """The Job's pod as the Job controller creates it, aimed at `pool` with `gpus` GPUs: the README's
    pool selector and GPU count are the parts a user changes."""
    spec = copy.deepcopy(job["spec"]["template"]["spec"])
    if POOL_LABEL in (spec.get("nodeSelector") or {}):
        spec["nodeSelector"][POOL_LABEL] = pool
    for c in spec["containers"]:
        for which in ("limits", "requests"):
            res = (c.get("resources") or {}).get(which) or {}
            if "nvidia.com/gpu" in res:
                res["nvidia.com/gpu"] = gpus
    labels = dict(job["metadata"].get("labels") or {})
    return {**spec, "namespace": job["metadata"]["namespace"], "labels": labels}


def in_namespace(pod: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {**copy.deepcopy(pod), "namespace": namespace}


def cpu_pod(namespace: str) -> dict[str, Any]:
    """A plain pod with no resources stated and no queue: a notebook helper, a data loader."""
    return {
        "namespace": namespace,
        "labels": {},
        "containers": [{"name": "app", "image": "python:3.12-slim"}],
    }


def with_init_container(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod with an init container that states no resources (fetching data before training)."""
    pod = copy.deepcopy(pod)
    pod["initContainers"] = [{"name": "fetch-data", "image": "busybox:1.37", "command": ["true"]}]
    return pod
