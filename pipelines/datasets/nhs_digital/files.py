"""NHS Digital / NHS England "Patients Registered at a GP Practice": finding the month's published files.

Three files a month, each a plain CSV or (from late 2025) a ZIP holding one:
* gp-reg-pat-prac-quin-age     practice x sex x five-year age band (totals, 65+)
* gp-reg-pat-prac-sing-age-female   practice x single year of age, females (13-54 for valproate)
* gp-reg-pat-prac-map          practice -> PCN -> sub-ICB (was CCG) -> ICB (was STP) -> region

NHS Digital's files carry no month in their names, so they live in `YYYY-MM` sub-folders (a folder holding
the files directly is accepted too; the EXTRACT_DATE check then catches a wrong month).

Reading them into the lake: list_sizes.py and practice_map.py beside this file.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.datasets.files import MissingSourceError, SourceConflict, one_file

FILE_STEMS = {
    "quin_age": "gp-reg-pat-prac-quin-age",
    "female": "gp-reg-pat-prac-sing-age-female",
    "map": "gp-reg-pat-prac-map",
}


class ListSizeError(ValueError):
    """A registered-patients file is missing or unreadable; the message says which and why."""


def find_file(folder: Path, kind: str) -> Path:
    """The folder's one file of `kind`: a CSV and a ZIP that differ are refused, naming both."""
    stem = FILE_STEMS[kind]
    found = [
        folder / f"{stem}{suffix}"
        for suffix in (".csv", ".zip", ".CSV", ".ZIP")
        if (folder / f"{stem}{suffix}").is_file()
    ]
    if not found:
        raise ListSizeError(f"{folder}: no {stem}.csv or {stem}.zip")
    try:
        return one_file(found, f"{stem} for {folder.name}")
    except SourceConflict as exc:
        raise ListSizeError(str(exc)) from None


def find_list_size_folder(list_size_dir: Path, month: str) -> Path:
    list_size_dir = Path(list_size_dir)
    for folder in (list_size_dir / month, list_size_dir):
        if any((folder / f"{stem}{ext}").is_file() for stem in FILE_STEMS.values() for ext in (".csv", ".zip")):
            return folder
    raise MissingSourceError(
        f"no registered-patient files for {month} in {list_size_dir} (expected {month}/gp-reg-pat-prac-*.csv|zip)"
    )
