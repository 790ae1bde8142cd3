"""Asset check: how much of the month's opioid prescribing the OME could not read.

Warning only: the month's other indicators stand, but total OME undercounts by the share shown, and
the presentations behind it are named so that the override file (reference/opioid_name_overrides.csv)
or the name grammar can be extended.
"""

import dagster as dg
import polars as pl

from pipelines.assets.indicators import indicator_practice_values
from pipelines.bnf.ome import STATUS_OME, STATUS_UNREAD
from pipelines.indicators.engine import OME_UNREAD_WARN_SHARE, opioid_presentations_without_ome
from pipelines.months import from_partition_key
from pipelines.resources import MsiSettings


@dg.asset_check(asset=indicator_practice_values, blocking=False,
                description=f"Warns when opioid items without an OME exceed {OME_UNREAD_WARN_SHARE:.1%} of the "
                            "month's in-scope opioid items, naming each presentation and why")
def opioid_ome_coverage(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    path = msi.layout.warehouse_file("opioid_ome", month)
    frame = pl.read_parquet(path) if path.is_file() else None
    if frame is None:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   description=f"{path} is missing: run indicator_practice_values for {month}")
    counted = frame.filter(pl.col("status").is_in([STATUS_OME, STATUS_UNREAD]))
    total = int(counted["items"].sum() or 0)
    unread = int(counted.filter(pl.col("status") == STATUS_UNREAD)["items"].sum() or 0)
    share = unread / total if total else 0.0
    without = opioid_presentations_without_ome(path)
    return dg.AssetCheckResult(
        passed=share <= OME_UNREAD_WARN_SHARE, severity=dg.AssetCheckSeverity.WARN,
        description=(f"{unread:,} of {total:,} in-scope opioid items ({share:.2%}) have no OME"
                     + (": " + "; ".join(f"{r['bnf_name']} ({r['reason']})" for r in without[:10]) if without else "")),
        metadata={"items_in_scope": total, "items_without_ome": unread, "share": round(share, 6),
                  "presentations_without_ome": dg.MetadataValue.json(without)},
    )
