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
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in ("lake", "warehouse")
        for p in sorted((data / folder).rglob("*"))
        if p.is_file()
    }


def run(
    epd: Path,
    lists: Path,
    data: Path,
    months: str = MONTH,
    report: bool | None = False,
    patient_level: Path | None = None,
):
    """`msi run` from local files, as a user types it (report None: neither --report nor --no-report)."""
    args = ["run", "--source", "local", "--months", months, "--epd-dir", str(epd), "--list-size-dir", str(lists)]
    args += ["--data-dir", str(data)]
    if report is not None:
        args.append("--report" if report else "--no-report")
    if patient_level is not None:
        args += ["--patient-level", str(patient_level)]
    return CliRunner().invoke(main, args)


def one_line(result) -> str:
    """What the user read, as one line (the console wraps long lines at its width)."""
    return " ".join(result.output.split())


def copy_data(good: Path, into: Path) -> Path:
    data = into / "data"
    shutil.copytree(good, data)
    return data


def month_inputs(
    root: Path, changed: dict[str, bytes] | None = None, epd: bytes | None = None, month: str = MONTH
) -> tuple[Path, Path]:
    """--epd-dir and --list-size-dir for `month`: the 17 real January 2026 EPD rows (as `month`, or `epd`) and
    NHS Digital's three January files for their practices (any of them replaced by `changed`)."""
    from tests.epd_fixtures import REAL_ROWS
    from tests.nhs_digital_fixtures import write_month

    (root / "epd").mkdir(parents=True, exist_ok=True)
    rows = epd if epd is not None else REAL_ROWS.read_bytes().replace(b'"2026-01"', f'"{month}"'.encode())
    (root / "epd" / f"EPD_SNOMED_{month.replace('-', '')}.csv").write_bytes(rows)
    write_month(root / "lists" / MONTH, changed)
    return root / "epd", root / "lists"


def good_month(root: Path) -> Path:
    """A data directory that holds a good January 2026 (month_inputs, all checks passed)."""
    result = run(*month_inputs(root), root / "data")
    assert result.exit_code == 0, result.output
    assert "no gp-reg-pat-prac" not in one_line(result)  # all three NHS Digital files were read
    return root / "data"
