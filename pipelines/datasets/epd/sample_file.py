"""Write the sample's EPD file in the exact format NHSBSA publishes (nhsbsa_data.md §1.5): Latin-1; string
fields always quoted, even empty ones; decimal measures quoted with a trailing dot for whole numbers ("4.",
"0.", "74.66667"); ITEMS and SNOMED_CODE unquoted; in the header the names of string columns are quoted and
numeric ones are not. The rows come from pipelines/datasets/epd/sample.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipelines.datasets.epd.flavours import FLAVOURS, Flavour

NUMERIC_COLUMNS = {"QUANTITY", "ITEMS", "TOTAL_QUANTITY", "ADQ_USAGE", "ADQUSAGE", "NIC", "ACTUAL_COST", "SNOMED_CODE"}
DECIMALS = ("quantity", "total_quantity", "adq_usage", "nic", "actual_cost")
# Canonical EPD column -> the sample's column that fills it, for the always-quoted text fields.
QUOTED_SOURCES = {
    "region_name": "epd_region_name",
    "region_code": "region_code",
    "icb_name": "icb_name",
    "icb_code": "icb_code",
    "sub_icb_name": "sub_icb_name",
    "sub_icb_code": "pco_code",
    "practice_name": "practice_name",
    "address_1": "address_1",
    "address_2": "address_2",
    "address_3": "address_3",
    "address_4": "address_4",
    "postcode": "postcode",
    "chem_code": "chem_code",
    "chem_name": "chem_name",
    "bnf_code": "bnf_code",
    "bnf_name": "bnf_name",
    "bnf_chapter": "chapter",
}
# Area-team-era EPD files (before April 2017) carry area-team codes in their geography column. No real
# list of area teams is held here, so the sample writes one stand-in per NHS England region, Q91-Q97:
# ODS-shaped (Q + two digits) but outside the real area-team range (Q44-Q88), and named as stand-ins.
AREA_TEAM_STAND_IN_PREFIX = "Q9"


def epd_dataset_for(month: str) -> str:
    """The dataset NHSBSA publishes a month in, preferring EPD with SNOMED code (from Nov 2020)."""
    return "snomed" if month >= "2020-11" else "epd"


def epd_flavour_for(month: str, dataset: str | None = None) -> Flavour:
    dataset = dataset or epd_dataset_for(month)
    name = "epd_legacy" if dataset == "epd" else ("snomed_2025" if month >= "2025-03" else "snomed_legacy")
    geography = "ICB" if month >= "2022-07" else ("STP" if month >= "2017-04" else "AREA_TEAM")
    return next(f for f in FLAVOURS if f.name == name and f.geography == geography)


def epd_filename(month: str, dataset: str | None = None, zipped: bool = False) -> str:
    dataset = dataset or epd_dataset_for(month)
    stem = f"EPD_SNOMED_{month.replace('-', '')}" if dataset == "snomed" else f"EPD_{month.replace('-', '')}"
    return stem + (".zip" if zipped else ".csv")


def header_line(flavour: Flavour) -> str:
    quoted_year = flavour.name == "snomed_2025"
    out = []
    for col in flavour.columns:
        numeric = col in NUMERIC_COLUMNS or (col == "YEAR_MONTH" and not quoted_year)
        out.append(col if numeric else f'"{col}"')
    return ",".join(out) + "\n"


def _quote(expr: pl.Expr) -> pl.Expr:
    return pl.lit('"') + expr.fill_null("").str.replace_all('"', '""', literal=True) + pl.lit('"')


def _decimal(name: str) -> pl.Expr:
    text = pl.col(name).round(5).cast(pl.Utf8).str.replace(r"\.0$", ".")
    text = pl.when(text.str.contains(".", literal=True)).then(text).otherwise(text + ".")
    return pl.lit('"') + text + pl.lit('"')


def format_epd_rows(rows: pl.DataFrame, month: str, flavour: Flavour) -> bytes:
    """Rows (canonical column names, see sample.prescribing.decorate) -> published CSV body, Latin-1."""
    year_month = f'"{month}"' if flavour.name == "snomed_2025" else month.replace("-", "")
    values = {canonical: _quote(pl.col(source)) for canonical, source in QUOTED_SOURCES.items()}
    values.update(
        {
            "year_month": pl.lit(year_month),
            "practice_code": _quote(pl.col("practice_code").str.replace(r"^-\|.*$", "-")),  # '-|<sub-ICB>' -> '-'
            "items": pl.col("items").cast(pl.Utf8),
            "unidentified": _quote(pl.when(pl.col("unidentified")).then(pl.lit("Y")).otherwise(pl.lit("N"))),
            "snomed_code": pl.col("snomed_code").fill_null(""),
            **{d: _decimal(d) for d in DECIMALS},
        }
    )
    out = rows.select([values[c].alias(c) for c in flavour.canonical])
    buf = io.BytesIO()
    out.write_csv(buf, include_header=False, quote_style="never")
    return buf.getvalue().decode("utf-8").encode("latin-1")


def write_epd_file(path: Path, month: str, chunks: Iterable[pl.DataFrame], flavour: Flavour) -> int:
    """Write header + every chunk to `path` (written as .part, then renamed). Returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    rows = 0
    with open(part, "wb") as fh:
        fh.write(header_line(flavour).encode("latin-1"))
        for chunk in chunks:
            fh.write(format_epd_rows(chunk, month, flavour))
            rows += chunk.height
    part.replace(path)
    return rows


def zip_file(csv_path: Path, zip_path: Path) -> None:
    part = zip_path.with_name(zip_path.name + ".part")
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True) as zf:
        zf.write(csv_path, arcname=csv_path.name)
    part.replace(zip_path)


def area_team_stand_ins(geo: pl.DataFrame) -> pl.DataFrame:
    """The geography with each region's area-team stand-in in the ICB columns (area-team-era files)."""
    regions = sorted(geo["region_code"].drop_nulls().unique().to_list())
    code = {r: f"{AREA_TEAM_STAND_IN_PREFIX}{i + 1}" for i, r in enumerate(regions)}
    return geo.with_columns(
        icb_code=pl.col("region_code").replace_strict(code, default=None),
        icb_name=pl.lit("SAMPLE AREA TEAM STAND-IN (") + pl.col("epd_region_name") + pl.lit(")"),
    )
