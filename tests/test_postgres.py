"""Dagster's instance on PostgreSQL (dagster-postgres) when MSI_DAGSTER_POSTGRES_URL is set: a private
Debian PostgreSQL cluster started by this test on 127.0.0.1 with a password login, a real month run by `msi run`
(the real 2017 rows of tests/datasets/test_real_2017.py), and its runs and events read back from PostgreSQL.
.ci/run installs Debian's postgresql; without it the test is skipped, saying so."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PASSWORD = "pg-Pa55word-for-tests"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    root = Path(tempfile.mkdtemp(prefix="msi-pg-"))
    data, pwfile, log = root / "data", root / "pw", root / "log"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    init = [initdb, "-D", str(data), "-U", "msi", f"--pwfile={pwfile}", "--auth=scram-sha-256"]
    subprocess.run(_as_owner(init), check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
    subprocess.run(_as_owner(start), check=True, capture_output=True)
    try:
        url = f"postgresql+psycopg2://msi:{PASSWORD}@127.0.0.1:{port}/postgres"
        yield url
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_runs_and_events_are_kept_in_postgresql(postgres_url, tmp_path):
    from tests.datasets.test_real_2017 import run_2017

    data = tmp_path / "data"
    env = {**os.environ, "MSI_DAGSTER_POSTGRES_URL": postgres_url}
    env.pop("DAGSTER_HOME", None)
    command = [sys.executable, "-m", "pipelines.cli", *run_2017(tmp_path), "--data-dir", str(data), "--no-report"]
    ran = subprocess.run(command, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    assert PASSWORD not in ran.stdout + ran.stderr

    home = data / "dagster_home"
    config = (home / "dagster.yaml").read_text()
    assert "env: MSI_DAGSTER_POSTGRES_URL" in config and PASSWORD not in config  # the file names the variable
    assert not (home / "history" / "runs.db").exists()  # no SQLite run storage

    # Read back from PostgreSQL itself, in another process than the one that wrote.
    import psycopg2

    with psycopg2.connect(postgres_url.replace("+psycopg2", "")) as con, con.cursor() as cur:
        cur.execute("SELECT pipeline_name, status FROM runs ORDER BY create_timestamp")
        runs = cur.fetchall()
        cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        [(materialised,)] = cur.fetchall()
    # The month's job, then what the assets' automation conditions asked for (Dagster's own asset job).
    assert {name for name, _ in runs} >= {"monthly_job", "__ASSET_JOB"}, runs
    assert all(status == "SUCCESS" for _, status in runs), runs
    assert materialised >= 3  # the month's lake tables and practice values, then indicator_values
