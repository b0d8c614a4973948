"""A deploy unit is a whole stack: the platform per environment, and one stack per cluster.

DESIGN "Deploying for real": the engine analyses, locks and evaluates a whole stack whatever
`--target`/`--exclude` say, so the platform (cloud resources) and each cluster's in-cluster layer are
separate stacks joined by a StackReference, and no resource's inputs depend on who runs the program.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from infra.clusters import cluster_stacks, parse_cluster_stack
from infra.settings import SettingsError, load_settings
from mlplat.engine.fakes import MockContext
from mlplat.engine.mocks import PlatformMocks, RecordingMonitor
from mlplat.engine.plan import plan_stack
from mlplat.engine.program import run_program
from mlplat.engine.report import struct_to_dict
from mlplat.engine.stackfile import load_stack_config

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "prod")


def _yaml(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text()) or {}


def _report(stack: str) -> dict[str, Any]:
    config = load_stack_config(ROOT, stack)
    return plan_stack(
        ROOT, config, load_settings(stack, config.config, config.secret_keys), run_policies=False
    )


@pytest.mark.parametrize("stack", STACKS)
def test_each_cluster_has_a_stack_file_that_follows_its_platform_stack(stack: str) -> None:
    config = load_stack_config(ROOT, stack)
    settings = load_settings(stack, config.config, config.secret_keys)
    expected = {f"{stack}-eks", f"{stack}-gke", f"{stack}-aks"}  # the repository's stacks run all three
    assert {name for name, _ in cluster_stacks(settings)} == expected
    platform = _yaml(ROOT / f"Pulumi.{stack}.yaml")
    for name in expected:
        document = _yaml(ROOT / "clusters" / f"Pulumi.{name}.yaml")
        assert document["config"] == {"mlplat-clusters:platform": stack}
        # Its secrets live with the platform's: one state key per environment.
        assert document["secretsprovider"] == platform["secretsprovider"]


def test_the_clusters_project_runs_in_the_projects_virtualenv() -> None:
    project = _yaml(ROOT / "clusters" / "Pulumi.yaml")
    assert project["name"] == "mlplat-clusters"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../.venv"}}
    # One backend for both projects: `--cwd clusters` reads only this file, and the StackReference finds
    # the platform's state only in the backend the platform uses (without a pin the CLI would try Pulumi Cloud).
    assert project["backend"] == _yaml(ROOT / "Pulumi.yaml")["backend"]
    assert (ROOT / "clusters" / "__main__.py").is_file()


@pytest.mark.parametrize("stack", STACKS)
def test_the_platform_stack_holds_no_in_cluster_object_and_each_cluster_stack_only_those(stack: str) -> None:
    report = _report(stack)
    by_stack: dict[str, set[str]] = {}
    for resource in report["resources"]:
        _, _, rest = resource["urn"].partition("urn:pulumi:")
        name, project = rest.split("::")[:2]
        package, module = resource["type"].split(":")[:2]
        # Components are the project's own types: mlplat:<cloud or kubernetes>:<Name>.
        by_stack.setdefault(f"{project}/{name}", set()).add(module if package == "mlplat" else package)
    assert set(by_stack) == {
        f"mlplat/{stack}",
        f"mlplat-clusters/{stack}-eks",
        f"mlplat-clusters/{stack}-gke",
        f"mlplat-clusters/{stack}-aks",
    }
    assert by_stack[f"mlplat/{stack}"].isdisjoint({"kubernetes"})
    for name in ("eks", "gke", "aks"):
        packages = by_stack[f"mlplat-clusters/{stack}-{name}"]
        # The AKS stack reads its kubeconfig with azure-native's credentials invoke (a default provider).
        assert packages <= {"kubernetes", "pulumi"}, packages
        assert "kubernetes" in packages


def _inputs_run_by(stack: str, caller: str) -> dict[str, Any]:
    config = load_stack_config(ROOT, stack)
    context = dataclasses.replace(MockContext.from_config(dict(config.config)), caller=caller)
    run = run_program(ROOT, config, monitor=RecordingMonitor(PlatformMocks(context)))
    return {r.urn: struct_to_dict(r.inputs) for r in run.resources}


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_input_depends_on_who_runs_the_program(stack: str) -> None:
    # The previewer and the deployer are different identities in one account or subscription: a
    # resource built from the caller's identity shows as replaced in every preview the other runs.
    previewer = _inputs_run_by(stack, f"mlplat-{stack}-previewer")
    deployer = _inputs_run_by(stack, f"mlplat-{stack}-deployer")
    assert previewer.keys() == deployer.keys()
    differing = sorted(urn for urn in previewer if previewer[urn] != deployer[urn])
    assert differing == []


def test_the_eks_cluster_deployer_is_the_role_bootstrap_names_for_the_cluster_stack() -> None:
    report = _report("dev")
    entries = [r for r in report["resources"] if r["type"] == "aws:eks/accessEntry:AccessEntry"]
    deployer = [e for e in entries if e["name"].endswith("-deployer")]
    # README "One-time setup": the cluster stack dev-eks deploys as role mlplat-dev-eks-deployer.
    assert [e["inputs"]["principalArn"] for e in deployer] == [
        "arn:aws:iam::123456789012:role/mlplat-dev-eks-deployer"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("dev-eks", ("dev", "aws")), ("prod-gke", ("prod", "gcp")), ("staging-2-aks", ("staging-2", "azure"))],
)
def test_a_cluster_stack_name_says_its_platform_stack_and_cloud(name: str, expected: tuple[str, str]) -> None:
    assert parse_cluster_stack(name) == expected


@pytest.mark.parametrize("name", ["dev", "dev-k8s", "-eks"])
def test_a_cluster_stack_named_otherwise_is_refused_in_one_line_naming_its_file(name: str) -> None:
    with pytest.raises(SettingsError) as raised:
        parse_cluster_stack(name)
    assert str(raised.value).splitlines() == [
        f"clusters/Pulumi.{name}.yaml: stack: a cluster stack is named <platform stack>-eks, -gke or -aks, "
        f"got {name!r}"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_the_principals_the_platform_names_are_the_ones_bootstrap_creates(stack: str) -> None:
    """The program and `mlplat bootstrap aws` agree on names without sharing a constant (each owns its side)."""
    from mlplat.ops.identities import boundary_name
    from mlplat.ops.pipeline import aws_role_arn, cluster_deployer

    resources = _report(stack)["resources"]
    account = "123456789012"  # the offline engine's account (getCallerIdentity)
    (entry,) = [
        r
        for r in resources
        if r["type"] == "aws:eks/accessEntry:AccessEntry" and r["name"].endswith("-eks-deployer")
    ]
    assert entry["inputs"]["principalArn"] == aws_role_arn(account, cluster_deployer(stack, "aws"))
    # The deployer may create roles only with the boundary bootstrap made, so every role carries it.
    roles = [r for r in resources if r["type"] == "aws:iam/role:Role"]
    boundary = f"arn:aws:iam::{account}:policy/{boundary_name(stack)}"
    assert roles and {r["name"]: r["inputs"].get("permissionsBoundary") for r in roles} == {
        r["name"]: boundary for r in roles
    }
