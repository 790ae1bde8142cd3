"""The Great Expectations suite passes a good month and fails each kind of bad one, inside DuckDB."""

import duckdb
import pytest

from pipelines.checks.gx_duckdb import validate_parquet
from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.datasets.epd.suite import prescribing_expectations
from pipelines.layout import Layout
from pipelines.reference import geography_rule
from tests.epd_fixtures import LEGACY_ICB_HEADER, legacy_rows, write


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("suite")
    result = ingest_epd_month(write(tmp / "EPD_202401.csv", LEGACY_ICB_HEADER + legacy_rows()), "2024-01", Layout(tmp))
    return result.prescribing_path, tmp


def run(path, tmp, month="2024-01", header="ICB"):
    return validate_parquet(
        path, "prescribing", prescribing_expectations(month, geography_rule(month, header)), tmp / "gx"
    )


def variant(good, select: str):
    path, tmp = good
    out = tmp / f"variant_{abs(hash(select))}.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY ({select.format(src='read_parquet($p)')}) TO $o (FORMAT parquet)", {"p": str(path), "o": str(out)}
        )
    return out, tmp


def test_good_month_passes(good):
    summary = run(*good)
    assert summary["success"] and summary["failed"] == []
    assert summary["evaluated"] == 16


@pytest.mark.parametrize(
    "select, failing",
    [
        ("SELECT * REPLACE (-items AS items) FROM {src}", "measures are not negative"),
        ("SELECT * REPLACE (-actual_cost AS actual_cost) FROM {src}", "measures are not negative"),
        (
            "SELECT * REPLACE (total_quantity + 5 AS total_quantity) FROM {src}",
            "TOTAL_QUANTITY equals QUANTITY x ITEMS",
        ),
        ("SELECT * REPLACE ('P8500' AS practice_code) FROM {src}", "practice codes are 6 characters"),
        ("SELECT * REPLACE (left(bnf_code, 14) AS bnf_code) FROM {src}", "BNF presentation codes are 15 characters"),
        ("SELECT * REPLACE ('QZZ' AS icb_code) FROM {src}", "expect_column_values_to_be_in_set(icb_code)"),
        ("SELECT * REPLACE (NULL AS bnf_code) FROM {src}", "required fields present"),
        ("SELECT * REPLACE (NULL::INTEGER AS items) FROM {src}", "required fields present"),
        ("SELECT * REPLACE (CAST(items AS DOUBLE) AS items) FROM {src}", "column types"),
        ("SELECT * EXCLUDE (snomed_code) FROM {src}", "expect_table_columns_to_match_ordered_list"),
        ("SELECT * REPLACE ('1234x' AS snomed_code) FROM {src}", "SNOMED codes are 6-18 digits"),
        ("SELECT * REPLACE ('NaN'::DOUBLE AS adq_usage) FROM {src}", "measures are finite numbers"),
        ("SELECT * REPLACE ('inf'::DOUBLE AS nic) FROM {src}", "measures are finite numbers"),
        (
            "SELECT * REPLACE (1e300 AS quantity, 1e300 * items AS total_quantity) FROM {src}",
            "measures are within what a real row can have",
        ),
        (
            "SELECT * REPLACE (2000000 AS items, quantity * 2000000 AS total_quantity) FROM {src}",
            "measures are within what a real row can have",
        ),
        # a block of rows published twice, or the whole file twice: the month would count double
        ("SELECT * FROM {src} UNION ALL (SELECT * FROM {src} LIMIT 2)", "no key repeats"),
        ("SELECT * FROM {src} UNION ALL SELECT * FROM {src}", "no key repeats"),
    ],
)
def test_each_rule_can_fail(good, select, failing):
    summary = run(*variant(good, select))
    assert not summary["success"]
    described = [
        f"{f['expectation']}({f['column']})" if f["column"] else (f["description"] or f["expectation"])
        for f in summary["failed"]
    ]
    assert any(failing in d for d in described), described


def test_rows_differing_only_in_quantity_are_not_repeats(good):
    """NHSBSA publishes a row per pack size (QUANTITY): the same practice and presentation twice is normal."""
    summary = run(
        *variant(
            good,
            "SELECT * FROM {src} UNION ALL SELECT * REPLACE (quantity + 1 AS quantity, "
            "(quantity + 1) * items AS total_quantity) FROM {src}",
        )
    )
    assert summary["success"], summary["failed"]


def test_repeated_rows_are_named_and_counted(good):
    """Two rows published twice: the four rows sharing a key are counted and the first named, with no SNOMED
    code (the legacy files') matching as a key like any other."""
    from pipelines.checks.gx_duckdb import name_refused_rows
    from pipelines.datasets.epd.suite import NAMING_COLUMNS

    path, tmp = variant(
        good,
        "SELECT * REPLACE (NULL AS snomed_code) FROM {src} UNION ALL "
        "(SELECT * REPLACE (NULL AS snomed_code) FROM {src} ORDER BY practice_code, bnf_code LIMIT 2)",
    )
    expectations = prescribing_expectations("2024-01", geography_rule("2024-01", "ICB"))
    summary = name_refused_rows(path, run(path, tmp), expectations, NAMING_COLUMNS)
    repeated = [f for f in summary["failed"] if "no key repeats" in (f["description"] or "")]
    assert repeated and repeated[0]["unexpected_count"] == 4, summary["failed"]
    assert repeated[0]["observed"].count("practice_code") == 3


def test_a_row_published_three_times_counts_three_rows(good):
    """A key found three times (its hash twice equal to the one before it when sorted) is three refused rows,
    beside another row published twice: five in all."""
    path, tmp = variant(
        good,
        "SELECT * FROM {src} UNION ALL (SELECT * FROM {src} ORDER BY practice_code, bnf_code, quantity LIMIT 1) "
        "UNION ALL (SELECT * FROM {src} ORDER BY practice_code, bnf_code, quantity LIMIT 1) "
        "UNION ALL (SELECT * FROM {src} ORDER BY practice_code DESC, bnf_code DESC, quantity DESC LIMIT 1)",
    )
    repeated = [f for f in run(path, tmp)["failed"] if "no key repeats" in (f["description"] or "")]
    assert repeated and repeated[0]["unexpected_count"] == 5, repeated


def test_wrong_month_fails(good):
    summary = run(*good, month="2024-02")
    assert any(
        f["expectation"] == "expect_column_values_to_be_in_set" and f["column"] == "month" for f in summary["failed"]
    )


@pytest.mark.parametrize(
    "header, codes, passes, used",
    [
        ("AREA_TEAM", "Q52", True, "area teams"),  # a 2014-2017 file: area-team codes, checked by format
        ("AREA_TEAM", "QOP", False, "area teams"),  # an ICB code where the header says area team
        ("STP", "QOP", True, "42 STP codes"),  # an STP-era file: the 42 STP codes
        ("STP", "Q52", False, "42 STP codes"),
    ],
)
def test_geography_is_checked_against_its_era(good, header, codes, passes, used):
    path, tmp = variant(good, f"SELECT * REPLACE ('{codes}' AS icb_code) FROM {{src}}")
    rule = geography_rule("2017-09", header)
    assert used in rule[0]
    summary = run(path, tmp, month="2024-01", header=header)
    assert summary["success"] is passes, summary["failed"]


def test_snomed_codes_must_carry_their_check_digit(tmp_path):
    """All 17 real January 2026 rows pass; the same file with one code cut short (a digit lost) does not."""
    from pipelines.checks.verhoeff import valid
    from pipelines.datasets.epd.validation import validate_prescribing
    from tests.epd_fixtures import REAL_ROWS

    layout = Layout(tmp_path / "data")
    good = ingest_epd_month(REAL_ROWS, "2026-01", layout)
    assert validate_prescribing(good.prescribing_path, "2026-01", "ICB", tmp_path / "gx")["success"]
    text = REAL_ROWS.read_bytes()
    cut = write(tmp_path / "cut" / "EPD_SNOMED_202601.csv", text.replace(b",729011000001103\n", b",72901100000110\n"))
    assert not valid("72901100000110") and valid("729011000001103")
    staged = ingest_epd_month(cut, "2026-01", Layout(tmp_path / "data2")).prescribing_path
    summary = validate_prescribing(staged, "2026-01", "ICB", tmp_path / "gx")
    failed = [f for f in summary["failed"] if f["expectation"] == "snomed_check_digit"]
    assert not summary["success"] and failed[0]["unexpected_count"] == 1 and "72901100000110" in failed[0]["observed"]


@pytest.mark.parametrize(
    "column, pattern",
    [
        ("practice_code", r"[A-Z0-9]{6}|-"),
        ("bnf_code", r"[0-9]{2}[0-9A-Z]{13}|2[0-3][0-9]{9}"),
        ("icb_code", r"[A-Z0-9]{3}|[A-Z0-9]{5}"),
        ("snomed_code", r"[0-9]{6,18}"),
    ],
)
def test_code_format_rules_refuse_exactly_what_their_pattern_refuses(column, pattern):
    """Each code-format rule (written without regular expressions, for speed) against the pattern its
    description states, checked here with Python's re on the same values: near misses, non-ASCII look-alikes,
    lower case, spaces, empty text and random strings."""
    import random
    import re

    from pipelines.datasets.epd.suite import ROW_RULES

    where = next(w for _, w in ROW_RULES if f"({column}" in w and "starts_with" not in w)
    rng = random.Random(31)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ019az-_ É٣\n\t"
    values = [
        "",
        "-",
        "--",
        "A1B2C3",
        "a1b2c3",
        "A1B2C",
        "A1B2C3D",
        "A1B2É",
        "A1B2C3\n",
        " A1B2C",
        "Y62",
        "QOP",
        "QE1AB",
        "QE1ABC",
        "0407010H0AAAMAM",
        "0407010H0AAAMA",
        "0A07010H0AAAMAM",
        "A407010H0AAAMAM",
        "0407010h0AAAMAM",
        "20020100000",
        "23999999999",
        "24000000000",
        "19999999999",
        "2002010000",
        "2002010000A",
        "123456",
        "12345",
        "123456789012345678",
        "1234567890123456789",
        "12345٣",
        "1234 56",
    ]
    values += [
        "".join(rng.choice(alphabet) for _ in range(rng.choice([3, 5, 6, 11, 15, 18, rng.randrange(20)])))
        for _ in range(3000)
    ]
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE t ({column} VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values] + [[None]])
        refused = {v for (v,) in con.execute(f"SELECT {column} FROM t WHERE {where}").fetchall()}
    expected = {v for v in values if not re.fullmatch(pattern, v)}
    assert refused == expected and None not in refused  # NULL is the required-fields rule's to refuse
