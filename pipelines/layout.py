"""Where everything lives under the data directory. One place, so paths are never rebuilt ad hoc.

<data-dir>/
  raw/epd/<YYYY-MM>/            the published EPD file for the month (ZIP or CSV) + source.json
  raw/list_sizes/<YYYY-MM>/     the NHS Digital files for the month + source.json
  raw/sample/                   files written by the built-in sample generator
  lake/prescribing/month=<YYYY-MM>/data.parquet    normalised EPD rows, in the published row order
  lake/practices/month=<YYYY-MM>/data.parquet      practice dimension (names, addresses, org codes)
  lake/list_sizes/month=<YYYY-MM>/data.parquet     registered patients per practice (denominators)
  lake/practice_geography/month=<YYYY-MM>/data.parquet  practice -> PCN -> sub-ICB -> ICB -> region
  lake/patient/{prescriptions,registrations}.parquet  checked patient-level extract (optional; internal)
  warehouse/indicator_values/month=<YYYY-MM>/   indicator rows for every org level (the output contract)
  warehouse/indicator_deciles/, indicator_breakdown/, indicator_catalogue.parquet, msi.duckdb (views)
  warehouse/indicator_practice/                 practice-month numerators/denominators (internal)
  warehouse/indicator_practice_breakdown/, opioid_ome/, presentations/   per month, from the same step
  warehouse/patient_members/                    who counts in each patient-level indicator (internal)
  extracts/<YYYY-MM>/           per-ICB workbooks and all_icbs.csv
  reports/                      the offline report site: shared pages, data/<YYYY-MM>/ per month
  subscriptions.yaml            who gets the monthly signals e-mail (pipelines/notify)
  outbox/<YYYY-MM>/             the month's signals e-mails as .eml files, and sent.json (what went out)
  cache/                        derived from installed packages only (the report's Vega bundle)
  logs/msi.log                  tracebacks and full check results (the console gets one line per failure)
  dagster_home/                 persistent Dagster instance for `msi serve`
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines import environment

DEFAULT_DATA_DIR = environment.VARIABLES["MSI_DATA_DIR"].default


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """--data-dir beats MSI_DATA_DIR beats ./data."""
    chosen = value or environment.value("MSI_DATA_DIR")
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def sample_dir(self) -> Path:
        return self.raw / "sample"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def patient_manifest(self) -> Path:
        """What the checked extract was: its folder, counts and the optional columns it carries."""
        return self.lake / "patient" / "manifest.json"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def views(self) -> Path:
        """warehouse/msi.duckdb: a view per warehouse table (sql/warehouse/views.sql), for analysts."""
        return self.warehouse / "msi.duckdb"

    def extracts(self, month: str) -> Path:
        return self.root / "extracts" / month

    @property
    def reports(self) -> Path:
        """The report site: four shared pages and assets, and a data folder per month (outputs/report/site.py)."""
        return self.root / "reports"

    def report(self, month: str) -> Path:
        """The month's data folder of the report site."""
        return self.root / "reports" / "data" / month

    @property
    def subscriptions(self) -> Path:
        return self.root / "subscriptions.yaml"

    def outbox(self, month: str) -> Path:
        return self.root / "outbox" / month

    @property
    def log_file(self) -> Path:
        """One line per failure goes to the console; tracebacks and full check results go here."""
        return self.root / "logs" / "msi.log"

    @property
    def cache(self) -> Path:
        """Files derived from installed packages only (the report's Vega bundle), safe to delete."""
        return self.root / "cache"

    @property
    def tmp(self) -> Path:
        # Inside the data directory so that the final rename never crosses filesystems.
        return self.root / "tmp"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"
