"""Raw files for a month (pipelines/raw_files.py finds, generates or downloads them)."""

from pathlib import Path

import dagster as dg

from pipelines.months import from_partition_key
from pipelines.raw_files import locate_epd, locate_list_sizes, write_record
from pipelines.wiring.locking import writing
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings


@dg.asset(partitions_def=monthly_partitions, group_name="sources", kinds={"file"})
def epd_source_file(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """The published English Prescribing Dataset file for the month (ZIP or CSV)."""
    month = from_partition_key(context.partition_key)
    with writing(context, msi):  # raw/ is written (a download, the record)
        record = locate_epd(msi, month, context.log)
        path = Path(record["path"])
        record["bytes"] = path.stat().st_size
        write_record(msi.layout.raw_epd(month), {**record, "month": month})
    return dg.MaterializeResult(
        metadata={
            "source": record["source"],
            "file": dg.MetadataValue.path(str(path)),
            "bytes": record["bytes"],
            "published": record["published"],
        }
    )


@dg.asset(partitions_def=monthly_partitions, group_name="sources", kinds={"file"}, deps=[epd_source_file])
def list_size_source_files(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """NHS Digital's registered-patient files for the month (quinary ages, single-year females, map)."""
    month = from_partition_key(context.partition_key)
    record = locate_list_sizes(msi, month, context.log)
    with writing(context, msi):
        write_record(msi.layout.raw_list_sizes(month), record)
    return dg.MaterializeResult(
        metadata={
            "source": msi.source,
            "folder": record["folder"] or "none",
            "missing_files": ", ".join(record["missing"]) or "none",
        }
    )
