"""Reference tables in reference/ (data, not code): ICBs before and after April 2026, regions, BNF
presentations, opioid tables. Read here; pipelines/wiring/assets/reference.py declares them to Dagster,
versioned by content_version()."""

from __future__ import annotations

import csv
import hashlib
from functools import cache

from pipelines.resources import resource_dir

REFERENCE_DIR = resource_dir("reference")
REORGANISATION_MONTH = "2026-04"  # 42 ICBs -> 36 (NHSBSA: "reflected in reporting from April 2026 data")
FILES = {
    "icbs_2022_07_to_2026_03": "icbs_2022_07_to_2026_03.csv",
    "icbs_from_2026_04": "icbs_from_2026_04.csv",
    "regions": "regions.csv",
    "bnf_presentations": "bnf_presentations.csv",
    "opioid_chemicals": "opioid_chemicals.csv",
    "opioid_ome_factors": "opioid_ome_factors.csv",
    "opioid_name_overrides": "opioid_name_overrides.csv",
    "ccg_successors": "ccg_successors.csv",
}


# The files behind each reference asset (a folder: every file in it).
ORGANISATIONS = ("icbs_2022_07_to_2026_03.csv", "icbs_from_2026_04.csv", "regions.csv", "ccg_successors.csv")
BNF = (
    "bnf_presentations.csv",
    "opioid_chemicals.csv",
    "opioid_ome_factors.csv",
    "opioid_name_overrides.csv",
    "sources",
)


def content_version(names: tuple[str, ...]) -> str:
    """SHA-256 over the files (folders: every file in them), names included, in a fixed order."""
    digest = hashlib.sha256()
    for name in names:
        path = REFERENCE_DIR / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(REFERENCE_DIR)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


@cache
def rows(table: str) -> tuple[dict, ...]:
    with open(REFERENCE_DIR / FILES[table], newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


# ODS codes of NHS England's area teams (2013-2015: Q44-Q71) and of the sub-regions that replaced them
# (Q72-Q88): a 'Q' and two digits. No published list of them is kept here, so the era is checked by format.
AREA_TEAM_FORMAT = "Q[0-9]{{2}}"


def geography_rule(month: str, header_geography: str) -> tuple[str, list[str] | None, str | None]:
    """How the EPD geography column (icb_code) of a month is checked: (what is used, the reference set
    when one exists, else an ODS code format). The header says which era's organisations fill the column."""
    if header_geography == "AREA_TEAM":
        return (
            "area teams and NHS England sub-regions: ODS code format Q + two digits (no reference list kept)",
            None,
            AREA_TEAM_FORMAT,
        )
    if header_geography == "STP":
        return "the 42 STP codes (kept as the 42 ICB codes in July 2022)", valid_icb_codes("2022-07"), None
    if month >= REORGANISATION_MONTH:
        return "the 36 ICB codes from April 2026", valid_icb_codes(month), None
    return "the 42 ICB codes of July 2022 - March 2026", valid_icb_codes(month), None


def valid_icb_codes(month: str) -> list[str]:
    """ICB codes that may appear in EPD rows of `month`. The 42 STP codes became the 42 ICB codes in
    July 2022 unchanged, so the same set serves for STP-era files."""
    table = "icbs_from_2026_04" if month >= REORGANISATION_MONTH else "icbs_2022_07_to_2026_03"
    return sorted(r["icb_ods_code"] for r in rows(table))


def known_icb_codes() -> dict[str, str]:
    """Every ICB code either reference list holds (July 2022 - March 2026 and from April 2026), with its name."""
    return {
        r["icb_ods_code"]: r["icb_name"]
        for table in ("icbs_2022_07_to_2026_03", "icbs_from_2026_04")
        for r in rows(table)
    }


def icb_successors(code: str) -> list[str]:
    """The April 2026 ICBs that took over (all or part of) an ICB abolished then; [] for one that continued."""
    return sorted(
        r["icb_ods_code"]
        for r in rows("icbs_from_2026_04")
        if code in (p.split("(")[0] for p in r["predecessor_icb_ods_codes"].split(";"))
    )


def region_codes() -> list[str]:
    """The ODS codes of NHS England's 7 commissioning regions."""
    return sorted(r["region_ods_code"] for r in rows("regions"))
