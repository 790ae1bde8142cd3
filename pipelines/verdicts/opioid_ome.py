"""How much of the month's opioid prescribing the OME could not read (reported by the asset check
opioid_ome_coverage in pipelines/wiring/asset_checks.py).

Warning only: the month's other indicators stand, but total OME undercounts by the share shown, and
the presentations behind it are named so that the override file (reference/opioid_name_overrides.csv)
or the name grammar can be extended.
"""

import polars as pl

from pipelines.bnf.ome import coverage
from pipelines.indicators.engine import OME_UNREAD_WARN_SHARE, opioid_presentations_without_ome


def ome_coverage(path) -> dict:
    """Items of the month's in-scope opioid presentations, those without an OME, and which they are."""
    total, unread = coverage(pl.read_parquet(path, glob=False))
    share = unread / total if total else 0.0
    return {
        "items_in_scope": total,
        "items_without_ome": unread,
        "share": share,
        "passed": share <= OME_UNREAD_WARN_SHARE,
        "without": opioid_presentations_without_ome(path),
    }
