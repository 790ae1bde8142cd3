"""Patient data is readable by its owner only. Every file written from a patient-level extract (the tables
pipelines/tables.py marks `private`, and the extract's manifest) is created 0600, and every folder that holds
only such files 0700, whatever the umask: chmod after creating, before anything is published. A data
directory where one of them is readable or writable by others is refused, naming the path, until the owner
mends it: on a shared analysis server any account could otherwise read the pseudonymised extract."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.atomic import publish_file
from pipelines.tables import TABLES

if TYPE_CHECKING:
    from pipelines.layout import Layout

FILE_MODE, DIR_MODE = 0o600, 0o700


class NotPrivate(RuntimeError):
    """Patient data readable by other users; the message names the path and the mend."""


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    os.chmod(path, FILE_MODE)
    return path


def publish_private(built: Path, final: Path, layout: Layout) -> None:
    """Publish a file written from patient data: 0600 before it is visible, in folders that are 0700 where
    they hold only private files."""
    private_file(built)
    for folder in private_folders(layout):
        if final.is_relative_to(folder):
            private_dir(folder)
            for part in final.parent.relative_to(folder).parts:
                folder = private_dir(folder / part)
    publish_file(built, final)


def private_folders(layout: Layout) -> list[Path]:
    """The folders that hold only private tables' files: lake/patient, warehouse/patient_members (and its
    month folders). A folder a private table shares with a public one (indicator_practice) stays as it is;
    its private file does not."""
    shared = {t.root(layout) for t in TABLES.values() if not t.private}
    return sorted({t.root(layout) for t in TABLES.values() if t.private} - shared)


def private_paths(layout: Layout) -> list[Path]:
    """Every private file and folder that exists under the data directory."""
    paths = [layout.patient_manifest] if layout.patient_manifest.exists() else []
    for t in TABLES.values():
        if t.private:
            paths += t.files(layout)
    for folder in private_folders(layout):
        if folder.is_dir():
            paths += [folder, *(p for p in folder.rglob("*") if p.is_dir())]
    return sorted(set(paths))


def check_private(layout: Layout) -> None:
    """Refuse a data directory whose patient data other users can read or change (one line, the path)."""
    open_ = [p for p in private_paths(layout) if stat.S_IMODE(p.stat().st_mode) & 0o077]
    if open_:
        first = open_[0]
        more = f" (and {len(open_) - 1} more)" if len(open_) > 1 else ""
        raise NotPrivate(
            f"{first}: patient data open to other users (mode {stat.S_IMODE(first.stat().st_mode):04o}){more}; it "
            f"must be owner-only. Run `chmod go-rwx {' '.join(str(p) for p in open_[:3])}"
            f"{' …' if len(open_) > 3 else ''}` (README: 'Patient data stays private') and run again"
        )
