"""Write sample data in the exact formats NHSBSA and NHS Digital publish.

EPD (nhsbsa_data.md §1.5): Latin-1; string fields always quoted, even empty ones; decimal measures quoted
with a trailing dot for whole numbers ("4.", "0.", "74.66667"); ITEMS and SNOMED_CODE unquoted; in the
header the names of string columns are quoted and numeric ones are not.
NHS Digital list-size files: plain unquoted CSV; ZIPs from late 2025 (we zip from 2025-11 on).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from pipelines.epd.flavours import FLAVOURS, Flavour
from pipelines.sample.list_sizes import BANDS, ListSizes

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
LIST_SIZE_ZIPS_FROM = "2025-11"
# Before this month the sample writes what NHS Digital's real September 2017 publication held: the
# quinary-age file alone, in its 2017 layout (age bands only under MALE and FEMALE, SEX = ALL only with
# AGE_GROUP_5 = ALL, CRLF line ends), and no practice map or single-year female file. The exact first
# months of the map and the single-year files are not held here (assumption: April 2018).
LIST_SIZE_2017_LAYOUT_BEFORE = "2018-04"
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


# --- NHS Digital "Patients registered at a GP practice" ---------------------------------------------


def area_team_stand_ins(geo: pl.DataFrame) -> pl.DataFrame:
    """The geography with each region's area-team stand-in in the ICB columns (area-team-era files)."""
    regions = sorted(geo["region_code"].drop_nulls().unique().to_list())
    code = {r: f"{AREA_TEAM_STAND_IN_PREFIX}{i + 1}" for i, r in enumerate(regions)}
    return geo.with_columns(
        icb_code=pl.col("region_code").replace_strict(code, default=None),
        icb_name=pl.lit("SAMPLE AREA TEAM STAND-IN (") + pl.col("epd_region_name") + pl.lit(")"),
    )


def extract_date_text(month: str) -> str:
    """EXTRACT_DATE as the publication wrote it in different eras (nhsbsa_data.md §3.2; 2017: 01SEP2017)."""
    y, m = int(month[:4]), int(month[5:])
    abbr = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
    if month < LIST_SIZE_2017_LAYOUT_BEFORE:
        return f"01{abbr.upper()}{y}"
    if month < "2021-01":
        return f"01-{abbr}-{y % 100:02d}"
    if month < "2022-07":
        return f"01{abbr}{y}"
    if month < "2026-04":
        return f"01{abbr.upper()}{y}"
    return f"{y}-{m:02d}-01"


def _member(name: str, month: str) -> zipfile.ZipInfo:
    """A ZIP member stamped with the month, not the clock, so the same seed gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(int(month[:4]), int(month[5:]), 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _write_table(df: pl.DataFrame, folder: Path, stem: str, zipped: bool, month: str, crlf: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = io.BytesIO()
    df.write_csv(data, quote_style="necessary", line_terminator="\r\n" if crlf else "\n")
    payload = data.getvalue().decode("utf-8").encode("latin-1")
    if zipped:
        target = folder / f"{stem}.zip"
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr(_member(f"{stem}.csv", month), payload, compresslevel=1)
    else:
        target = folder / f"{stem}.csv"
        target.write_bytes(payload)
    return target


def write_list_size_files(folder: Path, month: str, geo: pl.DataFrame, lists: ListSizes) -> list[Path]:
    """quin-age, sing-age-female and map files for the month, in that month's layout."""
    zipped = month >= LIST_SIZE_ZIPS_FROM
    post_2022 = month >= "2022-07"
    extract = extract_date_text(month)
    gp = geo.filter(pl.col("setting") == 4)
    info = gp.select(
        "practice_code",
        "postcode",
        "sub_icb_code",
        "sub_icb_ons_code",
        "icb_code",
        "icb_ons_code",
        "region_code",
        "region_ons_code",
    )
    codes = lists.practice_code
    # Quinary ages: GP rows for ALL/FEMALE/MALE x every band and ALL, plus ICB and region totals.
    frames = []
    for sex, mat in (("FEMALE", lists.female), ("MALE", lists.male), ("ALL", lists.female + lists.male)):
        wide = pl.DataFrame(mat, schema=BANDS, orient="row").with_columns(
            ALL=pl.sum_horizontal(BANDS), ORG_CODE=pl.Series(codes), SEX=pl.lit(sex)
        )
        frames.append(
            wide.unpivot(index=["ORG_CODE", "SEX"], variable_name="AGE_GROUP_5", value_name="NUMBER_OF_PATIENTS")
        )
    gp_rows = pl.concat(frames).join(
        info.select(
            pl.col("practice_code").alias("ORG_CODE"),
            pl.col("postcode").alias("POSTCODE"),
            "icb_code",
            "icb_ons_code",
            "region_code",
            "region_ons_code",
        ),
        on="ORG_CODE",
        maintain_order="left",
    )
    icb_rows = (
        gp_rows.group_by("icb_code", "icb_ons_code", "SEX", "AGE_GROUP_5", maintain_order=True)
        .agg(pl.col("NUMBER_OF_PATIENTS").sum())
        .sort("icb_code", maintain_order=True)
        .select(
            pl.lit("ICB").alias("ORG_TYPE"),
            pl.col("icb_code").alias("ORG_CODE"),
            pl.col("icb_ons_code").alias("ONS_CODE"),
            pl.lit("").alias("POSTCODE"),
            "SEX",
            "AGE_GROUP_5",
            "NUMBER_OF_PATIENTS",
        )
    )
    region_rows = (
        gp_rows.group_by("region_code", "region_ons_code", "SEX", "AGE_GROUP_5", maintain_order=True)
        .agg(pl.col("NUMBER_OF_PATIENTS").sum())
        .sort("region_code", maintain_order=True)
        .select(
            pl.lit("Comm Region").alias("ORG_TYPE"),
            pl.col("region_code").alias("ORG_CODE"),
            pl.col("region_ons_code").alias("ONS_CODE"),
            pl.lit("").alias("POSTCODE"),
            "SEX",
            "AGE_GROUP_5",
            "NUMBER_OF_PATIENTS",
        )
    )
    gp_out = gp_rows.select(
        pl.lit("GP").alias("ORG_TYPE"),
        "ORG_CODE",
        pl.lit("").alias("ONS_CODE"),
        "POSTCODE",
        "SEX",
        "AGE_GROUP_5",
        "NUMBER_OF_PATIENTS",
    )
    if month < LIST_SIZE_2017_LAYOUT_BEFORE:
        # The 2017 layout: GP rows; SEX ALL only with AGE_GROUP_5 ALL; bands under MALE and FEMALE.
        gp_2017 = gp_out.filter((pl.col("SEX") != "ALL") | (pl.col("AGE_GROUP_5") == "ALL")).sort(
            "ORG_CODE", pl.col("SEX").replace_strict({"ALL": 0, "FEMALE": 1, "MALE": 2}), maintain_order=True
        )
        quin = gp_2017.select(
            pl.lit("GP_PRAC_PAT_LIST").alias("PUBLICATION"), pl.lit(extract).alias("EXTRACT_DATE"), pl.all()
        ).with_columns(ONS_CODE=pl.lit(None, pl.Utf8))  # written ,, as in 2017
        return [_write_table(quin, folder, "gp-reg-pat-prac-quin-age", False, month, crlf=True)]
    quin = pl.concat([region_rows, icb_rows, gp_out]).select(
        pl.lit("GP_PRAC_PAT_LIST").alias("PUBLICATION"), pl.lit(extract).alias("EXTRACT_DATE"), pl.all()
    )
    paths = [_write_table(quin, folder, "gp-reg-pat-prac-quin-age", zipped, month)]

    # Single year of age, females.
    ages = [str(a) for a in range(95)] + ["95+"]
    wide = pl.DataFrame(lists.female_single, schema=ages, orient="row").with_columns(
        ALL=pl.sum_horizontal(ages), ORG_CODE=pl.Series(codes)
    )
    single = wide.unpivot(index=["ORG_CODE"], variable_name="AGE", value_name="NUMBER_OF_PATIENTS").join(
        info.select(
            pl.col("practice_code").alias("ORG_CODE"),
            pl.col("postcode").alias("POSTCODE"),
            "sub_icb_code",
            "sub_icb_ons_code",
        ),
        on="ORG_CODE",
        maintain_order="left",
    )
    sub_code, sub_ons = (
        ("SUB_ICB_LOCATION_CODE", "ONS_SUB_ICB_LOCATION_CODE") if post_2022 else ("CCG_CODE", "ONS_CCG_CODE")
    )
    single = single.select(
        pl.lit("GP_PRAC_PAT_LIST").alias("PUBLICATION"),
        pl.lit(extract).alias("EXTRACT_DATE"),
        pl.lit("GP").alias("ORG_TYPE"),
        pl.col("sub_icb_code").alias(sub_code),
        pl.col("sub_icb_ons_code").alias(sub_ons),
        "ORG_CODE",
        "POSTCODE",
        pl.lit("FEMALE").alias("SEX"),
        "AGE",
        "NUMBER_OF_PATIENTS",
    )
    paths.append(_write_table(single, folder, "gp-reg-pat-prac-sing-age-female", zipped, month))

    # Practice -> PCN -> sub-ICB -> ICB -> region map.
    if post_2022:
        names = [
            "ONS_SUB_ICB_LOCATION_CODE",
            "SUB_ICB_LOCATION_CODE",
            "SUB_ICB_LOCATION_NAME",
            "ONS_ICB_CODE",
            "ICB_CODE",
            "ICB_NAME",
        ]
    else:
        names = ["ONS_CCG_CODE", "CCG_CODE", "CCG_NAME", "ONS_STP_CODE", "STP_CODE", "STP_NAME"]
    mapping = gp.select(
        pl.lit("GP_PRAC_PAT_LIST").alias("PUBLICATION"),
        pl.lit(extract).alias("EXTRACT_DATE"),
        pl.col("practice_code").alias("PRACTICE_CODE"),
        pl.col("name").alias("PRACTICE_NAME"),
        pl.col("postcode").alias("PRACTICE_POSTCODE"),
        pl.col("pcn_code").alias("PCN_CODE"),
        pl.col("pcn_name").alias("PCN_NAME"),
        pl.col("sub_icb_ons_code").alias(names[0]),
        pl.col("sub_icb_code").alias(names[1]),
        pl.col("sub_icb_name").alias(names[2]),
        pl.col("icb_ons_code").alias(names[3]),
        pl.col("icb_code").alias(names[4]),
        pl.col("icb_name").alias(names[5]),
        pl.col("region_ons_code").alias("ONS_COMM_REGION_CODE"),
        pl.col("region_code").alias("COMM_REGION_CODE"),
        pl.col("region_name").alias("COMM_REGION_NAME"),
    )
    if post_2022:
        mapping = mapping.with_columns(SUPPLIER_NAME=pl.lit("EMIS"))
    paths.append(_write_table(mapping, folder, "gp-reg-pat-prac-map", zipped, month))
    return paths
