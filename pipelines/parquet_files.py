"""Lake and warehouse files written by an earlier run are input too: a file that cannot be read (a disk
fault, a copy cut short) is named in one line with what to do, never met as a reader's bare error."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq


class DamagedFile(RuntimeError):
    """A Parquet file of the data directory cannot be read; the message names it and says what to do."""


def _advice(path: Path) -> str:
    month = re.search(r"month=(\d{4}-\d{2})", str(path))
    if month:
        return (
            f"run the month again (msi run --months {month.group(1)} ...): it is rebuilt from its source "
            "files over the damaged one"
        )
    return "run msi again: the file is rebuilt over the damaged one"


def parquet_rows(path: Path) -> int:
    """The file's row count from its footer, or DamagedFile."""
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError) as exc:  # pyarrow: ArrowInvalid (a ValueError), ArrowIOError (an OSError)
        raise DamagedFile(f"{path} cannot be read ({str(exc).splitlines()[0]}); {_advice(path)}") from exc


def check_readable(paths) -> None:
    """Every file's footer reads, or DamagedFile naming the first that does not (milliseconds a file)."""
    for path in paths:
        parquet_rows(Path(path))
