"""Monthly partitions: one per EPD month, keyed '<YYYY-MM>-01' (Dagster's monthly key)."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import dagster as dg

from pipelines.months import add_months, month_of

# NHSBSA's English Prescribing Dataset starts with January 2014 (nhsbsa_data.md); the deployment covers
# every month from then unless MSI_FIRST_MONTH says otherwise. The sensor never reaches back before it.
EPD_FIRST_MONTH = "2014-01"
FIRST_MONTH = os.environ.get("MSI_FIRST_MONTH", EPD_FIRST_MONTH)

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=f"{FIRST_MONTH}-01", end_offset=0)


def partition_span(today: datetime | None = None) -> tuple[str, str]:
    """The first and last month a run may ask for: FIRST_MONTH to the last complete month."""
    today = today or datetime.now(timezone.utc)
    return FIRST_MONTH, add_months(month_of(today.date()), -1)


def months_outside(months: list[str], today: datetime | None = None) -> str | None:
    """A one-line reason when any month falls outside the partitions, else None."""
    first, last = partition_span(today)
    outside = [m for m in months if m < first or m > last]
    if not outside:
        return None
    return (f"{outside[0]}{' and ' + str(len(outside) - 1) + ' more' if len(outside) > 1 else ''} outside the "
            f"monthly partitions {first} to {last} (the first is MSI_FIRST_MONTH, default {EPD_FIRST_MONTH}; "
            "the last is the last complete month)")
