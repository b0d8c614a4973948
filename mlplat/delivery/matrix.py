"""`python -m mlplat.delivery.matrix [--only ENV]`: for each kind of stack (platform, eks, gke, aks), the JSON
list of environments that have one, as $GITHUB_OUTPUT lines for the drift and destroy workflows' matrices."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from infra.settings import load_settings
from mlplat.delivery.release import CLUSTER_KIND, environments, stacks
from mlplat.engine.stackfile import load_stack_config


def kinds_by_environment(project_dir: Path, only: str | None = None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {kind: [] for kind in ("platform", *CLUSTER_KIND.values())}
    for env in environments(project_dir):
        if only and env != only:
            continue
        config = load_stack_config(project_dir, env)
        for stack in stacks(load_settings(env, config.config, config.secret_keys)):
            found[stack.kind].append(env)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=None)
    parser.add_argument("--cwd", type=Path, default=Path.cwd())
    args = parser.parse_args()
    for kind, envs in kinds_by_environment(args.cwd, args.only).items():
        print(f"{kind}={json.dumps(envs)}")


if __name__ == "__main__":
    main()
