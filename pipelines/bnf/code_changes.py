"""NHSBSA's BNF code changes: every historic presentation code to its current code.

NHSBSA recodes presentations every year (a product moves chemical or paragraph, a brand's generic
equivalent changes). Left alone, a long series breaks at each recode and SPC reports it as a special
cause. OpenPrescribing v2 resolves NHSBSA's annual lists (2015-2026) into one mapping of every historic
code to today's code; it is kept byte for byte in reference/sources/openprescribing/bnf_code_mapping.csv.

The indicators match code lists against the current code; the OME is still read from the name the row
was published with (what was dispensed).
"""

from __future__ import annotations

import csv
from functools import cache

import polars as pl

from pipelines.bnf.lists import SOURCES

MAPPING = SOURCES / "openprescribing" / "bnf_code_mapping.csv"


@cache
def current_codes() -> dict[str, str]:
    """old code -> current code. The file is resolved but for three chains (chapter 9 products recoded
    twice), which are followed here to their end."""
    with open(MAPPING, newline="", encoding="utf-8") as fh:
        direct = {r["old_code"]: r["new_code"] for r in csv.DictReader(fh)}
    resolved = {}
    for old, new in direct.items():
        seen = {old}
        while new in direct and new not in seen:  # a cycle would stop at the first repeat
            seen.add(new)
            new = direct[new]
        resolved[old] = new
    return resolved


def code_changes_table() -> pl.DataFrame:
    """(old_code, new_code) for the SQL."""
    mapping = current_codes()
    return pl.DataFrame(
        {"old_code": list(mapping), "new_code": list(mapping.values())},
        schema={"old_code": pl.Utf8, "new_code": pl.Utf8},
    )


def current(code: str) -> str:
    return current_codes().get(code, code)
