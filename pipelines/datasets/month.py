"""One month into the lake as one unit: every dataset of the registry is staged and checked in scratch, and
only when every one has passed are they published together. A refused file of any kind stops the month with
one line, and nothing of that month becomes visible (the others included): the lake keeps the month's
previous files byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pipelines.atomic import scratch_dir
from pipelines.datasets.dataset import Dataset, Log, Staged, Staging
from pipelines.datasets.records import read_record
from pipelines.layout import Layout


def ingest_month(layout: Layout, month: str, datasets: list[Dataset], log: Log) -> dict[str, dict | None]:
    """Stage each dataset from its source's record, then publish all of them. Returns each dataset's published
    summary by asset (None: the month had nothing of it)."""
    records: dict[str, dict] = {}
    for dataset in datasets:  # every source's record first: a month missing one stops before any staging
        source = dataset.source
        if source.asset not in records:
            records[source.asset] = read_record(source.record_dir(layout, month), source.what, month)
    with scratch_dir(layout.tmp, f"month-{month}") as work:

        def stage(dataset: Dataset, say: Log) -> Staged | None:
            record = records[dataset.source.asset]
            return dataset.stage(Staging(layout, month, record, work / dataset.asset, say))

        staged = side_by_side(datasets, stage, log)
        # Everything passed: publish (renames within the data directory, under the writer's lock).
        return {dataset.asset: part.publish() if part is not None else None for dataset, part in staged}


class HeldLog:
    """What a second thread's staging says, kept and said afterwards by the step's thread (the Dagster log is
    the step's)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, msg: str, /) -> None:
        self.lines.append(("info", msg))

    def warning(self, msg: str, /) -> None:
        self.lines.append(("warning", msg))

    def say(self, log: Log) -> None:
        for level, msg in self.lines:
            getattr(log, level)(msg)


def side_by_side(
    datasets: list[Dataset], stage: Callable[[Dataset, Log], Staged | None], log: Log
) -> list[tuple[Dataset, Staged | None]]:
    """Each dataset staged, in the registry's order: the large ones (the EPD) in this thread and meanwhile the
    others, one after another, in a second thread. A national EPD month is ~30 s of polars, numpy and
    DuckDB, which release the interpreter; the NHS Digital files are seconds of Python and Great Expectations
    (BENCHMARKS.md, issue 31). Both threads are waited for; then the first refusal in the registry's order is
    raised, as when they were staged one after another."""
    outcome: dict[str, Staged | None | Exception] = {}

    def each(group: list[Dataset], say: Log) -> None:
        for dataset in group:
            try:
                outcome[dataset.asset] = stage(dataset, say)
            except Exception as exc:  # raised below, in the registry's order
                outcome[dataset.asset] = exc
                return  # the month is refused: the group's later datasets need not be staged

    large = [d for d in datasets if d.large]
    others = [d for d in datasets if not d.large]
    held = HeldLog()
    if large and others:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage") as pool:
            beside = pool.submit(each, others, held)
            try:
                each(large, log)
            finally:
                beside.result()
                held.say(log)
    else:
        each(datasets, log)
    staged: list[tuple[Dataset, Staged | None]] = []
    for dataset in datasets:
        result = outcome[dataset.asset]
        if isinstance(result, Exception):
            raise result
        staged.append((dataset, result))
    return staged
