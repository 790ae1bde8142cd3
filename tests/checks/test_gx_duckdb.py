"""pipelines/checks/gx_duckdb.py patches one private method of Great Expectations' SQLAlchemy engine so
that a suite runs inside DuckDB. If a GE upgrade broke the patch, every expectation would fail (or pass)
whatever the data: this proves a suite passes on good rows and fails, naming the rule, on bad ones."""

import duckdb
import great_expectations as gx
import pytest

from pipelines.checks.gx_duckdb import validate_parquet


def write(path, rows):
    with duckdb.connect() as con:
        con.execute("CREATE TABLE t (practice_code VARCHAR, items BIGINT)")
        con.executemany("INSERT INTO t VALUES (?, ?)", rows)
        con.execute("COPY t TO $p (FORMAT parquet)", {"p": str(path)})
    return path


def suite():
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="practice_code"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="items", min_value=0),
        gx.expectations.ExpectColumnValueLengthsToEqual(column="practice_code", value=6),
    ]


def test_a_suite_passes_on_good_rows(tmp_path):
    result = validate_parquet(
        write(tmp_path / "good.parquet", [("P84001", 3), ("K81001", 0)]), "rx", suite(), tmp_path / "w"
    )
    assert result["success"] is True and result["evaluated"] == 3 and result["failed"] == []


@pytest.mark.parametrize(
    "rows, rule, column, count",
    [
        ([("P84001", 3), (None, 1)], "expect_column_values_to_not_be_null", "practice_code", 1),
        ([("P84001", -2), ("K81001", 1), ("K81002", -1)], "expect_column_values_to_be_between", "items", 2),
        ([("P84001", 1), ("not a code", 1)], "expect_column_value_lengths_to_equal", "practice_code", 1),
    ],
)
def test_a_suite_fails_on_bad_rows_naming_the_rule(tmp_path, rows, rule, column, count):
    result = validate_parquet(write(tmp_path / "bad.parquet", rows), "rx", suite(), tmp_path / "w")
    assert result["success"] is False
    assert [(f["expectation"], f["column"], f["unexpected_count"]) for f in result["failed"]] == [(rule, column, count)]
    assert not any((tmp_path / "w").glob("*/gx.duckdb"))  # the temporary database is removed


def test_a_row_rule_counts_the_rows_its_query_selects(tmp_path):
    """row_rule asks GE for the count only (not the count and a listing: two scans of a national month);
    the count is still what a failure reports, and a passing rule passes."""
    from pipelines.checks.gx_rules import ROW_RULE, row_rule

    def rule():
        return row_rule("items are not negative", "SELECT practice_code FROM {batch} WHERE items < 0")

    assert rule().metric_dependencies == ("unexpected_rows_query.row_count",)
    bad = write(tmp_path / "bad.parquet", [("P84001", -2), ("K81001", 1), ("K81002", -1)])
    result = validate_parquet(bad, "rx", [rule()], tmp_path / "w")
    assert result["success"] is False
    assert [(f["expectation"], f["description"], f["unexpected_count"]) for f in result["failed"]] == [
        (ROW_RULE, "items are not negative", 2)
    ]
    good = write(tmp_path / "good.parquet", [("P84001", 2)])
    assert validate_parquet(good, "rx", [rule()], tmp_path / "w")["success"] is True


def test_a_rule_set_counts_each_rule_in_one_statement(tmp_path):
    """rule_set: several rules over one table, counted together by one GE metric (one scan of a national
    month instead of one per rule); each rule keeps its own expectation, verdict and count."""
    from pipelines.checks.gx_rules import RULE_OF_SET, rule_set

    rules = [
        ("items are not negative", "items < 0"),
        ("codes are 6 characters", "length(practice_code) <> 6"),
        ("no practice is ZZZ999", "practice_code = 'ZZZ999'"),
    ]
    made = rule_set("SELECT practice_code FROM {batch} WHERE ", rules)
    assert len({e.row_rules_query for e in made}) == 1 and made[0].unexpected_rows_query.endswith("items < 0")
    bad = write(tmp_path / "bad.parquet", [("P84001", -2), ("K81001", 1), ("K8100", -1), ("K81002", 4)])
    result = validate_parquet(bad, "rx", made, tmp_path / "w")
    assert result["success"] is False and result["evaluated"] == 3
    assert [(f["expectation"], f["description"], f["unexpected_count"]) for f in result["failed"]] == [
        (RULE_OF_SET, "items are not negative", 2),
        (RULE_OF_SET, "codes are 6 characters", 1),
    ]
    good = write(tmp_path / "good.parquet", [("P84001", 2)])
    assert validate_parquet(good, "rx", rule_set("SELECT * FROM {batch} WHERE ", rules), tmp_path / "w")["success"]
