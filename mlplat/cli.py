"""Entry point of the `mlplat` command: registers every command module, then runs the app."""

from __future__ import annotations

from mlplat.app import app
from mlplat.commands import plan  # noqa: F401  (registers `mlplat plan`)


def main() -> None:
    app()
