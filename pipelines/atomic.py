"""Replace outputs only once they are complete: a reader sees the old version or the new one, and a
failure part-way leaves the old one untouched."""

from __future__ import annotations

import os
import shutil
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


@contextmanager
def scratch_dir(tmp: Path, prefix: str) -> Iterator[Path]:
    """A private working folder under the data directory's tmp/ (the outputs' filesystem, so publishing
    what is built there is a rename), removed afterwards whatever happens."""
    work = tmp / f"{prefix}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
