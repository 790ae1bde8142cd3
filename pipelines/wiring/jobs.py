"""Jobs: the monthly graph (sources -> lake), every org level, the outputs, the reference tables and the
patient-level extract. Their order is declared once, in steps.py.

Every job runs its steps in the run's own process: each writing step holds the data directory's lock
(pipelines/lock.py), so steps would take turns anyway, and a process per step cost seconds of imports each."""

from __future__ import annotations

import dagster as dg


def _job(name: str, selection: dg.AssetSelection, description: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(name, selection=selection, description=description, executor_def=dg.in_process_executor)


monthly_job = _job(
    "monthly_job",
    dg.AssetSelection.groups("sources", "lake", "patient_level")
    | dg.AssetSelection.assets("indicator_practice_values"),
    "Everything for one month: raw files, the normalised month, list sizes, geography, practice values.",
)
indicators_job = _job(
    "indicators_job",
    dg.AssetSelection.assets("indicator_values"),
    "Rebuild every org level of every indicator for all months (after any monthly run).",
)
reference_job = _job(
    "reference_job",
    dg.AssetSelection.assets("reference_organisations", "reference_bnf"),
    "Observe the reference data (a hash of reference/ files): a change marks what reads them stale.",
)
outputs_job = _job(
    "outputs_job", dg.AssetSelection.groups("outputs"), "Excel extracts and the report site for one month."
)
email_job = _job(
    "email_job",
    dg.AssetSelection.groups("notify"),
    "Send the month's signals e-mail (started, and retried until sent, by signals_email_sensor).",
)
patient_extract_job = _job(
    "patient_extract_job",
    dg.AssetSelection.groups("patient_input"),
    "Check and load the patient-level extract (only when one is configured).",
)
