"""Monthly partitions: one per EPD month, keyed '<YYYY-MM>-01' (Dagster's monthly key)."""

from __future__ import annotations

import os

import dagster as dg

# The first month the deployment covers (MSI_FIRST_MONTH); the sensor never reaches back before it.
FIRST_MONTH = os.environ.get("MSI_FIRST_MONTH", "2020-11")

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=f"{FIRST_MONTH}-01", end_offset=0)
