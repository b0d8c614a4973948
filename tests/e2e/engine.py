"""The real Pulumi engine (CLI v3.274.0 built from its Go module by `make e2e-bin`) on a throwaway home.

The Python language host is a STAND-IN (mlplat/engine/standin/language.py): the Go module proxy refuses
the real host's module, `github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3`, at every
version (403 "This module version is not available"), and the CLI runs no Python program without a
`pulumi-language-python` plugin. The stand-in runs the program in the project's virtualenv as the real
host's executor does; what it does not reproduce is listed in the README.

Each harness gets a temp directory with:
- `home/`: PULUMI_HOME, holding the plugin cache; the stand-in aws/gcp/azure-native plugins and the
  real Kubernetes provider are installed into it at the versions the program asks for
  (`pulumi plugin install resource <pkg> <version> --file <launcher>`);
- `state/`: a `file://` backend (`pulumi login file://...`), secrets by passphrase;
- `bin/`: the only PATH entries for Pulumi: the CLI, the stand-in Python language host's launcher
  `pulumi-language-python`, and `pulumi-analyzer-policy-python`, the one-line launcher of
  `python -m pulumi.policy` the CLI distribution ships, pointing at the project's .venv python. The
  v3.274 engine uses that launcher only when it finds no `python` language plugin
  (sdk/go/common/resource/plugin/analyzer_plugin.go `NewPolicyAnalyzer`); with one, it asks the language
  host's RunPlugin to start the pack, which the stand-in does;
- `project/`: a COPY of the project tree. The repo's stack files name an `awskms://` secrets provider,
  which cannot work here: in the copy their `secretsprovider`/`encryptedkey` lines are dropped and the
  stacks are created with `pulumi stack init --secrets-provider passphrase`; nothing else changes.

No network: plugin acquisition is off (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION) and update checks
are skipped. Every command runs with `--cwd <copy> --stack <name> --non-interactive`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mlplat.engine.standin import PACKAGES, plugin_version, write_language_host, write_launchers

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("MLPLAT_E2E_CACHE") or Path.home() / ".cache" / "mlplat-e2e")
PULUMI_VERSION = "3.274.0"
BUILD = "make e2e-bin (recipe: tools/e2e/build.sh), or `make e2e`, which builds first"
PASSPHRASE = "mlplat-e2e-not-a-secret"
_COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "mutants", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules", "*.pyc"
)


def find_program(program: str, version: str | None = None) -> Path | None:
    """`<cache>/<program>-<version>/.../<program>`, as tools/e2e/build.sh lays out its builds."""
    if not CACHE.is_dir():
        return None
    wanted = [f"{program}-v{version}", f"{program}-{version}"] if version else []
    dirs = [CACHE / name for name in wanted] + sorted(CACHE.glob(f"{program}-v*"), reverse=True)
    for directory in dirs:
        if directory.is_dir():
            for candidate in [directory / program, directory / "bin" / program, *directory.rglob(program)]:
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return candidate
    return None


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.stdout)

    def describe(self) -> str:
        tail = "\n".join((self.stderr or self.stdout).splitlines()[-40:])
        return f"pulumi {' '.join(self.args)} -> exit {self.returncode} in {self.seconds:.0f}s\n{tail}"


@dataclass
class Engine:
    root: Path
    project: Path
    env: dict[str, str]
    pulumi: Path

    def run(
        self,
        *args: str,
        stack: str | None = None,
        events: bool = False,
        timeout: float = 1800,
        project: str = ".",
    ) -> Run:
        """`pulumi <args> --cwd <copy>/<project> --non-interactive [--stack S] [--event-log F]`."""
        argv = [*args, "--cwd", str(self.project / project), "--non-interactive"]
        if stack:
            argv += ["--stack", stack]
        log = self.root / f"events-{time.monotonic_ns()}.jsonl"
        if events:
            argv += ["--event-log", str(log)]
        started = time.monotonic()
        done = subprocess.run(
            [str(self.pulumi), *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run = Run(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if events and log.exists():
            run.events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return run

    def init_stack(self, stack: str, project: str = ".") -> Run:
        return self.run("stack", "init", stack, "--secrets-provider", "passphrase", project=project)

    def policy_config(self, stack: str) -> Path:
        """The policy config `mlplat plan --policy-config-out` writes for the stack (what CI passes)."""
        out = self.root / f"policy-config-{stack}.json"
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "mlplat"), "plan", stack, "--policy-config-out", str(out)],
            cwd=self.project,
            env={**self.env, "PATH": os.environ["PATH"]},
            capture_output=True,
            check=False,
        )
        assert out.exists(), f"mlplat plan {stack} --policy-config-out wrote nothing"
        return out


def _install_plugin(pulumi: Path, env: dict[str, str], package: str, version: str, binary: Path) -> None:
    done = subprocess.run(
        [str(pulumi), "plugin", "install", "resource", package, version, "--file", str(binary)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"pulumi plugin install resource {package} {version} --file {binary}:\n{done.stderr}"
        )


def start(tmp: Path) -> Engine:
    """A fresh home, backend, plugin set and project copy; skips (with the build command) without the CLI."""
    pulumi = find_program("pulumi", PULUMI_VERSION)
    kubernetes = find_program("pulumi-resource-kubernetes")
    missing = [n for n, p in [("pulumi", pulumi), ("pulumi-resource-kubernetes", kubernetes)] if p is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not built in {CACHE}: run {BUILD}")
    assert pulumi and kubernetes
    venv_python = (ROOT / ".venv" / "bin" / "python").absolute()

    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "pulumi").symlink_to(pulumi)
    analyzer = bin_dir / "pulumi-analyzer-policy-python"
    analyzer.write_text(f'#!/bin/sh\nexec {venv_python} -u -m pulumi.policy "$@"\n')
    analyzer.chmod(0o755)

    project = tmp / "project"
    shutil.copytree(ROOT, project, ignore=_COPY_IGNORE, symlinks=True)
    (project / ".venv").symlink_to((ROOT / ".venv").resolve())
    for stack_file in [*project.glob("Pulumi.*.yaml"), *project.glob("*/Pulumi.*.yaml")]:
        lines = stack_file.read_text().splitlines(keepends=True)
        stack_file.write_text(
            "".join(line for line in lines if not line.startswith(("secretsprovider:", "encryptedkey:")))
        )

    env = {
        "HOME": str(tmp),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "PULUMI_HOME": str(tmp / "home"),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        # `--event-log` exists only when debug commands are on (pkg/v3 cmd/pulumi/operations/preview.go:
        # `if env.DebugCommands.Value()`); without it v3.274 says "error: unknown flag: --event-log".
        "PULUMI_DEBUG_COMMANDS": "true",
        # The copy's own sources, not the editable install's checkout.
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    write_language_host(bin_dir, project_root=project, python=str(venv_python))
    launchers = write_launchers(tmp / "standin", project_root=project, python=str(venv_python))
    for package in PACKAGES:
        _install_plugin(pulumi, env, package, plugin_version(package), launchers[package])
    _install_plugin(pulumi, env, "kubernetes", importlib.metadata.version("pulumi-kubernetes"), kubernetes)

    state = tmp / "state"
    state.mkdir()
    engine = Engine(tmp, project, env, pulumi)
    login = engine.run("login", f"file://{state}")
    assert login.returncode == 0, login.describe()
    return engine
