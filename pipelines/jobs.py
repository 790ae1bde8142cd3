"""Jobs: the monthly graph (sources -> lake) and the reference tables."""

from __future__ import annotations

import dagster as dg

monthly_job = dg.define_asset_job(
    "monthly_job", selection=dg.AssetSelection.groups("sources", "lake"),
    description="Everything for one month: raw files, the normalised prescribing month, list sizes, geography.",
)
reference_job = dg.define_asset_job("reference_job", selection=dg.AssetSelection.groups("reference"))
