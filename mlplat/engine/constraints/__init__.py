"""Would the cloud accept this plan? The providers' documented constraints, checked offline.

One module per cloud plus Kubernetes; each exports `RULES` and `UNCONSTRAINED` (types whose fields
the program sets carry no documented constraint, said explicitly). `mlplat plan` runs `check` and
exits 1 on any finding; `docs/constraints.md` is generated from the same tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mlplat.engine.constraints import aws, azure, gcp, kubernetes
from mlplat.engine.constraints.common import Finding, PlanView, Res, Rule

SECTIONS: tuple[tuple[str, Any], ...] = (
    ("AWS", aws),
    ("Google Cloud", gcp),
    ("Azure", azure),
    ("Kubernetes", kubernetes),
)
RULES: tuple[Rule, ...] = tuple(rule for _, module in SECTIONS for rule in module.RULES)
UNCONSTRAINED: dict[str, str] = {
    token: reason for _, module in SECTIONS for token, reason in module.UNCONSTRAINED.items()
}
# Components and the stack register nothing with a cloud API.
NO_API_PREFIXES = ("mlplat:", "pulumi:pulumi:Stack")


def covered(token: str) -> bool:
    """A type has rules, or an explicit 'no documented constraint', or is not a cloud resource."""
    return token.startswith(NO_API_PREFIXES) or token in UNCONSTRAINED or any(token in r.types for r in RULES)


def check(resources: Sequence[Res], read_arns: Iterable[str] = ()) -> list[Finding]:
    plan = PlanView(resources, read_arns)
    findings: list[Finding] = []
    for res in plan.resources:
        for rule in RULES:
            if res.type in rule.types:
                findings.extend(
                    Finding(rule.id, res.urn, res.type, res.name, message, rule.source)
                    for message in rule.check(res, plan)
                )
    return findings


__all__ = ["RULES", "SECTIONS", "UNCONSTRAINED", "Finding", "Res", "Rule", "check", "check_run", "covered"]


def resources_of(recorded: Sequence[Any]) -> list[Res]:
    """The program's registrations (`RecordedResource`s) as the rules read them."""
    from mlplat.engine.report import struct_to_dict

    return [
        Res(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            custom=r.custom,
            inputs=struct_to_dict(r.inputs),
            outputs=struct_to_dict(r.outputs),
            dependencies=tuple(r.dependencies),
            property_dependencies=dict(r.property_dependencies),
        )
        for r in recorded
    ]


def check_run(run: Any) -> list[Finding]:
    """Check one `ProgramRun`: its registrations, and the ARNs it read from the account."""
    from mlplat.engine.report import struct_to_dict

    reads = [struct_to_dict(result).get("arn") for _, result in getattr(run, "invokes", [])]
    return check(resources_of(run.resources), [a for a in reads if isinstance(a, str)])
