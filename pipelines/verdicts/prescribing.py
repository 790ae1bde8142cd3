"""What the asset checks on the normalised prescribing month report (pipelines/wiring/asset_checks.py):

* the Great Expectations suite's result, recorded when the staged month was checked before publishing,
  and whether the published partition is the bytes that passed (blocking);
* the month's row count against the previous month's (warning only).
"""

from pipelines.datasets.epd import EPD_FILE
from pipelines.datasets.epd.validation import read_validation, sha256
from pipelines.layout import Layout
from pipelines.months import add_months
from pipelines.parquet_files import parquet_rows
from pipelines.tables import lake_file

ROW_COUNT_TOLERANCE = 0.25  # real months move by a few per cent; a quarter means something went wrong


def expectations_result(layout: Layout, month: str) -> dict | None:
    """{passed, description, summary} of the month's recorded validation; None when there is none."""
    summary = read_validation(EPD_FILE.record_dir(layout, month))
    published = lake_file(layout, "prescribing", month)
    if summary is None or not published.is_file():
        return None
    same_bytes = sha256(published) == summary.get("sha256")
    description = "; ".join(
        f"{f['expectation']}({f['column'] or f['description'] or ''}): "
        f"{f['unexpected_count'] or f['error'] or 'failed'}"
        for f in summary["failed"]
    )
    if not same_bytes:
        description = "the published partition is not the file the expectations passed; " + description
    passed = summary["success"] and same_bytes
    return {
        "passed": passed,
        "summary": summary,
        "description": ("all expectations met" if passed else f"failed: {description}")[:2000],
    }


def row_count(path) -> int | None:
    return parquet_rows(path) if path.is_file() else None


def row_count_drift(layout: Layout, month: str) -> dict:
    """{passed, description, rows, previous_rows, change}: the month's rows against the month before's."""
    current = row_count(lake_file(layout, "prescribing", month))
    previous = row_count(lake_file(layout, "prescribing", add_months(month, -1)))
    if previous is None or not current:
        return {"passed": True, "description": "no previous month in the lake to compare with", "rows": current or 0}
    change = current / previous - 1
    return {
        "passed": abs(change) <= ROW_COUNT_TOLERANCE,
        "rows": current,
        "previous_rows": previous,
        "change": round(change, 4),
        "description": f"{current:,} rows vs {previous:,} in {add_months(month, -1)} ({change:+.1%})",
    }
