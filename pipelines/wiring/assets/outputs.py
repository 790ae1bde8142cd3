"""What ICB pharmacists and Medication Safety Officers open: per-ICB Excel extracts and the report site.
One multi-asset, because both read the same SPC and funnel assessment of every org's series."""

import time

import dagster as dg

from pipelines.months import from_partition_key
from pipelines.outputs.analysis import SERIES_MONTHS, load_analysis
from pipelines.outputs.extracts import write_extracts
from pipelines.outputs.report.site import build_site
from pipelines.wiring.automation import NEWEST_MONTH_AFTER_INDICATORS
from pipelines.wiring.locking import writing
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings

# Everything the outputs read comes through the analysis step (pipelines/outputs/analysis.py): every org's
# values, deciles and breakdowns (indicator_values), and from the months' practice steps the products behind
# each practice's numerator, the OME record and the presentations seen (the SPC window of months back).
READS = [
    dg.AssetDep("indicator_values"),
    dg.AssetDep(
        "indicator_practice_values",
        partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-(SERIES_MONTHS - 1), end_offset=0),
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "icb_extracts",
            deps=READS,
            group_name="outputs",
            automation_condition=NEWEST_MONTH_AFTER_INDICATORS,
            kinds={"excel", "csv"},
            description="Per-ICB Excel workbooks and the all-ICB CSV for the month (current geography).",
        ),
        dg.AssetSpec(
            "report_site",
            deps=READS,
            group_name="outputs",
            automation_condition=NEWEST_MONTH_AFTER_INDICATORS,
            kinds={"html"},
            description="Offline report site: England, every ICB and every practice for the month.",
        ),
    ],
    partitions_def=monthly_partitions,
    can_subset=True,
)
def monthly_outputs(context: dg.AssetExecutionContext, msi: MsiSettings):
    month = from_partition_key(context.partition_key)
    started = time.time()
    selected = context.selected_asset_keys
    extracts = site = None
    with writing(context, msi):
        analysis = load_analysis(msi.layout, month, msi.baseline)
        if dg.AssetKey("icb_extracts") in selected:
            extracts = write_extracts(analysis)
        if dg.AssetKey("report_site") in selected:
            site = build_site(analysis)
    if extracts is not None:
        yield dg.MaterializeResult(
            asset_key="icb_extracts",
            metadata={
                "workbooks": extracts["workbooks"],
                "folder": dg.MetadataValue.path(str(extracts["folder"])),
                "csv": dg.MetadataValue.path(str(extracts["csv"])),
            },
        )
    if site is None:
        return
    yield dg.MaterializeResult(
        asset_key="report_site",
        metadata={
            "index": dg.MetadataValue.path(str(site["index"])),
            "icb_pages": site["icb_pages"],
            "pcn_pages": site["pcn_pages"],
            "practice_pages": site["practice_pages"],
            "seconds": round(time.time() - started, 1),
        },
    )
