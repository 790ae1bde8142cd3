"""Header flavours of the English Prescribing Dataset and their mapping to canonical columns.

NHSBSA has published the EPD under several headers (see shared research, nhsbsa_data.md §1.3):

* legacy EPD (`EPD_YYYYMM`, 26 columns) with AREA_TEAM_*, STP_* or ICB_* geography columns;
* EPD with SNOMED code before March 2025: the same 26 plus SNOMED_CODE;
* EPD with SNOMED code from March 2025: renamed BNF columns. The trap: `BNF_CHEMICAL_SUBSTANCE` is the
  chemical *code* in the older headers and the chemical *name* in the newer one.

We detect the flavour from the header itself (never from the month) and refuse anything we do not
recognise exactly, naming the unexpected and the missing columns.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipelines.textfiles import parse_header_line

GEOGRAPHY_PREFIXES = ("ICB", "STP", "AREA_TEAM")

# Canonical names of the columns we keep, in the order of the legacy header.
_LEGACY_BODY = [
    ("REGIONAL_OFFICE_NAME", "region_name"),
    ("REGIONAL_OFFICE_CODE", "region_code"),
    ("{geo}_NAME", "icb_name"),
    ("{geo}_CODE", "icb_code"),
    ("PCO_NAME", "sub_icb_name"),
    ("PCO_CODE", "sub_icb_code"),
    ("PRACTICE_NAME", "practice_name"),
    ("PRACTICE_CODE", "practice_code"),
    ("ADDRESS_1", "address_1"),
    ("ADDRESS_2", "address_2"),
    ("ADDRESS_3", "address_3"),
    ("ADDRESS_4", "address_4"),
    ("POSTCODE", "postcode"),
]
_LEGACY_BNF = [
    ("BNF_CHEMICAL_SUBSTANCE", "chem_code"),
    ("CHEMICAL_SUBSTANCE_BNF_DESCR", "chem_name"),
    ("BNF_CODE", "bnf_code"),
    ("BNF_DESCRIPTION", "bnf_name"),
    ("BNF_CHAPTER_PLUS_CODE", "bnf_chapter"),
]
_RENAMED_BNF = [
    ("BNF_CHEMICAL_SUBSTANCE_CODE", "chem_code"),
    ("BNF_CHEMICAL_SUBSTANCE", "chem_name"),
    ("BNF_PRESENTATION_CODE", "bnf_code"),
    ("BNF_PRESENTATION_NAME", "bnf_name"),
    ("BNF_CHAPTER_PLUS_CODE", "bnf_chapter"),
]
_MEASURES = [
    ("QUANTITY", "quantity"),
    ("ITEMS", "items"),
    ("TOTAL_QUANTITY", "total_quantity"),
    ("{adq}", "adq_usage"),
    ("NIC", "nic"),
    ("ACTUAL_COST", "actual_cost"),
    ("UNIDENTIFIED", "unidentified"),
]


@dataclass(frozen=True)
class Flavour:
    """One published header layout."""

    name: str  # epd_legacy | snomed_legacy | snomed_2025
    geography: str  # ICB | STP | AREA_TEAM
    columns: tuple[str, ...]  # the published header, in order
    canonical: tuple[str, ...]  # our name for each published column, same order

    @property
    def has_snomed(self) -> bool:
        return "snomed_code" in self.canonical


class UnknownHeaderError(ValueError):
    """The file's header matches no published EPD flavour."""


def _build(name: str, geography: str) -> Flavour:
    renamed = name == "snomed_2025"
    pairs = [("YEAR_MONTH", "year_month")]
    pairs += [(c.format(geo=geography), k) for c, k in _LEGACY_BODY]
    pairs += _RENAMED_BNF if renamed else _LEGACY_BNF
    pairs += [(c.format(adq="ADQ_USAGE" if renamed else "ADQUSAGE"), k) for c, k in _MEASURES]
    if name != "epd_legacy":
        pairs.append(("SNOMED_CODE", "snomed_code"))
    return Flavour(name, geography, tuple(c for c, _ in pairs), tuple(k for _, k in pairs))


FLAVOURS: tuple[Flavour, ...] = tuple(
    _build(name, geo) for name in ("epd_legacy", "snomed_legacy", "snomed_2025") for geo in GEOGRAPHY_PREFIXES
)


def detect_flavour(header: list[str], source: str = "file") -> Flavour:
    """Return the flavour whose columns equal `header` exactly, or explain the mismatch."""
    for flavour in FLAVOURS:
        if list(flavour.columns) == header:
            return flavour
    # Same columns in another order would still be readable by name, but NHSBSA has never done it;
    # treat it as unknown rather than guess.
    best = min(FLAVOURS, key=lambda f: len(set(f.columns) ^ set(header)))
    unexpected = [c for c in header if c not in best.columns]
    missing = [c for c in best.columns if c not in header]
    detail = []
    if unexpected:
        detail.append(f"unexpected columns {unexpected}")
    if missing:
        detail.append(f"missing columns {missing}")
    if not detail:
        detail.append("columns in an unexpected order")
    raise UnknownHeaderError(
        f"{source}: header matches no known EPD flavour; closest is {best.name} ({best.geography}): "
        + "; ".join(detail)
    )


def source_geography(source: Path) -> str:
    """The geography columns a published file carries (AREA_TEAM, STP or ICB), from its header line alone;
    a ZIP's member is read only as far as its first line."""
    if source.suffix.lower() == ".zip":
        with zipfile.ZipFile(source) as zf:
            member = next(m for m in zf.infolist() if m.filename.lower().endswith(".csv"))
            with zf.open(member) as fh:
                first = fh.readline()
    else:
        with open(source, "rb") as fh:
            first = fh.readline()
    return detect_flavour(parse_header_line(first), source=source.name).geography
