"""NHS Digital / NHS England "Patients Registered at a GP Practice": finding the month's published files.

Three files a month, each a plain CSV or (from late 2025) a ZIP holding one:
* gp-reg-pat-prac-quin-age     practice x sex x five-year age band (totals, 65+)
* gp-reg-pat-prac-sing-age-female   practice x single year of age, females (13-54 for valproate)
* gp-reg-pat-prac-map          practice -> PCN -> sub-ICB (was CCG) -> ICB (was STP) -> region

Reading them into the lake: pipelines/lake/list_sizes.py and pipelines/lake/practice_geography.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.archives import ArchiveError, extract_csv
from pipelines.sources.one_file import SourceConflict, one_file

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


@contextmanager
def opened_csv(path: Path, scratch: Path) -> Iterator[Path]:
    """A CSV path for a CSV or a single-CSV ZIP (extracted into `scratch`)."""
    if path.suffix.lower() != ".zip":
        yield path
        return
    try:
        target = extract_csv(path, scratch)
    except ArchiveError as exc:
        raise ListSizeError(str(exc)) from None
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)
