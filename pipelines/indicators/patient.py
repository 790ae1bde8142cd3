"""Patient-level indicators for one reporting month, from the checked extract in lake/patient/.

The catalogue's `patients` rules become small tables (patient_rules, patient_rule_groups) that one SQL
file (sql/patient/members.sql) evaluates for every indicator at once; the members are kept internally
(warehouse/patient_members) and counted per practice into the same practice-value shape as the public
indicators, so sub-ICB, ICB, region and England rows are built by the same code. No disclosure control
here: counts are exact inside the data directory and controlled where they leave it (disclosure.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from indicators.catalogue import catalogue
from indicators.model import Indicator
from pipelines.atomic import scratch_dir
from pipelines.bnf.code_changes import code_changes_table, current
from pipelines.bnf.groups import group_members
from pipelines.bnf.ome import reference_ome_table
from pipelines.datasets.patient.stage import carried_flags
from pipelines.duck import copy_query, duckdb_connection, write_empty
from pipelines.layout import Layout
from pipelines.months import add_months, days_in_month
from pipelines.private import check_private, publish_private
from pipelines.sqlfiles import load_sql
from pipelines.tables import TABLES, nearest_lake_file, patient_file, warehouse_file


class PatientDataError(RuntimeError):
    """No checked patient-level extract in the lake."""


@dataclass(frozen=True)
class PatientMonth:
    month: str
    window_start: date
    window_end: date
    practices: int
    members: int
    values_path: Path
    # Indicators left out because the extract lacks an optional column their rules need: id -> why.
    not_computed: dict[str, str]


def patient_indicators() -> dict[str, Indicator]:
    return {k: v for k, v in catalogue().items() if v.grain == "patient"}


def window(month: str) -> tuple[date, date, int]:
    """First day of M-2, last day of M, and the calendar days between them (inclusive)."""
    first = add_months(month, -2)
    start = date(int(first[:4]), int(first[5:]), 1)
    end = date(int(month[:4]), int(month[5:]), days_in_month(month))
    return start, end, (end - start).days + 1


def rule_tables(indicators: dict[str, Indicator], codes_seen) -> dict[str, pl.DataFrame]:
    """The catalogue's patient rules as the tables sql/patient/members.sql reads."""
    rules, rule_groups, rule_flags, specs, used = [], [], [], [], set()
    for ind in indicators.values():
        specs.append({"indicator_id": ind.id, "multiplier": ind.multiplier, "unit": ind.unit})
        for role, part in (("numerator", ind.numerator), ("denominator", ind.denominator)):
            rule = part.patients if part is not None else None
            if rule is None:
                continue
            rules.append(
                {
                    "indicator_id": ind.id,
                    "role": role,
                    "sex": rule.sex,
                    "age_min": rule.age_min,
                    "age_max": rule.age_max,
                    "n_all": len(rule.issued_all),
                    "co_days": rule.co_issued_within_days,
                    "min_ome": ind.thresholds[rule.min_ome_mg_per_day] if rule.min_ome_mg_per_day else None,
                }
            )
            rule_flags += [{"indicator_id": ind.id, "role": role, "flag": flag} for flag in rule.flagged]
            for kind, names in (("all", rule.issued_all), ("none", rule.issued_none)):
                for position, name in enumerate(names, start=1):
                    rule_groups.append(
                        {"indicator_id": ind.id, "role": role, "group_name": name, "kind": kind, "position": position}
                    )
                    used.add(name)
    members = group_members(codes_seen, wanted=used)  # an extract carries codes, not names
    codes = [{"group_name": g, "bnf_code": c} for g in sorted(used) for c in sorted(members[g])]
    return {
        "patient_rules": pl.DataFrame(
            rules,
            schema={
                "indicator_id": pl.String,
                "role": pl.String,
                "sex": pl.String,
                "age_min": pl.Int32,
                "age_max": pl.Int32,
                "n_all": pl.Int32,
                "co_days": pl.Int32,
                "min_ome": pl.Float64,
            },
        ),
        "patient_rule_groups": pl.DataFrame(
            rule_groups,
            schema={
                "indicator_id": pl.String,
                "role": pl.String,
                "group_name": pl.String,
                "kind": pl.String,
                "position": pl.Int32,
            },
        ),
        "patient_rule_flags": pl.DataFrame(
            rule_flags, schema={"indicator_id": pl.String, "role": pl.String, "flag": pl.String}
        ),
        "drug_group_codes": pl.DataFrame(codes, schema={"group_name": pl.String, "bnf_code": pl.String}),
        "patient_specs": pl.DataFrame(
            specs, schema={"indicator_id": pl.String, "multiplier": pl.Float64, "unit": pl.String}
        ),
    }


def has_patient_data(layout: Layout) -> bool:
    return patient_file(layout, "prescriptions").is_file() and patient_file(layout, "registrations").is_file()


def computable(indicators: dict[str, Indicator], flags: tuple[str, ...]) -> tuple[dict[str, Indicator], dict[str, str]]:
    """The indicators an extract carrying `flags` can answer, and why each other one is left out: a rule
    on a flag the extract does not carry would count nobody, which is not the same as zero."""
    ok, left_out = {}, {}
    for key, ind in indicators.items():
        missing = sorted(ind.registration_flags - set(flags))
        if missing:
            left_out[key] = (
                f"not computed: the extract's registrations carry no {', '.join(missing)} column "
                "(optional in contract v1; docs/patient_level_extract.md)"
            )
        else:
            ok[key] = ind
    return ok, left_out


def compute_patient_month(layout: Layout, month: str, indicators: dict[str, Indicator] | None = None) -> PatientMonth:
    if not has_patient_data(layout):
        raise PatientDataError(f"no checked patient-level extract in {layout.lake / 'patient'}; load one first")
    check_private(layout)
    start, end, days = window(month)
    rx, rg = patient_file(layout, "prescriptions"), patient_file(layout, "registrations")
    indicators, not_computed = computable(indicators or patient_indicators(), carried_flags(rg))
    geography, _ = nearest_lake_file(layout, "practice_geography", month)
    with scratch_dir(layout.tmp, f"patient-{month}") as work:
        con = duckdb_connection(work, "2GB")
        if geography is None:  # no practice map yet: practice rows without names or organisations
            geography = write_empty(con, work / "no_geography.parquet", TABLES["practice_geography"].schema)
        seen = sorted(
            {
                current(r[0])
                for r in con.execute(  # drug groups match today's codes
                    load_sql("patient/window_codes"), {"p": str(rx), "s": start, "e": end}
                ).fetchall()
            }
        )
        con.register("bnf_code_changes", code_changes_table().to_arrow())
        for name, frame in rule_tables(indicators, seen).items():
            con.register(name, frame.to_arrow())
        con.register("opioid_ome", reference_ome_table().to_arrow())
        members, values = work / "members.parquet", work / "values.parquet"
        params = {
            "prescriptions_path": str(rx),
            "registrations_path": str(rg),
            "window_start": start,
            "window_end": end,
            "window_days": days,
        }
        copy_query(con, "patient/members", members, params)
        copy_query(
            con,
            "patient/practice_values",
            values,
            {
                "registrations_path": str(rg),
                "window_end": end,
                "members_path": str(members),
                "geography_path": str(geography),
                "month": month,
            },
        )
        (n_members,) = con.execute(load_sql("files/row_count"), {"p": str(members)}).fetchall()[0]
        (practices,) = con.execute(load_sql("files/practice_count"), {"p": str(values)}).fetchall()[0]
        con.close()
        out_values = warehouse_file(layout, "patient_indicator_practice", month)  # beside the public data.parquet
        publish_private(values, out_values, layout)
        publish_private(members, warehouse_file(layout, "patient_members", month), layout)
        return PatientMonth(month, start, end, int(practices), int(n_members), out_values, not_computed)
