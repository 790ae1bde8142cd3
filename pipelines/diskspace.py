"""A full disk, wherever it shows (our writes, DuckDB's, polars', Dagster's SQLite run storage), is said in
one line naming the directory and what to do; the traceback goes to the log (if there is room for it)."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

# How each library words ENOSPC when it does not raise an OSError carrying errno 28.
_SAID = ("no space left on device", "database or disk is full", "os error 28", "errno 28", "disk full")


def is_disk_full(exc: BaseException | None) -> bool:
    """True if `exc` or anything in its cause/context chain is the disk being full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if any(text in str(exc).lower() for text in _SAID):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_disk_full_text(text: str) -> bool:
    return any(said in text.lower() for said in _SAID)


def disk_full_line(root: Path) -> str:
    try:
        free = f"{shutil.disk_usage(root).free / 1e6:,.1f} MB free"
    except OSError:
        free = "free space unknown"
    return (
        f"no space left on the disk holding {root} ({free}): free some space and run the same command again; "
        "nothing half-written was published and earlier data is untouched"
    )
