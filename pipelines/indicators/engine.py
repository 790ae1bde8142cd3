"""Compute the public-data indicators in DuckDB.

Two steps, so that history can be re-based cheaply:
1. `compute_practice_month`: practice-month numerators and denominators for every indicator, plus the
   numerator breakdown by presentation, from one month of the lake: one scan for the month's presentations
   (the codes the lists expand against, the names OME is read from), one for the amounts each practice had
   of every code some role selects (sql/indicators/code_amounts.sql), which both join to the roles.
2. `build_warehouse`: from every month's practice values, the org rows (practice, PCN, sub-ICB, ICB,
   region, England) in both geographies, with pooled values, percentiles, low-numbers flags and national
   deciles, written as Parquet (one folder per month) plus views in warehouse/msi.duckdb.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from indicators.catalogue import catalogue, group_references
from indicators.model import Indicator, expand
from pipelines.atomic import publish_dir, publish_file, scratch_dir, scratch_name
from pipelines.bnf.code_changes import code_changes_table, current
from pipelines.bnf.groups import group_members
from pipelines.bnf.lists import names as bnf_names
from pipelines.bnf.ome import STATUS_OME, STATUS_UNREAD, coverage, ome_table
from pipelines.bnf.ome import chemicals as opioid_chemicals
from pipelines.duck import copy_query, create_temp_table, duckdb_connection, write_empty
from pipelines.layout import Layout
from pipelines.months import days_in_month
from pipelines.parquet_files import check_readable
from pipelines.reference import REFERENCE_DIR
from pipelines.sqlfiles import load_sql, month_files, sql_literal
from pipelines.tables import TABLES, lake_file, lake_months, nearest_lake_file, warehouse_file

WAREHOUSE_TABLES = ("indicator_values", "indicator_deciles", "indicator_breakdown")
# Org rows are built a few months at a time, so memory stays flat however long the history. Four, not twelve:
# a year of national months outgrew the 2 GB limit and spilled to disk (24 months' org levels 32.9-33.7 s and
# 2.2 GB against 27.5-30.3 s and 1.3 GB; BENCHMARKS.md, issue 31, seventh step).
MONTHS_PER_BATCH = 4
# A month whose in-scope opioid items without an OME exceed this share gets a warning (asset check).
OME_UNREAD_WARN_SHARE = 0.005


class IndicatorError(RuntimeError):
    """Inputs for the indicators are missing; the message says which."""


@dataclass(frozen=True)
class PracticeMonth:
    month: str
    practices: int
    list_size_month: str | None
    opioid_items_in_scope: int  # items of presentations the OME counts or cannot read
    opioid_items_without_ome: int  # of which the name could not be read
    values_path: Path
    breakdown_path: Path
    opioid_ome_path: Path
    practice_map_month: str | None = None  # the map that said which cost centres are GP practices

    @property
    def opioid_share_without_ome(self) -> float:
        return self.opioid_items_without_ome / self.opioid_items_in_scope if self.opioid_items_in_scope else 0.0


def public_indicators() -> dict[str, Indicator]:
    return {k: v for k, v in catalogue().items() if v.grain == "practice_aggregate"}


def code_tables(
    indicators: dict[str, Indicator], codes_seen, groups: dict[str, set[str]] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(indicator_codes, indicator_roles, indicator_specs) for the SQL, from the catalogue. `groups`: the
    drug groups' members among `codes_seen` (default: resolved here, without the codes' own names)."""
    seen = sorted(set(codes_seen))
    if groups is None:
        wanted = set().union(*(group_references(i) for i in indicators.values()))
        groups = group_members(seen, wanted=wanted) if seen else {g: set() for g in wanted}
    code_rows, role_rows, spec_rows = [], [], []
    for ind in indicators.values():
        roles: list[tuple[str, str | None, list]] = []
        if (
            ind.grain == "patient"
        ):  # counted from the extract (pipelines/indicators/patient.py); only the spec is needed here
            pass
        elif ind.numerator.measure == "expected_co_exposure":
            for i, component in enumerate(ind.numerator.components or [], start=1):
                roles.append((f"component_{i}", "adq", component.filters))
        else:
            roles.append(("numerator", ind.numerator.measure, ind.numerator.filters))
        if ind.denominator is not None and ind.denominator.codes is not None:
            roles.append(("denominator", ind.denominator.measure, ind.denominator.filters))
        for role, measure, filters in roles:
            role_rows.append({"indicator_id": ind.id, "role": role, "measure": measure})
            code_rows += [{"indicator_id": ind.id, "role": role, "bnf_code": c} for c in expand(filters, seen, groups)]
        spec_rows.append(
            {
                "indicator_id": ind.id,
                "numerator_measure": ind.numerator.measure,
                "list_size": ind.denominator.list_size if ind.denominator else None,
                "unit": ind.unit,
                "multiplier": ind.multiplier,
                "per_day": ind.unit == "per_1000_per_day",
                "components": len(ind.numerator.components or []),
                "definition_version": ind.definition_version,
                "grain": ind.grain,
                "low_numbers_below": float(ind.low_numbers_below),
            }
        )
    codes = pl.DataFrame(code_rows, schema={"indicator_id": pl.Utf8, "role": pl.Utf8, "bnf_code": pl.Utf8})
    return codes, pl.DataFrame(role_rows), pl.DataFrame(spec_rows)


def month_presentations(con, prescribing_path: Path) -> pl.DataFrame:
    """(bnf_code, bnf_name, items) of the month's practice prescribing, in one scan of the month."""
    rows = con.execute(
        load_sql("indicators/month_presentations"), {"prescribing_path": str(prescribing_path)}
    ).fetchall()
    return pl.DataFrame(rows, schema={"bnf_code": pl.Utf8, "bnf_name": pl.Utf8, "items": pl.Int64}, orient="row")


def month_opioid_ome(presentations: pl.DataFrame) -> pl.DataFrame:
    """Every in-scope opioid presentation dispensed in the month, read from its published name, with
    its items: the OME per unit the SQL joins on, and the record of what has none and why."""
    seen = presentations.filter(pl.col("bnf_code").str.slice(0, 9).is_in(sorted(opioid_chemicals())))
    items = seen.group_by("bnf_code").agg(pl.col("items").sum())
    return ome_table(seen).join(items, on="bnf_code", how="left")


def month_groups(indicators: dict[str, Indicator], presentations: pl.DataFrame, seen: list[str]) -> dict[str, set[str]]:
    """The members among today's codes `seen` of every drug group the indicators use: from NHSBSA's lists,
    and a code the lists do not hold (newer than November 2024) from the name the month publishes for it."""
    wanted = set().union(*(group_references(i) for i in indicators.values()))
    names = {current(c): n for c, n in zip(presentations["bnf_code"].to_list(), presentations["bnf_name"].to_list())}
    return group_members(seen, names, wanted)


def current_names(recoded: list[str]) -> pl.DataFrame:
    """The current code's name in NHSBSA's newest list, for the month's recoded presentations."""
    newest = bnf_names("2024")
    rows = [(current(c), newest[current(c)]) for c in recoded if current(c) in newest]
    return pl.DataFrame(rows, schema={"bnf_code": pl.Utf8, "bnf_name": pl.Utf8}, orient="row").unique("bnf_code")


def opioid_presentations_without_ome(ome_path: Path) -> list[dict]:
    """The month's in-scope opioid presentations whose name gave no OME, most items first."""
    if not ome_path.is_file():
        return []
    frame = pl.read_parquet(ome_path, glob=False).filter(pl.col("status") == STATUS_UNREAD)
    return frame.sort("items", descending=True).select("bnf_code", "bnf_name", "items", "reason").to_dicts()


def _register(con, indicators: dict[str, Indicator], codes_seen, groups: dict[str, set[str]] | None = None) -> None:
    codes, roles, specs = code_tables(indicators, codes_seen, groups)
    con.register("indicator_codes", codes.to_arrow())
    con.register("indicator_roles", roles.to_arrow())
    con.register("indicator_specs", specs.to_arrow())


def compute_practice_month(layout: Layout, month: str, indicators: dict[str, Indicator] | None = None) -> PracticeMonth:
    indicators = indicators or public_indicators()
    rx, px = lake_file(layout, "prescribing", month), lake_file(layout, "practices", month)
    if not rx.is_file() or not px.is_file():
        raise IndicatorError(f"no normalised prescribing for {month} in {layout.lake}; ingest the month first")
    lists, lists_month = nearest_lake_file(layout, "list_sizes", month)
    gp_map, map_month = nearest_lake_file(layout, "practice_geography", month)
    check_readable([rx, px] + [f for f in (lists, gp_map) if f is not None])
    with scratch_dir(layout.tmp, f"indicators-{month}") as work:
        con = duckdb_connection(work, "2GB")
        if lists is None:  # no list sizes at all yet: list-size denominators stay NULL (values NULL)
            lists = write_empty(con, work / "no_list_sizes.parquet", TABLES["list_sizes"].schema)
        if gp_map is None:  # no practice map yet: every identified cost centre gets a row
            gp_map = write_empty(con, work / "no_map.parquet", TABLES["practice_geography"].schema)
        presentations = month_presentations(con, rx)
        published = presentations["bnf_code"].unique().to_list()
        seen = sorted({current(c) for c in published})  # code lists match today's codes
        _register(con, indicators, seen, month_groups(indicators, presentations, seen))
        con.register("bnf_code_changes", code_changes_table().to_arrow())
        con.register("current_names", current_names([c for c in published if current(c) != c]).to_arrow())
        ome = month_opioid_ome(presentations)
        con.register("opioid_ome", ome.filter(pl.col("status") == STATUS_OME).to_arrow())
        con.register("month_presentations", presentations.to_arrow())
        create_temp_table(con, "month_codes", "indicators/month_codes", {})
        create_temp_table(con, "code_amounts", "indicators/code_amounts", {"prescribing_path": str(rx)})
        params = {
            "practices_path": str(px),
            "list_sizes_path": str(lists),
            "month": month,
            "days": days_in_month(month),
            "list_size_month": lists_month,
            "gp_practices_path": str(gp_map),
            "only_gp_practices": gp_map.name != "no_map.parquet",
        }
        values, breakdown = work / "values.parquet", work / "breakdown.parquet"
        copy_query(con, "indicators/practice_values", values, params)
        copy_query(con, "indicators/practice_breakdown", breakdown, {"month": month})
        ome_path, seen_path = work / "opioid_ome.parquet", work / "presentations.parquet"
        ome.write_parquet(ome_path)
        presentations.write_parquet(seen_path)  # what the outputs' Definitions list as matched in this data
        practices = con.execute(load_sql("files/practice_count"), {"p": str(values)}).fetchone()[0]
        con.close()
        out_values = warehouse_file(layout, "indicator_practice", month)
        out_breakdown = warehouse_file(layout, "indicator_practice_breakdown", month)
        out_ome = warehouse_file(layout, "opioid_ome", month)
        publish_file(values, out_values)
        publish_file(breakdown, out_breakdown)
        publish_file(ome_path, out_ome)
        publish_file(seen_path, warehouse_file(layout, "presentations", month))
        in_scope, without = coverage(ome)
        return PracticeMonth(
            month, int(practices), lists_month, in_scope, without, out_values, out_breakdown, out_ome, map_month
        )


def build_warehouse(layout: Layout, patient_level: bool = False) -> dict:
    """Rebuild indicator_values, indicator_deciles and indicator_breakdown for every month with practice
    values, in today's ('current') and the published geography, and the views in msi.duckdb. With
    `patient_level` (the patient-level assets are in the graph), the patient-level practice values join
    the public ones."""
    indicators = {k: v for k, v in catalogue().items() if v.grain == "practice_aggregate" or patient_level}
    public, patient = TABLES["indicator_practice"], TABLES["patient_indicator_practice"]
    months = public.months(layout)
    if not months:
        raise IndicatorError(f"no practice indicator values under {public.root(layout)}")
    with_patient = patient_level and bool(patient.months(layout))
    practice_files = [public.glob(layout)] + ([patient.glob(layout)] if with_patient else [])
    reads = (
        "indicator_practice",
        "patient_indicator_practice",
        "indicator_practice_breakdown",
        "practices",
        "practice_geography",
    )
    # Every file the globs below read, named in one line if an earlier run left one damaged.
    check_readable([f for name in reads for f in TABLES[name].files(layout)])
    with scratch_dir(layout.tmp, "warehouse") as work:
        con = duckdb_connection(work, "2GB")
        _register(con, indicators, [])
        geographies = lake_months(layout, "practice_geography")
        practices_files = TABLES["practices"].glob(layout)
        geography_path = (
            lake_file(layout, "practice_geography", geographies[-1]) if geographies else work / "no_geography.parquet"
        )
        if not geographies:
            write_empty(con, geography_path, TABLES["practice_geography"].schema)
        maps_files = TABLES["practice_geography"].glob(layout) if geographies else str(geography_path)
        con.register(
            "ccg_successors",
            pl.read_csv(REFERENCE_DIR / "ccg_successors.csv", infer_schema=False)
            .select("ccg_code_2020", "ccg_code_2022")
            .to_arrow(),
        )
        create_temp_table(
            con,
            "current_geography",
            "indicators/current_geography",
            {"geography_path": str(geography_path), "practices_files": practices_files, "maps_files": maps_files},
        )
        create_temp_table(
            con,
            "practice_pcns",
            "indicators/practice_pcns",
            {"maps_files": maps_files, "practice_files": practice_files},
        )
        unplaced = con.execute(
            load_sql("indicators/unplaced"), {"practice_files": practice_files, "practices_files": practices_files}
        ).fetchall()
        create_temp_table(
            con,
            "org_names",
            "indicators/org_names",
            {
                "practices_files": practices_files,
                "maps_files": maps_files,
                "icbs_2022_path": str(REFERENCE_DIR / "icbs_2022_07_to_2026_03.csv"),
                "icbs_2026_path": str(REFERENCE_DIR / "icbs_from_2026_04.csv"),
                "regions_path": str(REFERENCE_DIR / "regions.csv"),
            },
        )
        partitioned = "FORMAT parquet, COMPRESSION zstd, PARTITION_BY (month), WRITE_PARTITION_COLUMNS true"
        built = {t: work / t for t in WAREHOUSE_TABLES}
        # A batch of months at a time: every window (percentiles, deciles) is within a month, and a decade
        # of months at once would not fit the memory limit.
        for start in range(0, len(months), MONTHS_PER_BATCH):
            batch = months[start : start + MONTHS_PER_BATCH]
            parts = {t: work / f"{t}-batch{start}" for t in WAREHOUSE_TABLES}
            # Only the batch's own files are read: a glob over every month, filtered by month, reads them all
            # and slows every batch after the first (BENCHMARKS.md, "Why the code is shaped so").
            batch_practice = [
                str(f) for t in ([public, patient] if patient_level else [public]) for f in t.files(layout, batch)
            ]
            batch_breakdown = [
                str(warehouse_file(layout, "indicator_practice_breakdown", m))
                for m in batch
                if warehouse_file(layout, "indicator_practice_breakdown", m).is_file()
            ]
            copy_query(
                con,
                "indicators/org_values",
                parts["indicator_values"],
                {"practice_files": batch_practice, "months": batch},
                partitioned,
            )
            copy_query(
                con,
                "indicators/deciles",
                parts["indicator_deciles"],
                {"values_files": month_files(parts["indicator_values"])},
                partitioned,
            )
            if batch_breakdown:
                copy_query(
                    con,
                    "indicators/breakdown",
                    parts["indicator_breakdown"],
                    {"breakdown_files": batch_breakdown, "practice_files": batch_practice, "months": batch},
                    partitioned,
                )
            for table, part in parts.items():  # move the batch's month folders into the table
                built[table].mkdir(exist_ok=True)
                for folder in part.iterdir() if part.is_dir() else []:
                    os.replace(folder, built[table] / folder.name)
                shutil.rmtree(part, ignore_errors=True)
        rows = con.execute(load_sql("files/row_count"), {"p": month_files(built["indicator_values"])}).fetchone()[0]
        without_pcn = con.execute(
            load_sql("indicators/practices_without_pcn"), {"p": month_files(built["indicator_values"])}
        ).fetchall()
        con.close()
        for table, folder in built.items():
            publish_dir(folder, TABLES[table].root(layout), layout.tmp)
        catalogue_path = write_catalogue_table(layout, indicators)
        write_views(layout)
        return {
            "months": months,
            "rows": int(rows),
            "current_geography_month": geographies[-1] if geographies else None,
            "catalogue": str(catalogue_path),
            "unplaced": [{"month": m, "practices": int(n), "items": int(i or 0)} for m, n, i in unplaced],
            "practices_without_pcn": {m: int(n) for m, n in without_pcn},
        }


def write_catalogue_table(layout: Layout, indicators: dict[str, Indicator]) -> Path:
    """The catalogue as a table, so extracts and analysts can join definitions to values."""
    frame = pl.DataFrame(
        [
            {
                "indicator_id": i.id,
                "title": i.title,
                "short_description": i.short_description,
                "unit": i.unit,
                "unit_label": i.unit_label,
                "low_is_good": i.low_is_good,
                "direction": i.direction,
                "grain": i.grain,
                "proxy": i.proxy,
                "numerator": i.numerator.description,
                "denominator": i.denominator.description if i.denominator else None,
                "limitations": " | ".join(i.limitations),
                "sources": " | ".join(s.name for s in i.sources),
                "definition_version": i.definition_version,
                "low_numbers_below": float(i.low_numbers_below),
            }
            for i in indicators.values()
        ]
    )
    target = TABLES["indicator_catalogue"].path(layout)
    built = layout.tmp / scratch_name("catalogue", ".parquet")
    built.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(built)
    publish_file(built, target)
    return target


def write_views(layout: Layout) -> Path:
    """warehouse/msi.duckdb with a view per table, built in a temporary file and renamed into place.
    View definitions cannot take parameters, so the (our own) paths are written as quoted literals."""
    target = layout.views
    built = layout.tmp / scratch_name("msi", ".duckdb")
    built.parent.mkdir(parents=True, exist_ok=True)
    views = load_sql("warehouse/views")
    for name in re.findall(r"@([a-z_]+)@", views):
        t = TABLES[name]
        views = views.replace(f"@{name}@", sql_literal(t.glob(layout) if t.by_month else str(t.path(layout))))
    with duckdb.connect(str(built)) as con:
        con.execute(views)
    os.replace(built, target)
    return target
