"""Writing many output files on every core: report pages and workbooks are rendered in pure Python, so
threads would not help; worker processes are forked with the data already in memory.

Whatever the writer reads through DuckDB or polars must be computed before calling `in_parallel`: a
forked child must not call into those libraries' thread pools. MSI_OUTPUT_WORKERS sets the number of
workers (1: write in this process)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

MIN_ITEMS = 16  # below this, forking costs more than it saves

_WRITE: Callable[[list], int] | None = None  # the writer the forked workers call (set just before forking)


def workers() -> int:
    return int(os.environ.get("MSI_OUTPUT_WORKERS", 0)) or min(4, os.cpu_count() or 1)


def in_parallel(write: Callable[[list], int], items: list) -> None:
    """Call `write(chunk)` for interleaved chunks of `items` in forked workers; each returns how many it wrote."""
    n = workers()
    if n == 1 or len(items) < MIN_ITEMS:
        written = write(items)
    else:
        global _WRITE
        _WRITE = write
        chunks = [items[i::n * 4] for i in range(n * 4)]  # interleaved, so that each holds a mix of sizes
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
            written = sum(pool.map(_write_chunk, chunks))
    if written != len(items):
        raise RuntimeError(f"wrote {written} of {len(items)} output files")


def _write_chunk(items: list) -> int:
    return _WRITE(items)
