"""`msi` commands as a user runs them (in process, through click)."""

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.datasets.sample import write_sample_month
from tests.fault_runs import run


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One month laid out as published: EPD zipped in the folder, NHS Digital files in YYYY-MM/."""
    out = tmp_path_factory.mktemp("published")
    write_sample_month("2025-02", out, practice_fraction=0.02, zip_epd=True, keep_csv=False)
    return out


def test_run_local_source(published, tmp_path):
    result = run(published, published, tmp_path, "2025-02")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "extracts" / "2025-02" / "all_icbs.csv").is_file()
    assert not (tmp_path / "reports").exists()  # --no-report: extracts only
    assert "2025-02" in result.output and "all passed" in result.output
    lake = tmp_path / "lake" / "prescribing" / "month=2025-02" / "data.parquet"
    with duckdb.connect() as con:
        months = con.execute("SELECT DISTINCT month FROM read_parquet($p)", {"p": str(lake)}).fetchall()
    assert months == [("2025-02",)]  # from a pre-March-2025 SNOMED file (YEAR_MONTH 202502), zipped


def test_run_names_a_missing_month_and_exits_non_zero(published, tmp_path):
    result = run(published, published, tmp_path, "2025-02:2025-03", report=None)
    assert result.exit_code == 1
    assert "no EPD file for 2025-03" in result.output
    assert (tmp_path / "lake" / "prescribing" / "month=2025-02" / "data.parquet").is_file()  # earlier month kept


def test_run_local_needs_epd_dir(tmp_path):
    result = CliRunner().invoke(main, ["run", "--source", "local", "--months", "2025-02", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--source local needs --epd-dir" in result.output


def test_bad_month_range_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["run", "--months", "2025-13", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "not a month: '2025-13'" in result.output


def test_sample_command_writes_published_files(tmp_path, monkeypatch):
    import pipelines.cli as cli

    calls = []
    monkeypatch.setattr(
        cli,
        "write_sample_month",
        lambda month, out, **kw: (
            calls.append((month, kw)) or type("R", (), {"rows": 1, "epd_path": out / "x", "list_size_paths": []})()
        ),
    )
    result = CliRunner().invoke(
        main, ["sample", "--months", "2025-11:2026-01", "--out", str(tmp_path), "--scale", "national", "--zip"]
    )
    assert result.exit_code == 0, result.output
    assert [m for m, _ in calls] == ["2025-11", "2025-12", "2026-01"]
    assert all(kw["scale"] == "national" and kw["zip_epd"] for _, kw in calls)


def test_sample_patient_level_then_run_with_it(published, tmp_path):
    extract = tmp_path / "extract"
    result = CliRunner().invoke(
        main,
        [
            "sample",
            "--patient-level",
            "--months",
            "2025-02",
            "--out",
            str(extract),
            "--patients",
            "3000",
            "--format",
            "parquet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (extract / "prescriptions.parquet").is_file() and (extract / "registrations.parquet").is_file()
    # A supplier without the optional STOMP flag: the run says which indicator it left out, and why.
    registrations = extract / "registrations.parquet"
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT * EXCLUDE (learning_disability_or_autism) FROM read_parquet($p)) TO $o (FORMAT parquet)",
            {"p": str(registrations), "o": str(tmp_path / "r.parquet")},
        )
    (tmp_path / "r.parquet").replace(registrations)
    result = run(published, published, tmp_path / "data", "2025-02", patient_level=extract)
    assert result.exit_code == 0, result.output
    with duckdb.connect() as con:
        grains = dict(
            con.execute(
                "SELECT grain, count(DISTINCT indicator_id) FROM read_parquet($p) GROUP BY grain",
                {"p": str(tmp_path / "data" / "warehouse" / "indicator_values" / "month=*" / "*.parquet")},
            ).fetchall()
        )
    from indicators.catalogue import catalogue

    every = [i.grain for i in catalogue().values()]  # every indicator of the catalogue, at its grain
    # every indicator of the catalogue at its grain, but the one that needs the flag
    assert grains == {g: every.count(g) - (g == "patient") for g in set(every)} and grains["patient"] >= 11
    assert (
        "2025-02: pl_antipsychotic_ld_autism not computed: the extract's registrations carry no "
        "learning_disability_or_autism column"
    ) in " ".join(result.output.split())


def test_run_with_a_broken_extract_names_the_problem(published, tmp_path):
    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "prescriptions.csv").write_text(
        "patient_id,practice_code,issue_date,bnf_code,quantity\na1,A81001,2025-02-30,1001010J0AAAEAE,84\n"
    )
    (extract / "registrations.csv").write_text(
        "patient_id,practice_code,sex,date_of_birth,registered_from,registered_to\na1,A81001,F,1950-01-01,2000-01-01,\n"
    )
    result = run(published, published, tmp_path / "data", "2025-02", patient_level=extract)
    assert result.exit_code == 1
    assert "prescriptions.csv: column issue_date, row 1 (line 2): '2025-02-30'" in " ".join(result.output.split())


def test_serve_checks_its_source_before_starting_anything(tmp_path, monkeypatch):
    import pipelines.cli

    monkeypatch.setattr(pipelines.cli, "serve_processes", lambda *a, **k: pytest.fail("started Dagster"))
    for args, says in (
        (["--source", "local"], "--source local needs --epd-dir"),
        (["--source", "nhsbsa"], "--source nhsbsa needs --list-size-dir"),
        (["--source", "nhsbsa", "--list-size-dir", str(tmp_path / "nowhere")], "no such folder"),
    ):
        result = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path / "d"), *args], env={"MSI_SOURCE": ""})
        assert result.exit_code == 2 and says in result.output, result.output


@pytest.mark.parametrize(
    "source, says",
    [
        (None, "Source: the built-in SAMPLE (synthetic data), because no source was given."),
        ("sample", "Source: the built-in sample (synthetic data), as asked."),
        ("nhsbsa", "Source: NHSBSA's portal https://opendata.nhsbsa.net/api/3/action; list sizes from {nhsd}."),
    ],
)
def test_serve_says_which_source_it_runs_on(tmp_path, monkeypatch, source, says):
    import pipelines.cli

    started = {}
    monkeypatch.setattr(pipelines.cli, "serve_processes", lambda port, env: started.update(env) or 0)
    (tmp_path / "nhsd").mkdir()
    args = ["--source", source] if source else []
    if source == "nhsbsa":
        args += ["--list-size-dir", str(tmp_path / "nhsd")]
    result = CliRunner().invoke(
        main,
        ["serve", "--data-dir", str(tmp_path / "d"), *args],
        env={"MSI_SOURCE": None, "MSI_LIST_SIZE_DIR": None, "MSI_CKAN_URL": None},
    )
    assert result.exit_code == 0, result.output
    assert says.format(nhsd=tmp_path / "nhsd") in result.output, result.output
    assert started["MSI_SOURCE"] == (source or "sample")


def test_indicators_show_says_when_the_data_directory_does_not_exist(tmp_path):
    result = CliRunner().invoke(
        main, ["indicators", "show", "valproate_per_1000_female_13_54", "--data-dir", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 0
    assert (
        f"reference/bnf_presentations.csv (there is no data directory at {tmp_path / 'nowhere'}: give --data-dir"
        in " ".join(result.output.split())
    )


def test_indicators_show_lists_chemicals_left_out_items_and_differences_from_cited_sources(tmp_path):
    result = CliRunner().invoke(main, ["indicators", "show", "pl_sedative_65plus", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "@hypnotic_anxiolytic:" in text and "Chemicals in (" in text and "Flunitrazepam (0401010I0, 2)" in text
    assert "Left out, " in text and "daridorexant" in text
    assert (
        "Against OpenPrescribing measure bdzadq (ebmdatalab/openprescribing @ "
        "06d6e286fe606f0ceb5d6cd306adf60b80a9fb8f: openprescribing/measures/definitions/bdzadq.json)"
    ) in text
    assert "only in the source, " in text and "OpenPrescribing has no ADQ for" in text


# What every run does before it ends, in its order (the command first, then a month's suite): a Great
# Expectations suite over a DuckDB file through duckdb_engine. (Whether the warnings show depends on that order.)
VALIDATED = """
import sys, tempfile
from pathlib import Path
from pipelines.cli import entry, main
import duckdb
import great_expectations.expectations as gxe
from pipelines.checks.gx_duckdb import validate_parquet
folder = Path(tempfile.mkdtemp())
duckdb.sql(f"COPY (SELECT 1 AS a) TO '{folder / 't.parquet'}' (FORMAT parquet)")
validate_parquet(folder / "t.parquet", "t", [gxe.ExpectTableRowCountToBeBetween(min_value=1)], folder / "w")
"""


def _msi(call: str, argv: list[str]):
    import subprocess
    import sys

    code = VALIDATED + f"sys.argv = {argv!r}\n{call}()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize(
    "argv, status, said",
    [
        (["msi", "--help"], 0, "Medication Safety Indicators"),
        (["msi", "run", "--months", "2026-13"], 2, "not a month: '2026-13'"),  # click's usage error, exit 2
    ],
)
def test_msi_ends_without_the_teardown_warnings(argv, status, said):
    """`msi` skips the interpreter's teardown once its output is flushed (pipelines/cli.py, `entry`): after a
    Great Expectations suite over DuckDB, as every run has, tearing down DuckDB's module printed ~40 lines
    of nanobind "leaked instances" warnings after every command."""
    done = _msi("entry", argv)
    assert done.returncode == status, done.stderr
    assert said in done.stdout + done.stderr  # flushed before the process ended
    assert "nanobind" not in done.stderr


def test_without_entry_the_warnings_are_printed():
    """The control: the same process ending the usual way prints them. When this fails, DuckDB no longer
    leaks at teardown and `entry` can end the usual way again."""
    done = _msi("main", ["msi", "--help"])
    assert done.returncode == 0 and "nanobind: leaked" in done.stderr


def test_the_closing_list_names_each_monthly_lake_table_aligned(tmp_path, monkeypatch):
    """What a run ends with: the lake folder, then each lake table the monthly step writes (every dataset's,
    from the registry), its name and folder in two aligned columns."""
    import io

    from rich.console import Console

    from pipelines import cli
    from pipelines.settings import Settings

    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=300))
    settings = Settings(data_dir=str(tmp_path), source="local")
    cli._summary(settings, [], 1.0)
    lines = out.getvalue().splitlines()
    lake = tmp_path / "lake"
    expected = ["list_sizes", "practice_geography", "prescribing", "practices"]
    listed = [line for line in lines if line.startswith("    ") and str(lake) in line]
    assert [tuple(line.split()) for line in listed] == [(f"{t}:", str(lake / t)) for t in expected]
    assert len({line.index(str(lake)) for line in listed}) == 1  # the folders in one column
