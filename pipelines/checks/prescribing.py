"""Asset checks on the normalised prescribing month.

* `prescribing_month_expectations` (blocking): the Great Expectations suite, run inside DuckDB so memory
  stays bounded at national scale. A failure stops every downstream asset of that month.
* `prescribing_month_row_count_drift` (warning only): the month's row count against the previous month's.
"""


import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from pipelines.assets.lake import prescribing_month
from pipelines.months import add_months, from_partition_key
from pipelines.assets.sources import read_record
from pipelines.epd.ingest import source_geography
from pipelines.reference import geography_rule
from pipelines.resources import MsiSettings

ROW_COUNT_TOLERANCE = 0.25  # real months move by a few per cent; a quarter means something went wrong


def run_prescribing_suite(msi: MsiSettings, month: str) -> dict:
    # GE is imported here, not at module level: it takes seconds to import and the code location must
    # load fast (dg check defs, the UI).
    from pipelines.checks.gx_duckdb import validate_parquet
    from pipelines.checks.prescribing_suite import prescribing_expectations

    path = msi.layout.lake_file("prescribing", month)
    record = read_record(msi.layout.raw_epd(month), "EPD file", month)
    rule = geography_rule(month, source_geography(Path(record["path"])))
    summary = validate_parquet(path, "prescribing", prescribing_expectations(month, rule), msi.layout.tmp)
    return {**summary, "geography_rule": rule[0]}


@dg.asset_check(asset=prescribing_month, blocking=True,
                description="Great Expectations suite: columns and types, code formats, non-negative measures, "
                            "TOTAL_QUANTITY = QUANTITY x ITEMS, ICB codes valid for the month")
def prescribing_month_expectations(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    summary = run_prescribing_suite(msi, month)
    failed = summary["failed"]
    description = "; ".join(
        f"{f['expectation']}({f['column'] or f['description'] or ''}): {f['unexpected_count'] or f['error'] or 'failed'}"
        for f in failed)
    return dg.AssetCheckResult(
        passed=summary["success"],
        severity=dg.AssetCheckSeverity.ERROR,
        description=("all expectations met" if summary["success"] else f"failed: {description}")[:2000],
        metadata={"evaluated": summary["evaluated"], "failed": dg.MetadataValue.json(failed),
                  "geography_checked_against": summary["geography_rule"],
                  "statistics": dg.MetadataValue.json(json.loads(json.dumps(summary["statistics"], default=str)))},
    )


def row_count(path) -> int | None:
    return pq.ParquetFile(path).metadata.num_rows if path.is_file() else None


@dg.asset_check(asset=prescribing_month, blocking=False,
                description="Warns when the month's row count moves more than 25% from the previous month's")
def prescribing_month_row_count_drift(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    current = row_count(msi.layout.lake_file("prescribing", month))
    previous = row_count(msi.layout.lake_file("prescribing", add_months(month, -1)))
    if previous is None or not current:
        return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   description="no previous month in the lake to compare with",
                                   metadata={"rows": current or 0})
    change = current / previous - 1
    return dg.AssetCheckResult(
        passed=abs(change) <= ROW_COUNT_TOLERANCE, severity=dg.AssetCheckSeverity.WARN,
        description=f"{current:,} rows vs {previous:,} in {add_months(month, -1)} ({change:+.1%})",
        metadata={"rows": current, "previous_rows": previous, "change": round(change, 4)},
    )
