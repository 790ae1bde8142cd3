"""The Great Expectations suite for a patient-level extract: one rule per requirement of the contract,
each a SQL condition selecting the rows that break it, so a failure can name the file, column and row."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.checks.gx_rules import row_rule

ISO_DATE = "'[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}'"


def _bad_date(column: str) -> str:
    return f"(NOT regexp_full_match(trim({column}), {ISO_DATE}) OR TRY_CAST(trim({column}) AS DATE) IS NULL)"


@dataclass(frozen=True)
class Rule:
    column: str
    requirement: str  # what must hold, in words
    where: str  # SQL selecting the rows that break it (GE fills in {batch}, so literal braces are doubled:
    # build these by concatenation, never in an f-string, which would undouble them)


def _blank(column: str) -> str:
    return f"({column} IS NULL OR trim({column}) = '')"


_COMMON = [
    Rule("patient_id", "patient_id must be present", _blank("patient_id")),
    Rule(
        "practice_code",
        "practice_code must be an ODS practice code (6 letters or digits)",
        _blank("practice_code") + " OR NOT regexp_full_match(trim(practice_code), '[A-Z0-9]{{6}}')",
    ),
]

RULES = {
    "prescriptions": [
        *_COMMON,
        Rule(
            "issue_date",
            "issue_date must be an ISO date YYYY-MM-DD",
            f"{_blank('issue_date')} OR {_bad_date('issue_date')}",
        ),
        Rule(
            "bnf_code",
            "bnf_code must be a BNF presentation code (15 characters; 11 for appliances)",
            _blank("bnf_code")
            + " OR NOT regexp_full_match(trim(bnf_code), '[0-9]{{2}}[0-9A-Z]{{13}}|2[0-3][0-9]{{9}}')",
        ),
        Rule(
            "quantity",
            "quantity must be a number above 0",
            f"{_blank('quantity')} OR TRY_CAST(trim(quantity) AS DOUBLE) IS NULL "
            "OR TRY_CAST(trim(quantity) AS DOUBLE) <= 0",
        ),
    ],
    "registrations": [
        *_COMMON,
        Rule("sex", "sex must be F, M or U", f"{_blank('sex')} OR upper(trim(sex)) NOT IN ('F', 'M', 'U')"),
        Rule(
            "date_of_birth",
            "date_of_birth must be an ISO date YYYY-MM-DD",
            f"{_blank('date_of_birth')} OR {_bad_date('date_of_birth')}",
        ),
        Rule(
            "registered_from",
            "registered_from must be an ISO date YYYY-MM-DD",
            f"{_blank('registered_from')} OR {_bad_date('registered_from')}",
        ),
        Rule(
            "registered_to",
            "registered_to must be empty (still registered) or an ISO date YYYY-MM-DD",
            f"NOT {_blank('registered_to')} AND {_bad_date('registered_to')}",
        ),
        Rule(
            "registered_to",
            "registered_to must not be before registered_from",
            f"NOT {_blank('registered_to')} AND TRY_CAST(trim(registered_to) AS DATE) "
            "< TRY_CAST(trim(registered_from) AS DATE)",
        ),
        Rule(
            "date_of_birth",
            "date_of_birth must not be after registered_from",
            "TRY_CAST(trim(date_of_birth) AS DATE) > TRY_CAST(trim(registered_from) AS DATE)",
        ),
        Rule(
            "learning_disability_or_autism",
            "learning_disability_or_autism must be Y, N or empty (not recorded)",
            "NOT "
            + _blank("learning_disability_or_autism")
            + " AND upper(trim(learning_disability_or_autism)) NOT IN ('Y', 'N')",
        ),
    ],
}


def expectations(table: str) -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        *[row_rule(f"{r.column}: {r.requirement}", "SELECT * FROM {batch} WHERE " + r.where) for r in RULES[table]],
    ]
