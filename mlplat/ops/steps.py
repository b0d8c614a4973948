"""Idempotent bootstrap steps shared by the GCP and Azure bootstraps: find, else create, and say which.

A step reads first; what exists is reported `ok` (or `weaker` when it falls short and is left alone),
what is missing is created (`created`) or, under --dry-run, only announced (`planned`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mlplat.ops.bootstrap import Check, Status

T = TypeVar("T")


class Steps:
    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.checks: list[Check] = []

    def ensure(
        self, subject: str, detail: str, get: Callable[[], T | None], create: Callable[[], T]
    ) -> T | None:
        """The existing thing, or the new one; None under --dry-run when it is missing."""
        found = get()
        if found is not None:
            self.checks.append(Check(subject, "ok", detail))
            return found
        if self.dry_run:
            self.checks.append(Check(subject, "planned", detail))
            return None
        made = create()
        self.checks.append(Check(subject, "created", detail))
        return made

    def note(self, subject: str, status: Status, detail: str) -> None:
        self.checks.append(Check(subject, status, detail))

    def change(self, subject: str, detail: str, apply: Callable[[], object]) -> None:
        """A change known to be needed (an IAM binding, a registration): made, or announced."""
        if self.dry_run:
            self.checks.append(Check(subject, "planned", detail))
            return
        apply()
        self.checks.append(Check(subject, "created", detail))
