"""A generated block of the README between two HTML comment markers, read and rewritten in place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ReadmeBlock:
    start: str
    end: str
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = re.compile(f"{re.escape(self.start)}\n(.*?){re.escape(self.end)}", re.DOTALL)
        object.__setattr__(self, "_pattern", pattern)

    def current(self, readme: str) -> str:
        """The block's text as the README holds it."""
        match = self._pattern.search(readme)
        if match is None:
            raise ValueError(f"README has no {self.start} ... {self.end} block")
        return match.group(1).rstrip("\n")

    def replace(self, readme: Path, table: str) -> bool:
        """Write `table` between the markers; True when the README changed."""
        text = readme.read_text()
        if self.current(text) == table:
            return False
        readme.write_text(self._pattern.sub(lambda _m: f"{self.start}\n{table}\n{self.end}", text, count=1))
        return True
