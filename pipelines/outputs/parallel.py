"""Writing many output files on every core: report pages and workbooks are rendered in pure Python, so
threads would not help; worker processes are forked with the data already in memory.

Whatever the writer reads through DuckDB or polars must be computed before calling `in_parallel`: a
forked child must not call into those libraries' thread pools. MSI_OUTPUT_WORKERS sets the number of
workers (1: write in this process)."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipelines.environment import value

MIN_ITEMS = 16  # below this, forking costs more than it saves
log = logging.getLogger("msi.outputs")
WORKER_TIMEOUT_S = 1800  # a national month's pages take ~15 s; a worker still busy after this is stuck

_WRITE: Callable[[list], int] | None = None  # the writer the forked workers call (set just before forking)


def workers() -> int:
    return value("MSI_OUTPUT_WORKERS") or min(4, os.cpu_count() or 1)


def in_parallel(write: Callable[[list], int], items: list) -> None:
    """Call `write(chunk)` for interleaved chunks of `items` in forked workers; each returns how many it wrote.
    Should a worker die (a forked child inherits every library's state, and one that was mid-way through
    something when the parent forked can crash the child), everything is written again here, in this
    process: the files are deterministic and land in a scratch folder published only afterwards."""
    n = workers()
    written = None
    if n > 1 and len(items) >= MIN_ITEMS:
        global _WRITE
        _WRITE = write
        chunks = [items[i :: n * 4] for i in range(n * 4)]  # interleaved, so that each holds a mix of sizes
        gc.freeze()  # the children never collect (or free) what they inherit
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"))
        try:
            written = sum(pool.map(_write_chunk, chunks, timeout=WORKER_TIMEOUT_S))
        except (BrokenProcessPool, TimeoutError) as exc:
            log.warning(
                "output workers failed (%s); writing the %d files in this process instead",
                type(exc).__name__,
                len(items),
            )
            for process in list(getattr(pool, "_processes", {}).values()):  # a stuck worker is not waited for
                process.kill()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            gc.unfreeze()
    if written is None:
        written = write(items)
    if written != len(items):
        raise RuntimeError(f"wrote {written} of {len(items)} output files")


def _write_chunk(items: list) -> int:
    assert _WRITE is not None  # set before the pool forks
    return _WRITE(items)
