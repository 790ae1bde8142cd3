"""Finding a month's published files, for every dataset: the month missing (MissingSourceError), or held twice.

One file per month, or a refusal naming both. A folder can hold a month twice — last month's unzipped CSV
left beside the republished ZIP, or the file under two names — and picking one by a fixed order read the
stale one silently. Two candidates are accepted only when they hold the same bytes once extracted (size
and CRC-32: a ZIP's from its central directory, which extraction checks again); otherwise the month stops
with one line naming both, their sizes and times."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

from pipelines.archives import ArchiveError, csv_member


class MissingSourceError(FileNotFoundError):
    """A requested month has no file; the message names the month and where we looked."""


class SourceConflict(ValueError):
    """Two different files for one month; the message names both and what to do."""


def _content_key(path: Path) -> tuple[int, int]:
    """(size, CRC-32) of the CSV a file holds: a CSV's own, a ZIP's member's as its directory records them."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                member = csv_member(path, zf)
        except (zipfile.BadZipFile, ArchiveError):
            return (-1, path.stat().st_size)  # unreadable: never the same as anything
        return member.file_size, member.CRC
    from isal import isal_zlib

    crc = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(16 << 20), b""):
            crc = isal_zlib.crc32(block, crc)
    return path.stat().st_size, crc


def _described(path: Path) -> str:
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{path} ({path.stat().st_size:,} bytes, modified {stamp})"


def one_file(candidates: list[Path], what: str) -> Path:
    """The one file among `candidates` (existing paths, in order of preference), or SourceConflict."""
    unique: list[Path] = []
    for path in candidates:
        if not any(path.samefile(seen) for seen in unique):  # one file under two spellings of a name
            unique.append(path)
    if len(unique) > 1 and len({_content_key(p) for p in unique}) > 1:
        raise SourceConflict(
            f"{what}: {len(unique)} different files, {' and '.join(_described(p) for p in unique)}; msi will not "
            "guess which is current. Keep the one to read (NHSBSA's newest publication) and move the other away"
        )
    return unique[0]
