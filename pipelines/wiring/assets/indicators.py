"""Indicator assets: practice values per month, then every org level for all months at once.

`indicator_values` is deliberately not partitioned: the 'current' geography re-bases every month on the
newest practice map, so when a month arrives (or a practice moves ICB) all history is rebuilt from the
small practice-level tables, which takes seconds. Its files are still one folder per month.
"""

import dagster as dg

from pipelines.indicators.engine import (
    build_warehouse,
    compute_practice_month,
    opioid_presentations_without_ome,
    public_indicators,
)
from pipelines.months import from_partition_key
from pipelines.tables import TABLES
from pipelines.wiring.assets.lake import list_sizes, practice_geography, prescribing_month
from pipelines.wiring.assets.reference import reference_bnf, reference_organisations
from pipelines.wiring.automation import AFTER_ANY_INPUT
from pipelines.wiring.locking import writing
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="indicators",
    kinds={"duckdb", "parquet"},
    deps=[prescribing_month, list_sizes, practice_geography, reference_bnf],
)
def indicator_practice_values(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """Numerator and denominator of every public-data indicator for every practice in the month, and the
    presentations that make each numerator."""
    month = from_partition_key(context.partition_key)
    with writing(context, msi):
        result = compute_practice_month(msi.layout, month)
    if result.list_size_month is None:
        context.log.warning(f"{month}: no list sizes in the lake; per-patient indicators have no denominator")
    elif result.list_size_month != month:
        context.log.warning(f"{month}: no list sizes for the month; using {result.list_size_month}'s")
    if result.practice_map_month is None:
        context.log.warning(
            f"{month}: no practice map in the lake; every identified cost centre counts as a practice "
            "and the EPD rows' own geography is used"
        )
    elif result.practice_map_month != month:
        context.log.warning(f"{month}: no practice map for the month; using {result.practice_map_month}'s")
    without = opioid_presentations_without_ome(result.opioid_ome_path)
    if result.opioid_items_without_ome:
        context.log.warning(
            f"{month}: {result.opioid_items_without_ome:,} of {result.opioid_items_in_scope:,} opioid "
            f"items ({result.opioid_share_without_ome:.2%}) add no OME: "
            + "; ".join(f"{r['bnf_name']} ({r['items']} items: {r['reason']})" for r in without[:5])
        )
    return dg.MaterializeResult(
        metadata={
            "practices": result.practices,
            "indicators": len(public_indicators()),
            "list_size_month": result.list_size_month or "none",
            "practice_map_month": result.practice_map_month or "none",
            "opioid_items_in_scope": result.opioid_items_in_scope,
            "opioid_items_without_ome": result.opioid_items_without_ome,
            "opioid_presentations_without_ome": dg.MetadataValue.json(without),
            "path": dg.MetadataValue.path(str(result.values_path)),
            "opioid_ome": dg.MetadataValue.path(str(result.opioid_ome_path)),
        }
    )


def indicator_values_asset(patient_level: bool) -> dg.AssetsDefinition:
    """`indicator_values`, depending on everything build_warehouse reads: every month's practice values
    (and, with a patient-level extract, the patient-level ones), the practice dimension and maps that
    place practices today, and the organisation reference data."""
    deps: list[dg.AssetsDefinition | dg.SourceAsset | dg.AssetKey] = [
        indicator_practice_values,
        prescribing_month,
        practice_geography,
        reference_organisations,
    ]
    if patient_level:
        deps.append(dg.AssetKey("patient_indicator_practice"))

    @dg.asset(
        name="indicator_values",
        group_name="indicators",
        kinds={"duckdb", "parquet"},
        deps=deps,
        automation_condition=AFTER_ANY_INPUT,
    )
    def indicator_values(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
        """Every indicator x month x org (practice, PCN, sub-ICB, ICB, region, England) in the 'current' and
        'as_published' geographies, with percentiles, deciles and the numerator breakdown."""
        with writing(context, msi):  # every month is rebuilt from the months listed inside the lock
            info = build_warehouse(msi.layout, patient_level=patient_level)
        for u in info["unplaced"]:
            context.log.warning(
                f"{u['month']}: {u['practices']} cost centre(s) with {u['items']:,} items cannot be "
                "placed in today's organisations; they count in England's rows only"
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": info["rows"],
                "months": f"{info['months'][0]} to {info['months'][-1]}",
                "current_geography_month": info["current_geography_month"] or "none (EPD only)",
                "unplaced_practices": dg.MetadataValue.json(info["unplaced"]),
                "practices_without_pcn": dg.MetadataValue.json(info["practices_without_pcn"]),
                "path": dg.MetadataValue.path(str(TABLES["indicator_values"].root(msi.layout))),
                "duckdb": dg.MetadataValue.path(str(msi.layout.views)),
            }
        )

    return indicator_values
