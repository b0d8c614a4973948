"""The repository's stacks, AWS part only, built under the recording mocks (shared by AWS component and policy tests)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from components.common.tags import platform_tags
from infra.aws import build_aws
from infra.settings import StackSettings, load_settings
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT
from tests.plans import Plan, record

_OTHER_CLOUDS = ("gcp:", "mlplat:gcp", "azure-native:", "mlplat:azure")


def aws_settings(stack: str, changes: dict[str, Any] | None = None) -> StackSettings:
    """The repository's stack file without the other clouds (their builders have their own tests)."""
    loaded = load_stack_config(ROOT, stack)
    config = {k: v for k, v in loaded.config.items() if not k.startswith(_OTHER_CLOUDS)}
    budget = json.loads(config["mlplat:budget"])
    budget["perCloud"] = {c: v for c, v in budget.get("perCloud", {}).items() if c == "aws"}
    config["mlplat:budget"] = json.dumps(budget)
    config.update(changes or {})
    return load_settings(stack, config, {k for k in loaded.secret_keys if k in config})


def build(stack: StackSettings) -> Plan:
    """Run infra/aws.py for `stack` the way infra/platform.py does."""
    s = stack.settings
    assert s.aws is not None
    tags = platform_tags(
        environment=s.environment, owner=s.owner, cost_center=s.cost_center, stack=stack.stack, extra=s.tags
    )
    aws = s.aws
    return record(lambda: build_aws(stack, aws, tags), stack=stack.stack)


@cache
def repository_plan(stack: str) -> Plan:
    """The AWS part of Pulumi.<stack>.yaml, built once per test session and shared (tests only read it)."""
    return build(aws_settings(stack))
