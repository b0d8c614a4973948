"""The command-line application and what every command shares: project discovery, errors, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

app = typer.Typer(
    help="mlplat: plan, check and cost the ML platform offline; promote between environments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def find_project_dir(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    fail(f"no Pulumi.yaml in {start} or any parent directory")


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr, no traceback, and the exit status the contract gives."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class Progress:
    """A spinner on a terminal; nothing when output is piped (CI, --json)."""

    def __init__(self, message: str) -> None:
        self._status = err.status(message, spinner="dots") if err.is_terminal else None

    def __enter__(self) -> None:
        if self._status is not None:
            self._status.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)


@app.callback()
def _root() -> None:
    """Keep subcommands explicit (`mlplat plan dev`)."""
