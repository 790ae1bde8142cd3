"""The one declared order of a monthly run's steps. `msi run` walks it in order (runner.run_months), and the
chain's run-status sensors are made from it (sensors.py: each chained step starts when the step before it
succeeds), so a new step is added here once and both paths take it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import dagster as dg

from pipelines.wiring.jobs import indicators_job, monthly_job, outputs_job, patient_extract_job, reference_job


@dataclass(frozen=True)
class Step:
    name: str  # what a failure line calls it ("{month}" is filled with the partition's month)
    job: dg.UnresolvedAssetJobDefinition
    months: Literal["none", "each", "last"]  # unpartitioned; each month of the run; the run's newest month
    progress: tuple[str, str] | None  # (what, state) for the CLI's progress line; None: not shown
    # `msi run` holds the data lock around the whole job, in this name (its steps take it again), so a second
    # run waits before it touches anything, Dagster's run storage included.
    lock: str
    patient_only: bool = False  # only when a patient-level extract is configured
    sensor: str | None = None  # chained: the run-status sensor that starts it after the step before
    run_key: str = ""  # chained: its run requests' key, before the triggering run's id
    description: str = ""
    without_report: tuple[str, ...] | None = None  # `msi run --no-report`: only these assets

    @property
    def chained(self) -> bool:
        return self.sensor is not None


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
    Step(
        "indicator values",
        indicators_job,
        "none",
        ("all months", "indicators"),
        "indicator values",
        sensor="indicators_after_month",
        run_key="after",
        description="After a month lands, rebuild indicator_values.",
    ),
    Step(
        "{month} extracts and report",
        outputs_job,
        "last",
        ("{month}", "outputs"),
        "{month} outputs",
        sensor="outputs_after_indicators",
        run_key="outputs",
        description="After indicator_values, refresh the newest month's outputs.",
        without_report=("icb_extracts",),
    ),
)


def steps(patient_level: bool) -> list[Step]:
    return [s for s in STEPS if patient_level or not s.patient_only]


def chain() -> list[tuple[Step, Step]]:
    """(step, the step whose success starts it) for every chained step, in order (patient-only steps
    run once, when the extract is loaded, and start nothing)."""
    order = steps(patient_level=False)
    return [(step, order[i - 1]) for i, step in enumerate(order) if step.chained]
