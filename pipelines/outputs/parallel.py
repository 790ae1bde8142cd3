"""Writing many output files on every core: report pages and workbooks are rendered in pure Python, so
threads would not help; worker processes are forked with the data already in memory, and while they write,
this process prepares the next output (`overlapped`).

Whatever the writer reads through DuckDB or polars must be computed before calling `started`: a
forked child must not call into those libraries' thread pools. MSI_OUTPUT_WORKERS sets the number of
workers (1: write in this process)."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Generator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipelines.environment import value

MIN_ITEMS = 16  # below this, forking costs more than it saves
log = logging.getLogger("msi.outputs")
WORKER_TIMEOUT_S = 1800  # a national month's pages take ~15 s; a worker still busy after this is stuck

_WRITE: Callable[[list], int] | None = None  # the writer the forked workers call (set just before forking)


def workers() -> int:
    return value("MSI_OUTPUT_WORKERS") or min(4, os.cpu_count() or 1)


def started(write: Callable[[list], int], items: list) -> Workers:
    """The workers forked, each calling `write(chunk)` on interleaved chunks of `items` (so that each holds a
    mix of sizes) and returning how many it wrote; this process is free until `Workers.wait`. Below MIN_ITEMS,
    or with one worker, everything is written at `wait`, here."""
    n = workers()
    if n > 1 and len(items) >= MIN_ITEMS:
        global _WRITE
        _WRITE = write
        chunks = [items[i :: n * 4] for i in range(n * 4)]
        gc.freeze()  # the children never collect (or free) what they inherit
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"))
        try:
            results = pool.map(_write_chunk, chunks, timeout=WORKER_TIMEOUT_S)
        except BrokenProcessPool as exc:  # the workers could not start: everything is written at `wait`
            _failed(exc, items)
            _stop(pool, wait=False)
        except BaseException:
            _stop(pool, wait=False)
            raise
        else:
            return Workers(write, items, pool, results)
    return Workers(write, items, None, iter(()))


def _failed(exc: BaseException, items: list) -> None:
    log.warning(
        "output workers failed (%s); writing the %d files in this process instead", type(exc).__name__, len(items)
    )


class Workers:
    """Forked workers writing files. Should a worker die (a forked child inherits every library's state, and
    one that was mid-way through something when the parent forked can crash the child), `wait` writes
    everything again here, in this process: the files are deterministic and land in a scratch folder
    published only afterwards."""

    def __init__(self, write: Callable[[list], int], items: list, pool: ProcessPoolExecutor | None, results):
        self.write, self.items, self.pool, self.results = write, items, pool, results

    def wait(self) -> None:
        written = None
        if self.pool is not None:
            try:
                written = sum(self.results)
            except (BrokenProcessPool, TimeoutError) as exc:
                _failed(exc, self.items)
                for process in list(getattr(self.pool, "_processes", {}).values()):  # a stuck one is not waited for
                    process.kill()
                self.close()
            else:
                self.close(wait=True)  # gone before anything else forks
        if written is None:
            written = self.write(self.items)
        if written != len(self.items):
            raise RuntimeError(f"wrote {written} of {len(self.items)} output files")

    def close(self, wait: bool = False) -> None:
        """Stop the workers (if not yet): after `wait`, or when what started them failed meanwhile."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            _stop(pool, wait)


def _stop(pool: ProcessPoolExecutor, wait: bool) -> None:
    pool.shutdown(wait=wait, cancel_futures=True)
    gc.unfreeze()


# An output that forks workers can be written in steps, so that the next output is prepared while its workers
# write (BENCHMARKS.md, issue 31): a generator that yields once when prepared (before forking, so that the
# output before it can finish first) and once when its workers are started, and returns what it wrote.
Steps = Generator[None, None, dict]


def finish(steps: Steps) -> dict:
    """Every step of one output, one after another: what it wrote."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def overlapped(outputs: list[Steps]) -> list[tuple[dict, float]]:
    """Outputs written in steps, each prepared while the one before it has its workers writing; then the one
    before is finished (its workers waited for, its files published), and only then are the next one's
    workers forked: one set of workers at a time. For each in order: what it wrote, and the seconds this
    process spent in its steps. Should one fail, the others' workers are stopped."""
    done: dict[int, dict] = {}
    spent = [0.0] * len(outputs)

    def step(i: int, to_the_end: bool = False) -> bool:
        """One step of output i (every step left if `to_the_end`); True once it has finished."""
        started = time.perf_counter()
        try:
            while True:
                next(outputs[i])
                if not to_the_end:
                    return False
        except StopIteration as stop:
            done[i] = stop.value
            return True
        finally:
            spent[i] += time.perf_counter() - started

    try:
        before = None
        for i in range(len(outputs)):
            finished = step(i)  # prepared, while the one before has its workers writing
            if before is not None:
                step(before, to_the_end=True)
                before = None
            if not finished and not step(i):  # its workers forked
                before = i
        if before is not None:
            step(before, to_the_end=True)
    finally:
        for steps in outputs:
            steps.close()  # a generator left mid-way runs its `finally`: its workers are stopped
    return [(done[i], spent[i]) for i in range(len(outputs))]


def _write_chunk(items: list) -> int:
    assert _WRITE is not None  # set before the pool forks
    return _WRITE(items)
