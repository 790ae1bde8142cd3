"""The month's signals e-mail as an asset: sending is a run of its own (email_job), so a failed send is a
failed run the Dagster UI shows with its one-line reason, and the signals_email sensor retries it until
every subscriber's message is sent (pipelines/wiring/sensors.py)."""

import dagster as dg

from pipelines.months import from_partition_key
from pipelines.notify.channels import NotifyError, configured
from pipelines.notify.outbox import notify_month
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="notify",
    kinds={"email"},
    deps=["icb_extracts"],
    description="Each subscribed ICB's message of new concerning signals, sent through every configured "
    "channel (SMTP with MSI_SMTP_*); fails, naming why, until every message is sent.",
)
def signals_email(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    month = from_partition_key(context.partition_key)
    channels = configured()
    if not channels:
        raise NotifyError("no sending channel is configured (MSI_SMTP_HOST is not set); nothing can be sent")
    result = notify_month(msi.layout, month, channels=channels, log=context.log.warning)
    if result["problems"]:  # a subscriber who gets nothing is a failure, not a warning
        raise NotifyError("; ".join(result["problems"]))
    return dg.MaterializeResult(
        metadata={
            "sent": len(result["sent"]),
            "sent_before": len(result.get("already_sent", [])),
            "outbox": dg.MetadataValue.path(str(result["folder"])),
        }
    )
