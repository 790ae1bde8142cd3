"""Write many independent files on every core. Workers are forked, so they inherit the (large,
already computed) analysis instead of receiving it pickled; each call gets only its slice of keys."""

from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Sequence

_TASK: Callable | None = None


def _run(chunk: Sequence) -> int:
    assert _TASK is not None
    for item in chunk:
        _TASK(item)
    return len(chunk)


def for_each(task: Callable, items: Sequence, workers: int | None = None) -> int:
    """Call task(item) for every item, split over `workers` forked processes (in process if one)."""
    global _TASK
    workers = max(1, min(workers or os.cpu_count() or 1, len(items)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            task(item)
        return len(items)
    _TASK = task
    try:
        chunks = [items[i::workers] for i in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return sum(pool.map(_run, chunks))
    finally:
        _TASK = None
