"""lake/practice_geography: practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's
practice map, once its rows passed their expectations (pipelines/datasets/nhs_digital/suite.py)."""

from __future__ import annotations

from pathlib import Path

from pipelines.archives import csv_of
from pipelines.atomic import StagedFile, scratch_dir
from pipelines.datasets.dataset import Staging
from pipelines.datasets.nhs_digital import GEOGRAPHY_TABLE
from pipelines.datasets.nhs_digital.files import ListSizeError, find_file
from pipelines.datasets.nhs_digital.format import MAP_COLUMNS, header_names, parse_extract_date
from pipelines.datasets.nhs_digital.rows import check_rows, connection, stage_rows
from pipelines.datasets.nhs_digital.source import folder_with, not_written
from pipelines.datasets.nhs_digital.suite import map_expectations
from pipelines.layout import Layout
from pipelines.reference import geography_rule, region_codes
from pipelines.sqlfiles import load_sql


def stage_practice_geography(folder: Path, month: str, layout: Layout, work: Path) -> StagedFile:
    """lake/practice_geography/month=<month> built in `work` from the month's gp-reg-pat-prac-map file."""
    map_file = find_file(folder, "map")
    work.mkdir(parents=True, exist_ok=True)
    with csv_of(map_file, work, ListSizeError) as path:
        con = connection(work)
        try:
            rows = work / "map_rows.parquet"
            extract = stage_rows(con, "map_rows", path, MAP_COLUMNS, map_file.name, month, rows)
            # The map names its ICB column STP_CODE before July 2022: that era's codes are checked then.
            era = "STP" if "STP_CODE" in header_names(path) else "ICB"
            check_rows(
                rows,
                "map_rows",
                lambda: map_expectations(geography_rule(month, era), region_codes()),
                work,
                map_file.name,
                month,
            )
            out = work / "geography.parquet"
            con.execute(
                load_sql("lake/practice_geography"),
                {
                    "rows_path": str(rows),
                    "month": month,
                    "extract_date": parse_extract_date(extract).isoformat(),
                    "out_path": str(out),
                },
            )
            practices, icbs = con.execute(load_sql("lake/map_summary"), {"p": str(out)}).fetchone()
        finally:
            con.close()
    return StagedFile(
        out,
        GEOGRAPHY_TABLE.path(layout, month),
        {
            "practices": int(practices),
            "icbs": int(icbs),
            "extract_date": parse_extract_date(extract).isoformat(),
            "file": map_file.name,
        },
    )


def ingest_practice_geography(folder: Path, month: str, layout: Layout) -> dict:
    """Stage, check and publish the month's map on its own (tests, benchmarks); a monthly run publishes it
    with the rest of its month (pipelines/datasets/month.py)."""
    with scratch_dir(layout.tmp, f"map-{month}") as work:
        return stage_practice_geography(folder, month, layout, work).publish()


def stage(staging: Staging) -> StagedFile | None:
    """The dataset's month (pipelines/datasets/registry.py); None when the month has no practice map."""
    folder = folder_with(staging, "map", "the month uses the nearest earlier map, else the EPD rows' own geography")
    return None if folder is None else stage_practice_geography(folder, staging.month, staging.layout, staging.work)


def metadata(published: dict | None) -> dict:
    if published is None:
        return not_written("map")
    return {
        "dagster/row_count": published["practices"],
        "icbs": published["icbs"],
        "extract_date": published["extract_date"],
        "file": published["file"],
        "path": Path(published["path"]),
    }
