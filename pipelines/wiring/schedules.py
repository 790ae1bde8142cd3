"""Monthly schedule: request the newest month NHSBSA is expected to have published.

EPD months appear about two months in arrears, mid-month (EPD_SNOMED_202507 was created on 2025-09-15,
EPD_SNOMED_202508 on 2025-10-16). A tick on the 20th of month M therefore asks for month M-2; if NHSBSA is
late, the publication sensor picks the month up when it appears.
"""

import dagster as dg

from pipelines.months import add_months, month_of, partition_key
from pipelines.wiring.jobs import monthly_job

PUBLICATION_LAG_MONTHS = 2


def expected_month(run_date) -> str:
    return add_months(month_of(run_date), -PUBLICATION_LAG_MONTHS)


@dg.schedule(
    cron_schedule="0 6 20 * *",
    job=monthly_job,
    execution_timezone="Europe/London",
    description="On the 20th, run the month NHSBSA should have published (two months back).",
)
def monthly_schedule(context: dg.ScheduleEvaluationContext):
    month = expected_month(context.scheduled_execution_time.date())
    return dg.RunRequest(
        run_key=f"scheduled-{month}",
        partition_key=partition_key(month),
        tags={"msi/month": month, "msi/trigger": "schedule"},
    )
