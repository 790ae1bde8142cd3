"""Every dataset, one line each. The Dagster source assets, the lake_month step's assets and its stage, check
and publish loop (pipelines/wiring/assets/sources.py, lake.py; pipelines/datasets/month.py) and the table
list (pipelines/tables.py) are made from these lists: a new dataset is its folder under pipelines/datasets/
and a line here (tests/datasets/test_registry.py adds one as a newcomer would)."""

from __future__ import annotations

from pipelines.datasets import epd, nhs_digital, patient
from pipelines.datasets.dataset import Dataset, Source
from pipelines.table import Table

# The month's datasets, staged in this order and published together once all have passed: the small NHS
# Digital files first, so that a refused one costs seconds rather than a national EPD read.
DATASETS: list[Dataset] = [
    nhs_digital.LIST_SIZES,
    nhs_digital.PRACTICE_MAP,
    epd.PRESCRIBING,
]

# Lake tables written by something other than the monthly step: the patient-level extract has its own asset.
OTHER_LAKE_TABLES: tuple[Table, ...] = patient.TABLES


def month_tables(datasets: list[Dataset] | None = None) -> list[Table]:
    """The lake tables the monthly step writes, each dataset's in its order."""
    return [t for d in (DATASETS if datasets is None else datasets) for t in d.tables]


LAKE_TABLES: tuple[Table, ...] = (*month_tables(), *OTHER_LAKE_TABLES)


def sources(datasets: list[Dataset] | None = None) -> list[Source]:
    """The sources the datasets are made from, each once (Dagster orders them by their `after`)."""
    return list({d.source.asset: d.source for d in (DATASETS if datasets is None else datasets)}.values())
