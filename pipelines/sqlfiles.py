"""Load the DuckDB SQL files under `sql/` by name. Parameters are always bound, never formatted in."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipelines.resources import resource_dir

SQL_DIR = resource_dir("sql")


@cache
def load_sql(name: str) -> str:
    """`load_sql("lake/practice_counts")` -> the text of sql/lake/practice_counts.sql."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


def sql_literal(value: str) -> str:
    """A SQL string literal (quotes doubled), for our own file paths in view definitions, which cannot
    take bound parameters. Never for input text."""
    return "'" + value.replace("'", "''") + "'"


def month_files(folder: Path, name: str = "*.parquet") -> str:
    """DuckDB's glob over a partitioned table, `folder/month=*/name`. The folder's own characters are
    escaped (a data directory called `nhs [2017]` is a path, not a pattern); only the partition and file
    parts are wildcards."""
    literal = "".join(f"[{ch}]" if ch in "[]*?" else ch for ch in str(folder))
    return f"{literal}/month=*/{name}"
