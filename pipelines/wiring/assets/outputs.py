"""What ICB pharmacists and Medication Safety Officers open, one asset per entry of the outputs registry
(pipelines/outputs/registry.py: the extracts, the report site, and whatever is added there). One multi-asset,
because every output reads the same SPC and funnel assessment of every org's series (one Analysis)."""

import dagster as dg

from pipelines.months import from_partition_key
from pipelines.outputs import registry
from pipelines.outputs.analysis import SERIES_MONTHS, load_analysis
from pipelines.outputs.parallel import overlapped
from pipelines.wiring.automation import NEWEST_MONTH_AFTER_INDICATORS
from pipelines.wiring.locking import writing
from pipelines.wiring.metadata import shown
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


def outputs_asset(outputs: list[registry.Output]) -> dg.AssetsDefinition:
    """The month's outputs step: an asset per output, each written when selected, from one analysis."""

    @dg.multi_asset(
        name="monthly_outputs",
        specs=[
            dg.AssetSpec(
                o.asset,
                deps=READS,
                group_name="outputs",
                automation_condition=NEWEST_MONTH_AFTER_INDICATORS,
                kinds=set(o.kinds),
                description=o.description,
            )
            for o in outputs
        ],
        partitions_def=monthly_partitions,
        can_subset=True,
    )
    def monthly_outputs(context: dg.AssetExecutionContext, msi: MsiSettings):
        month = from_partition_key(context.partition_key)
        selected = [o for o in outputs if dg.AssetKey(o.asset) in context.selected_asset_keys]
        with writing(context, msi):
            analysis = load_analysis(msi.layout, month, msi.baseline)
            # Each prepared while the one before has its workers writing (pipelines/outputs/parallel.py).
            written = overlapped([o.in_steps(analysis) for o in selected])
        for o, (result, seconds) in zip(selected, written):  # reported once all are written (the lock released)
            yield dg.MaterializeResult(
                asset_key=o.asset, metadata={**shown(o.summary(result)), "seconds": round(seconds, 1)}
            )

    return monthly_outputs
