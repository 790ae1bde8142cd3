"""What a table of the data directory is: where it lives, whether it is one folder a month, its columns, the
module that writes it and the SQL files that build it. The tables themselves are declared beside what writes
them (a dataset's in its folder under pipelines/datasets/, the warehouse's in pipelines/tables.py), and
pipelines/tables.py lists them all."""

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
