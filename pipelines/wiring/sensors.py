"""Sensors: NHSBSA publishing or republishing an EPD month, and the monthly signals e-mail after each month's
outputs. What follows a month (indicators, extracts and report) is declared on those assets
(automation.py); the automation sensor and signals_email_sensor are on by default, so turning on the monthly
schedule (or the publication sensor) is the one switch that delivers a month: ingest, indicators, extracts and
report, then the e-mail, which signals_email_sensor sends as a run of its own and retries until every message
is sent.

It polls CKAN `package_show` for both datasets and keeps, in its cursor, the publication stamp
(`last_modified`, else `created`) it last acted on for each month. A new month, or a changed stamp (a
republication: later batches subsume earlier ones), requests a run of that month's partition.
"""

import json
import time

import dagster as dg

from pipelines.datasets.epd.nhsbsa import CkanClient
from pipelines.months import partition_key
from pipelines.outputs.analysis import available_months
from pipelines.wiring.jobs import email_job, monthly_job
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings


def publication_requests(available: dict, seen: dict, partition_keys: set[str]) -> tuple[list[dg.RunRequest], dict]:
    """Run requests for months that are new or republished since `seen`; returns the new cursor too."""
    requests, cursor = [], dict(seen)
    for month, resource in sorted(available.items()):
        key = partition_key(month)
        if key not in partition_keys or seen.get(month) == resource.published:
            continue
        trigger = "republished" if month in seen else "published"
        requests.append(
            dg.RunRequest(
                run_key=f"{resource.name}@{resource.published}",
                partition_key=key,
                tags={"msi/month": month, "msi/trigger": trigger, "msi/published": resource.published},
            )
        )
        cursor[month] = resource.published
    return requests, cursor


@dg.sensor(
    job=monthly_job,
    minimum_interval_seconds=6 * 3600,
    description="Polls NHSBSA's portal; runs a month when it is published or republished.",
)
def nhsbsa_publication_sensor(context: dg.SensorEvaluationContext, msi: MsiSettings):
    if msi.source != "nhsbsa":
        return dg.SkipReason(f"source is {msi.source!r}; the sensor only watches NHSBSA (MSI_SOURCE=nhsbsa)")
    available = CkanClient(msi.ckan_base_url, attempts=2).available_months()
    keys = set(monthly_partitions.get_partition_keys(dynamic_partitions_store=None))
    requests, cursor = publication_requests(available, json.loads(context.cursor or "{}"), keys)
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))


RETRY_SECONDS = 300  # after a failed send: 5 minutes, doubling with each failure, at most EMAIL_RETRY_CAP
EMAIL_RETRY_CAP = 6 * 3600
UNDER_WAY = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)


def _newest_outputs_month(layout) -> str | None:
    """The newest month with indicator values whose extracts are written: the month the e-mail is about."""
    months = [m for m in available_months(layout) if layout.extracts(m).is_dir()]
    return months[-1] if months else None


@dg.sensor(
    job=email_job,
    name="signals_email_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends the newest month's signals e-mail once its outputs exist, and retries a failed send "
    f"({RETRY_SECONDS // 60} min, doubling, at most {EMAIL_RETRY_CAP // 3600} h apart) until "
    "every subscriber's message is sent.",
)
def signals_email_sensor(context: dg.SensorEvaluationContext):
    """Each tick: is every subscribed message of the newest month with outputs sent through every configured
    channel (their records: sent.json for SMTP)? If not, and no send is under way, and the last failed one
    is old enough, a run of email_job sends the rest; its failure is a failed run, with the reason."""
    from pipelines.notify.channels import configured
    from pipelines.notify.outbox import unsent

    layout = MsiSettings.from_env().layout
    if not layout.subscriptions.is_file():
        return dg.SkipReason(f"no subscriptions file at {layout.subscriptions}")
    channels = configured()
    if not channels:
        return dg.SkipReason(
            "no sending channel is configured (MSI_SMTP_HOST is not set: no e-mail is sent); "
            "msi notify --dry-run writes the messages"
        )
    month = _newest_outputs_month(layout)
    if month is None:
        return dg.SkipReason("no month has outputs yet")
    waiting = unsent(layout, month, channels)
    if not waiting:
        return dg.SkipReason(f"{month}: every subscribed message is sent")
    key = partition_key(month)
    records = context.instance.get_run_records(dg.RunsFilter(job_name=email_job.name, tags={"dagster/partition": key}))
    if any(r.dagster_run.status in UNDER_WAY for r in records):
        return dg.SkipReason(f"{month}: a send is under way")
    failed = [r for r in records if r.dagster_run.status == dg.DagsterRunStatus.FAILURE]
    if failed:
        wait = min(RETRY_SECONDS * 2 ** (len(failed) - 1), EMAIL_RETRY_CAP)
        ended = max((r.end_time or 0) for r in failed)
        if time.time() - ended < wait:
            return dg.SkipReason(
                f"{month}: {len(failed)} failed send(s); the next try in {wait - (time.time() - ended):.0f} s"
            )
    return dg.RunRequest(
        run_key=f"email-{month}-{len(records) + 1}",
        partition_key=key,
        tags={"msi/month": month, "msi/attempt": str(len(failed) + 1), "msi/unsent": ", ".join(waiting[:20])},
    )
