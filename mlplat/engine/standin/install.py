"""Launchers for the stand-in plugins, generated where a test needs them (never committed binaries)."""

from __future__ import annotations

import importlib.metadata
import shlex
import sys
from pathlib import Path

# The engine's package name -> the Python SDK distribution whose version the program asks for.
PACKAGES = {"aws": "pulumi-aws", "gcp": "pulumi-gcp", "azure-native": "pulumi-azure-native"}


def plugin_version(package: str) -> str:
    """The plugin version the program requests: the installed SDK's (pinned in pyproject.toml)."""
    return importlib.metadata.version(PACKAGES[package])


def write_launchers(bin_dir: Path, *, project_root: Path, python: str = sys.executable) -> dict[str, Path]:
    """Write `pulumi-resource-<package>` one-line launchers into `bin_dir`; package -> launcher path.

    Each execs `python -m mlplat.engine.standin <package>` with the engine's arguments, importing
    mlplat from `project_root`, so the engine's kill reaches the server itself.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    launchers: dict[str, Path] = {}
    for package in PACKAGES:
        path = bin_dir / f"pulumi-resource-{package}"
        path.write_text(
            "#!/bin/sh\n"
            f"PYTHONPATH={shlex.quote(str(project_root))} "
            f'exec {shlex.quote(python)} -P -m mlplat.engine.standin {package} "$@"\n'
        )
        path.chmod(0o755)
        launchers[package] = path
    return launchers


def write_language_host(bin_dir: Path, *, project_root: Path, python: str = sys.executable) -> Path:
    """Write `pulumi-language-python`, the launcher of the stand-in language host, into `bin_dir`.

    The real host cannot be built (the Go module proxy refuses its module; see standin/language.py);
    the engine finds this one on PATH and starts it as it starts any language plugin. `-P`: the engine
    starts it in the program's directory, and `python -m` would put that first on sys.path, where
    `infra/platform.py` shadows the standard library's `platform` (imported by `uuid` while `pulumi`
    loads: "AttributeError: partially initialized module 'pulumi' has no attribute 'ResourceOptions'").
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "pulumi-language-python"
    path.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(project_root))} "
        f'exec {shlex.quote(python)} -P -m mlplat.engine.standin.language "$@"\n'
    )
    path.chmod(0o755)
    return path
