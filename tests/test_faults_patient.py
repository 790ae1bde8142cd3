"""Fault cases for the patient-level extract: one value of the supplier's registrations changed, `msi run
--patient-level` on a copy of a good data directory, the one line the user reads, and every lake and
warehouse file (the last good extract included) byte for byte as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from tests.fault_runs import MONTH, copy_data, digests, month_inputs, one_line

EXTRACT = Path(__file__).resolve().parents[1] / "pipelines" / "sample" / "patient_edge_cases"


def run_with_extract(epd: Path, lists: Path, data: Path, extract: Path):
    return CliRunner().invoke(main, ["run", "--source", "local", "--months", MONTH, "--epd-dir", str(epd),
                                     "--list-size-dir", str(lists), "--data-dir", str(data), "--no-report",
                                     "--patient-level", str(extract)])


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
    ("a flag that is a word", "no",
     "registrations.csv: column learning_disability_or_autism, row 11 (line 12): 'no' — "
     "learning_disability_or_autism must be Y, N or empty (not recorded) (1 row in all)"),
    ("a flag that is a number", "1",
     "registrations.csv: column learning_disability_or_autism, row 11 (line 12): '1' — "
     "learning_disability_or_autism must be Y, N or empty (not recorded) (1 row in all)"),
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
    (extract / "registrations.csv").write_text(registrations.replace("1948-01-01,2000-01-01,,N,",
                                                                     f"1948-01-01,2000-01-01,,{flag},"))
    result = run_with_extract(epd, lists, data, extract)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert said in output and "Traceback" not in result.output
    assert digests(data) == before  # the last good extract, the lake and the warehouse, byte for byte
