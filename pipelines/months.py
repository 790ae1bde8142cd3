"""Month keys ('YYYY-MM') and ranges ('2025-01:2025-12')."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime

from pipelines import environment
from pipelines.environment import EPD_FIRST_MONTH

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def check_month(value: str) -> str:
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise ValueError(f"not a month: {value!r} (expected YYYY-MM)")
    return value


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(month: str, n: int) -> str:
    y, m = map(int, check_month(month).split("-"))
    index = y * 12 + (m - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(spec: str) -> list[str]:
    """'2025-01:2025-03' -> ['2025-01', '2025-02', '2025-03']; a single month is a range of one."""
    first, _, last = spec.partition(":")
    first, last = check_month(first.strip()), check_month((last or first).strip())
    if last < first:
        raise ValueError(f"month range {spec!r} ends before it starts")
    out = [first]
    while out[-1] != last:
        out.append(add_months(out[-1], 1))
    return out


def days_in_month(month: str) -> int:
    y, m = map(int, check_month(month).split("-"))
    return calendar.monthrange(y, m)[1]


def compact(month: str) -> str:
    """'2025-01' -> '202501' (the form in NHSBSA resource names)."""
    return check_month(month).replace("-", "")


def partition_key(month: str) -> str:
    """Dagster monthly partition key for a month."""
    return f"{check_month(month)}-01"


def from_partition_key(key: str) -> str:
    return check_month(key[:7])


def month_label(month: str) -> str:
    """'2026-06' -> 'June 2026'."""
    return date(int(month[:4]), int(month[5:]), 1).strftime("%B %Y")


# NHSBSA's English Prescribing Dataset starts with January 2014 (nhsbsa_data.md); the deployment covers
# every month from then unless MSI_FIRST_MONTH says otherwise (the monthly partitions start here too).
def first_month() -> str:
    return environment.value("MSI_FIRST_MONTH")


def partition_span(today: datetime | None = None) -> tuple[str, str]:
    """The first and last month a run may ask for: MSI_FIRST_MONTH to the last complete month."""
    today = today or datetime.now(UTC)
    return first_month(), add_months(month_of(today.date()), -1)


def months_outside(months: list[str], today: datetime | None = None) -> str | None:
    """A one-line reason when any month falls outside the partitions, else None."""
    first, last = partition_span(today)
    outside = [m for m in months if m < first or m > last]
    if not outside:
        return None
    return (
        f"{outside[0]}{' and ' + str(len(outside) - 1) + ' more' if len(outside) > 1 else ''} outside the "
        f"monthly partitions {first} to {last} (the first is MSI_FIRST_MONTH, default {EPD_FIRST_MONTH}; "
        "the last is the last complete month)"
    )
