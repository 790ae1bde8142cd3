"""lake/practice_geography: practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's
practice map, once its rows passed their expectations (pipelines/checks/nhs_digital_suite.py)."""

from __future__ import annotations

from pathlib import Path

from pipelines.atomic import StagedFile, scratch_dir
from pipelines.checks.nhs_digital_suite import map_expectations
from pipelines.lake.nhs_digital_format import MAP_COLUMNS, header_names, parse_extract_date
from pipelines.lake.nhs_digital_rows import check_rows, connection, stage_rows
from pipelines.layout import Layout
from pipelines.reference import geography_rule, region_codes
from pipelines.sources.nhs_digital import find_file, opened_csv
from pipelines.sqlfiles import load_sql


def stage_practice_geography(folder: Path, month: str, layout: Layout, work: Path) -> StagedFile:
    """lake/practice_geography/month=<month> built in `work` from the month's gp-reg-pat-prac-map file."""
    map_file = find_file(folder, "map")
    work.mkdir(parents=True, exist_ok=True)
    with opened_csv(map_file, work) as path:
        con = connection(work)
        try:
            rows = work / "map_rows.parquet"
            extract = stage_rows(con, "map_rows", path, MAP_COLUMNS, map_file.name, month, rows)
            # The map names its ICB column STP_CODE before July 2022: that era's codes are checked then.
            era = "STP" if "STP_CODE" in header_names(path) else "ICB"
            check_rows(
                rows,
                "map_rows",
                map_expectations(geography_rule(month, era), region_codes()),
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
        layout.lake_file("practice_geography", month),
        {
            "practices": int(practices),
            "icbs": int(icbs),
            "extract_date": parse_extract_date(extract).isoformat(),
            "file": map_file.name,
        },
    )


def ingest_practice_geography(folder: Path, month: str, layout: Layout) -> dict:
    """Stage, check and publish the month's map on its own (tests, benchmarks); a monthly run publishes it
    with the rest of its month (pipelines/lake/month.py)."""
    with scratch_dir(layout.tmp, f"map-{month}") as work:
        return stage_practice_geography(folder, month, layout, work).publish()
