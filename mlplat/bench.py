"""`make bench`: plan time against the import floor, analyzer throughput, and growth with stack size.

A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3

_LIST_MODULES = """
import json, sys
from mlplat.cli import app
try:
    app(["plan", sys.argv[1], "--json"], standalone_mode=False)
finally:
    mods = sorted(m for m in sys.modules if m.split(".")[0].startswith(("pulumi", "grpc", "google")))
    sys.stderr.write("MODULES=" + json.dumps(mods) + "\\n")
"""

_IMPORT_FLOOR = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""

_ANALYZER_THROUGHPUT = """
import json, sys, time
from pathlib import Path
from infra.settings import load_settings
from mlplat.engine.analyzer import run_policy_pack
from mlplat.engine.program import run_program
from mlplat.engine.stackfile import load_stack_config
root = Path(sys.argv[1]); stack = sys.argv[2]
config = load_stack_config(root, stack)
run = run_program(root, config)
judged = [r for r in run.resources if r.custom and not r.type.startswith("pulumi:")]
start = time.perf_counter()
report = run_policy_pack(run.resources, pack_dir=root / "policies", stack=stack, project="mlplat",
                         config_file=root / "policies" / "config" / f"{stack}.json")
elapsed = time.perf_counter() - start
print(json.dumps({"resources": len(judged), "seconds": elapsed, "policies": len(report.policies)}))
"""


def _timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process (ru_maxrss of this child alone)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def _sdk_modules(stack: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, stack], cwd=ROOT, capture_output=True, text=True
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES="))
    return json.loads(line.removeprefix("MODULES="))


def plan_vs_floor() -> None:
    print(f"mlplat plan vs. import floor ({REPEATS} runs each, median wall time)")
    print(f"{'stack':<8}{'plan s':>9}{'floor s':>9}{'ratio':>8}{'plan peak MiB':>15}{'modules':>9}")
    for stack in ("dev", "prod"):
        modules = _sdk_modules(stack)
        plan = [_timed([sys.executable, "-m", "mlplat", "plan", stack, "--json"]) for _ in range(REPEATS)]
        floor = [_timed([sys.executable, "-c", _IMPORT_FLOOR, json.dumps(modules)]) for _ in range(REPEATS)]
        p, f = statistics.median(t for t, _ in plan), statistics.median(t for t, _ in floor)
        peak = max(m for _, m in plan)
        print(f"{stack:<8}{p:>9.2f}{f:>9.2f}{p / f:>8.2f}{peak:>15.0f}{len(modules):>9}")


def analyzer_throughput() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _ANALYZER_THROUGHPUT, str(ROOT), "prod"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    rate = result["resources"] / result["seconds"]
    print(
        f"\npolicy pack over the prod plan: {result['resources']} resources, {result['policies']} policies, "
        f"{result['seconds']:.2f} s incl. pack start = {rate:.0f} resources/s"
    )


def scaled(document: dict[str, Any], factor: int) -> dict[str, Any]:
    """The prod stack with `factor` times the users, teams and GPU pools of every cloud."""
    doc = copy.deepcopy(document)
    config = doc["config"]
    for cloud in ("aws", "gcp", "azure"):
        section = config.get(f"mlplat:{cloud}")
        if not section:
            continue
        pools = section.get("gpuPools", [])
        section["gpuPools"] = [{**p, "name": f"{p['name']}{i}"[:20]} for i in range(factor) for p in pools]
        users = section.get("workspace", {}).get("users", [])
        if users:
            section["workspace"]["users"] = [
                {**u, "name": f"{u['name']}{i}", "email": u["email"].replace("@", f"+{i}@")}
                for i in range(factor)
                for u in users
            ]
    teams = config.get("mlplat:teams", [])
    config["mlplat:teams"] = [{**t, "name": f"{t['name']}{i}"} for i in range(factor) for t in teams]
    return doc


def growth() -> None:
    print("\ngrowth: prod with N x users, teams and GPU pools (one run each)")
    print(f"{'N':>3}{'resources':>11}{'plan s':>9}{'peak MiB':>10}")
    document = YAML(typ="safe").load((ROOT / "Pulumi.prod.yaml").read_text())
    for factor in (1, 5, 10):
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp)
            (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
            for folder in ("infra", "policies"):
                (project / folder).symlink_to(ROOT / folder)
            yaml = YAML()
            with (project / "Pulumi.prod.yaml").open("w") as f:
                yaml.dump(scaled(document, factor), f)
            out = project / "plan.json"
            cmd = [
                sys.executable,
                "-c",
                f"import sys; sys.stdout = open({str(out)!r}, 'w'); from mlplat.cli import main; sys.argv = ['mlplat', 'plan', 'prod', '--json', '--cwd', {str(project)!r}]; main()",
            ]
            seconds, peak = _timed(cmd, cwd=project)
            try:
                resources = json.loads(out.read_text())["summary"]["resources"]
            except (json.JSONDecodeError, KeyError, FileNotFoundError):
                resources = -1
            print(f"{factor:>3}{resources:>11}{seconds:>9.2f}{peak:>10.0f}")


def main() -> None:
    plan_vs_floor()
    analyzer_throughput()
    growth()


if __name__ == "__main__":
    main()
