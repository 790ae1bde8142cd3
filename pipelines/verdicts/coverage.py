"""Is all of England in the month's EPD? The month's practices with prescribing against the same month's
practice map (every ICB and sub-ICB location), and against the previous month's prescribing practices.

A month can arrive without an ICB (a file cut by region, an upstream fault) and still pass every rule of
its rows: the ICB's pages, workbook and e-mail would then just lack the month. So this is said three ways:
the asset check prescribing_month_coverage (a warning, named in `msi run`'s summary), and the outputs, which
say "no prescribing data for this month" for an absent ICB instead of leaving it out (`absent_icbs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from pipelines.layout import Layout
from pipelines.sqlfiles import load_sql
from pipelines.tables import lake_file, lake_months

MISSING_SHARE = 0.05  # of the map's practices with no items (a stated threshold, not measured on a national month)
MIN_PRACTICES = 5  # an ICB or sub-ICB "gone" since last month needs at least this many practices then


@dataclass(frozen=True)
class Absent:
    level: str  # icb | sub_icb
    code: str
    name: str
    practices: int  # in the map (or, against the previous month, prescribing then)
    against: str  # "the month's practice map" | "the previous month"


@dataclass(frozen=True)
class Coverage:
    month: str
    checked: bool  # False: no practice map nor previous month to compare with
    absent: list[Absent] = field(default_factory=list)
    map_practices: int = 0
    map_missing: int = 0

    @property
    def missing_share(self) -> float:
        return self.map_missing / self.map_practices if self.map_practices else 0.0

    @property
    def passed(self) -> bool:
        return not self.absent and self.missing_share <= MISSING_SHARE

    @property
    def absent_icbs(self) -> list[Absent]:
        return [a for a in self.absent if a.level == "icb"]

    def description(self) -> str:
        if not self.checked:
            return f"{self.month}: no practice map and no earlier month to compare the EPD's practices with"
        parts = [
            f"no prescribing for {'ICB' if a.level == 'icb' else 'sub-ICB'} {a.code} ({a.name}: 0 of "
            f"{a.practices:,} practices in {a.against})"
            for a in self.absent
        ]
        if self.map_practices and self.missing_share > MISSING_SHARE:
            parts.append(
                f"{self.map_missing:,} of the map's {self.map_practices:,} practices "
                f"({self.missing_share:.1%}) have no EPD rows (over {MISSING_SHARE:.0%})"
            )
        if not parts:
            return (
                f"{self.month}: every ICB and sub-ICB of the month's map has prescribing; "
                f"{self.map_missing:,} of {self.map_practices:,} practices ({self.missing_share:.1%}) have none"
            )
        return f"{self.month}: " + "; ".join(parts)


def month_coverage(layout: Layout, month: str) -> Coverage:
    """The month's EPD practices against its practice map and the previous month (both where held)."""
    practices = lake_file(layout, "practices", month)
    if not practices.is_file():
        return Coverage(month, checked=False)
    map_file = lake_file(layout, "practice_geography", month)
    earlier = [m for m in lake_months(layout, "practices") if m < month]
    absent: list[Absent] = []
    map_practices = map_missing = 0
    with duckdb.connect() as con:
        if map_file.is_file():
            rows = con.execute(
                load_sql("lake/coverage_against_map"), {"practices_path": str(practices), "map_path": str(map_file)}
            ).fetchall()
            gone = {code for level, code, _, _, n, prescribing in rows if level == "icb" and n and not prescribing}
            for level, code, name, icb, n, prescribing in rows:
                if level == "icb":
                    map_practices, map_missing = map_practices + n, map_missing + n - prescribing
                # a sub-ICB of an absent ICB is not named again
                if n and not prescribing and code and not (level == "sub_icb" and icb in gone):
                    absent.append(Absent(level, code, name or code, n, "the month's practice map"))
        if earlier:
            named = {a.code for a in absent}
            for code, name, n, gone in con.execute(
                load_sql("lake/coverage_since_previous"),
                {"practices_path": str(practices), "previous_path": str(lake_file(layout, "practices", earlier[-1]))},
            ).fetchall():
                if code and code not in named and n >= MIN_PRACTICES and gone == n:
                    absent.append(Absent("icb", code, name or code, n, f"{earlier[-1]}'s EPD"))
    return Coverage(month, map_file.is_file() or bool(earlier), absent, map_practices, map_missing)
