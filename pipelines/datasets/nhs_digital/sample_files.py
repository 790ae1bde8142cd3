"""Write the sample's NHS Digital files ("Patients registered at a GP practice") in the layout of each era:
plain unquoted CSV; ZIPs from late 2025 (the sample zips from 2025-11 on). The numbers come from
pipelines/datasets/nhs_digital/sample.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl

from pipelines.datasets.nhs_digital.sample import BANDS, ListSizes

LIST_SIZE_ZIPS_FROM = "2025-11"
# Before this month the sample writes what NHS Digital's real September 2017 publication held: the
# quinary-age file alone, in its 2017 layout (age bands only under MALE and FEMALE, SEX = ALL only with
# AGE_GROUP_5 = ALL, CRLF line ends), and no practice map or single-year female file. The exact first
# months of the map and the single-year files are not held here (assumption: April 2018).
LIST_SIZE_2017_LAYOUT_BEFORE = "2018-04"


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
