"""National-scale benchmark: `uv run python -m bench` (or `msi bench`). Not part of the test suite.

1. One national-scale sample month (`msi sample --scale national --zip`), reused if present.
2. Each step runs in its own process, several times; the median wall time and the peak RSS of that
   process (os.wait4) are recorded: limit (DuckDB count(*) over the CSV), ingest from CSV and from ZIP,
   indicators for the month, `msi run` end to end (report site excluded), a 24-month backfill of the
   indicators, and the pandas baseline (checked against the pipeline's numbers).
3. Results go to bench/results/<UTC time>.json and a table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-01"
BACKFILL_MONTHS = [f"{2024 + (m - 1) // 12:04d}-{(m - 1) % 12 + 1:02d}" for m in range(3, 27)]  # 2024-03 .. 2026-02


def timed(argv: list[str], env: dict | None = None) -> dict:
    """Run a command; its wall time and its own peak RSS (not the harness's)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return {"wall_s": round(wall, 2), "peak_rss_gb": round(usage.ru_maxrss / 1024 / 1024, 3), "output": out.strip()[-500:]}


def measure(name: str, argv: list[str], repeats: int, before=None) -> dict:
    runs = []
    for _ in range(repeats):
        if before:
            before()
        runs.append(timed(argv))
        print(f"  {name}: {runs[-1]['wall_s']} s, {runs[-1]['peak_rss_gb']} GB", flush=True)
    return {"wall_s": statistics.median(r["wall_s"] for r in runs),
            "peak_rss_gb": max(r["peak_rss_gb"] for r in runs), "runs": runs}


def step(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.steps", *args]


def ensure_sample(data: Path) -> tuple[Path, Path, Path]:
    csv, zipped = data / f"EPD_SNOMED_{MONTH.replace('-', '')}.csv", data / f"EPD_SNOMED_{MONTH.replace('-', '')}.zip"
    if not (csv.is_file() and zipped.is_file() and (data / MONTH).is_dir()):
        print("generating the national-scale sample month (~2 minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "pipelines.cli", "sample", "--months", MONTH, "--out", str(data),
                        "--scale", "national", "--zip"], check=True, cwd=ROOT)
    maps = sorted((data / MONTH).glob("gp-reg-pat-prac-map.*"))
    return csv, zipped, maps[0]


def backfill_lake(source_lake: Path, target: Path) -> None:
    """24 national-scale months in a lake, by hard-linking the ingested month's files under each month
    (the indicator SQL takes the month as a parameter, so the content can be shared)."""
    if target.exists():
        shutil.rmtree(target)
    for table in ("prescribing", "practices", "list_sizes", "practice_geography"):
        for month in BACKFILL_MONTHS:
            dest = target / "lake" / table / f"month={month}" / "data.parquet"
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(source_lake / "lake" / table / f"month={MONTH}" / "data.parquet", dest)


def compare_with_pipeline(pandas_out: Path, data_dir: Path) -> float:
    import duckdb

    with duckdb.connect() as con:
        diff = con.execute(
            "SELECT max(abs(coalesce(p.value, -1) - coalesce(i.value, -1))), count(*) FROM read_parquet($p) p "
            "JOIN read_parquet($i) i ON i.indicator_id = p.indicator_id AND i.org_type = p.org_type "
            "AND i.org_code = p.org_code AND i.geography = 'as_published' AND i.month = $m",
            {"p": str(pandas_out), "i": str(data_dir / "warehouse" / "indicator_values" / "month=*" / "*.parquet"),
             "m": MONTH}).fetchone()
    if not diff[1]:
        raise RuntimeError("pandas baseline and pipeline share no rows")
    return float(diff[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"), help="where the sample month lives")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    csv, zipped, map_file = ensure_sample(data)
    work = data / "runs"
    lake = work / "lake_month"
    results: dict = {"month": MONTH, "csv_bytes": csv.stat().st_size, "zip_bytes": zipped.stat().st_size}

    def fresh(path: Path):
        return lambda: shutil.rmtree(path, ignore_errors=True)

    print("measuring", flush=True)
    results["limit"] = measure("limit", step("limit", str(csv)), args.repeats)
    results["ingest_csv"] = measure("ingest (CSV)", step("ingest", str(csv), str(lake), MONTH), args.repeats, fresh(lake))
    results["ingest_zip"] = measure("ingest (ZIP)", step("ingest", str(zipped), str(work / "lake_zip"), MONTH),
                                    args.repeats, fresh(work / "lake_zip"))
    # The month's list sizes and map next to the ingested prescribing, then the indicators.
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from pipelines.layout import Layout;"
                    " from pipelines.lake.list_sizes import ingest_list_sizes; from pipelines.lake.practice_geography import ingest_practice_geography;"
                    " l = Layout(Path(sys.argv[1])); f = Path(sys.argv[2]);"
                    " ingest_list_sizes(f, sys.argv[3], l); ingest_practice_geography(f, sys.argv[3], l)",
                    str(lake), str(data / MONTH), MONTH], check=True, cwd=ROOT)
    results["indicators_month"] = measure("indicators (1 month)", step("indicators", str(lake), MONTH), args.repeats)
    e2e = work / "end_to_end"
    results["month_end_to_end"] = measure(
        "msi run end to end", [sys.executable, "-m", "pipelines.cli", "run", "--source", "local", "--months", MONTH,
                               "--epd-dir", str(data), "--list-size-dir", str(data), "--data-dir", str(e2e),
                               "--no-report"], args.repeats, fresh(e2e))
    backfill = work / "backfill"
    backfill_lake(lake, backfill)
    results["indicators_24_months"] = measure("indicators (24 months)",
                                              step("indicators", str(backfill), ",".join(BACKFILL_MONTHS)), args.repeats)
    pandas_out = work / "pandas.parquet"
    results["pandas_month"] = measure("pandas baseline (1 month)", step("pandas_baseline", str(csv), str(map_file),
                                                                         str(pandas_out)), args.repeats)
    results["pandas_max_abs_difference"] = compare_with_pipeline(pandas_out, lake)
    limit_s = results["limit"]["wall_s"]
    results["ratios"] = {
        "ingest_csv_over_limit": round(results["ingest_csv"]["wall_s"] / limit_s, 2),
        "end_to_end_over_limit": round(results["month_end_to_end"]["wall_s"] / limit_s, 2),
        "pandas_over_pipeline_month": round(results["pandas_month"]["wall_s"] / results["month_end_to_end"]["wall_s"], 2),
        # pandas must re-read every month's CSV to recompute after a definition change
        "pandas_24_over_pipeline_24": round(24 * results["pandas_month"]["wall_s"] / results["indicators_24_months"]["wall_s"], 1),
    }
    import duckdb
    import polars

    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                          "duckdb": duckdb.__version__, "polars": polars.__version__}
    results["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = ROOT / "bench" / "results" / f"{results['date'].replace(':', '')}.json"
    out.write_text(json.dumps(results, indent=2))
    write_table(results, out)
    print(f"results: {out}")


def write_table(r: dict, json_path: Path) -> None:
    rows = [("limit: DuckDB count(*), all_varchar", "limit"), ("ingest from CSV", "ingest_csv"),
            ("ingest from ZIP", "ingest_zip"), ("indicators, 1 month from the lake", "indicators_month"),
            ("`msi run` end to end (no report site)", "month_end_to_end"),
            ("indicators, 24 months from the lake", "indicators_24_months"), ("pandas baseline, 1 month", "pandas_month")]
    limit_s = r["limit"]["wall_s"]
    lines = ["| step | wall (median) | peak RSS | × limit |", "|---|---|---|---|"]
    for label, key in rows:
        lines.append(f"| {label} | {r[key]['wall_s']:.1f} s | {r[key]['peak_rss_gb']:.2f} GB | {r[key]['wall_s'] / limit_s:.1f} |")
    ratios = r["ratios"]
    table = "\n".join(lines) + (
        f"\n\nRatios: ingest / limit {ratios['ingest_csv_over_limit']}, end to end / limit "
        f"{ratios['end_to_end_over_limit']}, pandas / pipeline (1 month) {ratios['pandas_over_pipeline_month']}, "
        f"pandas / pipeline (24-month recompute) {ratios['pandas_24_over_pipeline_24']}. Pandas and pipeline values "
        f"agree to {r['pandas_max_abs_difference']:.2e}. Raw figures: `{json_path.relative_to(ROOT)}` "
        f"({r['date']}, {r['machine']['cpus']} cores).\n")
    doc = ROOT / "BENCHMARKS.md"
    text = doc.read_text() if doc.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start in text:
        text = text[: text.index(start) + len(start)] + "\n" + table + text[text.index(end):]
    else:
        text += f"\n## Latest results\n{start}\n{table}{end}\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
