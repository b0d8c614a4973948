"""A team's GPU job, a CPU-only pod and a job with an init container, submitted to every team namespace on
every cluster of dev and prod, followed through admission, Kueue, scale-up and placement as Kubernetes,
Kueue and each cloud document them. Read from the plan's recorded resources only."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from infra.settings import load_settings
from mlplat.engine.plan import plan_stack
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT, stack_document, write_stack
from tests.jobpath import access, path, pods
from tests.jobpath.plan import Cluster, clusters

STACKS = ("dev", "prod")
CLOUDS = ("aws", "gcp", "azure")
Reports = dict[str, tuple[subprocess.CompletedProcess[str], dict[str, Any]]]


@pytest.fixture(scope="module")
def planned(reports: Reports) -> dict[str, dict[Any, Cluster]]:
    return {stack: clusters(report) for stack, (_, report) in reports.items()}


def _cluster(planned: dict[str, dict[Any, Cluster]], stack: str, cloud: str) -> Cluster:
    found = planned[stack].get(cloud)
    assert found is not None, f"{stack} plans no {cloud} cluster"
    return found


def _teams(cluster: Cluster) -> dict[str, int]:
    """Team namespace -> its GPU quota, as the plan creates them."""
    teams = {}
    for ns in cluster.objects("Namespace"):
        meta = ns.get("metadata") or {}
        if "mlplat.io/team" in (meta.get("labels") or {}):
            quota = [
                q["spec"]["hard"].get("requests.nvidia.com/gpu")
                for q in cluster.in_namespace("ResourceQuota", meta["name"])
                if "requests.nvidia.com/gpu" in ((q.get("spec") or {}).get("hard") or {})
            ]
            teams[meta["name"]] = int(quota[0]) if quota else 0
    return teams


def _gpu_jobs(cluster: Cluster, *, init: bool) -> list[tuple[str, dict[str, Any]]]:
    job = pods.readme_job()
    submitted = []
    for ns, quota in _teams(cluster).items():
        for pool in cluster.gpu_pools:
            value = pool.labels.get(pods.POOL_LABEL)
            assert value, f"GPU pool {pool.name} has no {pods.POOL_LABEL} label for a job to select"
            pod = pods.in_namespace(pods.job_pod(job, pool=value, gpus=max(1, min(pool.gpus, quota))), ns)
            submitted.append((f"{ns} on {pool.name}", pods.with_init_container(pod) if init else pod))
    return submitted


def _problems(cluster: Cluster, submitted: list[tuple[str, dict[str, Any]]]) -> list[str]:
    assert submitted, "nothing to submit: no team namespace or no GPU pool"
    return [f"{what}: {p}" for what, pod in submitted for p in path.submit(cluster, pod)]


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_readme_gpu_job_runs_on_every_gpu_pool_for_every_team(planned: Any, stack: str, cloud: str) -> None:
    cluster = _cluster(planned, stack, cloud)
    problems = _problems(cluster, _gpu_jobs(cluster, init=False))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_cpu_only_pod_runs_in_every_team_namespace(planned: Any, stack: str, cloud: str) -> None:
    cluster = _cluster(planned, stack, cloud)
    problems = _problems(cluster, [(ns, pods.cpu_pod(ns)) for ns in _teams(cluster)])
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_gpu_job_with_an_init_container_runs_for_every_team(planned: Any, stack: str, cloud: str) -> None:
    cluster = _cluster(planned, stack, cloud)
    problems = _problems(cluster, _gpu_jobs(cluster, init=True))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_gpu_daemons_run_on_every_gpu_pool(planned: Any, stack: str, cloud: str) -> None:
    problems = path.daemons_on_gpu_pools(_cluster(planned, stack, cloud))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_add_on_controller_has_a_pool(planned: Any, stack: str, cloud: str) -> None:
    problems = path.controllers_have_a_pool(_cluster(planned, stack, cloud))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_add_on_pod_is_admitted_in_its_namespace(planned: Any, stack: str, cloud: str) -> None:
    problems = path.pods_admitted(_cluster(planned, stack, cloud))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_every_gpu_pool_advertises_gpus(planned: Any, stack: str, cloud: str) -> None:
    cluster = _cluster(planned, stack, cloud)
    problems = [f"{p.name}: {w}" for p in cluster.gpu_pools for w in path.gpu_enabled(cluster, p)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_a_claim_without_a_class_gets_an_encrypted_volume(planned: Any, stack: str, cloud: str) -> None:
    problems = access.default_storage_class(_cluster(planned, stack, cloud))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("stack", STACKS)
def test_team_members_get_into_their_namespace(planned: Any, stack: str, cloud: str) -> None:
    cluster = _cluster(planned, stack, cloud)
    teams = stack_document(stack)["config"].get("mlplat:teams") or []
    problems = [
        p
        for team in teams
        for member in team.get("members") or []
        for p in access.member_access(
            cluster, team["name"], member if isinstance(member, dict) else {"email": member}
        )
    ]
    assert problems == [], "\n".join(problems)


@pytest.fixture(scope="module")
def operator_dev(tmp_path_factory: pytest.TempPathFactory) -> dict[Any, Cluster]:
    """Dev with every GPU pool on the GPU operator: the other driver strategy's path, on all three clouds."""
    document = stack_document("dev")
    for cloud in CLOUDS:
        for pool in document["config"][f"mlplat:{cloud}"]["gpuPools"]:
            pool["driverStrategy"] = "gpu-operator"
    directory = tmp_path_factory.mktemp("operator")
    # A project of its own: the cluster stacks read the platform's settings from the project's stack file.
    (directory / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    for folder in ("infra", "policies", "clusters"):
        (directory / folder).symlink_to(ROOT / folder)
    write_stack(directory, "dev", document)
    config = load_stack_config(directory, "dev")
    settings = load_settings("dev", config.config, config.secret_keys)
    return clusters(plan_stack(directory, config, settings, run_policies=False))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_with_the_gpu_operator_every_pod_kind_runs_and_gpus_are_advertised(
    operator_dev: dict[Any, Cluster], cloud: str
) -> None:
    cluster = operator_dev[cloud]
    submitted = [
        *_gpu_jobs(cluster, init=False),
        *_gpu_jobs(cluster, init=True),
        *[(ns, pods.cpu_pod(ns)) for ns in _teams(cluster)],
    ]
    problems = [
        *_problems(cluster, submitted),
        *[f"{p.name}: {w}" for p in cluster.gpu_pools for w in path.gpu_enabled(cluster, p)],
        *path.daemons_on_gpu_pools(cluster),
        *path.controllers_have_a_pool(cluster),
        *path.pods_admitted(cluster),
    ]
    assert problems == [], "\n".join(problems)
