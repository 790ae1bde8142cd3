"""Fault cases for the patient-level extract: one value of the supplier's registrations changed, `msi run
--patient-level` on a copy of a good data directory, the one line the user reads, and every lake and
warehouse file (the last good extract included) byte for byte as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fault_runs import MONTH, copy_data, digests, month_inputs, one_line, run

EXTRACT = Path(__file__).resolve().parents[1] / "pipelines" / "datasets" / "patient" / "edge_cases"


def run_with_extract(epd: Path, lists: Path, data: Path, extract: Path):
    return run(epd, lists, data, patient_level=extract)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    root = tmp_path_factory.mktemp("good_patient")
    epd, lists = month_inputs(root)
    result = run_with_extract(epd, lists, root / "data", EXTRACT)
    assert result.exit_code == 0, result.output
    assert (root / "data" / "lake" / "patient" / "registrations.parquet").is_file()
    return root, epd, lists


# p10's registration (row 11, CSV line 12) carries the flag N; each case writes something else there.
CASES = [
    (
        "a flag that is a word",
        "no",
        "registrations.csv: column learning_disability_or_autism, row 11 (line 12): 'no' — "
        "learning_disability_or_autism must be Y, N or empty (not recorded) (1 row in all)",
    ),
    (
        "a flag that is a number",
        "1",
        "registrations.csv: column learning_disability_or_autism, row 11 (line 12): '1' — "
        "learning_disability_or_autism must be Y, N or empty (not recorded) (1 row in all)",
    ),
]


@pytest.mark.parametrize("case, flag, said", CASES, ids=[c[0] for c in CASES])
def test_a_bad_flag_is_named_and_the_last_good_extract_kept(good, tmp_path, case, flag, said):
    root, epd, lists = good
    data = copy_data(root / "data", tmp_path)
    before = digests(data)
    extract = tmp_path / "extract"
    shutil.copytree(EXTRACT, extract)
    registrations = (extract / "registrations.csv").read_text()
    assert registrations.count("1948-01-01,2000-01-01,,N,") == 1
    (extract / "registrations.csv").write_text(
        registrations.replace("1948-01-01,2000-01-01,,N,", f"1948-01-01,2000-01-01,,{flag},")
    )
    result = run_with_extract(epd, lists, data, extract)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert said in output and "Traceback" not in result.output
    assert digests(data) == before  # the last good extract, the lake and the warehouse, byte for byte


def _modes(data: Path) -> dict[str, str]:
    from pipelines.layout import Layout
    from pipelines.private import private_paths

    return {str(p.relative_to(data)): f"{p.stat().st_mode & 0o777:04o}" for p in private_paths(Layout(data))}


def test_patient_data_is_owner_only_whatever_the_umask(good, tmp_path):
    """Every file written from the extract is 0600 and every folder holding only such files 0700, even when
    the umask would let every user read and write them."""
    import os

    root, epd, lists = good
    data = tmp_path / "data"
    old = os.umask(0)
    try:
        result = run_with_extract(epd, lists, data, EXTRACT)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    modes = _modes(data)
    assert modes == {
        "lake/patient": "0700",
        "lake/patient/manifest.json": "0600",
        "lake/patient/prescriptions.parquet": "0600",
        "lake/patient/registrations.parquet": "0600",
        "warehouse/patient_members": "0700",
        f"warehouse/patient_members/month={MONTH}": "0700",
        f"warehouse/patient_members/month={MONTH}/data.parquet": "0600",
        f"warehouse/indicator_practice/month={MONTH}/patient.parquet": "0600",
    }, modes
    public = data / "warehouse" / "indicator_practice" / f"month={MONTH}" / "data.parquet"
    assert public.stat().st_mode & 0o777 == 0o666  # public data follows the umask, as before


@pytest.mark.parametrize(
    "path, mode",
    [
        ("lake/patient/prescriptions.parquet", 0o644),
        ("lake/patient", 0o755),
        (f"warehouse/indicator_practice/month={MONTH}/patient.parquet", 0o640),
    ],
)
def test_patient_data_open_to_others_is_refused(good, tmp_path, path, mode):
    import os

    root, epd, lists = good
    data = copy_data(root / "data", tmp_path)
    os.chmod(data / path, mode)
    before = digests(data)
    result = run_with_extract(epd, lists, data, EXTRACT)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert f"{data / path}: patient data open to other users (mode {mode:04o})" in output, output
    assert "must be owner-only" in output and "chmod go-rwx" in output and "Traceback" not in result.output
    assert digests(data) == before
    # a run of public data alone is refused too: the data directory holds the open files either way
    result = run(epd, lists, data)
    assert result.exit_code == 1 and "patient data open to other users" in one_line(result)
