"""One month into the lake as one unit: every dataset of the registry is staged and checked in scratch, and
only when every one has passed are they published together. A refused file of any kind stops the month with
one line, and nothing of that month becomes visible (the others included): the lake keeps the month's
previous files byte for byte."""

from __future__ import annotations

from pipelines.atomic import scratch_dir
from pipelines.datasets.dataset import Dataset, Log, Staging
from pipelines.datasets.records import read_record
from pipelines.layout import Layout


def ingest_month(layout: Layout, month: str, datasets: list[Dataset], log: Log) -> dict[str, dict | None]:
    """Stage each dataset from its source's record (in the registry's order), then publish all of them.
    Returns each dataset's published summary by asset (None: the month had nothing of it)."""
    records: dict[str, dict] = {}
    with scratch_dir(layout.tmp, f"month-{month}") as work:
        staged = []
        for dataset in datasets:
            source = dataset.source
            if source.asset not in records:
                records[source.asset] = read_record(source.record_dir(layout, month), source.what, month)
            staging = Staging(layout, month, records[source.asset], work / dataset.asset, log)
            staged.append((dataset, dataset.stage(staging)))
        # Everything passed: publish (renames within the data directory, under the writer's lock).
        return {dataset.asset: part.publish() if part is not None else None for dataset, part in staged}
