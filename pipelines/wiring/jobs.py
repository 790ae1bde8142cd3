"""Jobs: the monthly graph (sources -> lake) and the reference tables.

Every job runs its steps in the run's own process: each writing step holds the data directory's lock
(pipelines/lock.py), so steps would take turns anyway, and a process per step cost seconds of imports each."""

from __future__ import annotations

import dagster as dg

IN_PROCESS = dg.in_process_executor

monthly_job = dg.define_asset_job(
    "monthly_job", selection=dg.AssetSelection.groups("sources", "lake", "patient_level")
    | dg.AssetSelection.assets("indicator_practice_values"),
    description="Everything for one month: raw files, the normalised month, list sizes, geography, practice values.",
    executor_def=IN_PROCESS,
)
indicators_job = dg.define_asset_job(
    "indicators_job", selection=dg.AssetSelection.assets("indicator_values"),
    description="Rebuild every org level of every indicator for all months (after any monthly run).",
    executor_def=IN_PROCESS,
)
reference_job = dg.define_asset_job(
    "reference_job", selection=dg.AssetSelection.assets("reference_organisations", "reference_bnf"),
    description="Observe the reference data (a hash of reference/ files): a change marks what reads them stale.",
    executor_def=IN_PROCESS,
)
outputs_job = dg.define_asset_job(
    "outputs_job", selection=dg.AssetSelection.groups("outputs"),
    description="Excel extracts and the report site for one month.",
    executor_def=IN_PROCESS,
)
patient_extract_job = dg.define_asset_job(
    "patient_extract_job", selection=dg.AssetSelection.groups("patient_input"),
    description="Check and load the patient-level extract (only when one is configured).",
    executor_def=IN_PROCESS,
)
