"""`mlplat diff` says what a change replaces and what the replacement drags along.

From each type's documented replace-on-change inputs (mlplat/data/replace_on_change.yaml, shared with the
e2e suite's stand-in providers) and the dependencies the program registers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.settings import load_settings
from mlplat.delivery.diff import diff_reports, render_markdown, render_text
from mlplat.engine.plan import plan_stack
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT, write_stack
from tests.lifecycle.plans import document


def report(directory: Path, stack: str, changes: dict[str, Any]) -> dict[str, Any]:
    write_stack(directory, stack, document(stack, changes))
    config = load_stack_config(directory, stack)
    return plan_stack(
        ROOT, config, load_settings(stack, config.config, config.secret_keys), run_policies=False
    )


def test_a_new_vpc_cidr_replaces_the_vpc_its_subnets_and_what_sits_on_them(tmp_path: Path) -> None:
    base = report(tmp_path, "dev", {})
    head = report(tmp_path, "dev", {"mlplat:aws.network.cidr": "10.12.0.0/16"})
    d = diff_reports(base, head, stack="dev", base_label="main", head_label="work")
    by_name = {c.name: c for c in d.changes}
    vpc = by_name["mlplat-dev-net-vpc"]
    assert (vpc.kind, vpc.replaces) == ("replace", ["cidrBlock"])
    subnets = [c for c in d.changes if c.type == "aws:ec2/subnet:Subnet"]
    assert subnets and all(c.kind == "replace" for c in subnets)
    assert all({"cidrBlock", "vpcId <- mlplat-dev-net-vpc"} <= set(c.replaces) for c in subnets)
    # Dragged along: what takes a replaced subnet or the VPC as a replacing input is replaced too.
    dragged = [c for c in d.changes if c.because and not c.keys]
    assert dragged and {c.type for c in dragged} >= {"aws:ec2/routeTableAssociation:RouteTableAssociation"}
    # The "5 to change": now the VPC, 4 subnets, their route table associations, the NAT gateway,
    # the node groups, endpoint and security groups are replaced; the rest follow the new ids in place.
    assert d.counts()["replace"] >= 15
    text = render_text(d)
    assert (
        "+- " in text and "[replace: cidrBlock]" in text and "depends on replaced mlplat-dev-net-vpc" in text
    )
    assert "to replace" in render_markdown(d)


def test_a_pool_limit_changes_in_place(tmp_path: Path) -> None:
    base = report(tmp_path, "dev", {})
    head = report(tmp_path, "dev", {"mlplat:aws.gpuPools.0.maxNodes": 3})
    d = diff_reports(base, head, stack="dev", base_label="main", head_label="work")
    assert d.counts()["replace"] == 0
    assert [c.kind for c in d.changes if c.type == "aws:eks/nodeGroup:NodeGroup"] == ["change"]
