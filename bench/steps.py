"""One benchmark step per process, so wall time and peak RSS are those of the step alone.
Usage: python -m bench.steps <step> [args...]"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def limit(csv_path: str) -> dict:
    """The cost of just tokenising the file: DuckDB count(*) with every column as text."""
    import duckdb

    rows = duckdb.sql("SELECT count(*) FROM read_csv($p, all_varchar = true)", params={"p": csv_path}).fetchall()[0][0]
    return {"rows": rows}


def ingest(source: str, data_dir: str, month: str) -> dict:
    from pipelines.lake.prescribing import ingest_epd_month
    from pipelines.layout import Layout

    result = ingest_epd_month(Path(source), month, Layout(Path(data_dir)))
    return {"rows": result.rows, "items": result.items}


def indicators(data_dir: str, months: str) -> dict:
    """Practice values for each month, then every org level for all of them (as after a definition change)."""
    from pipelines.indicators.engine import build_warehouse, compute_practice_month
    from pipelines.layout import Layout

    layout = Layout(Path(data_dir))
    for month in months.split(","):
        compute_practice_month(layout, month)
    return {"rows": build_warehouse(layout)["rows"]}


def pandas_baseline(csv_path: str, map_path: str, out_path: str) -> dict:
    from bench.pandas_baseline import run

    return run(Path(csv_path), Path(map_path), Path(out_path))


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    print(json.dumps(globals()[step](*args)))
