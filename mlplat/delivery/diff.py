"""Compare two offline plans of one stack: what a change adds, removes and alters.

The base revision is checked out in a temporary git worktree and planned with its own code
(its packages shadow the installed project through PYTHONPATH), so the diff shows what
`pulumi preview` would show for the change, not what today's code makes of old settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlplat.engine.replacements import UnknownResourceType, replacing_properties
from mlplat.engine.report import display_type

ChangeKind = Literal["add", "remove", "change", "replace"]
EMPTY_REPORT: dict[str, Any] = {
    "resources": [],
    "policy": {"violations": []},
    "cost": {"idleMonthly": 0.0, "peakMonthly": 0.0},
    "summary": {"resources": 0, "mandatoryViolations": 0, "advisoryViolations": 0},
}


class DiffError(RuntimeError):
    """A plan of one side could not be made; the message says which and why."""


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    urn: str
    type: str
    name: str
    keys: list[str] = field(default_factory=list)  # changed input paths, e.g. "scalingConfig.maxSize"
    # Why a "replace": the changed inputs whose change replaces the resource (mlplat/data/replace_on_change.yaml),
    # or, for what a replacement drags along, "<input> <- <replaced resource>".
    replaces: list[str] = field(default_factory=list)
    # Replaced resources this one depends on: it is updated (or replaced) with their new ids.
    because: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlanDiff:
    stack: str
    base: str
    head: str
    changes: list[Change]
    unchanged: int
    new_violations: list[dict[str, str]]
    resolved_violations: list[dict[str, str]]
    cost: dict[str, float]

    def counts(self) -> dict[str, int]:
        return {k: sum(c.kind == k for c in self.changes) for k in ("add", "remove", "change", "replace")}

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "base": self.base,
            "head": self.head,
            "changes": [asdict(c) for c in self.changes],
            "summary": {**self.counts(), "unchanged": self.unchanged},
            "policy": {"new": self.new_violations, "resolved": self.resolved_violations},
            "cost": self.cost,
        }


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested inputs as (path, leaf) pairs: {"a": {"b": [1]}} -> ("a.b[0]", 1)."""
    if isinstance(value, dict) and value:
        for key in sorted(value):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, value


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = dict(flatten(before)), dict(flatten(after))
    return sorted(k for k in old.keys() | new.keys() if old.get(k, _MISSING) != new.get(k, _MISSING))


_MISSING = object()


def _top(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _replacing_properties(token: str) -> frozenset[str]:
    try:
        return replacing_properties(token)
    except UnknownResourceType:
        return frozenset()  # components, providers, and types the table does not list yet


def _replacing(token: str, keys: list[str]) -> list[str]:
    """The changed top-level inputs that replace a `token` resource, by its documented replace-on-change list."""
    return sorted({_top(k) for k in keys} & _replacing_properties(token))


def _drag_along(kept: dict[str, Change], before: dict[str, Any], after: dict[str, Any]) -> None:
    """A replaced resource comes back with a new id: what takes it as an input is updated, or replaced when
    that input replaces it too (a subnet on a replaced VPC), and so on down the chain.

    Offline, the new resource's id looks like the old one, so no input of a dependent differs; the
    dependencies the program registered (`propertyDependencies`) say who follows.
    """
    names = {urn: r["name"] for urn, r in after.items()}
    replaced = [urn for urn, c in kept.items() if c.kind == "replace"]
    while replaced:
        cause = replaced.pop()
        for urn in sorted(before.keys() & after.keys()):
            r = after[urn]
            inputs = [p for p, deps in r.get("propertyDependencies", {}).items() if cause in deps]
            if not inputs:
                continue
            forcing = sorted(set(inputs) & _replacing_properties(r["type"]))
            old = kept.get(urn)
            if old is not None and names[cause] in old.because:
                continue
            kind: ChangeKind = (
                "replace" if forcing or (old is not None and old.kind == "replace") else "change"
            )
            kept[urn] = Change(
                kind,
                urn,
                r["type"],
                r["name"],
                old.keys if old else [],
                [*(old.replaces if old else []), *(f"{p} <- {names[cause]}" for p in forcing)],
                [*(old.because if old else []), names[cause]],
            )
            if kind == "replace" and (old is None or old.kind != "replace"):
                replaced.append(urn)


def _violation_key(v: dict[str, str]) -> tuple[str, str, str]:
    return (v["policy"], v["level"], v["urn"])


def diff_reports(
    base: dict[str, Any], head: dict[str, Any], *, stack: str, base_label: str, head_label: str
) -> PlanDiff:
    before = {r["urn"]: r for r in base["resources"]}
    after = {r["urn"]: r for r in head["resources"]}
    changes: list[Change] = []
    for urn in sorted(after.keys() - before.keys()):
        r = after[urn]
        changes.append(Change("add", urn, r["type"], r["name"]))
    for urn in sorted(before.keys() - after.keys()):
        r = before[urn]
        changes.append(Change("remove", urn, r["type"], r["name"]))
    kept: dict[str, Change] = {}
    for urn in sorted(before.keys() & after.keys()):
        old, new = before[urn], after[urn]
        keys = changed_keys(old["inputs"], new["inputs"])
        if old.get("protect") != new.get("protect"):
            keys.append("(protect)")
        if keys:
            forcing = _replacing(new["type"], keys)
            kind: ChangeKind = "replace" if forcing else "change"
            kept[urn] = Change(kind, urn, new["type"], new["name"], keys, forcing)
    _drag_along(kept, before, after)
    changes += [kept[urn] for urn in sorted(kept)]
    unchanged = len(before.keys() & after.keys()) - len(kept)
    old_v = {_violation_key(v): v for v in base["policy"]["violations"]}
    new_v = {_violation_key(v): v for v in head["policy"]["violations"]}
    return PlanDiff(
        stack=stack,
        base=base_label,
        head=head_label,
        changes=changes,
        unchanged=unchanged,
        new_violations=[new_v[k] for k in sorted(new_v.keys() - old_v.keys())],
        resolved_violations=[old_v[k] for k in sorted(old_v.keys() - new_v.keys())],
        cost={
            "baseIdleMonthly": base["cost"]["idleMonthly"],
            "headIdleMonthly": head["cost"]["idleMonthly"],
            "basePeakMonthly": base["cost"]["peakMonthly"],
            "headPeakMonthly": head["cost"]["peakMonthly"],
        },
    )


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def _plan_json(project_dir: Path, stack: str, *, code_root: Path | None = None) -> dict[str, Any]:
    """`mlplat plan STACK --json` in a fresh interpreter; `code_root` shadows the installed project."""
    env = dict(os.environ)
    if code_root is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code_root), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "mlplat", "plan", stack, "--json", "--cwd", str(project_dir)],
        capture_output=True,
        text=True,
        env=env,
        cwd=project_dir,
    )
    if proc.returncode not in (0, 1):
        detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise DiffError(f"planning {stack} in {project_dir} failed: {detail}")
    return json.loads(proc.stdout)


# What makes a plan besides the stack file: when none of it differs, both sides run with this code.
PROGRAM_PATHS = ("Pulumi.yaml", "pyproject.toml", "infra", "components", "policies", "mlplat")


def _same_program(repo: Path, commit: str, relative: Path) -> bool:
    """Whether the working tree's program is the base commit's (tracked changes and untracked files)."""
    paths = [str(relative / p) for p in PROGRAM_PATHS]
    changed = subprocess.run(["git", "-C", str(repo), "diff", "--quiet", commit, "--", *paths])
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "--", *paths)
    return changed.returncode == 0 and not untracked


def _plan_here(project_dir: Path, stack: str, stack_text: str | None) -> dict[str, Any]:
    """Plan `stack_text` (the stack file at some revision) with this interpreter's program."""
    if stack_text is None:
        return EMPTY_REPORT
    from infra.settings import SettingsError, load_settings
    from mlplat.engine.plan import plan_stack
    from mlplat.engine.stackfile import parse_stack_config

    path = project_dir / f"Pulumi.{stack}.yaml"
    try:
        config = parse_stack_config(stack_text, stack, path)
        settings = load_settings(stack, config.config, config.secret_keys)
    except SettingsError as error:
        raise DiffError(f"planning {stack} in {project_dir} failed: {error}") from None
    return plan_stack(project_dir, config, settings)


def diff_against(project_dir: Path, stack: str, base_rev: str) -> PlanDiff:
    """Plan STACK at `base_rev` and in the working tree, and compare them.

    When the program (code, pack, pins) is the same at both revisions, only the stack file differs
    and both plans run here, one after the other; otherwise the base is checked out in a temporary
    worktree and planned with its own code in a fresh interpreter, beside the working tree's plan.
    """
    repo = Path(_git(project_dir, "rev-parse", "--show-toplevel"))
    commit = _git(repo, "rev-parse", "--verify", f"{base_rev}^{{commit}}")
    relative = project_dir.resolve().relative_to(repo.resolve())
    if _same_program(repo, commit, relative):
        stack_file = (relative / f"Pulumi.{stack}.yaml").as_posix()
        listed = _git(repo, "ls-tree", "--name-only", commit, "--", stack_file)
        base_text = _git_text(repo, "show", f"{commit}:{stack_file}") if listed else None
        head_path = project_dir / f"Pulumi.{stack}.yaml"
        head_text = head_path.read_text() if head_path.is_file() else None
        base = _plan_here(project_dir, stack, base_text)
        head = _plan_here(project_dir, stack, head_text)
    else:
        with tempfile.TemporaryDirectory(prefix="mlplat-diff-") as tmp:
            worktree = Path(tmp) / "base"
            _git(repo, "worktree", "add", "--detach", "--force", str(worktree), commit)
            try:
                base_dir = worktree / relative
                has_stack = (base_dir / f"Pulumi.{stack}.yaml").is_file()
                with ThreadPoolExecutor(max_workers=2) as pool:
                    base_job = (
                        pool.submit(_plan_json, base_dir, stack, code_root=base_dir) if has_stack else None
                    )
                    head_job = pool.submit(_plan_json, project_dir, stack)
                    base = base_job.result() if base_job else EMPTY_REPORT
                    head = head_job.result()
            finally:
                _git(repo, "worktree", "remove", "--force", str(worktree))
    return diff_reports(
        base, head, stack=stack, base_label=f"{base_rev} ({commit[:7]})", head_label="working tree"
    )


def _git_text(repo: Path, *args: str) -> str:
    """Like `_git`, but the output exactly as git printed it (a file's text keeps its last newline)."""
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


_SIGN = {"add": "+", "remove": "-", "change": "~", "replace": "+-"}


def _why(c: Change) -> str:
    """What a row says beyond its changed inputs: what replaces it, and the replacement it follows."""
    parts = []
    if c.kind == "replace":
        parts.append(f"replace: {', '.join(c.replaces)}" if c.replaces else "replace")
    if c.because:
        parts.append(f"depends on replaced {', '.join(c.because)}")
    return "; ".join(parts)


def render_text(d: PlanDiff) -> str:
    lines = [f"Plan diff for {d.stack}: {d.base} -> {d.head}", ""]
    width = max((len(display_type(c.type)) for c in d.changes), default=0)
    for c in d.changes:
        keys = f"  ({', '.join(c.keys)})" if c.keys else ""
        why = f"  [{_why(c)}]" if _why(c) else ""
        lines.append(f"  {_SIGN[c.kind].ljust(2)} {display_type(c.type).ljust(width)}  {c.name}{keys}{why}")
    if not d.changes:
        lines.append("  no changes")
    n = d.counts()
    lines += [
        "",
        f"Resources: {n['add']} to add, {n['remove']} to remove, {n['change']} to change, "
        f"{n['replace']} to replace, {d.unchanged} unchanged",
    ]
    lines += _policy_lines(d)
    lines.append(_cost_line(d))
    return "\n".join(lines)


def render_markdown(d: PlanDiff) -> str:
    n = d.counts()
    lines = [
        f"#### `mlplat diff` on `{d.stack}`: {d.base} → {d.head}",
        "",
        f"**{n['add']}** to add · **{n['remove']}** to remove · **{n['change']}** to change · "
        f"**{n['replace']}** to replace · {d.unchanged} unchanged",
        "",
    ]
    if d.changes:
        lines += ["| | Type | Name | Changed inputs | Replacement |", "| --- | --- | --- | --- | --- |"]
        for c in d.changes:
            keys = ", ".join(f"`{k}`" for k in c.keys)
            lines.append(f"| {_SIGN[c.kind]} | `{display_type(c.type)}` | `{c.name}` | {keys} | {_why(c)} |")
        lines.append("")
    lines += [line.strip() for line in _policy_lines(d)]
    lines.append(_cost_line(d))
    return "\n".join(lines)


def _policy_lines(d: PlanDiff) -> list[str]:
    lines = []
    for v in d.new_violations:
        lines.append(f"  new {v['level']} violation: {v['policy']} on {v['urn'].rsplit('::', 1)[-1]}")
    for v in d.resolved_violations:
        lines.append(f"  resolved {v['level']} violation: {v['policy']} on {v['urn'].rsplit('::', 1)[-1]}")
    return ["Policies:", *lines] if lines else ["Policies: no new or resolved violations"]


def _cost_line(d: PlanDiff) -> str:
    c = d.cost
    idle = c["headIdleMonthly"] - c["baseIdleMonthly"]
    peak = c["headPeakMonthly"] - c["basePeakMonthly"]
    return (
        f"Cost: idle ${c['baseIdleMonthly']:,.2f} -> ${c['headIdleMonthly']:,.2f} ({idle:+,.2f}), "
        f"peak ${c['basePeakMonthly']:,.2f} -> ${c['headPeakMonthly']:,.2f} ({peak:+,.2f}) per month"
    )
