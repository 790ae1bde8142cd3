"""Fault injection, runs and the data they left: a second writer at the same time, a run killed mid-swap or
holding the lock, a damaged lake or warehouse file, a full disk. Each case changes one thing against a
good data directory (January 2026: the 17 real EPD rows and NHS Digital's files for their practices), and
checks the exit status, the line the user reads and the sha256 of every lake and warehouse file."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.layout import Layout
from pipelines.lock import data_lock
from pipelines.tables import warehouse_file
from tests.fault_runs import copy_data, digests, good_month, month_inputs, one_line, run

PROJECT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys, time
from pathlib import Path
from pipelines.lock import data_lock
with data_lock(Path(sys.argv[1]), "msi run: month 2025-03 (held by a test)"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _inputs(root: Path, month: str = "2026-01") -> tuple[Path, Path]:
    return month_inputs(root, month=month)


@pytest.fixture(scope="module")
def good_data(tmp_path_factory):
    return good_month(tmp_path_factory.mktemp("good_runs"))


def _hold_lock(data: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data), str(seconds)], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


# --- one writer at a time ------------------------------------------------------------------------------


def test_a_second_run_gives_up_naming_who_holds_the_lock(good_data, tmp_path, monkeypatch):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    holder = _hold_lock(data, 60)
    try:
        monkeypatch.setenv("MSI_LOCK_WAIT", "1")
        result = run(*_inputs(tmp_path), data)
    finally:
        holder.kill()
        holder.wait()
    output = one_line(result)
    assert result.exit_code == 1, output
    assert (
        f"{data} is locked by process {holder.pid} on " in output
        and "(msi run: month 2025-03 (held by a test), since " in output
        and "another msi run is writing there; gave up after 1 s (MSI_LOCK_WAIT)" in output
    ), output
    assert "Traceback" not in result.output and digests(data) == before


def test_a_second_run_waits_for_the_first_then_runs(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    holder = _hold_lock(data, 3)
    started = time.monotonic()
    result = run(*_inputs(tmp_path), data)
    holder.wait()
    output = one_line(result)
    assert result.exit_code == 0, output
    assert f"waiting for process {holder.pid} on " in output, output
    assert time.monotonic() - started >= 2.5


def test_a_lock_left_by_a_killed_run_is_free(good_data, tmp_path):
    """The kernel drops a flock when its process dies: a run killed with -9 holding the lock blocks nobody."""
    data = copy_data(good_data, tmp_path)
    holder = _hold_lock(data, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert "held by a test" in (data / "lock").read_text()  # what it wrote is still there...
    result = run(*_inputs(tmp_path), data)
    output = one_line(result)
    assert result.exit_code == 0 and "waiting for" not in output, output  # ...and means nothing


def test_a_months_rebuild_never_drops_another_month(good_data, tmp_path, monkeypatch):
    """The race of two months' runs: run A rebuilds every month's indicator values and pauses before it
    publishes them; meanwhile run B lands a new month and rebuilds. Without the lock B finished first and
    A's publish then replaced B's tables with its older list of months, so B's month vanished."""
    from pipelines import atomic
    from pipelines.indicators import engine

    data = copy_data(good_data, tmp_path)
    layout = Layout(data)
    # Month B's practice values: the January values again, as February (what B's practice step writes).
    for table in ("indicator_practice", "indicator_practice_breakdown"):
        with duckdb.connect() as con:
            target = warehouse_file(layout, table, "2026-02")
            target.parent.mkdir(parents=True)
            con.execute(
                "COPY (SELECT * REPLACE ('2026-02' AS month) FROM read_parquet($p)) TO $o (FORMAT parquet)",
                {"p": str(warehouse_file(layout, table, "2026-01")), "o": str(target)},
            )
    b_ready = layout.warehouse / "indicator_practice" / "month=2026-02"
    parked = tmp_path / "parked"
    shutil.move(b_ready, parked)  # B's month lands only once A has listed its months
    paused, go = threading.Event(), threading.Event()
    publish = atomic.publish_dir

    def publish_after_a_pause(built, final, tmp):
        if threading.current_thread().name == "A" and not go.is_set():
            paused.set()
            go.wait(30)
        publish(built, final, tmp)

    monkeypatch.setattr(engine, "publish_dir", publish_after_a_pause)
    results = {}

    def rebuild(name: str, before=None):
        with data_lock(data, f"run {name}"):  # what the indicator_values asset holds
            if before:
                before()
            results[name] = engine.build_warehouse(layout)["months"]

    a = threading.Thread(target=rebuild, args=("A",), name="A")
    a.start()
    assert paused.wait(30)  # A has built its tables from 2026-01 alone and is about to publish them
    b = threading.Thread(target=rebuild, args=("B", lambda: shutil.move(parked, b_ready)), name="B")
    b.start()
    b.join(2)
    assert b.is_alive() and "B" not in results  # B waits for A's lock
    go.set()
    a.join(30)
    b.join(60)
    assert results == {"A": ["2026-01"], "B": ["2026-01", "2026-02"]}
    with duckdb.connect() as con:
        months = con.execute(
            "SELECT DISTINCT month FROM read_parquet($p) ORDER BY 1",
            {"p": str(layout.warehouse / "indicator_values" / "month=*" / "*.parquet")},
        ).fetchall()
    assert months == [("2026-01",), ("2026-02",)]


def test_a_run_paused_mid_rebuild_holds_back_a_second_month(good_data, tmp_path):
    """The same race between two real `msi run` processes: A (January) is stopped (SIGSTOP) while it holds
    the lock for its indicator values; B (February) waits; when A resumes and finishes, B runs, and both
    months are in the warehouse and the DuckDB views."""
    data = copy_data(good_data, tmp_path)
    epd, lists = _inputs(tmp_path / "a")
    epd_b, _ = _inputs(tmp_path / "b", "2026-02")
    env = {**os.environ, "MSI_LOCK_WAIT": "120"}
    common = ["--source", "local", "--list-size-dir", str(lists), "--data-dir", str(data), "--no-report"]
    a = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--months", "2026-01", "--epd-dir", str(epd), *common],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while "indicator values" not in ((data / "lock").read_text() if (data / "lock").exists() else ""):
        assert a.poll() is None and time.monotonic() < deadline, a.stdout.read() if a.poll() is not None else "slow"
        time.sleep(0.02)
    a.send_signal(signal.SIGSTOP)
    said = tmp_path / "b.out"
    with open(said, "w") as out_b:
        b = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--months", "2026-02", "--epd-dir", str(epd_b), *common],
            cwd=PROJECT,
            env=env,
            stdout=out_b,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 90  # B starts (imports, Dagster), reaches the lock and says whom it waits for
        while f"waiting for process {a.pid}" not in " ".join(said.read_text().split()):
            assert b.poll() is None and time.monotonic() < deadline, said.read_text()
            time.sleep(0.1)
        assert not (data / "lake" / "prescribing" / "month=2026-02").exists()  # B has written nothing
    finally:
        a.send_signal(signal.SIGCONT)
    out_a = a.communicate(timeout=180)[0]
    b.wait(timeout=180)
    assert a.returncode == 0 and b.returncode == 0, out_a + said.read_text()
    with duckdb.connect(str(data / "warehouse" / "msi.duckdb"), read_only=True) as con:
        months = con.execute("SELECT DISTINCT month FROM indicator_values ORDER BY 1").fetchall()
    assert months == [("2026-01",), ("2026-02",)]


# --- interrupted swaps and damaged files ------------------------------------------------------------------

KILL_MID_SWAP = """
import os, signal, sys
from pathlib import Path
from pipelines import atomic
atomic.shutil.rmtree = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)  # killed as the old copy goes
root = Path(sys.argv[1])
built = root / "tmp" / atomic.scratch_name("extracts-2026-01")
built.mkdir(parents=True)
(built / "QOP.xlsx").write_bytes(b"new")
atomic.publish_dir(built, root / "extracts" / "2026-01", root / "tmp")
"""


def test_a_swap_killed_part_way_leaves_nothing_beside_the_data(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    killed = subprocess.run([sys.executable, "-c", KILL_MID_SWAP, str(data)], cwd=PROJECT)
    assert killed.returncode == -signal.SIGKILL
    assert (data / "extracts" / "2026-01" / "QOP.xlsx").read_bytes() == b"new"  # the new folder is in place
    assert not list((data / "extracts").glob(".*"))  # no old copy beside it...
    left = [p.name for p in (data / "tmp").iterdir()]
    assert any(name.startswith("old-2026-01-p") for name in left), left  # ...it is in tmp/, marked as the dead run's
    # What earlier versions left beside published folders is swept too.
    (data / "warehouse" / ".indicator_values.old-0123abcd").mkdir()
    (data / "extracts" / ".2026-01.old-4567cdef").mkdir()
    result = run(*_inputs(tmp_path), data)
    assert result.exit_code == 0, result.output
    assert not list((data / "tmp").glob("old-*"))
    assert not list((data / "warehouse").glob(".*")) and not list((data / "extracts").glob(".*"))


def _damage(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def test_a_damaged_lake_month_is_reloaded_from_a_good_source_file(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    _damage(data / "lake" / "prescribing" / "month=2026-01" / "data.parquet")
    result = run(*_inputs(tmp_path), data)
    assert result.exit_code == 0, one_line(result)
    after = digests(data)
    lake = {k: v for k, v in before.items() if k.startswith("lake/")}
    assert {k: after[k] for k in lake} == lake  # the lake month rebuilt byte for byte as it was
    assert after.keys() == before.keys()  # and the warehouse rebuilt from it (DuckDB's bytes vary run to run)


def test_a_damaged_file_of_another_month_is_named_with_what_to_do(good_data, tmp_path):
    """February's indicators read January's practice map (February has none): a damaged one is named."""
    data = copy_data(good_data, tmp_path)
    damaged = data / "lake" / "practice_geography" / "month=2026-01" / "data.parquet"
    _damage(damaged)
    before = digests(data)
    epd, _ = _inputs(tmp_path, "2026-02")
    (tmp_path / "lists-feb").mkdir()
    result = run(epd, tmp_path / "lists-feb", data, months="2026-02")
    output = one_line(result)
    assert result.exit_code == 1, output
    assert (
        f"{damaged} cannot be read (" in output
        and "run the month again (msi run --months 2026-01 ...): it is rebuilt from its source files" in output
    ), output
    assert "Traceback" not in result.output
    after = digests(data)
    assert {k: after[k] for k in before} == before  # every file that was there is as it was


def test_a_damaged_practice_map_is_named_when_the_report_reads_its_postcodes(good_data, tmp_path):
    """The report's search reads postcodes from the month's practice map in the lake (written by an earlier
    run): a damaged one is named with what to do, and nothing is written."""
    from pipelines.outputs.analysis import load_analysis
    from pipelines.outputs.report.site import search_index
    from pipelines.parquet_files import DamagedFile

    data = copy_data(good_data, tmp_path)
    damaged = data / "lake" / "practice_geography" / "month=2026-01" / "data.parquet"
    _damage(damaged)
    before = digests(data)
    with pytest.raises(DamagedFile) as found:
        search_index(load_analysis(Layout(data), "2026-01"))
    said = " ".join(str(found.value).split())
    assert f"{damaged} cannot be read (" in said and "run the month again (msi run --months 2026-01 ...)" in said
    assert digests(data) == before


# --- a full disk ------------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs (root may mount one; elsewhere the case is skipped, saying why)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.strip() or made.returncode})")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_naming_the_directory(good_data, tmp_path, small_disk):
    data = copy_data(good_data, small_disk)
    before = digests(data)
    free = shutil.disk_usage(small_disk).free
    with open(small_disk / "filler", "wb") as fh:  # leave 64 KB: Dagster's run storage is the first to run out
        os.posix_fallocate(fh.fileno(), 0, free - 64 * 1024)
    result = run(*_inputs(tmp_path), data)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert (
        f"no space left on the disk holding {data} (" in output
        and "free some space and run the same command again" in output
    ), output
    assert "Traceback" not in result.output and "sqlalchemy" not in result.output.lower(), result.output
    (small_disk / "filler").unlink()
    assert digests(data) == before
