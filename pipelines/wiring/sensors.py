"""Sensors: NHSBSA publishing or republishing an EPD month; the chain month -> indicators -> outputs (made
from the declared steps, steps.py, which `msi run` walks too); and the monthly signals e-mail after each
month's outputs.

The chain's three sensors are on by default, so turning on the monthly schedule (or the publication
sensor) is the one switch that delivers a month: ingest, indicators, extracts and report, e-mail.

It polls CKAN `package_show` for both datasets and keeps, in its cursor, the publication stamp
(`last_modified`, else `created`) it last acted on for each month. A new month, or a changed stamp (a
republication: later batches subsume earlier ones), requests a run of that month's partition.
"""


import json

import dagster as dg

from pipelines.months import from_partition_key, partition_key
from pipelines.outputs.analysis import available_months
from pipelines.sources.nhsbsa import CkanClient
from pipelines.wiring.jobs import monthly_job
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.steps import LAST, Step, chain


def publication_requests(available: dict, seen: dict, partition_keys: set[str]) -> tuple[list[dg.RunRequest], dict]:
    """Run requests for months that are new or republished since `seen`; returns the new cursor too."""
    requests, cursor = [], dict(seen)
    for month, resource in sorted(available.items()):
        key = partition_key(month)
        if key not in partition_keys or seen.get(month) == resource.published:
            continue
        trigger = "republished" if month in seen else "published"
        requests.append(dg.RunRequest(
            run_key=f"{resource.name}@{resource.published}", partition_key=key,
            tags={"msi/month": month, "msi/trigger": trigger, "msi/published": resource.published}))
        cursor[month] = resource.published
    return requests, cursor


@dg.sensor(job=monthly_job, minimum_interval_seconds=6 * 3600,
           description="Polls NHSBSA's portal; runs a month when it is published or republished.")
def nhsbsa_publication_sensor(context: dg.SensorEvaluationContext, msi: MsiSettings):
    if msi.source != "nhsbsa":
        return dg.SkipReason(f"source is {msi.source!r}; the sensor only watches NHSBSA (MSI_SOURCE=nhsbsa)")
    available = CkanClient(msi.ckan_base_url, attempts=2).available_months()
    keys = set(monthly_partitions.get_partition_keys(dynamic_partitions_store=None))
    requests, cursor = publication_requests(available, json.loads(context.cursor or "{}"), keys)
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))


CHAIN = {"default_status": dg.DefaultSensorStatus.RUNNING, "minimum_interval_seconds": 10}


def _newest_month() -> str | None:
    months = available_months(MsiSettings.from_env().layout)
    return months[-1] if months else None


def _chain_sensor(step: Step, after: Step) -> dg.SensorDefinition:
    """Start `step` when `after` succeeds; a step of the run's newest month runs for the newest month with
    indicator values."""

    @dg.run_status_sensor(name=step.sensor, run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[after.job],
                          request_job=step.job, description=step.description, **CHAIN)
    def _sensor(context: dg.RunStatusSensorContext):
        if step.months == "none":
            return dg.RunRequest(run_key=f"{step.run_key}-{context.dagster_run.run_id}")
        month = _newest_month()
        if month is None:
            return dg.SkipReason("no indicator values yet")
        return dg.RunRequest(run_key=f"{step.run_key}-{context.dagster_run.run_id}", partition_key=partition_key(month))

    return _sensor


CHAIN_SENSORS = [_chain_sensor(step, after) for step, after in chain()]
indicators_after_month, outputs_after_indicators = CHAIN_SENSORS  # by name, for tests and the UI's docs


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[LAST.job],
                      description="After a month's outputs, e-mail each subscribed ICB its new concerning signals.",
                      **CHAIN)
def signals_email(context: dg.RunStatusSensorContext):
    """Sends through every configured channel (pipelines/notify/channels/: SMTP with MSI_SMTP_*) to
    <data-dir>/subscriptions.yaml. The run it follows has already succeeded and published its outputs: a
    failure here is reported (the sensor's tick fails with one line; the .eml files stay in the outbox for
    `msi notify`), never undone into the run. Each channel's record (sent.json for SMTP) keeps a
    re-evaluated tick from sending a message twice."""
    from pipelines.notify.channels import configured
    from pipelines.notify.outbox import notify_month

    layout = MsiSettings.from_env().layout
    if not layout.subscriptions.is_file():
        return dg.SkipReason(f"no subscriptions file at {layout.subscriptions}")
    channels = configured()
    if not channels:
        return dg.SkipReason("no sending channel is configured (MSI_SMTP_HOST is not set: no e-mail is sent); "
                             "msi notify --dry-run writes the messages")
    partition = context.dagster_run.tags.get("dagster/partition")
    month = from_partition_key(partition) if partition else None
    result = notify_month(layout, month, channels=channels, log=context.log.warning)
    for problem in result["problems"]:
        context.log.warning(problem)
    return dg.SkipReason(f"{result['month']}: sent {len(result['sent'])} message(s) "
                         f"({len(result.get('already_sent', []))} sent before)")
