"""Entry point of the `mlplat` command: registers every command module, then runs the app."""

from __future__ import annotations

from mlplat import gc_tuning
from mlplat.app import app
from mlplat.commands import bootstrap as _bootstrap  # noqa: F401  (registers `mlplat bootstrap aws`)
from mlplat.commands import (  # noqa: F401  (importing registers the commands)
    compliance,
    constraint_docs,
    cost_table,
    diff,
    permission_docs,
    plan,
    policy_docs,
    promote,
)
from mlplat.commands import preflight as _preflight  # noqa: F401  (registers `mlplat preflight`)
from mlplat.commands import release as _release  # noqa: F401  (registers `mlplat release check|parts`)


def main() -> None:
    gc_tuning.for_short_run()
    app()
