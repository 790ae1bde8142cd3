"""The Dagster code location: wiring only. Logic lives in the modules the assets call."""

from __future__ import annotations

import dagster as dg

from pipelines.outputs import registry
from pipelines.wiring.asset_checks import CHECKS
from pipelines.wiring.assets.indicators import indicator_practice_values, indicator_values_asset
from pipelines.wiring.assets.lake import month_assets
from pipelines.wiring.assets.notify import signals_email
from pipelines.wiring.assets.outputs import outputs_asset
from pipelines.wiring.assets.patient import patient_extract, patient_indicator_practice
from pipelines.wiring.assets.reference import reference_bnf, reference_organisations
from pipelines.wiring.automation import automation_sensor
from pipelines.wiring.jobs import email_job, indicators_job, outputs_job
from pipelines.wiring.resources import MsiSettings
from pipelines.wiring.schedules import monthly_schedule
from pipelines.wiring.sensors import nhsbsa_publication_sensor, signals_email_sensor
from pipelines.wiring.steps import steps

ASSETS: list[dg.AssetsDefinition | dg.SourceAsset] = [
    reference_organisations,
    reference_bnf,
    indicator_practice_values,
    signals_email,
]


PATIENT_ASSETS: list[dg.AssetsDefinition | dg.SourceAsset] = [patient_extract, patient_indicator_practice]


def build_definitions(settings: MsiSettings | None = None) -> dg.Definitions:
    settings = settings or MsiSettings.from_env()
    patient = bool(settings.patient_level_dir)  # the patient-level group exists only when configured
    return dg.Definitions(
        assets=ASSETS
        + month_assets()
        + [indicator_values_asset(patient), outputs_asset(registry.OUTPUTS)]
        + (PATIENT_ASSETS if patient else []),
        asset_checks=CHECKS,
        jobs=[step.job for step in steps(patient)] + [indicators_job, outputs_job, email_job],
        schedules=[monthly_schedule],
        sensors=[nhsbsa_publication_sensor, automation_sensor(registry.OUTPUTS), signals_email_sensor],
        executor=dg.in_process_executor,  # the runs the automation sensor starts, like every job (jobs.py)
        resources={"msi": settings},
    )


defs = build_definitions()
