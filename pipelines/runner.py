"""Run the asset graph in process for a list of months, against a persistent Dagster instance under the
data directory (so `msi serve` later shows the same run history)."""

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import dagster as dg

from pipelines.atomic import sweep_scratch
from pipelines.checks.gx_duckdb import describe_failed_rule
from pipelines.definitions import build_definitions
from pipelines.diskspace import disk_full_line, is_disk_full_text
from pipelines.lock import LockTimeout, data_lock
from pipelines.months import partition_key
from pipelines.resources import MsiSettings

DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""


# Dagster's console logger prints every step failure with its traceback; the CLI shows its own progress
# and one line per failure instead, and the tracebacks go to the log file (logs/msi.log).
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class RunFailed(RuntimeError):
    """A month's run failed; the message names the month, the step or rule, and where the details are."""


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


def log_path(settings: MsiSettings) -> Path:
    return settings.layout.log_file


def _failure_message(result, month: str, log: Path) -> str:
    """One line for the terminal; everything Dagster knows (tracebacks, check metadata) to the log."""
    details, line, check_line = [], None, None
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            details.append(f"step {event.step_key} failed:\n{err.to_string()}")
            cause = err
            while cause.cause is not None and cause.cls_name.startswith("Dagster"):
                cause = cause.cause  # our own exception (which says what and where), not Dagster's wrapper
            # Drop the exception's qualified class name; the message itself says what and where.
            message = re.sub(r"^(?:[\w.]*(?:Error|Exception)\w*|pipelines(?:\.\w+)+): ", "", cause.message.strip())
            line = line or f"{month}: step '{event.step_key}' failed: {message}"
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed = evaluation.metadata.get("failed")
            rules = failed.value if failed is not None else []
            details.append(f"check {evaluation.check_name} failed: {evaluation.description}\n"
                           + json.dumps(rules, indent=2, default=str))
            said = "; ".join(describe_failed_rule(r) for r in rules) or evaluation.description
            # A blocking check's failure also fails its step with a generic message: the rule is what to say.
            check_line = check_line or f"{month}: check '{evaluation.check_name}' failed: {said}"
    write_log(log, month, "\n".join(details))
    if is_disk_full_text("\n".join(details)):  # a step that met a full disk: say that, not the library's words
        return f"{month}: {disk_full_line(log.parent.parent)} (details: {log})"
    return f"{check_line or line or month + ': run failed'} (details: {log})"


def write_log(log: Path, what: str, details: str) -> None:
    """Append to the log file; on a full disk there may be no room even for that, and the console's one line
    must still be said."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat(timespec='seconds')} {what}\n{details}\n")
    except OSError:
        pass


@contextmanager
def _writer(settings: MsiSettings, what: str, on_month: Callable[[str, str], None] | None):
    """The data directory's lock for one job: its steps take it again (re-entrant), so the job's reads and
    writes are one state of the data; a second `msi run` waits, saying for whom, or fails naming the holder."""
    try:
        with data_lock(settings.layout.root, f"msi run: {what}",
                       on_wait=(lambda line: on_month(line, "waiting")) if on_month else None):
            yield
    except LockTimeout as exc:
        raise RunFailed(str(exc)) from None


def run_months(settings: MsiSettings, months: list[str], on_month: Callable[[str, str], None] | None = None,
               instance: dg.DagsterInstance | None = None, report: bool = True) -> list[MonthOutcome]:
    """Materialise reference tables once, the monthly job for each month in order, then every org level
    of the indicators and (for the last month) the extracts and the report site."""
    defs = build_definitions(settings)
    instance = instance or dagster_instance(settings)
    with _writer(settings, "start", on_month):
        sweep_scratch(settings.layout.tmp)  # what a killed run left behind
    outcomes = []
    reference = defs.resolve_job_def("reference_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                         run_config=QUIET)
    if not reference.success:
        raise RunFailed(_failure_message(reference, "reference tables", log_path(settings)))
    if settings.patient_level_dir:
        if on_month:
            on_month("patient-level extract", "patient")
        loaded = defs.resolve_job_def("patient_extract_job").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET)
        if not loaded.success:
            raise RunFailed(_failure_message(loaded, "patient-level extract", log_path(settings)))
    job = defs.resolve_job_def("monthly_job")
    for month in months:
        if on_month:
            on_month(month, "running")
        with _writer(settings, f"month {month}", on_month):
            result = job.execute_in_process(partition_key=partition_key(month), instance=instance,
                                            raise_on_error=False, run_config=QUIET)
        if not result.success:
            raise RunFailed(_failure_message(result, month, log_path(settings)))
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
    with _writer(settings, "indicator values", on_month):
        result = defs.resolve_job_def("indicators_job").execute_in_process(instance=instance, raise_on_error=False,
                                                                           run_config=QUIET)
    if not result.success:
        raise RunFailed(_failure_message(result, "indicator values", log_path(settings)))
    if months:
        if on_month:
            on_month(months[-1], "outputs")
        selection = [dg.AssetKey("icb_extracts")] + ([dg.AssetKey("report_site")] if report else [])
        with _writer(settings, f"{months[-1]} outputs", on_month):
            result = defs.resolve_job_def("outputs_job").execute_in_process(
                partition_key=partition_key(months[-1]), instance=instance, raise_on_error=False, run_config=QUIET,
                asset_selection=selection)
        if not result.success:
            raise RunFailed(_failure_message(result, f"{months[-1]} extracts and report", log_path(settings)))
    return outcomes
