"""Every Kubernetes object the program registers is one the API server accepts: built-in kinds against the
Kubernetes OpenAPI schema of the stack's pinned version (kubernetes-validate, strict: unknown fields are
errors), Kueue kinds against the Kueue API of the pinned chart."""

from __future__ import annotations

import subprocess
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.conftest import stack_document
from tests.jobpath.kueue_api import KUEUE_CHART_VERSION, SCHEMAS

NOT_OBJECTS = ("kubernetes:helm.sh/v3:Release",)  # a Helm release, not an object in the cluster
Reports = dict[str, tuple[subprocess.CompletedProcess[str], dict[str, Any]]]


def _objects(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r for r in report["resources"] if r["type"].startswith("kubernetes:") and r["type"] not in NOT_OBJECTS
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_builtin_object_matches_the_pinned_kubernetes_schema(reports: Reports, stack: str) -> None:
    # Each cloud pins its own version; every cluster gets the same objects, so each must pass them all.
    versions = sorted(set(stack_document(stack)["config"]["mlplat:versions"]["kubernetes"].values()))
    assert versions
    problems = []
    checked = 0
    for r in _objects(reports[stack][1]):
        if r["type"].split(":")[1].startswith("kueue.x-k8s.io/"):
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(r["inputs"], version, strict=True)
                checked += 1
            except kubernetes_validate.ValidationError as error:
                problems.append(
                    f"{r['name']} ({version}): {error.message} at {'.'.join(map(str, error.path))}"
                )
    assert checked, "no Kubernetes object to check"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kueue_object_matches_the_kueue_api_of_the_pinned_chart(reports: Reports, stack: str) -> None:
    assert stack_document(stack)["config"]["mlplat:versions"]["charts"]["kueue"] == KUEUE_CHART_VERSION, (
        "the Kueue chart moved: re-read its CRDs into tests/jobpath/kueue_api.py"
    )
    problems = []
    kinds = set()
    for r in _objects(reports[stack][1]):
        if not r["type"].split(":")[1].startswith("kueue.x-k8s.io/"):
            continue
        kind = r["inputs"]["kind"]
        kinds.add(kind)
        schema = SCHEMAS.get(kind)
        if schema is None:
            problems.append(f"{r['name']}: no schema for Kueue kind {kind}")
            continue
        for error in jsonschema.Draft202012Validator(schema).iter_errors(r["inputs"]):
            problems.append(f"{r['name']}: {error.message} at {'.'.join(map(str, error.absolute_path))}")
    assert kinds == {"ResourceFlavor", "ClusterQueue", "LocalQueue"}
    assert problems == [], "\n".join(problems)


def test_the_kueue_schema_refuses_what_the_api_server_would() -> None:
    flavor = {
        "apiVersion": "kueue.x-k8s.io/v1beta1",
        "kind": "ResourceFlavor",
        "metadata": {"name": "t4"},
        "spec": {
            "tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "value": "present", "effect": "NoSchedule"}
            ]
        },
    }
    assert list(jsonschema.Draft202012Validator(SCHEMAS["ResourceFlavor"]).iter_errors(flavor))
    flavor["spec"] = {"nodeLabel": {"a": "b"}}
    assert list(jsonschema.Draft202012Validator(SCHEMAS["ResourceFlavor"]).iter_errors(flavor))


def test_kubernetes_validate_refuses_an_unknown_field() -> None:
    bad = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "x"}, "spec": {"limit": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, "1.33", strict=True)
