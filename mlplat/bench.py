"""`make bench`: how long `mlplat plan` takes against the floor of just importing the same SDK modules.

A benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True)
    elapsed = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return elapsed, peak / 1024


def _sdk_modules(stack: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _LIST_MODULES, stack], cwd=ROOT, capture_output=True, text=True
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES="))
    return json.loads(line.removeprefix("MODULES="))


def main() -> None:
    print(f"mlplat plan vs. import floor ({REPEATS} runs each, median wall time)")
    print(f"{'stack':<8}{'plan s':>9}{'floor s':>9}{'ratio':>8}{'plan peak MiB':>15}{'modules':>9}")
    for stack in ("dev", "prod"):
        modules = _sdk_modules(stack)
        plan = [_timed([sys.executable, "-m", "mlplat", "plan", stack, "--json"]) for _ in range(REPEATS)]
        floor = [_timed([sys.executable, "-c", _IMPORT_FLOOR, json.dumps(modules)]) for _ in range(REPEATS)]
        p, f = statistics.median(t for t, _ in plan), statistics.median(t for t, _ in floor)
        peak = max(m for _, m in plan)
        print(f"{stack:<8}{p:>9.2f}{f:>9.2f}{p / f:>8.2f}{peak:>15.0f}{len(modules):>9}")


if __name__ == "__main__":
    main()
