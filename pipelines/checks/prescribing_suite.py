"""The expectations every normalised prescribing month must meet before indicators may use it."""

from __future__ import annotations

from pipelines.checks.gx_rules import row_rule, rule_set

PRESCRIBING_COLUMNS = [
    "month", "region_code", "icb_code", "sub_icb_code", "practice_code", "chem_code", "chem_name", "bnf_code",
    "bnf_name", "snomed_code", "quantity", "items", "total_quantity", "adq_usage", "nic", "actual_cost",
    "unidentified",
]
COLUMN_TYPES = {
    **{c: "VARCHAR" for c in ("month", "region_code", "icb_code", "sub_icb_code", "practice_code", "chem_code",
                              "chem_name", "bnf_code", "bnf_name", "snomed_code")},
    "items": "INTEGER", "unidentified": "BOOLEAN",
    **{c: "DOUBLE" for c in ("quantity", "total_quantity", "adq_usage", "nic", "actual_cost")},
}
NOT_NULL = ["month", "icb_code", "sub_icb_code", "practice_code", "bnf_code", "quantity", "items",
            "total_quantity", "nic", "actual_cost", "unidentified"]
NON_NEGATIVE = ["quantity", "items", "total_quantity", "adq_usage", "nic", "actual_cost"]
NAMING_COLUMNS = ["practice_code", "bnf_code", "quantity", "items", "total_quantity", "nic", "actual_cost"]


# (what must hold, SQL WHERE clause selecting the rows that break it). GE fills in {batch}; literal
# regex braces are doubled.
ROW_RULES = [
    ("practice codes are 6 characters (letter/digit) or '-' for unidentified prescribing",
     "NOT regexp_full_match(practice_code, '[A-Z0-9]{{6}}|-')"),
    ("BNF presentation codes are 15 characters, or 11 for appliances (chapters 20-23)",
     "NOT regexp_full_match(bnf_code, '[0-9]{{2}}[0-9A-Z]{{13}}|2[0-3][0-9]{{9}}')"),
    ("BNF chemical codes are the first 9 characters of the presentation (4 for appliances)",
     "NOT starts_with(bnf_code, chem_code) OR length(chem_code) NOT IN (4, 9)"),
    ("geography codes are 3 characters (area teams, STPs, ICBs 2022-2026) or 5 (new ICBs from April 2026)",
     "NOT regexp_full_match(icb_code, '[A-Z0-9]{{3}}|[A-Z0-9]{{5}}')"),
    ("SNOMED codes are 6-18 digits when present",
     "snomed_code IS NOT NULL AND NOT regexp_full_match(snomed_code, '[0-9]{{6,18}}')"),
    ("TOTAL_QUANTITY equals QUANTITY x ITEMS (to rounding)",
     "abs(total_quantity - quantity * items) > 0.01 + 1e-6 * abs(total_quantity)"),
]


def geography_rules(rule: tuple[str, list[str] | None, str | None]) -> tuple[list, list[tuple[str, str]]]:
    """The era's check of icb_code: membership of its reference set (a GE expectation, which names the codes
    it did not expect), else the ODS code format (a row rule, counted with the others)."""
    import great_expectations.expectations as gxe

    used, codes, pattern = rule
    if codes is not None:
        return [gxe.ExpectColumnValuesToBeInSet(column="icb_code", value_set=codes, description=f"icb_code in {used}")], []
    return [], [(f"icb_code: {used}", "NOT regexp_full_match(icb_code, '" + pattern + "')")]


def prescribing_expectations(month: str, geography_rule: tuple[str, list[str] | None, str | None]) -> list:
    import great_expectations.expectations as gxe

    # A rule's query selects only the columns that name a refused row (pipelines/checks/prescribing_validation.py
    # runs it again, for a failed rule only, to name them); the suite counts every row rule in one scan of the
    # month (gx_rules.rule_set: ~6 s a national month, against ~13 s one query per rule, ~17 s counted and listed).
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
            "SELECT * FROM (SELECT " + ", ".join(f"typeof({c}) AS {c}" for c in PRESCRIBING_COLUMNS)
            + " FROM {batch} LIMIT 1) WHERE " + " OR ".join(f"{c} <> '{t}'" for c, t in COLUMN_TYPES.items())),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeInSet(column="month", value_set=[month]),
        *in_set,
        *rule_set(rows, row_rules),
    ]
