"""The input contract for a patient-level extract, version 1. Documented for suppliers in
docs/patient_level_extract.md; these names are the contract (extra columns are ignored).

One folder holding two tables, each as `<name>.csv` (UTF-8 or plain ASCII, header row, comma separated)
or `<name>.parquet`:

prescriptions   one row per issued item
    patient_id      pseudonym, text (stable across both tables)
    practice_code   ODS code of the issuing practice
    issue_date      ISO date YYYY-MM-DD
    bnf_code        BNF presentation code (15 characters; 11 for appliances)
    quantity        number > 0 (tablets, ml, patches ... as dm+d counts them)
    snomed_code     optional: dm+d code of the product
    dose_text       optional: dosage instructions as written

registrations   one row per registration spell
    patient_id, practice_code
    sex             F, M or U
    date_of_birth   ISO date (a first-of-month date is fine)
    registered_from ISO date
    registered_to   ISO date, empty while registered
    learning_disability_or_autism
                    optional: Y when the patient has a learning disability, autism or both (as the
                    practice's records say), N when not, empty when not recorded
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from indicators.model import RegistrationFlag

CONTRACT_VERSION = "1"


@dataclass(frozen=True)
class Table:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


PRESCRIPTIONS = Table(
    "prescriptions", ("patient_id", "practice_code", "issue_date", "bnf_code", "quantity"), ("snomed_code", "dose_text")
)
# The registrations' optional columns are the flags a patient rule can name (indicators/model.py).
REGISTRATION_FLAGS: tuple[str, ...] = get_args(RegistrationFlag)
REGISTRATIONS = Table(
    "registrations",
    ("patient_id", "practice_code", "sex", "date_of_birth", "registered_from", "registered_to"),
    REGISTRATION_FLAGS,
)
TABLES = (PRESCRIPTIONS, REGISTRATIONS)


class ExtractError(ValueError):
    """The extract breaks the contract; the message names the file, the column and the row."""


def find_table(folder: Path, table: Table) -> Path:
    """`<name>.parquet` or `<name>.csv` in `folder` (exactly one of them)."""
    found = [folder / f"{table.name}.{ext}" for ext in ("parquet", "csv") if (folder / f"{table.name}.{ext}").is_file()]
    if not found:
        raise ExtractError(
            f"{folder}: no {table.name}.csv or {table.name}.parquet (patient-level contract v{CONTRACT_VERSION})"
        )
    if len(found) > 1:
        raise ExtractError(f"{folder}: both {found[0].name} and {found[1].name}; keep one")
    return found[0]
