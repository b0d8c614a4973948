"""Entry point of the `mlplat` command: registers every command module, then runs the app."""

from __future__ import annotations

from mlplat.app import app
from mlplat.commands import diff, plan, promote  # noqa: F401  (importing registers the commands)


def main() -> None:
    app()
