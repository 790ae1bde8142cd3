"""Every MSI_* variable is declared once, checked at start, and listed in the README: a bad value is one line
naming the variable, its value and what is expected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import environment
from pipelines.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "name, raw, expected",
    [
        ("MSI_FIRST_MONTH", "2025-02-01", "MSI_FIRST_MONTH='2025-02-01': expected a month as YYYY-MM, from 2014-01"),
        ("MSI_FIRST_MONTH", "2013-12", "MSI_FIRST_MONTH='2013-12': expected a month as YYYY-MM, from 2014-01"),
        ("MSI_BASELINE", "2021-12:2021-01", "MSI_BASELINE='2021-12:2021-01': expected a period as YYYY-MM:YYYY-MM"),
        ("MSI_SOURCE", "NHSBSA", "MSI_SOURCE='NHSBSA': expected one of sample, nhsbsa, local"),
        ("MSI_LOCK_WAIT", "soon", "MSI_LOCK_WAIT='soon': expected a number at least 0"),
        ("MSI_LOCK_WAIT", "nan", "MSI_LOCK_WAIT='nan': expected a number at least 0"),
        ("MSI_OUTPUT_WORKERS", "2.5", "MSI_OUTPUT_WORKERS='2.5': expected a whole number at least 0 and at most 64"),
        ("MSI_SMTP_PORT", "70000", "MSI_SMTP_PORT='70000': expected a whole number at least 1 and at most 65535"),
        ("MSI_SMTP_TIMEOUT", "0", "MSI_SMTP_TIMEOUT='0': expected a number above 0"),
        ("MSI_SMTP_STARTTLS", "maybe", "MSI_SMTP_STARTTLS='maybe': expected true or false"),
        ("MSI_SMTP_FROM", "msi", "MSI_SMTP_FROM='msi': expected the sender's e-mail address"),
        (
            "MSI_CKAN_URL",
            "opendata.nhsbsa.net",
            "MSI_CKAN_URL='opendata.nhsbsa.net': expected an http:// or https:// URL",
        ),
        ("MSI_EPD_DIR", "/no/such/folder", "MSI_EPD_DIR='/no/such/folder': expected an existing folder"),
        ("MSI_SAMPLE_SCALE", "huge", "MSI_SAMPLE_SCALE='huge': expected one of demo, national"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(name, raw, expected):
    problems = environment.check({name: raw})
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    with pytest.raises(environment.SettingError, match=re.escape(expected)):
        environment.value(name, {name: raw})


def test_good_values_and_defaults():
    env = {
        "MSI_FIRST_MONTH": "2025-02",
        "MSI_LOCK_WAIT": "1.5",
        "MSI_SMTP_STARTTLS": "No",
        "MSI_SMTP_PORT": "25",
        "MSI_CKAN_URL": "http://127.0.0.1:8080/api/3/action/",
    }
    assert environment.check(env) == []
    assert environment.value("MSI_FIRST_MONTH", env) == "2025-02"
    assert environment.value("MSI_LOCK_WAIT", env) == 1.5
    assert environment.value("MSI_SMTP_STARTTLS", env) is False
    assert environment.value("MSI_SMTP_PORT", env) == 25
    assert environment.value("MSI_CKAN_URL", env) == "http://127.0.0.1:8080/api/3/action"
    assert environment.value("MSI_SMTP_STARTTLS", {}) is None and environment.value("MSI_FIRST_MONTH", {}) == "2014-01"
    assert environment.value("MSI_LOCK_WAIT", {"MSI_LOCK_WAIT": ""}) == 6 * 3600  # empty is unset


def test_a_password_is_never_echoed():
    variable = environment.Variable(
        "MSI_X", lambda t: (_ for _ in ()).throw(ValueError("something")), "", "x", secret=True
    )
    with pytest.raises(environment.SettingError) as caught:
        environment._checked(variable, "hunter2")
    assert "hunter2" not in str(caught.value) and "(hidden)" in str(caught.value)


def test_msi_refuses_a_bad_variable_before_any_work(tmp_path):
    result = CliRunner().invoke(
        main, ["run", "--months", "2025-03", "--data-dir", str(tmp_path / "d")], env={"MSI_FIRST_MONTH": "2025-02-01"}
    )
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert " ".join(result.output.split()).startswith("msi: MSI_FIRST_MONTH='2025-02-01': expected a month"), lines
    assert "Traceback" not in result.output and len(lines) <= 2  # one line (the console may wrap it)
    assert not (tmp_path / "d").exists()  # nothing was started


def test_a_misspelt_variable_is_named(tmp_path):
    result = CliRunner().invoke(main, ["indicators"], env={"MSI_SMPT_HOST": "smtp.example.nhs.uk"})
    assert result.exit_code == 0 and "MSI_SMPT_HOST is set but nothing reads it" in result.output


def test_the_readme_lists_every_variable_and_only_those():
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| `(MSI_[A-Z_]+)` \|", readme, flags=re.M)
    assert sorted(listed) == sorted(environment.VARIABLES)


def test_only_the_environment_module_reads_msi_variables():
    reads = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["']MSI_""")
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("pipelines", "indicators", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if reads.search(p.read_text()) and p.name != "environment.py"
    ]
    assert offenders == []


def test_a_postgres_url_names_its_driver_and_is_never_echoed():
    plain = "postgresql://msi:s3cret@db.example.nhs.uk:5432/dagster"  # SQLAlchemy 2.1 would read it as psycopg 3
    [problem] = environment.check({"MSI_DAGSTER_POSTGRES_URL": plain})
    assert problem.startswith("MSI_DAGSTER_POSTGRES_URL=(hidden): expected a PostgreSQL URL naming the psycopg2")
    assert "s3cret" not in problem
    good = plain.replace("postgresql://", "postgresql+psycopg2://")
    assert environment.value("MSI_DAGSTER_POSTGRES_URL", {"MSI_DAGSTER_POSTGRES_URL": good}) == good


def test_dagster_storage_follows_the_setting():
    from pipelines.wiring.runner import dagster_yaml

    assert "storage" not in dagster_yaml({})  # SQLite under <data-dir>/dagster_home
    url = "postgresql+psycopg2://msi:s3cret@127.0.0.1:5432/dagster"
    with_pg = dagster_yaml({"MSI_DAGSTER_POSTGRES_URL": url})
    assert "postgres_url:\n      env: MSI_DAGSTER_POSTGRES_URL" in with_pg and "s3cret" not in with_pg
    assert "max_concurrent_runs: 1" in with_pg  # one run at a time either way
