"""Scratch left by a killed run is swept at the start of the next; a data directory whose path holds glob
characters works."""

import os
import subprocess
import sys
import time

from pipelines.atomic import scratch_dir, scratch_name, sweep_scratch


def test_scratch_of_a_dead_process_is_swept_and_a_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f"ingest-2026-01-p{dead.pid}-0123abcd"
    left.mkdir()
    (left / "EPD_SNOMED_202601.csv").write_bytes(b"x" * 1000)  # the 233 MB of extracted CSV, in small
    live = tmp_path / scratch_name("indicators-2026-01")  # this process: alive
    live.mkdir()
    old_unmarked = tmp_path / "tmpabc123"
    old_unmarked.mkdir()
    os.utime(old_unmarked, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    fresh_unmarked = tmp_path / "tmpdef456"
    fresh_unmarked.mkdir()
    (tmp_path / "duckdb_spill").mkdir()
    removed = sweep_scratch(tmp_path)
    assert sorted(removed) == sorted([left.name, old_unmarked.name])
    assert live.is_dir() and fresh_unmarked.is_dir() and (tmp_path / "duckdb_spill").is_dir()


def test_scratch_dir_marks_its_owner(tmp_path):
    with scratch_dir(tmp_path, "lists-2026-01") as work:
        assert f"-p{os.getpid()}-" in work.name
    assert not work.exists()


def test_a_data_directory_with_glob_characters(tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main
    from tests.datasets.test_real_2017 import run_2017

    root = tmp_path / "nhs [2017] data"
    result = CliRunner().invoke(main, [*run_2017(root), "--data-dir", str(root / "data")])
    assert result.exit_code == 0, result.output
    assert (root / "data" / "warehouse" / "indicator_values" / "month=2017-09").is_dir()
    assert (root / "data" / "reports" / "index.html").is_file()
    assert (root / "data" / "reports" / "data" / "2017-09" / "month.js").is_file()
