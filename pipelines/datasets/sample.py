"""Write the built-in sample: EPD files and NHS Digital list-size files for chosen months, each dataset's
numbers and file drawn from one invented England (pipelines/sample/organisations.py) by its folder's sample
modules.

Layout written (the one `--source local` reads):
    <out>/EPD_SNOMED_202601.csv            (or EPD_YYYYMM.csv before Nov 2020; .zip with zip_epd)
    <out>/2026-01/gp-reg-pat-prac-quin-age.csv|zip, ...-sing-age-female..., ...-map...
Deterministic: the same seed, month and scale always give the same bytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.datasets.epd.sample import decorate, gp_prescribing, other_prescribing
from pipelines.datasets.epd.sample_file import (
    area_team_stand_ins,
    epd_filename,
    epd_flavour_for,
    write_epd_file,
    zip_file,
)
from pipelines.datasets.nhs_digital.sample import practice_list_sizes
from pipelines.datasets.nhs_digital.sample_files import write_list_size_files
from pipelines.sample.organisations import build_england

DEFAULT_SEED = 20260101
# Bump when the generator's output changes, so cached sample files under data/raw/sample are not reused.
SAMPLE_VERSION = "v5"
DEMO_MONTHS = "2025-09:2026-06"


@dataclass(frozen=True)
class SampleMonth:
    month: str
    epd_path: Path
    list_size_paths: list[Path]
    rows: int


def _keep(code: str, fraction: float) -> bool:
    return fraction >= 1.0 or (zlib.crc32(code.encode()) % 10000) < fraction * 10000


def write_sample_month(
    month: str,
    out_dir: Path,
    scale: str = "demo",
    seed: int = DEFAULT_SEED,
    zip_epd: bool = False,
    keep_csv: bool = True,
    practice_fraction: float = 1.0,
    dataset: str | None = None,
) -> SampleMonth:
    """dataset: 'snomed' (EPD with SNOMED code, from Nov 2020), 'epd' (the retired dataset, to June 2025),
    or None for what NHSBSA would serve for the month (SNOMED wherever it exists)."""
    if dataset == "epd" and month > "2025-06":
        raise ValueError(f"the legacy EPD dataset ends in June 2025; there is no EPD_{month.replace('-', '')}")
    if dataset == "snomed" and month < "2020-11":
        raise ValueError("EPD with SNOMED code starts in November 2020")
    england = build_england(seed)
    geo = england.geography(month)
    if practice_fraction < 1.0:  # smaller samples for tests: a stable subset of practices
        geo = geo.filter(
            pl.col("practice_code").map_elements(lambda c: _keep(c, practice_fraction), return_dtype=pl.Boolean)
        )
    lists = practice_list_sizes(england, geo, month, seed)
    gp = geo.filter(pl.col("setting") == 4)
    flavour = epd_flavour_for(month, dataset)
    if flavour.geography == "AREA_TEAM":  # the EPD file's geography column holds area teams then
        geo = area_team_stand_ins(geo)

    def chunks():
        for rows in gp_prescribing(
            england,
            month,
            gp,
            lists.total.astype(float),
            lists.share65,
            scale,
            seed,
            chunk=400 if scale == "demo" else 120,
        ):
            yield decorate(rows.with_columns(unidentified=pl.lit(False)), geo, month, scale, seed)
        yield decorate(other_prescribing(england, month, geo, scale, seed), geo, month, scale, seed)

    out_dir = Path(out_dir)
    csv_path = out_dir / epd_filename(month, dataset)
    rows = write_epd_file(csv_path, month, chunks(), flavour)
    epd_path = csv_path
    if zip_epd:
        epd_path = out_dir / epd_filename(month, dataset, zipped=True)
        zip_file(csv_path, epd_path)
        if not keep_csv:
            csv_path.unlink()
    ls_paths = write_list_size_files(out_dir / month, month, geo, lists)
    return SampleMonth(month, epd_path, ls_paths, rows)


def sample_folder(sample_dir: Path, scale: str, seed: int) -> Path:
    """Where a data directory keeps the sample's files (versioned, so changed generators never reuse them)."""
    return Path(sample_dir) / f"{scale}-{SAMPLE_VERSION}-seed{seed}"


def ensure_sample_month(month: str, out: Path, scale: str = "demo", seed: int = DEFAULT_SEED) -> bool:
    """Write the month's sample files into `out` unless they are there already; True if it wrote them."""
    from pipelines.datasets.epd.files import find_epd_file
    from pipelines.datasets.nhs_digital.files import find_list_size_folder

    try:
        find_epd_file(out, month)
        find_list_size_folder(out, month)
        return False
    except FileNotFoundError:
        write_sample_month(month, out, scale=scale, seed=seed)
        return True
