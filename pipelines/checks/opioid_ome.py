"""Asset check: how much of the month's opioid prescribing the OME could not read.

Warning only: the month's other indicators stand, but total OME undercounts by the share shown, and
the presentations behind it are named so that the override file (reference/opioid_name_overrides.csv)
or the name grammar can be extended.
"""

import dagster as dg
import polars as pl

from pipelines.assets.indicators import indicator_practice_values
from pipelines.bnf.ome import coverage
from pipelines.indicators.engine import OME_UNREAD_WARN_SHARE, opioid_presentations_without_ome
from pipelines.months import from_partition_key
from pipelines.resources import MsiSettings


def ome_coverage(path) -> dict:
    """Items of the month's in-scope opioid presentations, those without an OME, and which they are."""
    total, unread = coverage(pl.read_parquet(path, glob=False))
    share = unread / total if total else 0.0
    return {"items_in_scope": total, "items_without_ome": unread, "share": share,
            "passed": share <= OME_UNREAD_WARN_SHARE, "without": opioid_presentations_without_ome(path)}


@dg.asset_check(asset=indicator_practice_values, blocking=False,
                description=f"Warns when opioid items without an OME exceed {OME_UNREAD_WARN_SHARE:.1%} of the "
                            "month's in-scope opioid items, naming each presentation and why")
def opioid_ome_coverage(context: dg.AssetCheckExecutionContext, msi: MsiSettings) -> dg.AssetCheckResult:
    month = from_partition_key(context.partition_key)
    path = msi.layout.warehouse_file("opioid_ome", month)
    if not path.is_file():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                                   description=f"{path} is missing: run indicator_practice_values for {month}")
    c = ome_coverage(path)
    listed = "; ".join(f"{r['bnf_name']} ({r['items']} items: {r['reason']})" for r in c["without"][:10])
    return dg.AssetCheckResult(
        passed=c["passed"], severity=dg.AssetCheckSeverity.WARN,
        description=(f"{c['items_without_ome']:,} of {c['items_in_scope']:,} in-scope opioid items "
                     f"({c['share']:.2%}) have no OME" + (f": {listed}" if listed else "")),
        metadata={"items_in_scope": c["items_in_scope"], "items_without_ome": c["items_without_ome"],
                  "share": round(c["share"], 6), "presentations_without_ome": dg.MetadataValue.json(c["without"])},
    )
