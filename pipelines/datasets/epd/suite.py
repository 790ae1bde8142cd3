"""The expectations every normalised prescribing month must meet before indicators may use it."""

from __future__ import annotations

from pipelines.checks.gx_rules import row_rule, rule_set
from pipelines.datasets.epd import FACT

# The staged month must be the lake table as declared (FACT): its columns in order, each of its type.
PRESCRIBING_COLUMNS = [c for c, _ in FACT.columns]
COLUMN_TYPES = FACT.schema
NOT_NULL = [
    "month",
    "icb_code",
    "sub_icb_code",
    "practice_code",
    "bnf_code",
    "quantity",
    "items",
    "total_quantity",
    "nic",
    "actual_cost",
    "unidentified",
]
NON_NEGATIVE = ["quantity", "items", "total_quantity", "adq_usage", "nic", "actual_cost"]
DOUBLES = ["quantity", "total_quantity", "adq_usage", "nic", "actual_cost"]
# Magnitudes no real row can have: three or more orders of magnitude above the largest values in the real
# NHSBSA rows held here (the Nov 2024 excerpt: ITEMS 701, QUANTITY 1,200, TOTAL_QUANTITY 57,120, ADQ_USAGE
# 19,040, NIC £6,806), and above what one practice could dispense in a month (England's largest practice
# has ~109,000 patients; NHSBSA's whole monthly NIC is ~£800 M). A value beyond them is a damaged file.
MAXIMA = {
    "items": 1_000_000,
    "quantity": 1_000_000,
    "total_quantity": 1_000_000_000,
    "adq_usage": 1_000_000_000,
    "nic": 100_000_000,
    "actual_cost": 100_000_000,
}
# What identifies an EPD row, found from NHSBSA's real rows (research/data/real/epd: 1,216 Nov 2024 rows):
# practice x presentation repeats (944 times) because each pack size (QUANTITY) is a row of its own, and
# practice x presentation x QUANTITY never does; the SNOMED files add a row per SNOMED code (nhsbsa_data.md
# §1.5); unidentified prescribing ('-') is a row per sub-ICB location. A repeated key is a repeated row.
# (snomed_code is NULL in files before the SNOMED dataset: compared as '' so that NULLs match.)
ROW_KEY = ["practice_code", "sub_icb_code", "bnf_code", "snomed_key", "quantity", "unidentified"]
SNOMED_KEY = "coalesce(snomed_code, '')"
NAMING_COLUMNS = ["practice_code", "bnf_code", "quantity", "items", "total_quantity", "adq_usage", "nic", "actual_cost"]


def made_of(column: str, characters: str) -> str:
    """SQL: `column` holds only `characters` (nothing is left once they are trimmed from its start).

    The code-format rules are written with this and the length in bytes (strlen; a character outside ASCII
    takes two or more) instead of regular expressions: the same rows are refused (tests/datasets/epd/
    test_suite.py holds each against its regular expression in Python), and on a national month the four
    rules take ~0.5 s instead of ~2.8 s (BENCHMARKS.md, issue 31)."""
    return f"ltrim({column}, '{characters}') = ''"


DIGITS = "0123456789"
UPPER_OR_DIGIT = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + DIGITS

# (what must hold, SQL WHERE clause selecting the rows that break it). GE fills in {batch}; literal
# braces are doubled.
ROW_RULES = [
    (
        "practice codes are 6 characters (letter/digit) or '-' for unidentified prescribing",
        # [A-Z0-9]{6}|-
        f"NOT (practice_code = '-' OR (strlen(practice_code) = 6 AND {made_of('practice_code', UPPER_OR_DIGIT)}))",
    ),
    (
        "BNF presentation codes are 15 characters, or 11 for appliances (chapters 20-23)",
        # [0-9]{2}[0-9A-Z]{13}|2[0-3][0-9]{9}: two leading digits leave at most 13 characters once digits are
        # trimmed; eleven digits from '20' up to but not including '24' start with 20-23.
        f"NOT ((strlen(bnf_code) = 15 AND {made_of('bnf_code', UPPER_OR_DIGIT)} "
        f"AND strlen(ltrim(bnf_code, '{DIGITS}')) <= 13) "
        f"OR (strlen(bnf_code) = 11 AND {made_of('bnf_code', DIGITS)} AND bnf_code >= '20' AND bnf_code < '24'))",
    ),
    (
        "BNF chemical codes are the first 9 characters of the presentation (4 for appliances)",
        "NOT starts_with(bnf_code, chem_code) OR length(chem_code) NOT IN (4, 9)",
    ),
    (
        "geography codes are 3 characters (area teams, STPs, ICBs 2022-2026) or 5 (new ICBs from April 2026)",
        # [A-Z0-9]{3}|[A-Z0-9]{5}
        f"NOT (strlen(icb_code) IN (3, 5) AND {made_of('icb_code', UPPER_OR_DIGIT)})",
    ),
    (
        "SNOMED codes are 6-18 digits when present",
        # [0-9]{6,18}
        f"snomed_code IS NOT NULL AND NOT (strlen(snomed_code) BETWEEN 6 AND 18 AND {made_of('snomed_code', DIGITS)})",
    ),
    (
        "TOTAL_QUANTITY equals QUANTITY x ITEMS (to rounding)",
        "abs(total_quantity - quantity * items) > 0.01 + 1e-6 * abs(total_quantity)",
    ),
    # NOT isfinite, not isnan: DuckDB skips row groups whose min/max statistics rule a value out, and
    # writers leave NaN out of those statistics, so `WHERE isnan(x)` can miss a NaN that is there.
    (
        "measures are finite numbers (no NaN or infinity): " + ", ".join(DOUBLES),
        " OR ".join(f"NOT isfinite({c})" for c in DOUBLES),
    ),
    (
        "measures are within what a real row can have: " + ", ".join(f"{c} <= {v:,}" for c, v in MAXIMA.items()),
        " OR ".join(f"{c} > {v}" for c, v in MAXIMA.items()),
    ),
]


def repeated_rows_query(select: str) -> str:
    """The rows whose key (ROW_KEY) another row of the month shares. A 64-bit hash of the key finds the
    candidates: the hashes sorted, a hash equal to the one before it repeats (1.3-1.5 s on a national month,
    where grouping the hashes took 2.2-3.5 s and grouping the key itself three times that); the key is then
    compared exactly among the candidates only, so a hash collision never refuses a month."""
    key = ", ".join(ROW_KEY)
    hashed = "hash(" + key.replace("snomed_key", SNOMED_KEY) + ")"
    return (
        "WITH suspects AS (SELECT DISTINCT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous FROM (SELECT "
        + hashed
        + " AS h FROM {batch})) WHERE h = previous), "
        "candidates AS (SELECT *, "
        + SNOMED_KEY
        + " AS snomed_key FROM {batch} WHERE "
        + hashed
        + " IN (SELECT h FROM suspects)), "
        "repeated AS (SELECT "
        + key
        + " FROM candidates GROUP BY ALL HAVING count(*) > 1) "
        + select
        + " FROM candidates JOIN repeated USING ("
        + key
        + ") ORDER BY practice_code, bnf_code, quantity"
    )


def geography_rules(rule: tuple[str, list[str] | None, str | None]) -> tuple[list, list[tuple[str, str]]]:
    """The era's check of icb_code: membership of its reference set (a GE expectation, which names the codes
    it did not expect), else the ODS code format (a row rule, counted with the others)."""
    import great_expectations.expectations as gxe

    used, codes, pattern = rule
    if codes is not None:
        return [
            gxe.ExpectColumnValuesToBeInSet(column="icb_code", value_set=codes, description=f"icb_code in {used}")
        ], []
    assert pattern is not None  # an era's rule has either the codes or a pattern
    return [], [(f"icb_code: {used}", "NOT regexp_full_match(icb_code, '" + pattern + "')")]


def prescribing_expectations(month: str, geography_rule: tuple[str, list[str] | None, str | None]) -> list:
    import great_expectations.expectations as gxe

    # A rule's query selects only the columns that name a refused row (pipelines/datasets/epd/validation.py
    # runs it again, for a failed rule only, to name them); the suite counts every row rule in one scan of the
    # month (gx_rules.rule_set: half the time of one query per rule; BENCHMARKS.md, "Why the code is shaped so").
    rows = "SELECT " + ", ".join(NAMING_COLUMNS) + " FROM {batch} WHERE "
    in_set, geography_format = geography_rules(geography_rule)
    row_rules = [
        # One rule each for required fields and for signs, not one per column: the descriptions name every column.
        ("required fields present: " + ", ".join(NOT_NULL), " OR ".join(f"{c} IS NULL" for c in NOT_NULL)),
        ("measures are not negative: " + ", ".join(NON_NEGATIVE), " OR ".join(f"{c} < 0" for c in NON_NEGATIVE)),
        *ROW_RULES,
        *geography_format,
    ]
    return [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=PRESCRIBING_COLUMNS),
        # GE cannot reflect DuckDB column types, so the types are checked by a query of our own.
        row_rule(
            "column types: codes as text (leading zeros kept), items integer, measures double",
            "SELECT * FROM (SELECT "
            + ", ".join(f"typeof({c}) AS {c}" for c in PRESCRIBING_COLUMNS)
            + " FROM {batch} LIMIT 1) WHERE "
            + " OR ".join(f"{c} <> '{t}'" for c, t in COLUMN_TYPES.items()),
        ),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeInSet(column="month", value_set=[month]),
        *in_set,
        *rule_set(rows, row_rules),
        row_rule(
            "each row is one practice x sub-ICB x presentation x SNOMED code x QUANTITY (x unidentified): "
            "no key repeats",
            repeated_rows_query("SELECT " + ", ".join(NAMING_COLUMNS)),
        ),
    ]
