"""Fixtures several test modules share."""

import fcntl
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.datasets.patient.sample import issue_months, sample_practices, write_patient_sample
from pipelines.datasets.sample import _keep, write_sample_month
from pipelines.indicators.engine import write_views
from pipelines.layout import Layout
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.runner import run_months

MONTHS = ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]

# The slow layer (`-m slow`): whatever needs the shared six-month run or Chromium, and the modules that run msi
# end to end against a data directory, start Dagster's daemon or install the wheel. `uv run pytest -m "not slow"`
# is the unit layer (README: "Quick start").
SLOW_FIXTURES = {"run", "browser"}
SLOW_MODULES = {
    "test_dagster.py",
    "test_monthly_chain.py",
    "test_serve.py",
    "test_wheel.py",
    "test_postgres.py",
    "test_cli.py",
    "test_faults.py",
    "test_faults_notify.py",
    "test_faults_patient.py",
    "test_faults_runs.py",
    "test_faults_side_files.py",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    """Six months of a 3% sample through the whole pipeline, with a synthetic patient-level extract for the
    same practices, extracts and report included.

    Built once for the whole session, whichever xdist workers ask for it (the first under a file lock; the
    others wait), and copied for each worker, because tests write into the data directory (the outbox, an
    earlier month's site)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "six-month-run"  # workers share
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (shared / "built").exists():
            _build_run(shared)
            (shared / "built").touch()
    copy = tmp_path_factory.mktemp("run") / "data"
    shutil.copytree(shared / "data", copy, symlinks=True)
    layout = Layout(copy)
    write_views(layout)  # the analysts' views name their files by absolute path: this copy's
    return layout


def _build_run(folder: Path) -> None:
    src, extract = folder / "published", folder / "patient_level"
    for month in MONTHS:
        write_sample_month(month, src, practice_fraction=0.03)
    practices = [c for c in sample_practices(MONTHS[-1]) if _keep(c, 0.03)]
    extract.mkdir()
    write_patient_sample(extract, practices, issue_months(MONTHS), patients=60_000, fmt="csv")
    settings = MsiSettings(
        data_dir=str(folder / "data"),
        source="local",
        epd_dir=str(src),
        list_size_dir=str(src),
        patient_level_dir=str(extract),
    )
    run_months(settings, MONTHS, instance=dg.DagsterInstance.ephemeral())
