"""Shared fixtures: the project root, and stack files changed one key at a time."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from ruamel.yaml import YAML
from typer.testing import CliRunner

from infra.settings import StackSettings, load_settings
from mlplat import gc_tuning
from mlplat.engine.program import ProgramRun
from mlplat.engine.stackfile import StackConfig, load_stack_config

ROOT = Path(__file__).resolve().parent.parent

# Property tests: the test command draws the same examples on every run (a red CI run is
# reproducible); `HYPOTHESIS_PROFILE=explore make unit` draws fresh ones, ten times as many.
settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "explore", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_DELETE = object()


def stack_document(stack: str) -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / f"Pulumi.{stack}.yaml").read_text())


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set `config.<key>` at a dotted path: 'mlplat:aws.gpuPools.0.maxNodes'. Returns a changed copy."""
    doc = copy.deepcopy(document)
    key, *rest = path.split(".")
    node: Any = doc["config"]
    parts: list[Any] = [key, *[int(p) if p.isdigit() else p for p in rest]]
    for part in parts[:-1]:
        node = node[part]
    if value is _DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return doc


def yaml_text(document: dict[str, Any]) -> str:
    """A stack document as block-style YAML, as `pulumi config set` writes it."""
    yaml = YAML()
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def write_stack(directory: Path, stack: str, document: dict[str, Any]) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml_text(document))
    return path


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture
def load_changed(tmp_path: Path) -> Callable[..., StackSettings]:
    """Load a project stack file with one or more keys changed: load_changed("prod", {"mlplat:owner": "x"})."""

    def load(
        stack: str, changes: dict[str, Any] | None = None, document: dict[str, Any] | None = None
    ) -> StackSettings:
        doc = document if document is not None else stack_document(stack)
        for path, value in (changes or {}).items():
            doc = set_path(doc, path, value)
        write_stack(tmp_path, stack, doc)
        config = load_stack_config(tmp_path, stack)
        return load_settings(stack, config.config, config.secret_keys)

    return load


DELETE = _DELETE


def mlplat(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the command line in this interpreter, as `mlplat ARGS` in `cwd`: exit status, stdout, stderr.

    The same application object, argument parsing and exit codes as the installed command; an
    unexpected exception propagates and fails the test (where a process would print a traceback).
    `mlplat_process` runs a fresh interpreter for the tests about what a real process prints.
    """
    from mlplat.cli import app

    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(["mlplat", *args], result.exit_code, result.stdout, result.stderr)


def mlplat_process(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter, as users and CI do."""
    return subprocess.run(
        [sys.executable, "-m", "mlplat", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


_PROGRAM_RUNS: OrderedDict[tuple[Any, ...], ProgramRun] = OrderedDict()
_PROGRAM_RUNS_KEPT = 24


@pytest.fixture(scope="session", autouse=True)
def memoised_program_runs() -> Iterator[None]:
    """Plans in one test process run each program once per settings and mode.

    The program is the same code for the whole session, so its registrations depend only on the
    stack's config, secret keys, the program folder and preview mode; every later stage (cost, the
    policy pack, the report) still runs for each plan.
    """
    from mlplat.engine import plan as plan_module

    original = plan_module.run_program

    def run(
        project_dir: Path, stack: StackConfig, *, preview: bool = False, monitor: Any = None
    ) -> ProgramRun:
        if monitor is not None:
            return original(project_dir, stack, preview=preview, monitor=monitor)
        key = (
            str((project_dir / "infra").resolve()),
            stack.stack,
            json.dumps(stack.config, sort_keys=True),
            tuple(sorted(stack.secret_keys)),
            preview,
        )
        found = _PROGRAM_RUNS.get(key)
        if found is None:
            found = _PROGRAM_RUNS[key] = original(project_dir, stack, preview=preview)
            while len(_PROGRAM_RUNS) > _PROGRAM_RUNS_KEPT:
                _PROGRAM_RUNS.popitem(last=False)
        else:
            _PROGRAM_RUNS.move_to_end(key)
        return found

    plan_module.run_program = run
    yield
    plan_module.run_program = original


@pytest.fixture(scope="session")
def reports() -> dict[str, tuple[subprocess.CompletedProcess[str], dict[str, Any]]]:
    """`mlplat plan <stack> --json` for dev and prod, run once per test process."""
    done = {stack: mlplat("plan", stack, "--json") for stack in ("dev", "prod")}
    return {
        stack: (proc, json.loads(proc.stdout) if proc.returncode in (0, 1) else {})
        for stack, proc in done.items()
    }


# Test modules that plan whole stacks many times or start servers: scheduled first, so the two
# workers finish together instead of one running a long module alone at the end.
HEAVY_FIRST = (
    "tests/reliability/test_plan_properties.py",
    "tests/reliability/test_preview_secrets_scale.py",
    "tests/reliability/test_settings_properties.py",
    "tests/delivery/test_diff.py",
    "tests/delivery/test_promote.py",
    "tests/ops/test_end_to_end.py",
    "tests/test_cost.py",
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/e2e is collected only when the e2e marker is selected (`make e2e`), never by `make test`."""
    if collection_path == ROOT / "tests" / "e2e" and "e2e" not in (config.getoption("markexpr") or ""):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    # Each worker holds every plan of the session: full collections would rescan all of it, as in a plan.
    gc_tuning.for_short_run()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return HEAVY_FIRST.index(path) if path in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)
