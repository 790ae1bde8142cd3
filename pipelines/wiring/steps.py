"""What a run asks for, in order: the reference tables, the patient-level extract when configured, then each
month (monthly_job). What follows a month (indicator values, then the newest month's extracts and report) is
not listed here: each of those assets declares its AutomationCondition (automation.py), which the automation
sensor evaluates for the daemon and `msi run` evaluates after its months (runner.run_months)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import dagster as dg

from pipelines.wiring.jobs import monthly_job, patient_extract_job, reference_job


@dataclass(frozen=True)
class Step:
    name: str  # what a failure line calls it ("{month}" is filled with the partition's month)
    job: dg.UnresolvedAssetJobDefinition
    months: Literal["none", "each"]  # unpartitioned; each month of the run
    progress: tuple[str, str] | None  # (what, state) for the CLI's progress line; None: not shown
    # `msi run` holds the data lock around the whole job, in this name (its steps take it again), so a second
    # run waits before it touches anything, Dagster's run storage included.
    lock: str
    patient_only: bool = False  # only when a patient-level extract is configured


STEPS: tuple[Step, ...] = (
    Step("reference tables", reference_job, "none", None, "reference tables"),
    Step(
        "patient-level extract",
        patient_extract_job,
        "none",
        ("patient-level extract", "patient"),
        "patient-level extract",
        patient_only=True,
    ),
    Step("{month}", monthly_job, "each", ("{month}", "running"), "month {month}"),
)


def steps(patient_level: bool) -> list[Step]:
    return [s for s in STEPS if patient_level or not s.patient_only]
