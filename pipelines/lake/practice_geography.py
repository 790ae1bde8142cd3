"""lake/practice_geography: practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's
practice map."""

from __future__ import annotations

from pathlib import Path

from pipelines.atomic import publish_file, scratch_dir
from pipelines.duck import duckdb_connection
from pipelines.lake.nhs_digital_format import MAP_COLUMNS, check_month, first_extract_date, map_columns
from pipelines.layout import Layout
from pipelines.sources.nhs_digital import find_file, opened_csv
from pipelines.sqlfiles import load_sql
from pipelines.textfiles import text_encoding

# What the indicator SQL reads of the table, for a month that has no map yet (written empty).
EMPTY = {"month": "VARCHAR", "practice_code": "VARCHAR", "practice_name": "VARCHAR", "pcn_code": "VARCHAR",
         "pcn_name": "VARCHAR", "sub_icb_code": "VARCHAR", "icb_code": "VARCHAR", "region_code": "VARCHAR"}


def ingest_practice_geography(folder: Path, month: str, layout: Layout) -> dict:
    """Write lake/practice_geography/month=<month> from the month's gp-reg-pat-prac-map file."""
    map_file = find_file(folder, "map")
    with scratch_dir(layout.tmp, f"map-{month}") as work:
        with opened_csv(map_file, work) as path:
            names = map_columns(path, MAP_COLUMNS, map_file.name)
            extract = first_extract_date(path, names, map_file.name)
            check_month(extract, month, map_file.name)
            con = duckdb_connection(work, "1GB")
            out = work / "geography.parquet"
            con.execute(load_sql("lake/practice_geography"), {
                "map_path": str(path), "map_names": names, "month": month, "encoding": text_encoding(path),
                "extract_date": extract.isoformat(), "out_path": str(out)})
            practices, icbs = con.execute(
                "SELECT count(*), count(DISTINCT icb_code) FROM read_parquet($p)", {"p": str(out)}).fetchone()
            con.close()
        final = layout.lake_file("practice_geography", month)
        publish_file(out, final)
        return {"practices": int(practices), "icbs": int(icbs), "extract_date": extract.isoformat(),
                "file": map_file.name, "path": str(final)}
