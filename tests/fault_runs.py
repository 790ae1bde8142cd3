"""What every fault case shares: `msi run` on a copy of a good data directory, and the sha256 of every lake
and warehouse file before and after (a refused input must leave them byte for byte as they were)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main

MONTH = "2026-01"


def digests(data: Path) -> dict[str, str]:
    """sha256 of every file of the lake and the warehouse."""
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("lake", "warehouse") for p in sorted((data / folder).rglob("*")) if p.is_file()}


def run(epd: Path, lists: Path, data: Path, months: str = MONTH, report: bool = False):
    return CliRunner().invoke(main, ["run", "--source", "local", "--months", months, "--epd-dir", str(epd),
                                     "--list-size-dir", str(lists), "--data-dir", str(data),
                                     "--report" if report else "--no-report"])


def one_line(result) -> str:
    """What the user read, as one line (the console wraps long lines at its width)."""
    return " ".join(result.output.split())


def copy_data(good: Path, into: Path) -> Path:
    data = into / "data"
    shutil.copytree(good, data)
    return data
