"""The Parquet lake: normalised prescribing, list sizes and practice geography, one partition a month."""


from pathlib import Path

import dagster as dg

from pipelines.assets.reference import reference_organisations
from pipelines.assets.sources import epd_source_file, list_size_source_files, read_record
from pipelines.checks.prescribing_validation import validate_prescribing, write_validation
from pipelines.lake.prescribing import ingest_epd_month
from pipelines.months import from_partition_key
from pipelines.partitions import monthly_partitions
from pipelines.resources import MsiSettings
from pipelines.lake.list_sizes import ingest_list_sizes
from pipelines.lake.practice_geography import ingest_practice_geography
from pipelines.sources.nhs_digital import FILE_STEMS


@dg.asset(partitions_def=monthly_partitions, group_name="lake", kinds={"duckdb", "parquet"},
          deps=[epd_source_file, reference_organisations])  # the era's ICB codes the expectations check against
def prescribing_month(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """Every EPD row of the month with canonical columns, typed, in the published order; plus the month's
    practice dimension (names and addresses once per practice)."""
    month = from_partition_key(context.partition_key)
    layout = msi.layout
    record = read_record(layout.raw_epd(month), "EPD file", month)
    # Stage, check, then publish: the expectations run on the staged month; a failure publishes nothing.
    result = ingest_epd_month(Path(record["path"]), month, layout,
                              validate=lambda staged, geography: validate_prescribing(staged, month, geography, layout.tmp))
    write_validation(layout.raw_epd(month), result.validation)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": result.rows,
        "items": result.items,
        "practices": result.practices,
        "unidentified_rows": result.unidentified_rows,
        "header_flavour": f"{result.flavour} ({result.geography})",
        "encoding": result.encoding,
        "source_file": result.source_file,
        "published": record.get("published", ""),
        "path": dg.MetadataValue.path(str(result.prescribing_path)),
    })


def _nhs_digital_file(context, msi: MsiSettings, stem: str, instead: str) -> Path | None:
    """The month's folder of NHS Digital files, or None (with a warning saying what stands in) when the
    month's `stem` file was not published."""
    month = from_partition_key(context.partition_key)
    record = read_record(msi.layout.raw_list_sizes(month), "list-size files", month)
    if record.get("folder") is None or stem in record.get("missing", []):
        context.log.warning(f"{month}: no {stem} file; {instead}")
        return None
    return Path(record["folder"])


@dg.asset(partitions_def=monthly_partitions, group_name="lake", kinds={"duckdb", "parquet"},
          deps=[list_size_source_files])
def list_sizes(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """Registered patients per practice: total, by sex, 65+, 75+, and females 13-54 and 0-12."""
    month = from_partition_key(context.partition_key)
    folder = _nhs_digital_file(context, msi, FILE_STEMS["quin_age"], "the month's per-patient indicators use the "
                               "nearest earlier month's list sizes (or have no denominator)")
    if folder is None:
        return dg.MaterializeResult(metadata={"missing": FILE_STEMS["quin_age"], "written": False})
    info = ingest_list_sizes(folder, month, msi.layout)
    if not info["female_file"]:
        context.log.warning(f"{month}: no {FILE_STEMS['female']} file; the female denominators (valproate) are "
                            "NULL for the month")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": info["practices"], "patients": info["patients"],
        "extract_date": info["extract_date"], "files": ", ".join(info["files"]),
        "missing": "" if info["female_file"] else FILE_STEMS["female"],
        "path": dg.MetadataValue.path(info["path"]),
    })


@dg.asset(partitions_def=monthly_partitions, group_name="lake", kinds={"duckdb", "parquet"},
          deps=[list_size_source_files])
def practice_geography(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """Practice -> PCN -> sub-ICB -> ICB -> region for the month, from NHS Digital's practice map."""
    folder = _nhs_digital_file(context, msi, FILE_STEMS["map"], "the month uses the nearest earlier map, else the "
                               "EPD rows' own geography")
    if folder is None:
        return dg.MaterializeResult(metadata={"missing": FILE_STEMS["map"], "written": False})
    info = ingest_practice_geography(folder, from_partition_key(context.partition_key), msi.layout)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": info["practices"], "icbs": info["icbs"], "extract_date": info["extract_date"],
        "file": info["file"], "path": dg.MetadataValue.path(info["path"]),
    })
