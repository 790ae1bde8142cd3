"""Every table of the data directory, declared once: where it lives, whether it is one folder a month, its
columns, the module that writes it and the SQL files that build it. Readers list months, find files and
glob through here (Layout's lake_file, warehouse_file, lake_months and nearest_lake_file delegate to it),
so "which months does a table hold" has one answer. tests/test_tables.py checks every table a whole run
writes against these columns, and that every SQL file named here exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipelines.sqlfiles import month_files

if TYPE_CHECKING:
    from pipelines.layout import Layout

V, D, B, INT, F, DATE = "VARCHAR", "DOUBLE", "BIGINT", "INTEGER", "BOOLEAN", "DATE"


@dataclass(frozen=True)
class Table:
    name: str
    zone: Literal["lake", "warehouse"]
    by_month: bool  # one folder a month (month=YYYY-MM/), else one file
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) in file order
    writer: str  # the module that writes it (and only it)
    sql: tuple[str, ...] = ()  # sql/<name>.sql files that build it
    folder: str = ""  # the table's folder under its zone, when not its name (two tables share one)
    file: str = "data.parquet"  # the file in each month's folder; a glob where DuckDB names the parts
    private: bool = False  # written from a patient-level extract: owner-only (pipelines/private.py)

    @property
    def schema(self) -> dict[str, str]:
        """Column -> DuckDB type: what an empty stand-in for the table is written with (a month without it)."""
        return dict(self.columns)

    def root(self, layout: Layout) -> Path:
        return getattr(layout, self.zone) / (self.folder or self.name)

    def path(self, layout: Layout, month: str | None = None) -> Path:
        """The month's file (a table of one file per month), or the whole table's file."""
        if self.by_month != (month is not None):
            raise ValueError(f"{self.name} is {'one folder a month' if self.by_month else 'one file'}")
        if "*" in self.file:
            raise ValueError(f"{self.name}'s months are written by DuckDB as parts: use glob()")
        return self.root(layout) / f"month={month}" / self.file if month else self.root(layout) / self.file

    def months(self, layout: Layout) -> list[str]:
        """The months the table holds (a month folder with the table's file in it), oldest first."""
        return sorted(p.name.split("=", 1)[1] for p in self.root(layout).glob("month=*") if any(p.glob(self.file)))

    def nearest(self, layout: Layout, month: str) -> tuple[Path | None, str | None]:
        """The month's file, else the nearest earlier month's (outputs then say which), else (None, None)."""
        earlier = [m for m in self.months(layout) if m <= month]
        return (self.path(layout, earlier[-1]), earlier[-1]) if earlier else (None, None)

    def glob(self, layout: Layout) -> str:
        """DuckDB's glob over every month's file(s)."""
        return month_files(self.root(layout), self.file)

    def files(self, layout: Layout, months: list[str] | None = None) -> list[Path]:
        """Every file of the table (of `months` only, if given), sorted: for reads and damage checks."""
        if not self.by_month:
            return [self.root(layout) / self.file] if (self.root(layout) / self.file).is_file() else []
        wanted = None if months is None else {f"month={m}" for m in months}
        return sorted(
            f for f in self.root(layout).glob(f"month=*/{self.file}") if wanted is None or f.parent.name in wanted
        )


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
        # --- the lake: each month's sources, checked and normalised (pipelines/lake/month.py publishes a month whole)
        Table(
            "prescribing",
            "lake",
            True,
            (
                ("month", V),
                ("region_code", V),
                ("icb_code", V),
                ("sub_icb_code", V),
                ("practice_code", V),
                ("chem_code", V),
                ("chem_name", V),
                ("bnf_code", V),
                ("bnf_name", V),
                ("snomed_code", V),
                ("quantity", D),
                ("items", INT),
                ("total_quantity", D),
                ("adq_usage", D),
                ("nic", D),
                ("actual_cost", D),
                ("unidentified", F),
            ),
            "pipelines.lake.prescribing",
            (
                "lake/year_months",
                "lake/locate_bad_value",
                "lake/practice_counts",
                "lake/presentation_name_suspects",
                "lake/repair_presentation_names",
            ),
        ),
        Table(
            "practices",
            "lake",
            True,
            (
                ("month", V),
                ("practice_code", V),
                ("sub_icb_code", V),
                ("practice_name", V),
                ("address_1", V),
                ("address_2", V),
                ("address_3", V),
                ("address_4", V),
                ("postcode", V),
                ("sub_icb_name", V),
                ("icb_code", V),
                ("icb_name", V),
                ("region_code", V),
                ("region_name", V),
                ("rows", B),
                ("items", B),
            ),
            "pipelines.lake.prescribing",
            ("lake/write_practices",),
        ),
        Table(
            "list_sizes",
            "lake",
            True,
            (
                ("month", V),
                ("practice_code", V),
                ("patients", B),
                ("female", B),
                ("male", B),
                ("aged_65_plus", B),
                ("aged_75_plus", B),
                ("aged_0_14", B),
                ("aged_15_19", B),
                ("female_13_54", B),
                ("female_0_12", B),
                ("extract_date", DATE),
            ),
            "pipelines.lake.list_sizes",
            ("lake/list_sizes",),
        ),
        Table(
            "practice_geography",
            "lake",
            True,
            (
                ("month", V),
                ("practice_code", V),
                ("practice_name", V),
                ("practice_postcode", V),
                ("pcn_code", V),
                ("pcn_name", V),
                ("sub_icb_code", V),
                ("sub_icb_name", V),
                ("sub_icb_ons_code", V),
                ("icb_code", V),
                ("icb_name", V),
                ("icb_ons_code", V),
                ("region_code", V),
                ("region_name", V),
                ("region_ons_code", V),
                ("extract_date", DATE),
            ),
            "pipelines.lake.practice_geography",
            ("lake/practice_geography",),
        ),
        # the checked patient-level extract (internal: never leaves the data directory)
        Table(
            "patient_prescriptions",
            "lake",
            False,
            (
                ("patient_id", V),
                ("practice_code", V),
                ("issue_date", DATE),
                ("bnf_code", V),
                ("quantity", D),
                ("snomed_code", V),
                ("dose_text", V),
            ),
            "pipelines.lake.patient",
            ("patient/stage_prescriptions", "patient/normalise_prescriptions"),
            folder="patient",
            file="prescriptions.parquet",
            private=True,
        ),
        Table(
            "patient_registrations",
            "lake",
            False,
            (
                ("patient_id", V),
                ("practice_code", V),
                ("sex", V),
                ("date_of_birth", DATE),
                ("registered_from", DATE),
                ("registered_to", DATE),
                ("learning_disability_or_autism", F),
            ),
            "pipelines.lake.patient",
            ("patient/stage_registrations", "patient/normalise_registrations", "patient/flags_carried"),
            folder="patient",
            file="registrations.parquet",
            private=True,
        ),
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
