"""National-scale benchmark: `uv run python -m bench` (or `msi bench`). Not part of the test suite.

1. One national-scale sample month (`msi sample --scale national --zip`), reused if present; a second
   month (2025-12) for the side-by-side measurement, if present.
2. Each step runs in its own process, several times; the median wall time and the peak RSS of that
   process (os.wait4) are recorded: the limit (DuckDB count(*) over the CSV: the median of warm scans after
   one discarded warm-up, in the same run as everything else), ingest from CSV and from ZIP, indicators for
   the month, the outputs (workbooks and report site), `msi run` end to end *with the report* from the CSV
   and from the ZIP, a 24-month recompute of the indicators, Dagster's monthly job for two months one
   after the other and side by side, and the pandas baseline (checked against the pipeline's numbers).
3. Results go to bench/results/<UTC time>.json and a table in BENCHMARKS.md, each figure with its command.
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
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-01"
SECOND_MONTH = "2025-12"  # for the side-by-side measurement (generated if missing)
BACKFILL_MONTHS = [f"{2024 + (m - 1) // 12:04d}-{(m - 1) % 12 + 1:02d}" for m in range(3, 27)]  # 2024-03 .. 2026-02


def timed(argv: list[str], env: dict | None = None) -> dict:
    """Run a command; its wall time, its CPU seconds (with the workers it waited for) and its own peak RSS
    (not the harness's)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 1024 / 1024, 3),
        "output": out.strip()[-500:],
    }


def command(argv: list[str]) -> str:
    """The command as a reader would type it from the repository root."""
    text = " ".join(argv).replace(sys.executable, "uv run python").replace(str(ROOT) + "/", "")
    return text


def sample_argv(data: Path, zipped: bool) -> list[str]:
    """`msi sample` of the benchmark month at national scale into `data` (with the ZIP as NHSBSA publishes it)."""
    argv = [sys.executable, "-m", "pipelines.cli", "sample", "--months", MONTH, "--out", str(data)]
    return argv + ["--scale", "national"] + (["--zip"] if zipped else [])


def run_argv(epd_dir: Path, data_dir: Path) -> list[str]:
    """`msi run` of the benchmark month from local files (the EPD and NHS Digital's files in one folder)."""
    options = {"--source": "local", "--months": MONTH, "--epd-dir": epd_dir, "--list-size-dir": epd_dir}
    return [sys.executable, "-m", "pipelines.cli", "run"] + [
        str(a) for pair in {**options, "--data-dir": data_dir}.items() for a in pair
    ]


def measure(name: str, argv: list[str], repeats: int, before=None, warm_up: bool = False) -> dict:
    runs = []
    if warm_up:  # one run first, not counted: the page cache then holds the file for every counted run
        timed(argv)
    for _ in range(repeats):
        if before:
            before()
        runs.append(timed(argv))
        print(f"  {name}: {runs[-1]['wall_s']} s, {runs[-1]['peak_rss_gb']} GB", flush=True)
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
        "runs": runs,
        "command": command(argv),
    }


def side_by_side(argvs: list[list[str]]) -> dict:
    """Several commands started together; the wall time until the last ends and the sum of their peak RSS."""
    started = time.perf_counter()
    procs = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT) for a in argvs]
    peaks = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("a side-by-side run failed")
        peaks.append(usage.ru_maxrss / 1024 / 1024)
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "peak_rss_gb": round(sum(peaks), 3),
        "command": " & ".join(command(a) for a in argvs),
    }


def output_of(result: dict) -> dict:
    """The JSON a bench step printed, from its median run."""
    runs = sorted(result["runs"], key=lambda r: r["wall_s"])
    return json.loads(runs[len(runs) // 2]["output"].splitlines()[-1])


def step(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.steps", *args]


def ensure_sample(data: Path) -> tuple[Path, Path, Path]:
    csv, zipped = data / f"EPD_SNOMED_{MONTH.replace('-', '')}.csv", data / f"EPD_SNOMED_{MONTH.replace('-', '')}.zip"
    if not (csv.is_file() and zipped.is_file() and (data / MONTH).is_dir()):
        print("generating the national-scale sample month (~2 minutes)", flush=True)
        subprocess.run(
            sample_argv(data, zipped=True),
            check=True,
            cwd=ROOT,
        )
    if not ((data / f"EPD_SNOMED_{SECOND_MONTH.replace('-', '')}.csv").is_file() and (data / SECOND_MONTH).is_dir()):
        print("generating a second national-scale month (~2 minutes)", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "sample",
                "--months",
                SECOND_MONTH,
                "--out",
                str(data),
                "--scale",
                "national",
            ],
            check=True,
            cwd=ROOT,
        )
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
            {
                "p": str(pandas_out),
                "i": str(data_dir / "warehouse" / "indicator_values" / "month=*" / "*.parquet"),
                "m": MONTH,
            },
        ).fetchone()
    if not diff[1]:
        raise RuntimeError("pandas baseline and pipeline share no rows")
    return float(diff[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"), help="where the sample month lives")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one national month end to end with the limit in the same run (~5 minutes): the guard "
        "every change to the run quotes",
    )
    args = parser.parse_args(argv)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    if args.quick:
        quick(data)
        return
    csv, zipped, map_file = ensure_sample(data)
    work = data / "runs"
    lake = work / "lake_month"
    results: dict = {"month": MONTH, "csv_bytes": csv.stat().st_size, "zip_bytes": zipped.stat().st_size}

    def fresh(path: Path):
        return lambda: shutil.rmtree(path, ignore_errors=True)

    print("measuring", flush=True)
    results["limit"] = measure("limit", step("limit", str(csv)), max(3, args.repeats), warm_up=True)
    results["ingest_csv"] = measure(
        "ingest (CSV)", step("ingest", str(csv), str(lake), MONTH), args.repeats, fresh(lake)
    )
    floor = work / "ingest_floor"
    results["ingest_floor"] = measure("ingest, piece by piece", step("ingest_floor", str(csv), str(floor)), 1)
    results["ingest_floor"]["parts"] = output_of(results["ingest_floor"])
    shutil.rmtree(floor, ignore_errors=True)
    results["ingest_zip"] = measure(
        "ingest (ZIP)",
        step("ingest", str(zipped), str(work / "lake_zip"), MONTH),
        args.repeats,
        fresh(work / "lake_zip"),
    )
    # The month's list sizes and map next to the ingested prescribing, then the indicators.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from pipelines.layout import Layout;"
            " from pipelines.datasets.nhs_digital.list_sizes import ingest_list_sizes;"
            " from pipelines.datasets.nhs_digital.practice_map import ingest_practice_geography;"
            " l = Layout(Path(sys.argv[1])); f = Path(sys.argv[2]);"
            " ingest_list_sizes(f, sys.argv[3], l); ingest_practice_geography(f, sys.argv[3], l)",
            str(lake),
            str(data / MONTH),
            MONTH,
        ],
        check=True,
        cwd=ROOT,
    )
    results["indicators_month"] = measure("indicators (1 month)", step("indicators", str(lake), MONTH), args.repeats)
    results["outputs_month"] = measure(
        "outputs (workbooks and report site)", step("outputs", str(lake), MONTH), args.repeats
    )
    results["outputs_month"]["parts"] = output_of(results["outputs_month"])
    e2e = work / "end_to_end"
    zip_only = data / "zip_only"  # the ZIP alone (hard-linked), with the month's NHS Digital files
    if not zip_only.is_dir():
        zip_only.mkdir()
        os.link(zipped, zip_only / zipped.name)
        shutil.copytree(data / MONTH, zip_only / MONTH)

    results["month_end_to_end"] = measure(
        "msi run end to end, report included (CSV)", run_argv(data, e2e), args.repeats, fresh(e2e)
    )
    results["month_end_to_end_zip"] = measure(
        "msi run end to end, report included (ZIP)", run_argv(zip_only, e2e), args.repeats, fresh(e2e)
    )
    backfill = work / "backfill"
    backfill_lake(lake, backfill)
    results["indicators_24_months"] = measure(
        "indicators (24 months)", step("indicators", str(backfill), ",".join(BACKFILL_MONTHS)), args.repeats
    )
    results["indicators_24_months"]["parts"] = output_of(results["indicators_24_months"])
    second = data / f"EPD_SNOMED_{SECOND_MONTH.replace('-', '')}.csv"
    if second.is_file() and (data / SECOND_MONTH).is_dir():
        # Dagster's monthly job for two national months: one after the other, then side by side (two runs at
        # once, as a run queue with max_concurrent_runs=2 or the multiprocess executor over partitions would).
        one, two = work / "month_a", work / "month_b"
        pair = [step("monthly", str(one), str(data), MONTH), step("monthly", str(two), str(data), SECOND_MONTH)]
        for folder in (one, two):
            shutil.rmtree(folder, ignore_errors=True)
        sequential = [timed(a) for a in pair]
        results["two_months_sequential"] = {
            "wall_s": round(sum(r["wall_s"] for r in sequential), 2),
            "peak_rss_gb": max(r["peak_rss_gb"] for r in sequential),
            "command": " ; ".join(command(a) for a in pair),
        }
        for folder in (one, two):
            shutil.rmtree(folder, ignore_errors=True)
        results["two_months_side_by_side"] = side_by_side(pair)
        print(
            f"  two months: {results['two_months_sequential']['wall_s']} s one after the other, "
            f"{results['two_months_side_by_side']['wall_s']} s side by side",
            flush=True,
        )
    pandas_out = work / "pandas.parquet"
    results["pandas_month"] = measure(
        "pandas baseline (1 month)", step("pandas_baseline", str(csv), str(map_file), str(pandas_out)), args.repeats
    )
    results["pandas_max_abs_difference"] = compare_with_pipeline(pandas_out, lake)
    limit_s = results["limit"]["wall_s"]
    results["history_projection"] = history_projection(results)
    results["ratios"] = {
        "ingest_csv_over_limit": round(results["ingest_csv"]["wall_s"] / limit_s, 2),
        "end_to_end_over_limit": round(results["month_end_to_end"]["wall_s"] / limit_s, 2),
        "end_to_end_zip_over_limit": round(results["month_end_to_end_zip"]["wall_s"] / limit_s, 2),
        "outputs_over_limit": round(results["outputs_month"]["wall_s"] / limit_s, 2),
        "indicators_month_over_limit": round(results["indicators_month"]["wall_s"] / limit_s, 2),
        "indicators_24_over_limit": round(results["indicators_24_months"]["wall_s"] / limit_s, 2),
        "pandas_over_pipeline_month": round(
            results["pandas_month"]["wall_s"] / results["month_end_to_end"]["wall_s"], 2
        ),
        # pandas must re-read every month's CSV to recompute after a definition change
        "pandas_24_over_pipeline_24": round(
            24 * results["pandas_month"]["wall_s"] / results["indicators_24_months"]["wall_s"], 1
        ),
    }
    import duckdb
    import polars

    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
    }
    results["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = ROOT / "bench" / "results" / f"{results['date'].replace(':', '')}.json"
    out.write_text(json.dumps(results, indent=2))
    write_table(results, out)
    print(f"results: {out}")


def quick(data: Path) -> None:
    """`msi bench --quick`: the limit (three warm scans after a discarded one) and one `msi run` of the national
    month, report included, in the same run; each Dagster step's time from the run's event log, the month's
    report site and workbooks on disk. Results to bench/results/quick-<UTC time>.json and BENCHMARKS.md."""
    csv = data / f"EPD_SNOMED_{MONTH.replace('-', '')}.csv"
    if not (csv.is_file() and (data / MONTH).is_dir()):
        print("generating the national-scale sample month (~2 minutes)", flush=True)
        subprocess.run(
            sample_argv(data, zipped=False),
            check=True,
            cwd=ROOT,
        )
    epd_dir = data / "quick_input"  # the CSV alone (hard-linked) with the month's NHS Digital files
    if not epd_dir.is_dir():
        epd_dir.mkdir()
        os.link(csv, epd_dir / csv.name)
        shutil.copytree(data / MONTH, epd_dir / MONTH)
    out = data / "runs" / "quick"
    results: dict = {"kind": "quick", "month": MONTH, "csv_bytes": csv.stat().st_size}
    print("measuring (quick)", flush=True)
    results["limit"] = measure("limit", step("limit", str(csv)), 3, warm_up=True)
    argv = run_argv(epd_dir, out)
    shutil.rmtree(out, ignore_errors=True)
    results["month_end_to_end"] = measure("msi run end to end, report included", argv, 1)
    # The limit again, just after: a host whose speed moved during the run (a busy host's steal) shows here.
    results["limit_after"] = measure("limit, after the run", step("limit", str(csv)), 1)
    results["steps_s"] = dagster_step_seconds(out / "dagster_home")
    results["site_mb"] = round(folder_bytes(out / "reports" / "data" / MONTH) / 1e6, 1)  # what the month adds
    results["site_shared_mb"] = round(
        sum(f.stat().st_size for f in (out / "reports").glob("*.html")) / 1e6
        + folder_bytes(out / "reports" / "assets") / 1e6,
        1,
    )
    results["pages_ms"] = page_timings(out / "reports")
    results["extracts_mb"] = round(folder_bytes(out / "extracts" / MONTH) / 1e6, 1)
    limit_s = results["limit"]["wall_s"]
    results["ratios"] = {
        "end_to_end_over_limit": round(results["month_end_to_end"]["wall_s"] / limit_s, 2),
        **{f"{k}_over_limit": round(v / limit_s, 2) for k, v in results["steps_s"].items()},
    }
    results["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    path = ROOT / "bench" / "results" / f"quick-{results['date'].replace(':', '')}.json"
    path.write_text(json.dumps(results, indent=2))
    write_quick_table(results, path)
    print(
        f"end to end {results['month_end_to_end']['wall_s']} s = {results['ratios']['end_to_end_over_limit']} x "
        f"the limit ({limit_s} s); site {results['site_mb']} MB; results: {path}"
    )


def page_timings(site: Path, samples: int = 5) -> dict:
    """Milliseconds from opening a page from disk in headless Chromium to its first chart drawn (site.js's
    MSI_TIMING), median of `samples` practice pages and of the largest ICB's page; {} without Chromium."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        return {}
    from playwright.sync_api import sync_playwright

    from pipelines.outputs.report.site import read_data_module

    _, month = read_data_module(site / "data" / MONTH / "month.js")
    practices = [o[1] for o in month["search"] if o[0] == "practice"][:: max(1, len(month["search"]) // 50)][:samples]
    largest = max((site / "data" / MONTH / "icb").glob("*.js"), key=lambda p: p.stat().st_size).stem
    out: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for kind, codes in (("practice", practices), ("icb", [largest])):
            firsts = []
            for code in codes:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto((site / f"{kind}.html").as_uri() + f"?code={code}&month={MONTH}")
                page.wait_for_function("window.MSI_TIMING && window.MSI_TIMING.first_chart", timeout=120_000)
                firsts.append(page.evaluate("window.MSI_TIMING.first_chart"))
                page.close()
            out[f"{kind}_first_chart_ms"] = round(statistics.median(firsts))
        browser.close()
    return out


def dagster_step_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds from each step's start to its success in the run's event log (steps of one month summed)."""
    import sqlite3

    seconds: dict[str, float] = {}
    for db in sorted((dagster_home / "history" / "runs").glob("*.db")):
        if db.name == "index.db":
            continue
        with sqlite3.connect(db) as con:
            rows = con.execute(
                "SELECT step_key, dagster_event_type, timestamp FROM event_logs WHERE "
                "dagster_event_type IN ('STEP_START', 'STEP_SUCCESS') ORDER BY id"
            ).fetchall()
        started: dict[str, datetime] = {}
        for key, kind, stamp in rows:
            at = datetime.fromisoformat(str(stamp))
            if kind == "STEP_START":
                started[key] = at
            elif key in started:
                seconds[key] = round(seconds.get(key, 0.0) + (at - started.pop(key)).total_seconds(), 1)
    return dict(sorted(seconds.items(), key=lambda kv: -kv[1]))


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def write_quick_table(r: dict, json_path: Path) -> None:
    limit_s = r["limit"]["wall_s"]
    e2e = r["month_end_to_end"]
    cpu = e2e["runs"][0].get("cpu_s") if e2e.get("runs") else None
    lines = [
        f"`uv run msi bench --quick` ({r['date']}, {r['machine']['cpus']} cores): limit {limit_s:.1f} s "
        f"(`{r['limit']['command']}`){after_the_run(r)}; `msi run` end to end, report included, "
        f"**{e2e['wall_s']:.1f} s = {e2e['wall_s'] / limit_s:.1f} × the limit**"
        + (f" ({cpu:.0f} CPU seconds)" if cpu is not None else "")
        + f", peak RSS {e2e['peak_rss_gb']:.2f} GB; report site "
        f"{r['site_mb']} MB (the month's data; the shared pages and scripts "
        f"{r.get('site_shared_mb', '?')} MB, once) and "
        f"workbooks {r['extracts_mb']} MB for the month"
        + (
            f"; opened from disk in Chromium, a practice page's first chart after "
            f"{r['pages_ms']['practice_first_chart_ms']} ms (median of 5), the largest ICB's page's after "
            f"{r['pages_ms']['icb_first_chart_ms']} ms"
            if r.get("pages_ms")
            else ""
        )
        + ".",
        "",
        "| Dagster step | seconds | × limit |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v:.1f} | {v / limit_s:.2f} |" for k, v in r["steps_s"].items() if v >= 0.5]
    lines.append(f"\nRaw figures: `{json_path.relative_to(ROOT)}`.\n")
    doc = ROOT / "BENCHMARKS.md"
    text = doc.read_text() if doc.exists() else ""
    start, end = "<!-- quick:start -->", "<!-- quick:end -->"
    table = "\n".join(lines)
    if start in text:
        text = text[: text.index(start) + len(start)] + "\n" + table + text[text.index(end) :]
    else:
        text += f"\n## Latest quick benchmark\n{start}\n{table}{end}\n"
    doc.write_text(text)


LIMIT_DRIFT = 0.15  # the limit after the run differing by more than this share: the host's speed moved


def after_the_run(r: dict) -> str:
    """The limit measured again after the run, and a warning when the two differ by more than LIMIT_DRIFT
    (the ratio is then as much the host's as the code's: compare before and after back to back)."""
    after = (r.get("limit_after") or {}).get("wall_s")
    if not after:
        return ""
    before = r["limit"]["wall_s"]
    text = f", {after:.1f} s just after the run"
    if abs(after - before) > LIMIT_DRIFT * min(after, before):
        text += (
            f" (**the host's speed moved during the run**, {before:.1f} → {after:.1f} s: the ratio below is as "
            "much the host's as the code's)"
        )
    return text


HISTORY_MONTHS = 150  # January 2014 to mid 2026


def history_projection(r: dict) -> dict:
    """The full backfill from measured figures: each month's job (ingest, checks, list sizes, map, practice
    values: the end-to-end run less its outputs and all-months step), every org level of 150 months (the
    24-month figure's org-level part, scaled by months), and the newest month's outputs once."""
    per_month = (
        r["two_months_sequential"]["wall_s"] / 2
        if "two_months_sequential" in r
        else r["month_end_to_end"]["wall_s"] - r["outputs_month"]["wall_s"]
    )
    org_levels = r["indicators_24_months"]["parts"]["org_levels_s"] * HISTORY_MONTHS / 24
    total = per_month * HISTORY_MONTHS + org_levels + r["outputs_month"]["wall_s"]
    out = {
        "months": HISTORY_MONTHS,
        "per_month_s": round(per_month, 1),
        "org_levels_s": round(org_levels, 1),
        "total_h": round(total / 3600, 2),
    }
    if "two_months_side_by_side" in r:
        pair = r["two_months_side_by_side"]["wall_s"] / 2
        out["per_month_side_by_side_s"] = round(pair, 1)
        out["total_side_by_side_h"] = round(
            (pair * HISTORY_MONTHS + org_levels + r["outputs_month"]["wall_s"]) / 3600, 2
        )
    return out


def write_table(r: dict, json_path: Path) -> None:
    rows = [
        ("limit: DuckDB count(*), all_varchar (median of warm scans)", "limit"),
        ("ingest from CSV", "ingest_csv"),
        ("ingest from ZIP", "ingest_zip"),
        ("indicators, 1 month from the lake", "indicators_month"),
        ("outputs: 1 month's workbooks and report site", "outputs_month"),
        ("`msi run` end to end, report included (CSV)", "month_end_to_end"),
        ("`msi run` end to end, report included (ZIP)", "month_end_to_end_zip"),
        ("indicators, 24 months from the lake", "indicators_24_months"),
        ("monthly job, 2 months one after the other", "two_months_sequential"),
        ("monthly job, 2 months side by side", "two_months_side_by_side"),
        ("pandas baseline, 1 month", "pandas_month"),
    ]
    limit_s = r["limit"]["wall_s"]
    lines = ["| step | wall (median) | peak RSS | × limit | command |", "|---|---|---|---|---|"]
    for label, key in rows:
        if key in r:
            lines.append(
                f"| {label} | {r[key]['wall_s']:.1f} s | {r[key]['peak_rss_gb']:.2f} GB | "
                f"{r[key]['wall_s'] / limit_s:.1f} | `{r[key]['command']}` |"
            )
    ratios, history = r["ratios"], r["history_projection"]
    parts, org = r["outputs_month"]["parts"], r["indicators_24_months"]["parts"]
    pieces = r["ingest_floor"]["parts"] if "ingest_floor" in r else {}
    floor = (
        (
            "\n\nIngest piece by piece (`"
            + r["ingest_floor"]["command"]
            + "`; wall / CPU seconds, × limit): "
            + "; ".join(
                f"{k.replace('_', ' ')} {v['wall_s']} s / {v['cpu_s']} s ({v['wall_s'] / limit_s:.2f} ×)"
                for k, v in pieces.items()
            )
            + "."
        )
        if pieces
        else ""
    )
    table = (
        "\n".join(lines)
        + floor
        + (
            f"\n\nOutputs: analysis {parts['analysis_s']} s, {parts['workbooks']} workbooks {parts['extracts_s']} s, "
            f"{parts['pages']:,} pages {parts['site_s']} s. 24 months: practice values {org['practice_values_s']} s, "
            f"every org level {org['org_levels_s']} s. History ({history['months']} national months) projected: "
            f"{history['per_month_s']} s a month + {history['org_levels_s']} s of org levels = "
            f"**{history['total_h']} h**"
            + (
                f"; with two months side by side {history['total_side_by_side_h']} h"
                if "total_side_by_side_h" in history
                else ""
            )
            + ".\n\n"
            f"Ratios: ingest / limit {ratios['ingest_csv_over_limit']}, end to end / limit "
            f"{ratios['end_to_end_over_limit']} (ZIP {ratios['end_to_end_zip_over_limit']}), outputs / limit "
            f"{ratios['outputs_over_limit']}, indicators / limit {ratios['indicators_month_over_limit']} (24 months "
            f"{ratios['indicators_24_over_limit']}), pandas / pipeline (1 month) "
            f"{ratios['pandas_over_pipeline_month']}, pandas / pipeline (24-month recompute) "
            f"{ratios['pandas_24_over_pipeline_24']}. Pandas and pipeline values "
            f"agree to {r['pandas_max_abs_difference']:.2e}. Raw figures: `{json_path.relative_to(ROOT)}` "
            f"({r['date']}, {r['machine']['cpus']} cores).\n"
        )
    )
    doc = ROOT / "BENCHMARKS.md"
    text = doc.read_text() if doc.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start in text:
        text = text[: text.index(start) + len(start)] + "\n" + table + text[text.index(end) :]
    else:
        text += f"\n## Latest results\n{start}\n{table}{end}\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
