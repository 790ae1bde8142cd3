"""Find published files laid out on disk, exactly as NHSBSA and NHS Digital name them.

Two layouts are accepted for EPD files: directly in the folder (`EPD_SNOMED_202501.zip`,
`EPD_202401.csv`; the name carries the month) or in a sub-folder per month named `YYYY-MM`.
NHS Digital's files carry no month in their names, so they live in `YYYY-MM` sub-folders (a folder holding
the files directly is accepted too; the EXTRACT_DATE check then catches a wrong month).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.months import compact
from pipelines.sources.nhs_digital import FILE_STEMS
from pipelines.sources.one_file import one_file


class MissingSourceError(FileNotFoundError):
    """A requested month has no file; the message names the month and where we looked."""


def epd_candidates(month: str) -> list[str]:
    # Where two hold the same data, the SNOMED dataset's name and a CSV (no extraction) are read first.
    names = [f"EPD_SNOMED_{compact(month)}", f"EPD_{compact(month)}"]
    return [f"{n}{ext}" for n in names for ext in (".csv", ".CSV", ".zip", ".ZIP")]


def find_epd_file(epd_dir: Path, month: str) -> Path:
    """The month's one EPD file; two different ones (a CSV beside a ZIP, the two datasets' names, the folder
    and its month sub-folder) are refused, naming both (pipelines/sources/one_file.py)."""
    epd_dir = Path(epd_dir)
    found = [
        folder / name
        for folder in (epd_dir, epd_dir / month)
        for name in epd_candidates(month)
        if (folder / name).is_file()
    ]
    if found:
        return one_file(found, f"EPD for {month}")
    raise MissingSourceError(
        f"no EPD file for {month} in {epd_dir} (looked for EPD_SNOMED_{compact(month)} or "
        f"EPD_{compact(month)} as .csv/.zip, directly or in {month}/)"
    )


def find_list_size_folder(list_size_dir: Path, month: str) -> Path:
    list_size_dir = Path(list_size_dir)
    for folder in (list_size_dir / month, list_size_dir):
        if any((folder / f"{stem}{ext}").is_file() for stem in FILE_STEMS.values() for ext in (".csv", ".zip")):
            return folder
    raise MissingSourceError(
        f"no registered-patient files for {month} in {list_size_dir} (expected {month}/gp-reg-pat-prac-*.csv|zip)"
    )
