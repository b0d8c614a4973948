"""Garbage collection tuned for a short-lived process that imports the large cloud SDKs.

CPython's full collection walks every tracked object. A plan imports hundreds of thousands of them
(the SDKs' generated types) that live until the process exits, and the default thresholds rescan
them a dozen times per plan, about as much CPU as the plan's own work. Young-generation collections
keep running, so short-lived cycles (asyncio tasks, outputs) are still freed; full collections wait
for the process to end. Peak memory is unchanged within a few MiB (`make bench` prints it).

At exit the interpreter collects again while it clears every module: with the SDKs loaded that took
about 3 s, a third of a plan's wall time, spent freeing memory the operating system reclaims anyway.
An exit handler moves every object then alive to the permanent generation (`gc.freeze`), which those
collections skip. Nothing else changes: every exit handler still runs (closing the policy pack,
flushing logs), the standard streams are flushed, objects freed by reference counting are finalized
as the modules are cleared (an unclosed file is still flushed); only cyclic garbage left at exit is
not collected (the operating system takes the memory back).
"""

from __future__ import annotations

import atexit
import gc

# Full collections happen only after this many second-generation collections (CPython's default: 10).
FULL_COLLECTION_EVERY = 10_000

_applied = False


def for_short_run() -> None:
    global _applied
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    if not _applied:
        atexit.register(gc.freeze)
        _applied = True
