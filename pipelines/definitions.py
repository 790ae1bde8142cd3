"""The Dagster code location: wiring only. Logic lives in the modules the assets call."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.indicators import indicator_practice_values, indicator_values_asset
from pipelines.assets.lake import lake_month
from pipelines.assets.outputs import monthly_outputs
from pipelines.assets.reference import reference_bnf, reference_organisations
from pipelines.assets.sources import epd_source_file, list_size_source_files
from pipelines.checks.commissioners import prescribing_month_commissioners
from pipelines.checks.opioid_ome import opioid_ome_coverage
from pipelines.checks.prescribing import prescribing_month_expectations, prescribing_month_row_count_drift
from pipelines.assets.patient import patient_extract, patient_indicator_practice
from pipelines.jobs import indicators_job, monthly_job, outputs_job, patient_extract_job, reference_job
from pipelines.resources import MsiSettings
from pipelines.schedules import monthly_schedule
from pipelines.sensors import indicators_after_month, nhsbsa_publication_sensor, outputs_after_indicators, signals_email

ASSETS = [reference_organisations, reference_bnf, epd_source_file, list_size_source_files, lake_month,
          indicator_practice_values, monthly_outputs]
CHECKS = [prescribing_month_expectations, prescribing_month_row_count_drift, prescribing_month_commissioners,
          opioid_ome_coverage]


PATIENT_ASSETS = [patient_extract, patient_indicator_practice]


def build_definitions(settings: MsiSettings | None = None) -> dg.Definitions:
    settings = settings or MsiSettings.from_env()
    patient = bool(settings.patient_level_dir)  # the patient-level group exists only when configured
    return dg.Definitions(
        assets=ASSETS + [indicator_values_asset(patient)] + (PATIENT_ASSETS if patient else []),
        asset_checks=CHECKS,
        jobs=[monthly_job, indicators_job, outputs_job, reference_job] + ([patient_extract_job] if patient else []),
        schedules=[monthly_schedule],
        sensors=[nhsbsa_publication_sensor, indicators_after_month, outputs_after_indicators, signals_email],
        resources={"msi": settings},
    )


defs = build_definitions()
