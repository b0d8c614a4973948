"""Summarise `mutmut results`: the share of mutants the tests kill per area, and every survivor.

Run by `make mutation` after `mutmut run`. Exits 1 when the policy pack's share is below the floor,
so a weakened test shows up as a failed target, not as a number nobody reads.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

AREAS = {"policies": "policies/", "infra.settings.checks": "infra/settings/checks.py"}
FLOOR = {"policies": 0.90}
# Statuses mutmut gives a mutant that a test run judged; "no tests" means no selected test calls the function.
JUDGED = {"killed", "survived", "timeout", "no tests", "suspicious", "segfault"}
KILLED = {"killed", "timeout", "segfault"}


def area_of(mutant: str) -> str:
    return next(area for area in AREAS if mutant.startswith(area + "."))


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    lines = subprocess.run(
        [str(mutmut), "results", "--all", "true"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        area = area_of(name)
        statuses[area][status] += 1
        if status in JUDGED - KILLED:
            survivors[area].append(f"{name} ({status})")
    failed = False
    for area, path in AREAS.items():
        counts = statuses[area]
        judged = sum(n for status, n in counts.items() if status in JUDGED)
        killed = sum(n for status, n in counts.items() if status in KILLED)
        share = killed / judged if judged else 0.0
        floor = FLOOR.get(area)
        verdict = (
            ""
            if floor is None
            else (" (floor {:.0%}: {})".format(floor, "ok" if share >= floor else "BELOW"))
        )
        print(f"{path}: {killed}/{judged} mutants killed = {share:.1%}{verdict}")
        unchecked = counts.get("not checked", 0)
        if unchecked:
            print(f"  {unchecked} mutants not checked yet (run `mutmut run` to finish)")
        failed |= floor is not None and share < floor
    for area, names in survivors.items():
        print(f"\nSurvivors in {AREAS[area]} ({len(names)}); `.venv/bin/mutmut show NAME` prints the change:")
        for name in sorted(names):
            print(f"  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
