"""Every table of the data directory, listed once: each dataset's lake tables (declared in its folder under
pipelines/datasets/, gathered by pipelines/datasets/registry.py) and the warehouse's tables, declared here.
Readers list months, find files and glob through here (`lake_file`, `warehouse_file`, `lake_months`,
`nearest_lake_file`, `patient_file` below), so "which months does a table hold" has one answer. tests/test_tables.py
checks every table a whole run writes against these columns, and that every SQL file named here exists."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.datasets.registry import LAKE_TABLES
from pipelines.table import INT, B, D, F, Table, V

if TYPE_CHECKING:
    from pipelines.layout import Layout

__all__ = [
    "TABLES",
    "Table",
    "lake_file",
    "lake_months",
    "nearest_lake_file",
    "patient_file",
    "table",
    "warehouse_file",
]

_PRACTICE_VALUES = (
    ("month", V),
    ("indicator_id", V),
    ("practice_code", V),
    ("practice_name", V),
    ("sub_icb_code", V),
    ("icb_code", V),
    ("region_code", V),
    ("numerator", D),
    ("denominator", D),
    ("value", D),
    ("list_size_month", V),
)
_BREAKDOWN = (("bnf_code", V), ("bnf_name", V), ("items", B), ("quantity", D), ("adq", D), ("ome_mg", D))

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        # --- the lake: each dataset's tables, declared in its folder (pipelines/datasets/registry.py)
        *LAKE_TABLES,
        # --- the warehouse: per-month practice values, then every org level for all months
        Table(
            "indicator_practice",
            "warehouse",
            True,
            _PRACTICE_VALUES,
            "pipelines.indicators.engine",
            ("indicators/practice_values",),
        ),
        Table(
            "patient_indicator_practice",
            "warehouse",
            True,
            _PRACTICE_VALUES,
            "pipelines.indicators.patient",
            ("patient/practice_values",),
            folder="indicator_practice",
            file="patient.parquet",
            private=True,
        ),
        Table(
            "patient_members",
            "warehouse",
            True,
            (("indicator_id", V), ("role", V), ("patient_id", V), ("practice_code", V)),
            "pipelines.indicators.patient",
            ("patient/members",),
            private=True,
        ),
        Table(
            "indicator_practice_breakdown",
            "warehouse",
            True,
            (("month", V), ("indicator_id", V), ("practice_code", V), *_BREAKDOWN),
            "pipelines.indicators.engine",
            ("indicators/practice_breakdown",),
        ),
        Table(
            "opioid_ome",
            "warehouse",
            True,
            (
                ("bnf_code", V),
                ("bnf_name", V),
                ("ingredient", V),
                ("route", V),
                ("strength_mg", D),
                ("per", V),
                ("patch_hours", D),
                ("ome_factor", D),
                ("ome_mg_per_unit", D),
                ("status", V),
                ("reason", V),
                ("items", B),
            ),
            "pipelines.indicators.engine",
        ),
        Table(
            "presentations",
            "warehouse",
            True,
            (("bnf_code", V), ("bnf_name", V), ("items", B)),
            "pipelines.indicators.engine",
            ("indicators/month_presentations",),
        ),
        Table(
            "indicator_values",
            "warehouse",
            True,
            (
                ("indicator_id", V),
                ("month", V),
                ("org_type", V),
                ("geography", V),
                ("org_code", V),
                ("org_name", V),
                ("pcn_code", V),
                ("sub_icb_code", V),
                ("icb_code", V),
                ("region_code", V),
                ("numerator", D),
                ("denominator", D),
                ("value", D),
                ("percentile", D),
                ("low_numbers", F),
                ("definition_version", V),
                ("grain", V),
                ("unit", V),
                ("list_size_month", V),
                ("includes_unidentified", F),
                ("practices", INT),
            ),
            "pipelines.indicators.engine",
            ("indicators/org_values",),
            file="*.parquet",
        ),
        Table(
            "indicator_deciles",
            "warehouse",
            True,
            (
                ("indicator_id", V),
                ("month", V),
                ("geography", V),
                ("org_type", V),
                ("orgs", B),
                *((f"p{k}", D) for k in range(10, 100, 10)),
            ),
            "pipelines.indicators.engine",
            ("indicators/deciles",),
            file="*.parquet",
        ),
        Table(
            "indicator_breakdown",
            "warehouse",
            True,
            (("month", V), ("indicator_id", V), ("org_type", V), ("org_code", V), ("icb_code", V), *_BREAKDOWN),
            "pipelines.indicators.engine",
            ("indicators/breakdown",),
            file="*.parquet",
        ),
        Table(
            "indicator_catalogue",
            "warehouse",
            False,
            (
                ("indicator_id", V),
                ("title", V),
                ("short_description", V),
                ("unit", V),
                ("unit_label", V),
                ("low_is_good", F),
                ("direction", V),
                ("grain", V),
                ("proxy", F),
                ("numerator", V),
                ("denominator", V),
                ("limitations", V),
                ("sources", V),
                ("definition_version", V),
                ("low_numbers_below", D),
            ),
            "pipelines.indicators.engine",
            folder=".",
            file="indicator_catalogue.parquet",
        ),
    )
}


def table(name: str, zone: str | None = None) -> Table:
    """The registered table `name` (in `zone`, when given); anything else is a bug, named."""
    found = TABLES.get(name)
    if found is None or (zone and found.zone != zone):
        raise KeyError(f"no {zone or ''} table {name!r} in pipelines/tables.py")
    return found


# A table's files, by its name (readers name tables; the Table knows where its files are).
def lake_file(layout: Layout, name: str, month: str) -> Path:
    return table(name, "lake").path(layout, month)


def lake_months(layout: Layout, name: str) -> list[str]:
    """The months a lake table holds, oldest first."""
    return table(name, "lake").months(layout)


def nearest_lake_file(layout: Layout, name: str, month: str) -> tuple[Path | None, str | None]:
    """The month's file of a lake table, else the nearest earlier month's (outputs then say which)."""
    return table(name, "lake").nearest(layout, month)


def patient_file(layout: Layout, name: str) -> Path:
    """lake/patient/<name>.parquet: the checked patient-level extract (never leaves the data directory)."""
    return table(f"patient_{name}", "lake").path(layout)


def warehouse_file(layout: Layout, name: str, month: str) -> Path:
    return table(name, "warehouse").path(layout, month)
