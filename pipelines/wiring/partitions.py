"""Monthly partitions: one per EPD month, keyed '<YYYY-MM>-01' (Dagster's monthly key), from MSI_FIRST_MONTH
(pipelines/months.py: January 2014 unless MSI_FIRST_MONTH says otherwise) to the current month."""

from __future__ import annotations

import dagster as dg

from pipelines.months import first_month

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=f"{first_month()}-01", end_offset=0)
