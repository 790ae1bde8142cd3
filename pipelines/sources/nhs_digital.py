"""NHS Digital / NHS England "Patients Registered at a GP Practice": finding the month's published files.

Three files a month, each a plain CSV or (from late 2025) a ZIP holding one:
* gp-reg-pat-prac-quin-age     practice x sex x five-year age band (totals, 65+)
* gp-reg-pat-prac-sing-age-female   practice x single year of age, females (13-54 for valproate)
* gp-reg-pat-prac-map          practice -> PCN -> sub-ICB (was CCG) -> ICB (was STP) -> region

Reading them into the lake: pipelines/lake/list_sizes.py and pipelines/lake/practice_geography.py.
"""

from __future__ import annotations

import shutil
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

FILE_STEMS = {
    "quin_age": "gp-reg-pat-prac-quin-age",
    "female": "gp-reg-pat-prac-sing-age-female",
    "map": "gp-reg-pat-prac-map",
}


class ListSizeError(ValueError):
    """A registered-patients file is missing or unreadable; the message says which and why."""


def find_file(folder: Path, kind: str) -> Path:
    stem = FILE_STEMS[kind]
    for suffix in (".csv", ".zip", ".CSV", ".ZIP"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    raise ListSizeError(f"{folder}: no {stem}.csv or {stem}.zip")


@contextmanager
def opened_csv(path: Path, scratch: Path) -> Iterator[Path]:
    """A CSV path for a CSV or a single-CSV ZIP (extracted into `scratch`)."""
    if path.suffix.lower() != ".zip":
        yield path
        return
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise ListSizeError(f"{path.name}: expected one CSV inside, found {[m.filename for m in zf.infolist()]}")
            scratch.mkdir(parents=True, exist_ok=True)
            target = scratch / Path(members[0].filename).name
            with zf.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ListSizeError(f"{path.name}: not a complete ZIP file ({exc})") from exc
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)
