"""Asset checks on the normalised prescribing month.

* `prescribing_month_expectations` (blocking): the Great Expectations suite, run inside DuckDB so memory
  stays bounded at national scale. A failure stops every downstream asset of that month.
* `prescribing_month_row_count_drift` (warning only): the month's row count against the previous month's.
"""


import json

import dagster as dg

from pipelines.assets.lake import prescribing_month
from pipelines.months import add_months, from_partition_key
from pipelines.checks.prescribing_validation import read_validation, sha256
from pipelines.parquet_files import parquet_rows
from pipelines.resources import MsiSettings

ROW_COUNT_TOLERANCE = 0.25  # real months move by a few per cent; a quarter means something went wrong


@dg.asset_check(asset=prescribing_month, blocking=True,
                description="Great Expectations suite, run on the staged month before it was published: columns and "
                            "types, code formats, non-negative measures, TOTAL_QUANTITY = QUANTITY x ITEMS, geography "
                            "codes valid for the file's era; and the published partition is the bytes that passed")
def prescribing_month_expectations(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    summary = read_validation(msi.layout.raw_epd(month))
    published = msi.layout.lake_file("prescribing", month)
    if summary is None or not published.is_file():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                   description=f"no validated prescribing for {month}: run prescribing_month")
    same_bytes = sha256(published) == summary.get("sha256")
    failed = summary["failed"]
    description = "; ".join(
        f"{f['expectation']}({f['column'] or f['description'] or ''}): {f['unexpected_count'] or f['error'] or 'failed'}"
        for f in failed)
    if not same_bytes:
        description = "the published partition is not the file the expectations passed; " + description
    return dg.AssetCheckResult(
        passed=summary["success"] and same_bytes,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("all expectations met" if summary["success"] and same_bytes else f"failed: {description}")[:2000],
        metadata={"evaluated": summary["evaluated"], "failed": dg.MetadataValue.json(failed),
                  "geography_checked_against": summary["geography_rule"], "sha256": summary.get("sha256", ""),
                  "statistics": dg.MetadataValue.json(json.loads(json.dumps(summary["statistics"], default=str)))},
    )


def row_count(path) -> int | None:
    return parquet_rows(path) if path.is_file() else None


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
