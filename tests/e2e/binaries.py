"""Where the control plane's programs are: built from Go modules by `tools/e2e/build.sh` into
`${MLPLAT_E2E_CACHE:-~/.cache/mlplat-e2e}/<program>-<version>/`. Nothing here builds anything."""

from __future__ import annotations

import os
from pathlib import Path

KUBERNETES = "v1.35.4"
KUEUE = "v0.17.0"  # the project pins chart 0.13.4; v0.17 is the only Kueue release still served


def cache() -> Path:
    return Path(os.environ.get("MLPLAT_E2E_CACHE") or Path.home() / ".cache" / "mlplat-e2e")


def find(program: str, version: str | None = None, *, executable: str | None = None) -> Path | None:
    """`<cache>/<program>-<version>/[bin/]<executable>`; any version when none is given (etcd)."""
    name = executable or program
    pattern = f"{program}-{version}" if version else f"{program}-v*"
    for directory in sorted(cache().glob(pattern), reverse=True):
        for candidate in (directory / name, directory / "bin" / name):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def kueue_crds() -> list[Path]:
    """Kueue's CRDs as controller-gen writes them into the cache; else the copies Kueue's module ships
    (config/components/crd/bases, the same generator's output checked in upstream)."""
    for directory in sorted(cache().glob(f"kueue*{KUEUE}*")):
        found = sorted(p for p in directory.rglob("kueue.x-k8s.io_*.yaml"))
        if found:
            return found
    module = kueue_module()
    return sorted((module / "config/components/crd/bases").glob("*.yaml")) if module else []


def kueue_module() -> Path | None:
    """Kueue's module source in the Go module cache (its webhook manifests and chart defaults)."""
    root = Path(
        os.environ.get("GOMODCACHE") or Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg/mod"
    )
    path = root / "sigs.k8s.io" / f"kueue@{KUEUE}"
    return path if path.is_dir() else None


def missing() -> list[str]:
    """What is not built yet, for the skip message."""
    wanted = {
        "etcd": find("etcd"),
        f"kube-apiserver {KUBERNETES}": find("kube-apiserver", KUBERNETES),
        f"kube-scheduler {KUBERNETES}": find("kube-scheduler", KUBERNETES),
        f"kube-controller-manager {KUBERNETES}": find("kube-controller-manager", KUBERNETES),
        f"kueue {KUEUE}": kueue_manager(),
        "kueue module source (go mod download sigs.k8s.io/kueue@" + KUEUE + ")": kueue_module(),
    }
    return [name for name, path in wanted.items() if path is None]


def kueue_manager() -> Path | None:
    for program, executable in (("kueue", "manager"), ("kueue", "kueue"), ("kueue-manager", "manager")):
        found = find(program, KUEUE, executable=executable)
        if found:
            return found
    return None
