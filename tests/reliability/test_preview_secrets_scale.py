"""Unknown values, secrets and scale: a preview judges like an update, secrets never print, 10x plans."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mlplat.bench import scaled
from mlplat.engine.plan import plan_stack
from mlplat.engine.report import render_markdown, render_tree
from tests.conftest import ROOT, set_path, stack_document
from tests.reliability.stackfiles import settings_of, stack_config
from tests.reliability.strategies import StackFile
from tests.reliability.test_plan_properties import check_plan

WEBHOOK = "https://hooks.example.com/services/T0MLPLAT/B0ALERTS/k3ep-th1s-0ut-of-the-l0gs"


def verdicts(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(v["policy"], v["level"], v["urn"]) for v in report["policy"]["violations"]}


def _plan(stack: str, document: dict[str, Any], *, preview: bool = False) -> dict[str, Any]:
    return plan_stack(ROOT, stack_config(stack, document), settings_of(stack, document), preview=preview)


def weakened_prod() -> dict[str, Any]:
    """Prod with every protection its profile gives switched off through overrides."""
    doc = set_path(
        stack_document("prod"),
        "mlplat:profileOverrides",
        {
            "deletionProtection": False,
            "privateClusterEndpoint": False,
            "bucketVersioning": False,
            "forceDestroy": True,
        },
    )
    for cloud in ("aws", "gcp", "azure"):
        doc["config"][f"mlplat:{cloud}"].setdefault("kubernetes", {})["publicAccessCidrs"] = [
            "203.0.113.0/24"
        ]
    return doc


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_preview_with_unknown_outputs_judges_the_repository_stacks_like_an_update(
    stack: str, reports: dict[str, Any]
) -> None:
    proc, update = reports[stack]
    assert proc.returncode == 0, proc.stderr
    preview = _plan(stack, stack_document(stack), preview=True)
    assert "[unknown]" in json.dumps(preview["outputs"])  # computed outputs really are unknown
    assert verdicts(preview) == verdicts(update)


def test_known_bad_values_are_caught_in_preview_as_in_an_update() -> None:
    document = weakened_prod()
    preview = _plan("prod", document, preview=True)
    update = _plan("prod", document)
    assert verdicts(preview) == verdicts(update)
    mandatory = {policy for policy, level, _ in verdicts(preview) if level == "mandatory"}
    assert mandatory >= {
        "eks-cluster-deletion-protection",
        "eks-cluster-endpoint-private",
        "s3-bucket-versioning-enabled",
        "s3-bucket-force-destroy-disabled",
        "gke-deletion-protection",
        "gke-private-endpoint",
        "gcs-bucket-versioning-enabled",
        "gcp-data-stores-protected",
        "azure-aks-private-cluster",
        "azure-resources-protected",
    }


def test_secrets_are_masked_in_every_rendering_of_the_plan() -> None:
    stack = "dev"
    config = stack_config(stack, stack_document(stack))
    # What the engine hands the program after decrypting a `secure:` value: plain text, marked secret.
    config.config["mlplat:alertWebhookUrl"] = WEBHOOK
    secret_keys = config.secret_keys | {"mlplat:alertWebhookUrl"}
    config = type(config)(config.stack, config.path, config.config, secret_keys)
    from infra.settings import load_settings

    report = plan_stack(ROOT, config, load_settings(stack, config.config, config.secret_keys))
    subscription = next(
        r for r in report["resources"] if r["type"] == "aws:sns/topicSubscription:TopicSubscription"
    )
    assert subscription["inputs"]["endpoint"] == "[secret]"
    assert subscription["inputs"]["protocol"] == "https"
    kubeconfigs = {k: v for k, v in report["outputs"].items() if k.endswith("Kubeconfig")}
    assert kubeconfigs and set(kubeconfigs.values()) == {"[secret]"}
    for rendering in (json.dumps(report), render_tree(report), render_markdown(report)):
        assert "k3ep-th1s" not in rendering
        assert (
            "current-context" not in rendering and "certificate-authority-data" not in rendering
        )  # kubeconfigs


def test_ten_times_the_users_teams_and_gpu_pools_of_prod_plans_correctly() -> None:
    document = scaled(stack_document("prod"), 10)
    report = _plan("prod", document)
    file = StackFile(stack="prod", profile="prod", document=document)
    check_plan(file, settings_of("prod", document), report)
    assert report["summary"]["mandatoryViolations"] == 0
    namespaces = [r for r in report["resources"] if r["type"] == "kubernetes:core/v1:Namespace"]
    teams = len(document["config"]["mlplat:teams"])
    assert teams == 20
    assert len([n for n in namespaces if n["inputs"]["metadata"]["name"].startswith("team-")]) == 3 * teams
