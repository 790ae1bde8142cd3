"""`msi bench --quick` reads each Dagster step's time from the run's event log (SQLite, as Dagster writes
it under the data directory): start to success, a month's steps summed, the index database skipped."""

import sqlite3

from bench.run import dagster_step_seconds


def test_step_seconds_from_the_event_log(tmp_path):
    runs = tmp_path / "history" / "runs"
    runs.mkdir(parents=True)
    (runs / "index.db").write_bytes(b"")
    rows = [
        ("lake_month", "STEP_START", "2026-12-07 04:00:00.000000"),
        ("lake_month", "STEP_SUCCESS", "2026-12-07 04:00:41.500000"),
        ("monthly_outputs", "STEP_START", "2026-12-07 04:00:42.000000"),
        ("monthly_outputs", "ASSET_MATERIALIZATION", "2026-12-07 04:00:50.000000"),
        ("monthly_outputs", "STEP_SUCCESS", "2026-12-07 04:01:25.000000"),
        ("broken_step", "STEP_START", "2026-12-07 04:02:00.000000"),
    ]  # never succeeded: not counted
    with sqlite3.connect(runs / "run-1.db") as con:
        con.execute(
            "CREATE TABLE event_logs (id INTEGER PRIMARY KEY, step_key TEXT, dagster_event_type TEXT, "
            "timestamp DATETIME)"
        )
        con.executemany("INSERT INTO event_logs (step_key, dagster_event_type, timestamp) VALUES (?, ?, ?)", rows)
    assert dagster_step_seconds(tmp_path) == {"monthly_outputs": 43.0, "lake_month": 41.5}


def quick_result(limit_after: float | None) -> dict:
    """A quick benchmark's figures, as bench.run.quick records them (the limit 10.0 s, the run 70.0 s)."""
    result = {
        "date": "2026-12-07T23:00:00+00:00",
        "machine": {"cpus": 2},
        "limit": {"wall_s": 10.0, "command": "uv run python -m bench.steps limit x.csv"},
        "month_end_to_end": {"wall_s": 70.0, "peak_rss_gb": 1.9, "runs": [{"wall_s": 70.0, "cpu_s": 101.4}]},
        "site_mb": 34.5,
        "site_shared_mb": 1.0,
        "extracts_mb": 45.4,
        "steps_s": {"lake_month": 40.0, "monthly_outputs": 20.0},
    }
    if limit_after is not None:
        result["limit_after"] = {"wall_s": limit_after}
    return result


def quick_line(tmp_path, monkeypatch, limit_after: float | None) -> str:
    import bench.run

    monkeypatch.setattr(bench.run, "ROOT", tmp_path)
    (tmp_path / "BENCHMARKS.md").write_text("# Benchmarks\n")
    bench.run.write_quick_table(quick_result(limit_after), tmp_path / "bench" / "results" / "quick.json")
    text = (tmp_path / "BENCHMARKS.md").read_text()
    return next(line for line in text.splitlines() if line.startswith("`uv run msi bench --quick`"))


def test_the_quick_table_says_when_the_host_moved_during_the_run(tmp_path, monkeypatch):
    """The limit is measured again after the run: within 15 % it is only quoted; beyond, the line says the
    host's speed moved (10.0 → 12.6 s, as on a busy host of 2026-12-07), so the ratio is not read as the code's."""
    steady = quick_line(tmp_path, monkeypatch, 11.0)
    assert "limit 10.0 s" in steady and "11.0 s just after the run" in steady
    assert "moved" not in steady
    assert "70.0 s = 7.0 × the limit** (101 CPU seconds)" in steady
    moved = quick_line(tmp_path, monkeypatch, 12.6)
    assert "12.6 s just after the run (**the host's speed moved during the run**, 10.0 → 12.6 s" in moved
    faster = quick_line(tmp_path, monkeypatch, 8.2)
    assert "10.0 → 8.2 s" in faster
    before_this_check = quick_line(tmp_path, monkeypatch, None)  # results recorded before the second limit
    assert "just after the run" not in before_this_check and "7.0 × the limit" in before_this_check
