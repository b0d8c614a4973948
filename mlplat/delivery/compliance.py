"""A plan measured against the published benchmarks: the control map (policies/controls.py) joined with the
plan report's policy verdicts, as text, markdown, JSON and docs/compliance.md.

A control is *failing* when any rule implementing it reports a violation anywhere in the plan (the platform
stack or a cluster stack), at any level; *passing* when it is covered and none does; otherwise *not
applicable* (with the reason) or a *gap* (with the reason it is left). A benchmark whose cloud has no
resource in the plan is *not measured*: its rules had nothing to judge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from policies.controls import BENCHMARKS, CONTROLS_LIST, IMPLEMENTED_BY, Benchmark, Control, status
from policies.pack import POLICIES as _POLICIES  # noqa: F401  (importing the rules fills IMPLEMENTED_BY)

PASSING, FAILING, NOT_APPLICABLE, GAP = "passing", "failing", "not applicable", "gap"
STATES: Final = (PASSING, FAILING, NOT_APPLICABLE, GAP)


@dataclass(frozen=True)
class ControlVerdict:
    control: Control
    state: str
    rules: tuple[str, ...] = ()
    reason: str = ""
    violations: tuple[dict[str, str], ...] = ()

    @property
    def mandatory(self) -> bool:
        return any(v["level"] == "mandatory" for v in self.violations)


@dataclass(frozen=True)
class BenchmarkVerdict:
    benchmark: Benchmark
    measured: bool  # the plan holds resources of the benchmark's cloud
    controls: list[ControlVerdict] = field(default_factory=list[ControlVerdict])

    def count(self, state: str) -> int:
        return sum(1 for c in self.controls if c.state == state)

    @property
    def covered(self) -> int:
        return self.count(PASSING) + self.count(FAILING)

    def summary(self) -> dict[str, int]:
        return {
            "controls": len(self.controls),
            "covered": self.covered,
            "passing": self.count(PASSING),
            "failing": self.count(FAILING),
            "notApplicable": self.count(NOT_APPLICABLE),
            "gaps": self.count(GAP),
        }


def _judge(control: Control, by_rule: dict[str, list[dict[str, str]]]) -> ControlVerdict:
    rules = tuple(IMPLEMENTED_BY.get(control.key, ()))
    match status(control):
        case "covered":
            found = tuple(v for rule in rules for v in by_rule.get(rule, ()))
            return ControlVerdict(control, FAILING if found else PASSING, rules, violations=found)
        case "not applicable":
            return ControlVerdict(control, NOT_APPLICABLE, reason=control.not_applicable or "")
        case _:
            return ControlVerdict(control, GAP, reason=control.gap or "unmapped")


def measure(report: dict[str, Any]) -> list[BenchmarkVerdict]:
    """Every benchmark of the catalogue, each control judged by the plan report's policy violations."""
    by_rule: dict[str, list[dict[str, str]]] = {}
    for v in report["policy"]["violations"]:
        by_rule.setdefault(v["policy"], []).append(v)
    clouds = {r["type"].split(":", 1)[0] for r in report["resources"]}
    verdicts = []
    for benchmark in BENCHMARKS.values():
        controls = [_judge(c, by_rule) for c in CONTROLS_LIST if c.benchmark == benchmark.key]
        verdicts.append(BenchmarkVerdict(benchmark, benchmark.cloud in clouds, controls))
    return verdicts


def failed_mandatory(verdicts: Iterable[BenchmarkVerdict]) -> int:
    """Controls failed by a mandatory violation (what makes `mlplat compliance` exit 1)."""
    return sum(1 for b in verdicts if b.measured for c in b.controls if c.state == FAILING and c.mandatory)


def where(urn: str) -> str:
    """`urn:pulumi:prod-eks::mlplat-clusters::a$b::name` -> `prod-eks: b name`."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    stack = parts[0].rsplit(":", 1)[-1]
    return f"{stack}: {parts[2].rsplit('$', 1)[-1]} {parts[-1]}"


def _headline(b: BenchmarkVerdict) -> str:
    s = b.summary()
    if not b.measured:
        return f"{s['controls']} controls, not measured: the plan has no {b.benchmark.cloud} resources"
    return (
        f"{s['controls']} controls: {s['covered']} covered ({s['passing']} passing, {s['failing']} failing), "
        f"{s['notApplicable']} not applicable, {s['gaps']} gaps"
    )


def _violation_line(v: dict[str, str]) -> str:
    message = " ".join(v["message"].split())
    return f"{v['level']} `{v['policy']}` on {where(v['urn'])}: {message}"


def render_text(stack: str, verdicts: list[BenchmarkVerdict]) -> str:
    lines = [
        f"Compliance of {stack}, per benchmark (policies/controls.py; docs/compliance.md lists every control)"
    ]
    for b in verdicts:
        lines += [
            "",
            f"{b.benchmark.title} {b.benchmark.version.split(',')[0]} [{b.benchmark.key}]",
            f"  {_headline(b)}",
        ]
        if not b.measured:
            continue
        for c in b.controls:
            if c.state == FAILING:
                lines.append(f"  FAIL {c.control.id} {c.control.title}")
                lines += [f"       {_violation_line(v)}" for v in c.violations]
        for c in b.controls:
            if c.state == GAP:
                lines.append(f"  GAP  {c.control.id} {c.control.title}: {c.reason}")
    failed = failed_mandatory(verdicts)
    lines += [
        "",
        f"{failed} controls failed by a mandatory violation"
        if failed
        else "No control fails a mandatory rule.",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(stack: str, verdicts: list[BenchmarkVerdict]) -> str:
    failed = failed_mandatory(verdicts)
    failing = sum(b.count(FAILING) for b in verdicts if b.measured)
    verdict = "❌ controls fail" if failed else ("⚠️ controls warn" if failing else "✅ covered controls pass")
    lines = [
        f"### Compliance of `{stack}`: {verdict}",
        "",
        "| Benchmark | Controls | Covered | Passing | Failing | Not applicable | Gaps |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in verdicts:
        s = b.summary()
        name = f"{b.benchmark.title} {b.benchmark.version.split(',')[0]}"
        if not b.measured:
            lines.append(
                f"| {name} | {s['controls']} | not measured (no {b.benchmark.cloud} resources) | | | | |"
            )
            continue
        lines.append(
            f"| {name} | {s['controls']} | {s['covered']} | {s['passing']} | {s['failing']} | "
            f"{s['notApplicable']} | {s['gaps']} |"
        )
    rows = [
        f"| {b.benchmark.key} {c.control.id} | {_cell(c.control.title)} | {v['level']} | `{v['policy']}` | "
        f"`{where(v['urn'])}` | {_cell(v['message'])} |"
        for b in verdicts
        if b.measured
        for c in b.controls
        if c.state == FAILING
        for v in c.violations
    ]
    if rows:
        lines += [
            "",
            "| Control | Title | Level | Rule | Resource | Message |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    gaps = [
        f"- {b.benchmark.key} {c.control.id} {_cell(c.control.title)}: {_cell(c.reason)}"
        for b in verdicts
        if b.measured
        for c in b.controls
        if c.state == GAP
    ]
    if gaps:
        lines += ["", f"<details><summary>{len(gaps)} open gaps</summary>", "", *gaps, "", "</details>"]
    return "\n".join(lines)


def to_json(stack: str, verdicts: list[BenchmarkVerdict]) -> dict[str, Any]:
    return {
        "stack": stack,
        "benchmarks": [
            {
                "key": b.benchmark.key,
                "title": b.benchmark.title,
                "version": b.benchmark.version,
                "source": b.benchmark.source,
                "measured": b.measured,
                "summary": b.summary(),
                "controls": [
                    {
                        "id": c.control.id,
                        "title": c.control.title,
                        "status": c.state if b.measured else "not measured",
                        "rules": list(c.rules),
                        "reason": c.reason or None,
                        "violations": list(c.violations),
                    }
                    for c in b.controls
                ],
            }
            for b in verdicts
        ],
        "summary": {
            "controls": sum(len(b.controls) for b in verdicts),
            "failingMandatory": failed_mandatory(verdicts),
            "failing": sum(b.count(FAILING) for b in verdicts if b.measured),
            "gaps": sum(b.count(GAP) for b in verdicts),
        },
    }


DOCS_STACK: Final = "prod"


def render_docs(report: dict[str, Any]) -> str:
    """docs/compliance.md: every benchmark's controls, the rules enforcing each (or why none), prod's verdict."""
    verdicts = measure(report)
    lines = [
        "# Compliance: the guardrails measured against published benchmarks",
        "",
        "<!-- Generated by `mlplat compliance-docs --write` from policies/controls.py, the rules' `implements`",
        "     declarations and the prod plan; a test keeps it current. -->",
        "",
        "Every control of the benchmarks below is *covered* by the rules that implement it (declared with",
        "`implements` beside each rule in `policies/`), *not applicable* to what the platform creates (with the",
        "reason), or an open *gap* (with the reason it is left). The verdict column is `mlplat compliance prod`:",
        "a covered control *fails* when any of its rules reports a violation anywhere in the prod plan (the",
        "platform stack or a cluster stack), at any level. Run `mlplat compliance STACK` for any stack (text,",
        "`--markdown`, `--json`); it exits 1 when a mandatory violation fails a control.",
        "",
        "| Benchmark | Version | Controls | Covered | Not applicable | Gaps | prod |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in verdicts:
        s = b.summary()
        prod = f"{s['passing']} passing, {s['failing']} failing" if b.measured else "not measured"
        lines.append(
            f"| {b.benchmark.title} | {_cell(b.benchmark.version)} | {s['controls']} | {s['covered']} | "
            f"{s['notApplicable']} | {s['gaps']} | {prod} |"
        )
    for b in verdicts:
        lines += [
            "",
            f"## {b.benchmark.title}",
            "",
            f"{_cell(b.benchmark.version)}. Ids and titles from {b.benchmark.source}.",
            "",
            "| Control | Title | Enforced by, or why not | prod |",
            "| --- | --- | --- | --- |",
        ]
        for c in b.controls:
            if c.rules:
                how = ", ".join(f"`{r}`" for r in c.rules)
            elif c.state == NOT_APPLICABLE:
                how = f"n/a: {c.reason}"
            else:
                how = f"**gap**: {c.reason}"
            verdict = c.state if b.measured else "not measured"
            if c.state == FAILING:
                verdict += " (" + ", ".join(sorted({v["level"] for v in c.violations})) + ")"
            lines.append(f"| {c.control.id} | {_cell(c.control.title)} | {_cell(how)} | {verdict} |")
    return "\n".join(lines) + "\n"
