"""Kubernetes versions: the calendars, the stacks' pins, the guardrail's levels, and who holds GKE's free credit.

The guardrail's own verdicts (policies/versions.py) are tested in tests/policies/test_kubernetes_rules.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from infra.settings import StackSettings, load_settings
from mlplat.engine import versions
from mlplat.engine.plan import holds_gke_credit
from mlplat.engine.stackfile import load_stack_config
from policies import versions as pack_versions
from policies.versions import kubernetes_version_in_standard_support as rule
from tests.conftest import ROOT, stack_document, write_stack

STACKS = ("dev", "prod")
CLOUDS = ("aws", "gcp", "azure")


def test_the_pack_keeps_the_same_standard_support_dates_as_the_program() -> None:
    program = {c: {v: s.standard_ends for v, s in versions.calendar(c).items()} for c in versions.clouds()}
    assert program == pack_versions.STANDARD_SUPPORT_ENDS
    assert versions.warn_days() == pack_versions.WARN_DAYS


def test_calendar_dates_are_the_providers_published_ones() -> None:
    # EKS release calendar: 1.34 standard support ends 2026-12-02, 1.35 on 2027-03-27.
    assert versions.calendar("aws")["1.34"].standard_ends == dt.date(2026, 12, 2)
    assert versions.calendar("aws")["1.35"].extended_ends == dt.date(2028, 3, 27)
    # AKS calendar: "Mar 2027" end of life means March 31, 2027; LTS ends a year later.
    assert versions.calendar("azure")["1.35"].standard_ends == dt.date(2027, 3, 31)
    assert versions.calendar("azure")["1.35"].extended_ends == dt.date(2028, 3, 31)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_stack_pins_a_version_in_standard_support_for_the_warning_window(
    stack: str, cloud: str
) -> None:
    pinned = stack_document(stack)["config"]["mlplat:versions"]["kubernetes"][cloud]
    state, support = versions.status(cloud, pinned, dt.date.today())
    assert state == "standard", (
        f"Pulumi.{stack}.yaml: mlplat:versions.kubernetes.{cloud}: {pinned} is {state}"
        + (f" (standard support ends {support.standard_ends})" if support else " (not in the calendar)")
    )


def test_prod_is_promoted_the_same_kubernetes_versions_as_dev() -> None:
    dev, prod = (stack_document(s)["config"]["mlplat:versions"]["kubernetes"] for s in STACKS)
    assert dev == prod


# --- the guardrail ---------------------------------------------------------------------------------------


def test_the_rule_is_mandatory_in_prod_and_advisory_in_dev() -> None:
    levels = {s: json.loads((ROOT / "policies" / "config" / f"{s}.json").read_text()) for s in STACKS}
    assert levels["prod"][rule.name] == "mandatory" and levels["dev"][rule.name] == "advisory"
    assert rule.enforcement_level == EnforcementLevel.MANDATORY


# --- GKE's free credit: once per billing account ---------------------------------------------------------


def _load(tmp_path: Path, stack: str, document: dict[str, Any]) -> StackSettings:
    write_stack(tmp_path, stack, document)
    config = load_stack_config(tmp_path, stack)
    return load_settings(stack, config.config, config.secret_keys)


def test_the_repositorys_dev_stack_holds_the_gke_credit_its_billing_account_shares_with_prod() -> None:
    config = load_stack_config(ROOT, "dev")
    assert holds_gke_credit(ROOT, load_settings("dev", config.config, config.secret_keys))


def test_a_second_zonal_cluster_on_the_same_billing_account_gets_no_credit(tmp_path: Path) -> None:
    dev = stack_document("dev")
    prod = stack_document("prod")
    prod["config"]["mlplat:profileOverrides"] = {"zonalCluster": True}
    dev_settings = _load(tmp_path, "dev", dev)
    prod_settings = _load(tmp_path, "prod", prod)
    assert holds_gke_credit(tmp_path, dev_settings)
    assert not holds_gke_credit(tmp_path, prod_settings)


def test_the_readme_version_table_is_current() -> None:
    from mlplat.delivery import version_policy

    expected = version_policy.render(version_policy.pinned(ROOT))
    assert version_policy.current_block((ROOT / "README.md").read_text()) == expected, (
        "run `mlplat cost-table --write`"
    )


def test_a_cloud_with_a_cluster_and_no_version_is_refused(load_changed: Callable[..., StackSettings]) -> None:
    from infra.settings import SettingsError

    with pytest.raises(SettingsError) as raised:
        load_changed("dev", {"mlplat:versions.kubernetes": {"aws": "1.35", "azure": "1.35"}})
    assert str(raised.value) == (
        'Pulumi.dev.yaml: mlplat:versions.kubernetes.gcp: required while mlplat:gcp runs a cluster, e.g. "1.35" '
        "(quote it)"
    )
