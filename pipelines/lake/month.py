"""One month into the lake as one unit: the EPD file, the list sizes and the practice map are each staged
and checked, and only when every one has passed are they published together. A refused file of any kind
stops the month with one line, and nothing of that month becomes visible (the others included): the lake
keeps the month's previous files byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.atomic import scratch_dir
from pipelines.lake.list_sizes import stage_list_sizes
from pipelines.lake.practice_geography import stage_practice_geography
from pipelines.lake.prescribing import IngestResult, stage_epd_month
from pipelines.layout import Layout


@dataclass(frozen=True)
class MonthIngest:
    epd: IngestResult
    list_sizes: dict | None  # None: the month has no quinary-age file (the nearest earlier month's stands in)
    geography: dict | None  # None: the month has no practice map


def ingest_month(
    layout: Layout,
    month: str,
    epd_source: Path,
    nhs_digital: Path | None,
    validate: Callable[[Path, str], dict] | None = None,
    with_list_sizes: bool = True,
    with_map: bool = True,
    log: Callable[[str], None] | None = None,
) -> MonthIngest:
    """Stage the NHS Digital files (small: checked first, so a refused one costs seconds, not an EPD read),
    then the EPD month, then publish all of them."""
    with scratch_dir(layout.tmp, f"month-{month}") as work:
        lists = (
            stage_list_sizes(nhs_digital, month, layout, work / "lists")
            if nhs_digital is not None and with_list_sizes
            else None
        )
        geography = (
            stage_practice_geography(nhs_digital, month, layout, work / "map")
            if nhs_digital is not None and with_map
            else None
        )
        epd = stage_epd_month(epd_source, month, layout, work / "epd", validate=validate, log=log)
        # Everything passed: publish (renames within the data directory, under the writer's lock).
        return MonthIngest(
            epd.publish(), lists.publish() if lists else None, geography.publish() if geography else None
        )
