"""The offline engine against the real one: `mlplat plan <stack> --json --preview` vs `pulumi preview`.

Compared per stack: the set of URNs, and per resource its type, parent, provider and inputs; and the
policy verdicts (policy, URN, enforcement level). Normalised, and only these:
- a provider reference compares by its URN: its `::<id>` part is a UUID the engine draws (unknown in a
  preview);
- an unknown value is the engine's wire sentinel in the event log and `[unknown]` in the report; a
  secret is `[secret]` in the report and `{<secret sig>, "ciphertext": "[secret]"}` in the v3.274 event log.
Every difference is written to `differential-<stack>.json` next to the run, and printed.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.e2e.engine import ROOT, Engine, start
from tests.e2e.lifecycle import policy_args

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"


def _norm(value: Any) -> Any:
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return "[secret]"  # the event log's secret: `{<sig>: <secret sig>, "ciphertext": "[secret]"}`
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _provider_urn(reference: str | None) -> str | None:
    return reference.rsplit("::", 1)[0] if reference else None


def offline(engine: Engine, stack: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mlplat"), "plan", stack, "--json", "--preview"],
        cwd=engine.project,
        env={**engine.env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    # Since the split `mlplat plan <env>` also plans the environment's cluster stacks (project
    # mlplat-clusters); the real preview here is the platform stack's, so only its resources compare.
    # A cluster stack's real preview stops at its first Helm release (no network: the chart is fetched from
    # its OCI registry during the preview), so the cluster stacks are not compared here.
    platform = f"urn:pulumi:{stack}::mlplat::"
    resources = {
        r["urn"]: {
            "type": r["type"],
            "parent": r["parent"] or None,
            "provider": _provider_urn(r.get("provider")),
            "inputs": _norm(r["inputs"]),
        }
        for r in report["resources"]
        if r["urn"].startswith(platform)
    }
    verdicts = {
        (v["policy"], v["urn"] or None, v["level"])
        for v in report["policy"]["violations"]
        if not v["urn"] or v["urn"].startswith(platform)
    }
    return {"resources": resources, "verdicts": verdicts}


def real(engine: Engine, stack: str) -> dict[str, Any]:
    run = engine.run("preview", *policy_args(engine, stack), stack=stack, events=True)
    resources: dict[str, Any] = {}
    verdicts = set()
    for event in run.events:
        if "resourcePreEvent" in event:
            meta = event["resourcePreEvent"]["metadata"]
            new = meta.get("new") or {}
            resources[meta["urn"]] = {
                "type": meta["type"],
                "parent": new.get("parent") or None,
                "provider": _provider_urn(meta.get("provider") or new.get("provider")),
                "inputs": _norm(new.get("inputs") or {}),
            }
        elif "policyEvent" in event:
            p = event["policyEvent"]
            verdicts.add((p["policyName"], p.get("resourceUrn") or None, p["enforcementLevel"]))
    assert resources, run.describe()
    return {"resources": resources, "verdicts": verdicts, "run": run}


def differences(mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    found: list[str] = []
    ours, engine = mine["resources"], theirs["resources"]
    found += [f"only offline: {urn}" for urn in sorted(set(ours) - set(engine))]
    found += [f"only real engine: {urn}" for urn in sorted(set(engine) - set(ours))]
    for urn in sorted(set(ours) & set(engine)):
        for key in ("type", "parent", "provider"):
            if ours[urn][key] != engine[urn][key]:
                found.append(f"{urn}: {key} offline {ours[urn][key]!r}, real {engine[urn][key]!r}")
        a, b = ours[urn]["inputs"], engine[urn]["inputs"]
        for prop in sorted(set(a) | set(b)):
            if a.get(prop, "<absent>") != b.get(prop, "<absent>"):
                found.append(
                    f"{urn}: input {prop} offline {a.get(prop, '<absent>')!r}, real {b.get(prop, '<absent>')!r}"
                )
    found += [f"verdict only offline: {v}" for v in sorted(mine["verdicts"] - theirs["verdicts"], key=str)]
    found += [
        f"verdict only real engine: {v}" for v in sorted(theirs["verdicts"] - mine["verdicts"], key=str)
    ]
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_offline_preview_matches_real_preview(stack: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = start(tmp_path_factory.mktemp(f"differential-{stack}"))
    init = engine.init_stack(stack)
    assert init.returncode == 0, init.describe()
    theirs = real(engine, stack)
    mine = offline(engine, stack)
    found = differences(mine, theirs)
    (engine.root / f"differential-{stack}.json").write_text(json.dumps(found, indent=2))
    print(f"{stack}: {len(found)} differences ({engine.root / f'differential-{stack}.json'})")
    print("\n".join(found[:200]))
    assert not found, (
        f"{len(found)} differences between the offline and the real preview, first: {found[:20]}"
    )
