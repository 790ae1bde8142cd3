"""Finding a month's EPD file on disk, exactly as NHSBSA names it.

Two layouts are accepted: directly in the folder (`EPD_SNOMED_202501.zip`, `EPD_202401.csv`; the name
carries the month) or in a sub-folder per month named `YYYY-MM`.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.datasets.files import MissingSourceError, one_file
from pipelines.months import compact


def epd_candidates(month: str) -> list[str]:
    # Where two hold the same data, the SNOMED dataset's name and a CSV (no extraction) are read first.
    names = [f"EPD_SNOMED_{compact(month)}", f"EPD_{compact(month)}"]
    return [f"{n}{ext}" for n in names for ext in (".csv", ".CSV", ".zip", ".ZIP")]


def find_epd_file(epd_dir: Path, month: str) -> Path:
    """The month's one EPD file; two different ones (a CSV beside a ZIP, the two datasets' names, the folder
    and its month sub-folder) are refused, naming both (pipelines/datasets/files.py)."""
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
