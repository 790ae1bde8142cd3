"""Replace outputs only once they are complete: a reader sees the old version or the new one, and a
failure part-way leaves the old one untouched.

Everything is built in the data directory's tmp/ (the same filesystem, so publishing is a rename), under
a name that records the process building it; a replaced folder's old copy goes there too. So whatever
a killed run leaves behind lies in tmp/, where the next run's sweep finds it."""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def publish_file(built: Path, final: Path) -> None:
    """Move a fully written file (built in tmp/, the same filesystem) into place with one atomic rename."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, final)


@dataclass
class StagedFile:
    """A table's file built and checked in scratch, not yet visible: `publish` moves it into place. A month
    stages every file it writes and publishes them only once all have passed their checks."""

    built: Path
    final: Path
    info: dict = field(default_factory=dict)

    def publish(self) -> dict:
        publish_file(self.built, self.final)
        return {**self.info, "path": str(self.final)}


def publish_dir(built: Path, final: Path, tmp: Path) -> None:
    """Replace a folder by a fully written one: two renames. The old copy is moved into `tmp` (the data
    directory's tmp/) under this process's mark before it is removed, so that a kill part-way leaves it
    where the next run's sweep removes it, never beside the published folder."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = tmp / scratch_name(f"old-{final.name}")
    if final.exists():
        tmp.mkdir(parents=True, exist_ok=True)
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


# What earlier versions left beside published folders and files when killed mid-swap (old copies, staged
# files): swept from these places under the data directory too.
LEGACY_LEFTOVERS = (
    "warehouse/.*.old-*",
    "extracts/.*.old-*",
    "reports/.*.old-*",
    "lake/*/month=*/.*.tmp",
    "warehouse/*/month=*/.*.tmp",
    "warehouse/.*.tmp",
)


def sweep_scratch(tmp: Path) -> list[str]:
    """Remove what killed runs left in tmp/ (scratch whose process is gone, and unmarked scratch older
    than a day) and what earlier versions left beside published data (LEGACY_LEFTOVERS, under tmp's
    parent, the data directory). DuckDB's spill folder is left alone. Returns the names removed. Call it
    holding the data directory's lock (pipelines/lock.py), so that no other writer is mid-swap."""
    removed = []
    for pattern in LEGACY_LEFTOVERS:
        for entry in tmp.parent.glob(pattern):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            removed.append(str(entry.relative_to(tmp.parent)))
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
    os.chmod(work, 0o700)  # owner-only whatever the umask: patient data passes through some of these
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
