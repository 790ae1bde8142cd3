"""Which NHS Digital files a month uses: the month's folder (on disk, or the sample's) and which of the three
files it lacks. A month with none degrades rather than stops: its indicators use the nearest earlier month's
list sizes and map, and say so."""

from __future__ import annotations

from pathlib import Path

from pipelines.datasets.dataset import Log, Staging
from pipelines.datasets.files import MissingSourceError
from pipelines.datasets.nhs_digital.files import FILE_STEMS, find_list_size_folder
from pipelines.datasets.records import ensure_sample_month
from pipelines.settings import Settings


def locate(msi: Settings, month: str, log: Log) -> dict:
    """The record of NHS Digital's files for the month: their folder and which of them are missing."""
    if msi.source == "sample":
        root = ensure_sample_month(msi, month, log)
    else:
        if not msi.list_size_dir:
            raise ValueError(f"--source {msi.source} needs --list-size-dir (NHS Digital files in YYYY-MM folders)")
        root = Path(msi.list_size_dir)
    try:
        folder: Path | None = find_list_size_folder(root, month)
    except MissingSourceError as exc:
        log.warning(f"{exc}; {month}'s indicators use the nearest earlier list sizes and practice map")
        folder = None
    missing = [
        stem
        for stem in FILE_STEMS.values()
        if folder is None or not any((folder / f"{stem}{ext}").is_file() for ext in (".csv", ".zip", ".CSV", ".ZIP"))
    ]
    return {"source": msi.source, "folder": str(folder) if folder else None, "month": month, "missing": missing}


def metadata(record: dict) -> dict:
    return {
        "source": record["source"],
        "folder": record["folder"] or "none",
        "missing_files": ", ".join(record["missing"]) or "none",
    }


def folder_with(staging: Staging, kind: str, instead: str) -> Path | None:
    """The month's folder if its record has the `kind` file; else None, with a warning saying what stands in."""
    record = staging.record
    if record.get("folder") and FILE_STEMS[kind] not in record.get("missing", []):
        return Path(record["folder"])
    staging.log.warning(f"{staging.month}: no {FILE_STEMS[kind]} file; {instead}")
    return None


def not_written(kind: str) -> dict:
    """What a list-size asset shows for a month without its file."""
    return {"missing": FILE_STEMS[kind], "written": False}
