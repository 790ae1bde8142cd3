"""Reference tables in reference/ (data, not code): ICBs before and after April 2026, regions, BNF
presentations. Read here, published to the lake by the `reference_tables` asset."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
REORGANISATION_MONTH = "2026-04"  # 42 ICBs -> 36 (NHSBSA: "reflected in reporting from April 2026 data")
FILES = {
    "icbs_2022_07_to_2026_03": "icbs_2022_07_to_2026_03.csv",
    "icbs_from_2026_04": "icbs_from_2026_04.csv",
    "regions": "regions.csv",
    "bnf_presentations": "bnf_presentations.csv",
    "opioid_chemicals": "opioid_chemicals.csv",
    "opioid_ome_factors": "opioid_ome_factors.csv",
    "opioid_name_overrides": "opioid_name_overrides.csv",
}


@cache
def rows(table: str) -> tuple[dict, ...]:
    with open(REFERENCE_DIR / FILES[table], newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def valid_icb_codes(month: str) -> list[str]:
    """ICB codes that may appear in EPD rows of `month`. The 42 STP codes became the 42 ICB codes in
    July 2022 unchanged, so the same set serves for STP-era files."""
    table = "icbs_from_2026_04" if month >= REORGANISATION_MONTH else "icbs_2022_07_to_2026_03"
    return sorted(r["icb_ods_code"] for r in rows(table))
