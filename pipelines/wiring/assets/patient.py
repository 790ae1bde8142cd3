"""Patient-level assets: only in the code location when a patient-level extract is configured
(`msi run --patient-level DIR`, or MSI_PATIENT_LEVEL_DIR for `msi serve`)."""

from pathlib import Path

import dagster as dg

from pipelines.datasets.patient.stage import load_extract
from pipelines.indicators.patient import compute_patient_month, patient_indicators
from pipelines.months import from_partition_key
from pipelines.wiring.assets.lake import practice_geography
from pipelines.wiring.assets.reference import reference_bnf
from pipelines.wiring.locking import writing
from pipelines.wiring.partitions import monthly_partitions
from pipelines.wiring.resources import MsiSettings


@dg.asset(group_name="patient_input", kinds={"duckdb", "parquet"})
def patient_extract(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """The pseudonymised extract, checked against contract v1 by the Great Expectations suite and
    normalised into lake/patient/ (a failure names file, column and row and keeps the last good one)."""
    with writing(context, msi):
        summary = load_extract(Path(msi.patient_level_dir), msi.layout)
    return dg.MaterializeResult(
        metadata={
            "patients": summary.patients,
            "prescriptions": summary.prescriptions,
            "registrations": summary.registrations,
            "issues": f"{summary.first_issue} to {summary.last_issue}",
            "folder": dg.MetadataValue.path(summary.folder),
            "optional_flags": ", ".join(summary.flags) or "none (indicators that need one are not computed)",
        }
    )


@dg.asset(
    partitions_def=monthly_partitions,
    group_name="patient_level",
    kinds={"duckdb", "parquet"},
    deps=[patient_extract, practice_geography, reference_bnf],
)
def patient_indicator_practice(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """True patient counts for every patient-level indicator and practice: issues in the three calendar
    months ending with the month, ages and practice on its last day. Exact inside the data directory;
    disclosure control is applied where outputs leave it."""
    month = from_partition_key(context.partition_key)
    with writing(context, msi):
        result = compute_patient_month(msi.layout, month)
    for indicator_id, why in result.not_computed.items():
        context.log.warning(f"{indicator_id}: {why}")
    return dg.MaterializeResult(
        metadata={
            "window": f"{result.window_start} to {result.window_end}",
            "practices": result.practices,
            "indicators": len(patient_indicators()) - len(result.not_computed),
            "member_rows": result.members,
            "not_computed": dg.MetadataValue.json(result.not_computed),
            "path": dg.MetadataValue.path(str(result.values_path)),
        }
    )
