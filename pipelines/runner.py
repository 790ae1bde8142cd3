"""Run the asset graph in process for a list of months, against a persistent Dagster instance under the
data directory (so `msi serve` later shows the same run history)."""

import os
import re
from dataclasses import dataclass, field
from typing import Callable

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.months import partition_key
from pipelines.resources import MsiSettings

DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""


# Dagster's console logger is chatty at DEBUG; the CLI shows its own progress instead.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class RunFailed(RuntimeError):
    """A month's run failed; the message names the month, the step and the error."""


@dataclass
class MonthOutcome:
    month: str
    metadata: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)


def dagster_instance(settings: MsiSettings) -> dg.DagsterInstance:
    home = settings.layout.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.from_config(str(home))


def _failure_message(result, month: str) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            cause = err
            while cause.cause is not None:  # the user's own exception, not Dagster's wrapper
                cause = cause.cause
            # Drop the exception's qualified class name; the message itself says what and where.
            message = re.sub(r"^[\w.]*(Error|Exception)\w*: ", "", cause.message.strip())
            return f"{month}: step '{event.step_key}' failed: {message}"
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            return f"{month}: check '{evaluation.check_name}' failed: {evaluation.description}"
    return f"{month}: run failed"


def run_months(settings: MsiSettings, months: list[str], on_month: Callable[[str, str], None] | None = None,
               instance: dg.DagsterInstance | None = None, report: bool = True) -> list[MonthOutcome]:
    """Materialise reference tables once, the monthly job for each month in order, then every org level
    of the indicators and (for the last month) the extracts and the report site."""
    defs = build_definitions(settings)
    instance = instance or dagster_instance(settings)
    outcomes = []
    reference = defs.resolve_job_def("reference_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                         run_config=QUIET)
    if not reference.success:
        raise RunFailed(_failure_message(reference, "reference tables"))
    if settings.patient_level_dir:
        if on_month:
            on_month("patient-level extract", "patient")
        loaded = defs.resolve_job_def("patient_extract_job").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET)
        if not loaded.success:
            raise RunFailed(_failure_message(loaded, "patient-level extract"))
    job = defs.resolve_job_def("monthly_job")
    for month in months:
        if on_month:
            on_month(month, "running")
        result = job.execute_in_process(partition_key=partition_key(month), instance=instance, raise_on_error=False,
                                        run_config=QUIET)
        if not result.success:
            raise RunFailed(_failure_message(result, month))
        outcome = MonthOutcome(month)
        for event in result.get_asset_materialization_events():
            m = event.event_specific_data.materialization
            outcome.metadata[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}
        for evaluation in result.get_asset_check_evaluations():
            outcome.checks[evaluation.check_name] = evaluation.passed
        outcomes.append(outcome)
        if on_month:
            on_month(month, "done")
    if on_month:
        on_month("all months", "indicators")
    result = defs.resolve_job_def("indicators_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                       run_config=QUIET)
    if not result.success:
        raise RunFailed(_failure_message(result, "indicator values"))
    if months:
        if on_month:
            on_month(months[-1], "outputs")
        selection = [dg.AssetKey("icb_extracts")] + ([dg.AssetKey("report_site")] if report else [])
        result = defs.resolve_job_def("outputs_job").execute_in_process(
            partition_key=partition_key(months[-1]), instance=instance, raise_on_error=False, run_config=QUIET,
            asset_selection=selection)
        if not result.success:
            raise RunFailed(_failure_message(result, f"{months[-1]} extracts and report"))
    return outcomes
