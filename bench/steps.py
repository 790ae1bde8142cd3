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
    from pipelines.datasets.epd.stage import ingest_epd_month
    from pipelines.layout import Layout

    result = ingest_epd_month(Path(source), month, Layout(Path(data_dir)))
    return {"rows": result.rows, "items": result.items}


def ingest_floor(csv_path: str, work_dir: str) -> dict:
    """What ingest is made of, one piece at a time in this process (wall and CPU seconds, warm cache):
    polars' own line count; reading, parsing and casting every column without writing; the same written as
    the Parquet fact (ingest's one pass); counting line ends to find each practice's raw line (its names
    are decoded as Latin-1 from there); and the Great Expectations suite on the written fact."""
    import resource
    import time

    import polars as pl

    from pipelines.datasets.epd import scan
    from pipelines.datasets.epd.flavours import detect_flavour
    from pipelines.datasets.epd.stage import read_header
    from pipelines.datasets.epd.validation import validate_prescribing

    path, work = Path(csv_path), Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    flavour = detect_flavour(read_header(path), source=path.name)
    month = "2026-01"
    out: dict = {}

    def clock(name, action):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu, started = usage.ru_utime + usage.ru_stime, time.perf_counter()
        action()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out[name] = {
            "wall_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime - cpu, 2),
        }

    fact = work / "fact.parquet"
    clock("polars_line_count", lambda: scan.epd_frame(path, flavour).select(pl.len()).collect(engine="streaming"))
    clock(
        "parse_and_cast",
        lambda: (
            scan.fact_plan(scan.epd_frame(path, flavour), flavour, month)
            .select(pl.all().null_count())
            .collect(engine="streaming")
        ),
    )
    clock("parse_cast_and_write_fact", lambda: scan.write_fact(path, flavour, month, fact))
    clock("line_ends_for_names", lambda: scan.line_offsets(path, list(range(0, 18_000_000, 2_000))))
    clock("suite", lambda: validate_prescribing(fact, month, flavour.geography, work / "tmp"))
    return out


def indicators(data_dir: str, months: str) -> dict:
    """Practice values for each month, then every org level for all of them (as after a definition change)."""
    import time

    from pipelines.indicators.engine import build_warehouse, compute_practice_month
    from pipelines.layout import Layout

    layout = Layout(Path(data_dir))
    started = time.perf_counter()
    for month in months.split(","):
        compute_practice_month(layout, month)
    practice_s = time.perf_counter() - started
    rows = build_warehouse(layout)["rows"]
    return {
        "rows": rows,
        "practice_values_s": round(practice_s, 2),
        "org_levels_s": round(time.perf_counter() - started - practice_s, 2),
    }


def outputs(data_dir: str, month: str) -> dict:
    """What the outputs step of a run does for the month: the analysis, every ICB's workbook, the site."""
    import time

    from pipelines.layout import Layout
    from pipelines.outputs.analysis import load_analysis
    from pipelines.outputs.extracts import write_extracts
    from pipelines.outputs.report.site import build_site

    started = time.perf_counter()
    analysis = load_analysis(Layout(Path(data_dir)), month)
    loaded = time.perf_counter()
    workbooks = write_extracts(analysis)["workbooks"]
    written = time.perf_counter()
    site = build_site(analysis)
    return {
        "workbooks": workbooks,
        "pages": site["icb_pages"] + site["pcn_pages"] + site["practice_pages"] + 1,
        "analysis_s": round(loaded - started, 2),
        "extracts_s": round(written - loaded, 2),
        "site_s": round(time.perf_counter() - written, 2),
    }


def monthly(data_dir: str, epd_dir: str, month: str) -> dict:
    """Dagster's monthly_job for one month (raw file, checked lake month, list sizes, map, practice values):
    what each of ~150 months of a backfill costs."""
    from pipelines.settings import Settings
    from pipelines.wiring.runner import run_job_once

    settings = Settings(data_dir=data_dir, source="local", epd_dir=epd_dir, list_size_dir=epd_dir)
    return {"success": run_job_once(settings, "monthly_job", month)}


def pandas_baseline(csv_path: str, map_path: str, out_path: str) -> dict:
    from bench.pandas_baseline import run

    return run(Path(csv_path), Path(map_path), Path(out_path))


if __name__ == "__main__":
    step, *args = sys.argv[1:]
    print(json.dumps(globals()[step](*args)))
