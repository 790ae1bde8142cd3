"""Run the asset graph in process for a list of months, against a persistent Dagster instance under the
data directory (so `msi serve` later shows the same run history)."""

import json
import os
import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.atomic import sweep_scratch
from pipelines.checks.gx_duckdb import describe_failed_rule
from pipelines.diskspace import disk_full_line, is_disk_full_text
from pipelines.environment import value
from pipelines.lock import LockTimeout, data_lock
from pipelines.months import from_partition_key, partition_key
from pipelines.outputs import registry
from pipelines.private import NotPrivate, check_private
from pipelines.runlog import write_log
from pipelines.settings import Settings
from pipelines.wiring.automation import automated
from pipelines.wiring.definitions import build_definitions
from pipelines.wiring.resources import as_resource
from pipelines.wiring.steps import steps

DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""
# With MSI_DAGSTER_POSTGRES_URL set: runs, events and schedules in PostgreSQL, so that the daemon, the UI and
# any number of runs share them without SQLite's one writer. The URL stays in the environment (it holds a
# password); the file names the variable.
POSTGRES_STORAGE = """\
storage:
  postgres:
    postgres_url:
      env: MSI_DAGSTER_POSTGRES_URL
"""


def dagster_yaml(env=None) -> str:
    """The instance's dagster.yaml: SQLite under the data directory, or PostgreSQL when configured."""
    return DAGSTER_YAML + (POSTGRES_STORAGE if value("MSI_DAGSTER_POSTGRES_URL", env) else "")


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
    warnings: dict = field(default_factory=dict)  # a failed warning check's description, by check name


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    home = settings.layout.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config, wanted = home / "dagster.yaml", dagster_yaml()
    if not config.is_file() or config.read_text() != wanted:  # msi owns this file: it follows the settings
        scratch = home / "dagster.yaml.tmp"
        scratch.write_text(wanted)
        scratch.replace(config)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.from_config(str(home))


def log_path(settings: Settings) -> Path:
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
            details.append(
                f"check {evaluation.check_name} failed: {evaluation.description}\n"
                + json.dumps(rules, indent=2, default=str)
            )
            said = "; ".join(describe_failed_rule(r) for r in rules) or evaluation.description
            # A blocking check's failure also fails its step with a generic message: the rule is what to say.
            check_line = check_line or f"{month}: check '{evaluation.check_name}' failed: {said}"
    write_log(log, month, "\n".join(details))
    if is_disk_full_text("\n".join(details)):  # a step that met a full disk: say that, not the library's words
        return f"{month}: {disk_full_line(log.parent.parent)} (details: {log})"
    return f"{check_line or line or month + ': run failed'} (details: {log})"


@contextmanager
def _writer(settings: Settings, what: str, on_month: Callable[[str, str], None] | None):
    """The data directory's lock for one job: its steps take it again (re-entrant), so the job's reads and
    writes are one state of the data; a second `msi run` waits, saying for whom, or fails naming the holder."""
    try:
        with data_lock(
            settings.layout.root,
            f"msi run: {what}",
            on_wait=(lambda line: on_month(line, "waiting")) if on_month else None,
        ):
            yield
    except LockTimeout as exc:
        raise RunFailed(str(exc)) from None


def run_months(
    settings: Settings,
    months: list[str],
    on_month: Callable[[str, str], None] | None = None,
    instance: dg.DagsterInstance | None = None,
    report: bool = True,
) -> list[MonthOutcome]:
    """The reference tables once, the patient-level extract when configured, the monthly job for each month
    (steps.py); then what the assets' automation conditions ask for (automation.py), evaluated by Dagster
    until they ask for nothing: indicator_values, then the newest month's extracts and report site."""
    settings = as_resource(settings)
    defs = build_definitions(settings)
    say = on_month or (lambda what, state: None)
    with _writer(settings, "start", on_month):
        # Opening the instance writes to Dagster's SQLite storage: a second run waits for the lock first.
        instance = instance or dagster_instance(settings)
        sweep_scratch(settings.layout.tmp)  # what a killed run left behind
        try:
            check_private(settings.layout)  # before any step: patient data open to others is refused
        except NotPrivate as exc:
            raise RunFailed(str(exc)) from None
    # The conditions fire on what updates after this first look (Dagster's newly_updated), as in the daemon.
    looked = dg.evaluate_automation_conditions(
        defs, instance, asset_selection=dg.AssetSelection.assets(*automated(registry.OUTPUTS))
    )
    outcomes = []
    for step in steps(patient_level=bool(settings.patient_level_dir)):
        job = defs.resolve_job_def(step.job.name)
        for month in list(months) if step.months == "each" else [None]:

            def fill(text: str, m: str | None = month) -> str:
                return text.format(month=m) if m else text

            if step.progress:
                say(fill(step.progress[0]), step.progress[1])
            with _writer(settings, fill(step.lock), on_month):
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config=QUIET,
                    partition_key=partition_key(month) if month else None,
                )
            if not result.success:
                raise RunFailed(_failure_message(result, fill(step.name), log_path(settings)))
            if month is not None:
                outcomes.append(_outcome(result, month))
                say(month, "done")
    _automate(settings, defs, instance, looked.cursor, on_month, report)
    return outcomes


MAX_AUTOMATED_ROUNDS = 10  # the chain is two rounds long; more would mean the conditions keep asking


def _automate(settings: Settings, defs: dg.Definitions, instance, cursor, on_month, report: bool) -> None:
    """Run what the automation conditions request, one run per partition as the automation sensor would,
    until they request nothing. `report=False` (`msi run --no-report`) leaves the optional outputs out (the
    report site)."""
    say = on_month or (lambda what, state: None)
    job = defs.resolve_implicit_global_asset_job_def()
    left_out = set() if report else {dg.AssetKey(o.asset) for o in registry.OUTPUTS if o.optional}
    wanted = dg.AssetSelection.assets(*automated(registry.OUTPUTS))
    for _ in range(MAX_AUTOMATED_ROUNDS):
        looked = dg.evaluate_automation_conditions(defs, instance, asset_selection=wanted, cursor=cursor)
        cursor = looked.cursor
        runs: dict[str, list[dg.AssetKey]] = {}
        for key in automated(registry.OUTPUTS):
            if key not in left_out:
                for partition in looked.get_requested_partitions(key):
                    runs.setdefault(partition or "", []).append(key)
        if not runs:
            return
        for partition in sorted(runs):  # "" (indicator_values, every month) before any month's outputs
            if partition:
                month = from_partition_key(partition)
                say(month, "outputs")
                name = f"{month} extracts and report"
            else:
                say("all months", "indicators")
                name = "indicator values"
            with _writer(settings, name, on_month):
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config=QUIET,
                    partition_key=partition or None,
                    asset_selection=runs[partition],
                )
            if not result.success:
                raise RunFailed(_failure_message(result, name, log_path(settings)))
    raise RunFailed(f"Dagster's automation conditions still asked for runs after {MAX_AUTOMATED_ROUNDS} rounds")


def _outcome(result, month: str) -> MonthOutcome:
    outcome = MonthOutcome(month)
    for event in result.get_asset_materialization_events():
        m = event.event_specific_data.materialization
        outcome.metadata[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}
    for evaluation in result.get_asset_check_evaluations():
        outcome.checks[evaluation.check_name] = evaluation.passed
        if not evaluation.passed and evaluation.description:
            outcome.warnings[evaluation.check_name] = evaluation.description
    return outcome


def run_job_once(settings: Settings, job_name: str, month: str) -> bool:
    """One job for one month on a throw-away instance, raising on failure (the benchmark's monthly step)."""
    result = (
        build_definitions(as_resource(settings))
        .resolve_job_def(job_name)
        .execute_in_process(
            partition_key=partition_key(month),
            instance=dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            raise_on_error=True,
        )
    )
    return result.success
