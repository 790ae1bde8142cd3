"""Replace outputs only once they are complete: a reader sees the old version or the new one, and a
failure part-way leaves the old one untouched."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def publish_file(built: Path, final: Path) -> None:
    """Move a fully written file into place atomically (same filesystem, os.replace)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.tmp")
    shutil.move(str(built), staged)  # same filesystem: a rename
    os.replace(staged, final)


def publish_dir(built: Path, final: Path) -> None:
    """Replace a folder by a fully written one: two renames, the old copy removed afterwards."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(built, final)
    shutil.rmtree(old, ignore_errors=True)


_OWNER = re.compile(r"-p(\d+)-[0-9a-f]{8}")
STALE_SECONDS = 24 * 3600  # scratch without an owner mark is swept once this old


def scratch_name(prefix: str, suffix: str = "") -> str:
    """A unique scratch name that records the process building it, so a later run can tell what a killed
    run left behind (`sweep_scratch`)."""
    return f"{prefix}-p{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_scratch(tmp: Path) -> list[str]:
    """Remove what killed runs left in tmp/: scratch whose process is gone, and unmarked scratch older
    than a day. DuckDB's spill folder is left alone. Returns the names removed."""
    removed = []
    if not tmp.is_dir():
        return removed
    now = time.time()
    for entry in tmp.iterdir():
        if entry.name == "duckdb_spill":
            continue
        owner = _OWNER.search(entry.name)
        stale = (not _alive(int(owner.group(1)))) if owner else now - entry.stat().st_mtime > STALE_SECONDS
        if stale:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


@contextmanager
def scratch_dir(tmp: Path, prefix: str) -> Iterator[Path]:
    """A private working folder under the data directory's tmp/ (the outputs' filesystem, so publishing
    what is built there is a rename), removed afterwards whatever happens."""
    work = tmp / scratch_name(prefix)
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
