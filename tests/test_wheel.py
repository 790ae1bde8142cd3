"""The package installs anywhere: the wheel carries sql/, reference/ and the indicator catalogue (not bench/),
and msi installed from it into a fresh virtual environment, run from a folder outside the checkout, describes
an indicator and runs a month end to end, report included (the real 2017 rows of tests/datasets/test_real_2017.py).
Slow (it installs every dependency, from uv's cache): `uv run pytest -m "not slow"` leaves it out."""

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    from tests.datasets.test_real_2017 import run_2017

    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    dist = tmp_path / "dist"
    subprocess.run([uv, "build", "--wheel", "--out-dir", str(dist)], cwd=ROOT, check=True, capture_output=True)
    [wheel] = dist.glob("msi-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    sql = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sql").rglob("*.sql"))
    assert {f"pipelines/{s}" for s in sql} <= set(names)
    assert "pipelines/reference/regions.csv" in names and "pipelines/reference/bnf_presentations.csv" in names
    assert "indicators/catalogue.py" in names and any(
        n.startswith("indicators/") and n.endswith(".yaml") for n in names
    )
    assert "pipelines/outputs/report/static/site.js" in names
    assert not any(n.startswith(("bench/", "tests/")) for n in names)

    # The locked versions (uv export), installed from uv's cache into a new environment outside the checkout.
    pins = tmp_path / "requirements.txt"
    pins.write_text(
        subprocess.run(
            [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", str(venv), "--python", sys.executable], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--python", str(python), "-r", str(pins), str(wheel)], check=True, capture_output=True
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    msi = [str(venv / "bin" / "msi")]
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}

    shown = subprocess.run(
        msi + ["indicators", "show", "methotrexate_10mg_items"], cwd=away, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    # The presentations it lists come from reference/ inside the wheel: the same rows the checkout's list holds.
    with (ROOT / "reference" / "bnf_presentations.csv").open(newline="") as f:
        tablets = [r["bnf_code"] for r in csv.DictReader(f) if r["bnf_name"].startswith("Methotrexate 10mg tablets")]
    assert tablets and all(code in shown.stdout for code in tablets), shown.stdout

    ran = subprocess.run(
        [*msi, *run_2017(away), "--data-dir", str(away / "data")],
        cwd=away,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    data = away / "data"
    assert (data / "reports" / "index.html").is_file() and (
        data / "reports" / "data" / "2017-09" / "month.js"
    ).is_file()
    assert list((data / "extracts" / "2017-09").glob("*.xlsx"))
    assert (
        "is not installed" in subprocess.run(msi + ["bench"], cwd=away, env=env, capture_output=True, text=True).stdout
    )
