"""The plan report: the JSON contract (DESIGN.md), a preview-like tree, and a PR-comment body."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format, struct_pb2

from mlplat.engine.analyzer import PolicyReport, Violation
from mlplat.engine.constraints.common import Finding
from mlplat.engine.cost import CostEstimate
from mlplat.engine.recording import RecordedResource

SECRET_SIG = "4dabf18193072939515e22adb298388d"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASK = "[secret]"


def plain(value: Any) -> Any:
    """Engine wire values -> report values: secrets masked, unknowns marked, whole floats as ints."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return MASK
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return plain(json_format.MessageToDict(struct))


def display_type(token: str) -> str:
    """'aws:ec2/vpc:Vpc' -> 'aws:ec2:Vpc', as `pulumi preview` prints it."""
    package, module, name = ([*token.split(":"), "", ""])[:3]
    return f"{package}:{module.split('/')[0]}:{name}" if name else token


def build_report(
    *,
    project: str,
    stack: str,
    resources: Sequence[RecordedResource],
    policy: PolicyReport | None,
    cost: CostEstimate,
    outputs: dict[str, Any],
    warnings: Sequence[str] = (),
    constraints: tuple[int, Sequence[Finding]] = (0, ()),
) -> dict[str, Any]:
    violations = policy.violations if policy else []
    idle, peak = cost.total()
    return {
        "project": project,
        "stack": stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "custom": r.custom,
                "protect": r.protect,
                # `<provider urn>::<id>`, the program's or the package's default provider (None: component).
                "provider": r.provider or None,
                # What the engine deploys: the program's inputs after any remediation.
                "inputs": struct_to_dict(policy.inputs(r) if policy else r.inputs),
                # What the resource waits for, and through which input: `mlplat diff` follows a
                # replacement to what it drags along.
                "dependencies": sorted(set(r.dependencies)),
                "propertyDependencies": {
                    k: sorted(v) for k, v in sorted(r.property_dependencies.items()) if v
                },
            }
            for r in ordered(resources)
        ],
        "policy": {
            "pack": policy.pack if policy else None,
            "version": policy.version if policy else None,
            "violations": [
                {"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message} for v in violations
            ],
            # Rules at the `remediate` level that rewrote a resource, with each property they changed.
            "remediations": [
                {"policy": m.policy, "urn": m.urn, "changes": _changes(m.before, m.after)}
                for m in (policy.remediations if policy else [])
            ],
        },
        "cost": {
            "currency": cost.currency,
            "idleMonthly": idle,
            "peakMonthly": peak,
            "byCloud": {
                c: dict(zip(("idleMonthly", "peakMonthly"), cost.total(c), strict=True)) for c in cost.clouds
            },
            "byComponent": {
                name: {"idleMonthly": idle, "peakMonthly": peak}
                for name, (idle, peak) in cost.by_component().items()
            },
            "items": [
                {
                    "urn": i.urn,
                    "type": i.type,
                    "name": i.name,
                    "component": i.component,
                    "idleMonthly": i.idle_monthly,
                    "peakMonthly": i.peak_monthly,
                    "basis": i.basis,
                    "verifiedPrice": i.verified,
                    # What the figure rests on: each catalog entry with the page it was read from, and when.
                    "prices": [
                        {
                            "key": p.key,
                            "price": p.price,
                            "unit": p.unit,
                            "source": p.source,
                            "read": p.read,
                            "verified": p.verified,
                        }
                        for p in i.prices
                    ],
                }
                for i in cost.items
            ],
            "notEstimated": [{"urn": n.urn, "type": n.type, "reason": n.reason} for n in cost.not_estimated],
        },
        "constraints": {"rules": constraints[0], "violations": [f.as_dict() for f in constraints[1]]},
        "outputs": outputs,
        "warnings": list(warnings),
        "summary": {
            "resources": len(resources),
            "mandatoryViolations": sum(v.level == "mandatory" for v in violations),
            "advisoryViolations": sum(v.level == "advisory" for v in violations),
            "constraintViolations": len(constraints[1]),
        },
    }


def _changes(before: struct_pb2.Struct, after: struct_pb2.Struct) -> dict[str, dict[str, Any]]:
    """Each top-level property a remediation changed: {"before": ..., "after": ...} (None: absent)."""
    old, new = struct_to_dict(before), struct_to_dict(after)
    return {
        key: {"before": old.get(key), "after": new.get(key)}
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    }


def ordered(resources: Sequence[RecordedResource]) -> list[RecordedResource]:
    """Depth-first by parent, siblings by type then name: stable whatever order registrations arrived in."""
    children: dict[str, list[RecordedResource]] = defaultdict(list)
    urns = {r.urn for r in resources}
    for r in resources:
        children[r.parent if r.parent in urns else ""].append(r)
    out: list[RecordedResource] = []

    def walk(parent: str) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            out.append(r)
            walk(r.urn)

    walk("")
    return out


def render_tree(report: dict[str, Any]) -> str:
    """A `pulumi preview`-like tree, the policy verdicts, the cost and a summary line."""
    rows = _tree_rows(report["resources"])
    type_width = max((len(t) for t, _, _ in rows), default=4)
    name_width = max((len(n) for _, n, _ in rows), default=4)
    lines = [f"Previewing update ({report['stack']}), offline:", ""]
    lines.append(f"     {'Type'.ljust(type_width)}  {'Name'.ljust(name_width)}  Plan")
    for type_, name, info in rows:
        lines.append(f" +   {type_.ljust(type_width)}  {name.ljust(name_width)}  create{info}")
    lines += ["", *_constraint_lines(report), "", *_policy_lines(report), "", *_cost_lines(report)]
    if report["outputs"]:
        lines += ["", "Outputs:"]
        width = max(len(k) for k in report["outputs"])
        lines += [f"    {k.ljust(width)}: {_short(v)}" for k, v in sorted(report["outputs"].items())]
    for warning in report["warnings"]:
        lines.append(f"warning: {warning}")
    s = report["summary"]
    lines += [
        "",
        "Resources:",
        f"    + {s['resources']} to create",
        "",
        f"Constraints: {s['constraintViolations']} violation(s) of what the clouds accept",
        f"Policies: {s['mandatoryViolations']} mandatory, {s['advisoryViolations']} advisory violation(s)",
    ]
    return "\n".join(lines)


def _constraint_lines(report: dict[str, Any]) -> list[str]:
    found = report["constraints"]["violations"]
    lines = [
        f"Constraints: {'❌' if found else '✅'} {report['constraints']['rules']} rules (docs/constraints.md)"
    ]
    for f in found:
        lines.append(f"    - {f['rule']}  ({display_type(f['type'])}: {f['name']})")
        lines.append(f"      {f['message']}")
        lines.append(f"      source: {f['source']}")
    return lines


def _tree_rows(resources: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    by_parent: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for r in resources:
        by_parent[r["parent"]].append(r)
    rows: list[tuple[str, str, str]] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = by_parent.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            info = "  [protect]" if r["protect"] else ""
            rows.append((prefix + branch + display_type(r["type"]), r["name"], info))
            walk(r["urn"], prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    return rows


def _policy_lines(report: dict[str, Any]) -> list[str]:
    policy = report["policy"]
    if policy["pack"] is None:
        return ["Policies: not run (--no-policy)"]
    violations = [Violation(**v) for v in policy["violations"]]
    mark = "❌" if any(v.level == "mandatory" for v in violations) else ("⚠️" if violations else "✅")
    lines = ["Policies:", f"    {mark} {policy['pack']}@v{policy['version']} (local: policies)"]
    names = {r["urn"]: (r["type"], r["name"]) for r in report["resources"]}
    for v in violations:
        type_, name = names.get(v.urn, ("", v.urn))
        target = f"  ({display_type(type_)}: {name})" if type_ else ""
        lines.append(f"        - [{v.level}]  {v.policy}{target}")
        lines += [f"          {line}" for line in v.message.splitlines()]
    for m in policy.get("remediations", []):
        type_, name = names.get(m["urn"], ("", m["urn"]))
        lines.append(f"        - [remediated]  {m['policy']}  ({display_type(type_)}: {name})")
        lines += [
            f"          {key}: {_short(change['before'])} => {_short(change['after'])}"
            for key, change in m["changes"].items()
        ]
    return lines


def _cost_lines(report: dict[str, Any]) -> list[str]:
    cost = report["cost"]
    width = max([len(name) for name in cost["byComponent"]] + [8])
    lines = ["Estimated monthly cost (USD list prices; idle = nothing running, peak = every pool full):"]
    lines.append(f"    {'component':<{width}}{'idle':>13}{'peak':>13}")
    for name, c in cost["byComponent"].items():
        lines.append(f"    {name:<{width}}{_usd(c['idleMonthly']):>13}{_usd(c['peakMonthly']):>13}")
    for cloud, c in sorted(cost["byCloud"].items()):
        lines.append(
            f"    {('total ' + cloud):<{width}}{_usd(c['idleMonthly']):>13}{_usd(c['peakMonthly']):>13}"
        )
    lines.append(f"    {'total':<{width}}{_usd(cost['idleMonthly']):>13}{_usd(cost['peakMonthly']):>13}")
    for n in cost["notEstimated"]:
        lines.append(
            f"    not estimated: {display_type(n['type'])} {n['urn'].rsplit('::', 1)[-1]} ({n['reason']})"
        )
    return lines


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def render_markdown(report: dict[str, Any]) -> str:
    """A PR-comment body: verdict first, then violations, cost and the resource list folded."""
    s = report["summary"]
    verdict = (
        "❌ blocked"
        if s["mandatoryViolations"] or s["constraintViolations"]
        else ("⚠️ passes with warnings" if s["advisoryViolations"] else "✅ passes")
    )
    lines = [
        f"### `mlplat plan` on `{report['project']}/{report['stack']}`: {verdict}",
        "",
        f"**{s['resources']}** resources to create · **{s['mandatoryViolations']}** mandatory and "
        f"**{s['advisoryViolations']}** advisory policy violations · idle "
        f"**{_usd(report['cost']['idleMonthly'])}**/month, peak **{_usd(report['cost']['peakMonthly'])}**/month",
        "",
    ]
    if report["constraints"]["violations"]:
        lines += ["| Constraint | Resource | Message | Source |", "| --- | --- | --- | --- |"]
        for f in report["constraints"]["violations"]:
            cells = [f["message"], f["source"]]
            message, source = (c.replace("|", "\\|") for c in cells)
            lines.append(f"| `{f['rule']}` | `{f['name']}` | {message} | {source} |")
        lines.append("")
    remediated = report["policy"].get("remediations", [])
    if report["policy"]["violations"] or remediated:
        lines += ["| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |"]
        for v in report["policy"]["violations"]:
            message = v["message"].replace("\n", " ").replace("|", "\\|")
            lines.append(f"| {v['level']} | `{v['policy']}` | `{v['urn'].rsplit('::', 1)[-1]}` | {message} |")
        for m in remediated:
            changed = ", ".join(
                f"`{key}`: {_short(c['before'])} → {_short(c['after'])}" for key, c in m["changes"].items()
            ).replace("|", "\\|")
            lines.append(f"| remediated | `{m['policy']}` | `{m['urn'].rsplit('::', 1)[-1]}` | {changed} |")
        lines.append("")
    lines += ["| Cloud | Idle / month | Peak / month |", "| --- | ---: | ---: |"]
    for cloud, c in sorted(report["cost"]["byCloud"].items()):
        lines.append(f"| {cloud} | {_usd(c['idleMonthly'])} | {_usd(c['peakMonthly'])} |")
    lines += ["", "<details><summary>Resources</summary>", "", "```"]
    lines += [f"{t}  {n}{i}" for t, n, i in _tree_rows(report["resources"])]
    lines += ["```", "", "</details>"]
    return "\n".join(lines)
