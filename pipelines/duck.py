"""DuckDB plumbing every step shares: a capped connection, COPY of one of our SQL files to Parquet, a
temporary table from one, and an empty Parquet file standing in for a table that does not exist yet."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.sqlfiles import load_sql

PARQUET = "FORMAT parquet, COMPRESSION zstd"


def duckdb_connection(tmp_dir: Path, memory_limit: str = "2GB", threads: int | None = None):
    """A DuckDB connection with a memory cap, a spill directory inside the data directory and our macros."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")  # constant from code, not input
    con.execute("SET temp_directory = $d", {"d": str(tmp_dir / "duckdb_spill")})
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(load_sql("macros"))
    return con


def _query(sql_name: str) -> str:
    return load_sql(sql_name).strip().rstrip(";")


def copy_query(con, sql_name: str, out: Path, params: dict, options: str = PARQUET) -> None:
    """COPY (sql/<sql_name>.sql) TO `out`. The statement is our own SQL file; every value is a bound
    parameter; `options` is a constant of the calling module."""
    con.execute(f"COPY ({_query(sql_name)}) TO $out_path ({options})", {**params, "out_path": str(out)})


def create_temp_table(con, table: str, sql_name: str, params: dict) -> None:
    """CREATE TEMP TABLE `table` AS sql/<sql_name>.sql (`table` is a constant of the calling module)."""
    con.execute(f"CREATE TEMP TABLE {table} AS {_query(sql_name)}", params)


def write_empty(con, path: Path, columns: dict[str, str]) -> Path:
    """An empty Parquet file with these columns (name -> DuckDB type, constants of the calling module), for
    a lake table the month does not have yet, so the same SQL runs either way."""
    select = ", ".join(f"NULL::{kind} AS {name}" for name, kind in columns.items())
    con.execute(f"COPY (SELECT {select} WHERE false) TO $p (FORMAT parquet)", {"p": str(path)})
    return path
