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
