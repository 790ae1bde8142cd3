"""The Parquet lake: normalised prescribing, list sizes and practice geography, one partition a month.

The three are one step (`lake_month`): each file is staged and checked, and the month is published only
when all have passed, so a refused EPD file publishes no list sizes or map and a refused NHS Digital file
publishes no EPD month (pipelines/lake/month.py)."""

from pathlib import Path

import dagster as dg

from pipelines.checks.prescribing_validation import validate_prescribing, write_validation
from pipelines.lake.month import ingest_month
from pipelines.months import from_partition_key
from pipelines.raw_files import read_record
from pipelines.sources.nhs_digital import FILE_STEMS
from pipelines.wiring.assets.reference import reference_organisations
from pipelines.wiring.assets.sources import epd_source_file, list_size_source_files
from pipelines.wiring.locking import writing
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings

prescribing_month = dg.AssetKey("prescribing_month")
list_sizes = dg.AssetKey("list_sizes")
practice_geography = dg.AssetKey("practice_geography")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            prescribing_month,
            group_name="lake",
            kinds={"duckdb", "parquet"},
            deps=[epd_source_file, reference_organisations],  # the era's ICB codes the suites check against
            description="Every EPD row of the month with canonical columns, typed, in the published "
            "order; plus the month's practice dimension (names and addresses once per practice).",
        ),
        dg.AssetSpec(
            list_sizes,
            group_name="lake",
            kinds={"duckdb", "parquet"},
            deps=[list_size_source_files],
            description="Registered patients per practice: total, by sex, 65+, 75+, and females 13-54 and 0-12.",
        ),
        dg.AssetSpec(
            practice_geography,
            group_name="lake",
            kinds={"duckdb", "parquet"},
            deps=[list_size_source_files],
            description="Practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's map.",
        ),
    ],
    partitions_def=monthly_partitions,
)
def lake_month(context: dg.AssetExecutionContext, msi: MsiSettings):
    """Stage, check, then publish the month's EPD file, list sizes and map together."""
    month = from_partition_key(context.partition_key)
    layout = msi.layout
    with writing(context, msi):
        epd = read_record(layout.raw_epd(month), "EPD file", month)
        lists = read_record(layout.raw_list_sizes(month), "list-size files", month)
        folder = Path(lists["folder"]) if lists.get("folder") else None
        missing = lists.get("missing", []) if folder else list(FILE_STEMS.values())
        with_lists, with_map = FILE_STEMS["quin_age"] not in missing, FILE_STEMS["map"] not in missing
        if not with_lists:
            context.log.warning(
                f"{month}: no {FILE_STEMS['quin_age']} file; the month's per-patient indicators use "
                "the nearest earlier month's list sizes (or have no denominator)"
            )
        if not with_map:
            context.log.warning(
                f"{month}: no {FILE_STEMS['map']} file; the month uses the nearest earlier map, else "
                "the EPD rows' own geography"
            )
        result = ingest_month(
            layout,
            month,
            Path(epd["path"]),
            folder,
            with_list_sizes=with_lists,
            with_map=with_map,
            validate=lambda staged, geography: validate_prescribing(staged, month, geography, layout.tmp),
            log=context.log.warning,
        )
        assert result.epd.validation is not None  # validate= was given, so the month was validated
        write_validation(layout.raw_epd(month), result.epd.validation)
    rx = result.epd
    yield dg.MaterializeResult(
        asset_key=prescribing_month,
        metadata={
            "dagster/row_count": rx.rows,
            "items": rx.items,
            "practices": rx.practices,
            "unidentified_rows": rx.unidentified_rows,
            "header_flavour": f"{rx.flavour} ({rx.geography})",
            "encoding": rx.encoding,
            "source_file": rx.source_file,
            "published": epd.get("published", ""),
            "path": dg.MetadataValue.path(str(rx.prescribing_path)),
        },
    )
    if result.list_sizes is None:
        yield dg.MaterializeResult(asset_key=list_sizes, metadata={"missing": FILE_STEMS["quin_age"], "written": False})
    else:
        info = result.list_sizes
        if not info["female_file"]:
            context.log.warning(
                f"{month}: no {FILE_STEMS['female']} file; the female denominators (valproate) are NULL for the month"
            )
        yield dg.MaterializeResult(
            asset_key=list_sizes,
            metadata={
                "dagster/row_count": info["practices"],
                "patients": info["patients"],
                "extract_date": info["extract_date"],
                "files": ", ".join(info["files"]),
                "missing": "" if info["female_file"] else FILE_STEMS["female"],
                "path": dg.MetadataValue.path(info["path"]),
            },
        )
    if result.geography is None:
        yield dg.MaterializeResult(
            asset_key=practice_geography, metadata={"missing": FILE_STEMS["map"], "written": False}
        )
    else:
        info = result.geography
        yield dg.MaterializeResult(
            asset_key=practice_geography,
            metadata={
                "dagster/row_count": info["practices"],
                "icbs": info["icbs"],
                "extract_date": info["extract_date"],
                "file": info["file"],
                "path": dg.MetadataValue.path(info["path"]),
            },
        )
