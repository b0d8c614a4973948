"""The repository's stacks run whole, in-process, once per session, with the constraints' verdict."""

from __future__ import annotations

from functools import cache

from mlplat.engine.constraints import Finding, check_run
from mlplat.engine.program import ProgramRun, run_program
from mlplat.engine.stackfile import load_stack_config
from tests.conftest import ROOT
from tests.plans import Plan


@cache
def stack_plan(stack: str) -> Plan:
    return Plan(run_program(ROOT, load_stack_config(ROOT, stack)))


def findings(run: ProgramRun, rule: str) -> list[Finding]:
    return [f for f in check_run(run) if f.rule == rule]
