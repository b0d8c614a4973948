"""One clear message for a settings mistake: the stack file, the key path, what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "mlplat:aws.gpuPools[1].maxNodes"
    message: str


class SettingsError(Exception):
    """Invalid stack settings. str(error) is the single line shown to the user."""

    def __init__(self, stack_file: str, problems: Sequence[Problem]):
        assert problems
        self.stack_file = stack_file
        self.problems = list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{stack_file}: {first.path}: {first.message}{suffix}")


def key_path(namespace_key: str, loc: Sequence[str | int]) -> str:
    """('aws', 'gpuPools', 1, 'maxNodes') under 'mlplat' -> 'mlplat:aws.gpuPools[1].maxNodes'."""
    head, *rest = loc
    path = f"{namespace_key}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
