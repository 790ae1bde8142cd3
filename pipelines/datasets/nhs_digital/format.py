"""The layouts of NHS Digital's registered-patient files: columns chosen by name (layouts differ before and
after July 2022 and between files, and the type column is `ORG_TYPE` in some and `TYPE` in others;
nhsbsa_data.md §3.2-3.3), EXTRACT_DATE in each published form, and the month a file belongs to."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from pipelines.datasets.nhs_digital.files import ListSizeError
from pipelines.textfiles import parse_header_line, text_encoding

# canonical name -> accepted published names (first match wins); `required` ones must be present.
QUIN_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"],
    "org_type": ["ORG_TYPE", "TYPE"],
    "org_code": ["ORG_CODE", "CODE"],
    "sex": ["SEX"],
    "age": ["AGE_GROUP_5"],
    "patients": ["NUMBER_OF_PATIENTS"],
}
FEMALE_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"],
    "org_type": ["ORG_TYPE", "TYPE"],
    "org_code": ["ORG_CODE", "CODE"],
    "sex": ["SEX"],
    "age": ["AGE"],
    "patients": ["NUMBER_OF_PATIENTS"],
}
MAP_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"],
    "practice_code": ["PRACTICE_CODE"],
    "practice_name": ["PRACTICE_NAME"],
    "practice_postcode": ["PRACTICE_POSTCODE"],
    "pcn_code": ["PCN_CODE"],
    "pcn_name": ["PCN_NAME"],
    "sub_icb_code": ["SUB_ICB_LOCATION_CODE", "CCG_CODE"],
    "sub_icb_name": ["SUB_ICB_LOCATION_NAME", "CCG_NAME"],
    "sub_icb_ons_code": ["ONS_SUB_ICB_LOCATION_CODE", "ONS_CCG_CODE"],
    "icb_code": ["ICB_CODE", "STP_CODE"],
    "icb_name": ["ICB_NAME", "STP_NAME"],
    "icb_ons_code": ["ONS_ICB_CODE", "ONS_STP_CODE"],
    "region_code": ["COMM_REGION_CODE"],
    "region_name": ["COMM_REGION_NAME"],
    "region_ons_code": ["ONS_COMM_REGION_CODE"],
}
OPTIONAL = {"org_type", "pcn_code", "pcn_name"}


_DATE_FORMATS = ("%d-%b-%y", "%d%b%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y")


def parse_extract_date(text: str) -> date:
    """EXTRACT_DATE in any published form: 01-Sep-20, 01Jan2022, 01JUL2026, 2026-04-01."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.title() if "%b" in fmt else value, fmt).date()
        except ValueError:
            continue
    raise ListSizeError(f"unrecognised EXTRACT_DATE {text!r}")


def map_columns(csv_path: Path, wanted: dict[str, list[str]], label: str) -> list[str]:
    """Canonical name for each column of the file (unwanted columns get placeholder names)."""
    header = header_names(csv_path)
    names = [f"_unused_{i}" for i in range(len(header))]
    for canonical, options in wanted.items():
        hit = next((h for h in options if h in header), None)
        if hit is None:
            if canonical in OPTIONAL:
                continue
            raise ListSizeError(f"{label}: none of the columns {options} found; header is {header}")
        names[header.index(hit)] = canonical
    return names


def first_extract_text(csv_path: Path, names: list[str], label: str) -> str:
    """EXTRACT_DATE as the first data row publishes it (the expectations hold every row to it)."""
    with open(csv_path, encoding=text_encoding(csv_path), newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        row = next(reader, None)
    if row is None:
        raise ListSizeError(f"{label}: no data rows")
    return row[names.index("extract_date")].strip()


def first_extract_date(csv_path: Path, names: list[str], label: str) -> date:
    return parse_extract_date(first_extract_text(csv_path, names, label))


def header_names(csv_path: Path) -> list[str]:
    """The file's column names as published (upper case)."""
    with open(csv_path, "rb") as fh:
        return [h.upper() for h in parse_header_line(fh.readline())]


def check_month(extract: date, month: str, label: str) -> None:
    if f"{extract.year:04d}-{extract.month:02d}" != month:
        raise ListSizeError(f"{label}: EXTRACT_DATE {extract.isoformat()} is not in {month}; wrong folder?")
