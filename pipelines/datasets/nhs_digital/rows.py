"""An NHS Digital file's rows staged as published (trimmed text, each with its line in the file) and held to
its expectations (pipelines/datasets/nhs_digital/suite.py) before anything is built from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.datasets.nhs_digital.files import ListSizeError
from pipelines.datasets.nhs_digital.format import check_month, first_extract_text, map_columns, parse_extract_date
from pipelines.datasets.nhs_digital.suite import NAMING
from pipelines.sqlfiles import load_sql
from pipelines.textfiles import NotText, text_encoding

WHAT = {"quin_rows": "quinary-age list size", "female_rows": "single-year female list size", "map_rows": "practice map"}


def stage_rows(con, sql: str, csv_path: Path, columns: dict[str, list[str]], label: str, month: str, out: Path) -> str:
    """Write the file's rows to `out` (sql/lake/<sql>.sql) and return its first EXTRACT_DATE as published,
    once that is known to be in `month`. `con` keeps insertion order on one thread (line numbers)."""
    try:
        encoding = text_encoding(csv_path)  # and refused, naming the file, if it is not text as published
    except NotText as exc:
        raise ListSizeError(
            f"{label} for {month}: {str(exc).removeprefix(csv_path.name + ': ')}. Nothing of "
            f"{month} was published; the lake keeps the month's previous data"
        ) from None
    names = map_columns(csv_path, columns, label)
    first = first_extract_text(csv_path, names, label)
    check_month(parse_extract_date(first), month, label)
    try:
        con.execute(
            load_sql(f"lake/{sql}"),
            {
                "path": str(csv_path),
                "names": names,
                "encoding": encoding,
                "first_extract_date": first,
                "out_path": str(out),
            },
        )
    except Exception as exc:  # duckdb's error: say which file
        raise ListSizeError(f"{label} for {month}: cannot read it ({str(exc).splitlines()[0]})") from exc
    return first


def check_rows(rows: Path, table: str, expectations: Callable[[], list], work: Path, label: str, month: str) -> dict:
    """The summary of `expectations()` (built here, under GE's lock) on the staged rows; a failure stops the
    month with one line naming the file, each failed rule and its first rows (by line)."""
    from pipelines.checks.gx_duckdb import ONE_SUITE_AT_A_TIME, failure_text, name_refused_rows, validate_parquet

    with ONE_SUITE_AT_A_TIME:
        built = expectations()
        summary = validate_parquet(rows, table, built, work)
    summary = name_refused_rows(rows, summary, built, NAMING[table])
    if not summary["success"]:
        raise ListSizeError(
            f"{label} for {month} refused by the {WHAT[table]} expectations: {failure_text(summary)}. "
            f"Nothing of {month} was published; the lake keeps the month's previous data"
        )
    return summary


def connection(work: Path):
    """A DuckDB connection that reads a file in its row order, as staging needs for line numbers."""
    from pipelines.duck import duckdb_connection

    con = duckdb_connection(work, "1GB", threads=1)
    con.execute("SET preserve_insertion_order = true")
    return con
