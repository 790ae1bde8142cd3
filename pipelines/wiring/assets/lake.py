"""The Parquet lake: one asset per dataset of the registry (pipelines/datasets/registry.py), one partition a
month, all made by one step (`lake_month`): each dataset is staged and checked, and the month is published
only when all have passed, so a refused EPD file publishes no list sizes or map and a refused NHS Digital
file publishes no EPD month (pipelines/datasets/month.py)."""

import dagster as dg

from pipelines.datasets import epd, nhs_digital, registry
from pipelines.datasets.dataset import Dataset
from pipelines.datasets.month import ingest_month
from pipelines.months import from_partition_key
from pipelines.wiring.assets.sources import source_assets
from pipelines.wiring.locking import writing
from pipelines.wiring.metadata import shown
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings

# The lake assets that what follows reads by name (indicators, checks).
prescribing_month = dg.AssetKey(epd.PRESCRIBING.asset)
list_sizes = dg.AssetKey(nhs_digital.LIST_SIZES.asset)
practice_geography = dg.AssetKey(nhs_digital.PRACTICE_MAP.asset)


def lake_asset(datasets: list[Dataset]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name="lake_month",
        specs=[
            dg.AssetSpec(
                d.asset,
                group_name="lake",
                kinds=set(d.kinds),
                deps=[d.source.asset, *d.reads],
                description=d.description,
            )
            for d in datasets
        ],
        partitions_def=monthly_partitions,
    )
    def _lake_month(context: dg.AssetExecutionContext, msi: MsiSettings):
        """Stage, check, then publish every dataset of the month together."""
        month = from_partition_key(context.partition_key)
        with writing(context, msi):
            published = ingest_month(msi.layout, month, datasets, context.log)
        for d in datasets:
            yield dg.MaterializeResult(asset_key=d.asset, metadata=shown(d.metadata(published[d.asset])))

    return _lake_month


def month_assets() -> list[dg.AssetsDefinition]:
    """A month's assets as the registry stands when called: each source's asset, then the lake step (the
    code location's, and those of the tests that materialise a month)."""
    return [*source_assets(registry.sources()), lake_asset(registry.DATASETS)]
