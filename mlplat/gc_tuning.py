"""Garbage collection tuned for a short-lived process that imports the large cloud SDKs.

CPython's full collection walks every tracked object. A plan imports hundreds of thousands of them
(the SDKs' generated types) that live until the process exits, and the default thresholds rescan
them a dozen times per plan, about as much CPU as the plan's own work. Young-generation collections
keep running, so short-lived cycles (asyncio tasks, outputs) are still freed; full collections wait
for the process to end. Peak memory is unchanged within a few MiB (`make bench` prints it).
"""

from __future__ import annotations

import gc

# Full collections happen only after this many second-generation collections (CPython's default: 10).
FULL_COLLECTION_EVERY = 10_000


def for_short_run() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
