"""`msi`: run the medication-safety pipeline from the command line."""

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.datasets import registry as datasets
from pipelines.datasets.sample import DEFAULT_SEED, DEMO_MONTHS, ensure_sample_month, sample_folder, write_sample_month
from pipelines.layout import resolve_data_dir
from pipelines.months import month_range
from pipelines.settings import DEFAULT_BASELINE, SOURCES, Settings
from pipelines.tables import TABLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
console = Console()


def _months(spec: str) -> list[str]:
    try:
        return month_range(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _partition_months(spec: str) -> list[str]:
    """Months a run may process: within the monthly partitions, else one line saying the range."""
    from pipelines.months import months_outside

    months = _months(spec)
    reason = months_outside(months)
    if reason:
        raise click.BadParameter(reason, param_hint="--months")
    return months


def check_source(source: str, epd_dir: str, list_size_dir: str) -> None:
    """What a source needs, said in one line before any work (`msi run` and `msi serve` alike)."""
    if source == "local" and not epd_dir:
        raise click.UsageError("--source local needs --epd-dir (the folder of EPD files; or MSI_EPD_DIR)")
    if source in ("local", "nhsbsa") and not list_size_dir:
        raise click.UsageError(
            f"--source {source} needs --list-size-dir (NHS Digital files in YYYY-MM folders; or MSI_LIST_SIZE_DIR)"
        )
    for flag, folder in (("--epd-dir", epd_dir), ("--list-size-dir", list_size_dir)):
        if folder and not Path(folder).is_dir():
            raise click.UsageError(f"{flag} {folder}: no such folder")


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the lake and outputs go (default: $MSI_DATA_DIR or ./data).",
)


@click.group()
def main() -> None:
    """Medication Safety Indicators: English Prescribing Dataset -> ICB medication-safety indicators."""
    check_environment()


def check_environment() -> None:
    """Every MSI_* variable checked before any work: a bad value is one line naming it (exit 2); a variable
    nobody reads (a misspelling) is said, not silently ignored."""
    from pipelines import environment
    from pipelines.notify.channels import plugged_in_variables

    problems = environment.check()
    for problem in problems:
        console.print(f"[red]msi: {problem}[/red]", highlight=False, soft_wrap=True)
    if problems:
        raise SystemExit(2)
    for name in environment.unknown(also=plugged_in_variables()):
        console.print(
            f"[yellow]msi: {name} is set but nothing reads it (is it misspelt? `msi --help` "
            "and the README list every MSI_ variable)[/yellow]",
            highlight=False,
            soft_wrap=True,
        )


def run_pipeline(settings: Settings, months: list[str], pregenerate: bool, report: bool = True) -> list:
    from pipelines.wiring.runner import RunFailed, run_months  # imports Dagster: keep `msi --help` fast

    started = time.time()
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
        ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        # The sample's files are written by a second process, month by month, while Dagster ingests the
        # months already written (the assets would otherwise generate each month in turn, in series).
        # Spawned, not forked: a fork after polars has started its thread pool can deadlock the child.
        out = sample_folder(settings.layout.sample_dir, settings.sample_scale, settings.sample_seed)
        pending = (
            {m: pool.submit(ensure_sample_month, m, out, settings.sample_scale, settings.sample_seed) for m in months}
            if pregenerate
            else {}
        )
        task = progress.add_task("months through Dagster", total=len(months))

        def on_month(month: str, state: str) -> None:
            if state == "running":
                progress.update(
                    task,
                    description=f"month {month}"
                    + (" (writing sample)" if month in pending and not pending[month].done() else ""),
                )
                if month in pending:
                    pending[month].result()
            elif state == "indicators":
                progress.update(task, description="indicators, every org level")
            elif state == "patient":
                progress.update(task, description="checking the patient-level extract")
            elif state == "outputs":
                progress.update(task, description=f"extracts and report site for {month}")
            elif state == "waiting":  # `month` is the line saying whose lock this run waits for
                progress.console.print(f"[yellow]{month}[/yellow]", highlight=False, soft_wrap=True)
            else:
                progress.advance(task)

        try:
            outcomes = run_months(settings, months, on_month, report=report)
        except RunFailed as exc:
            progress.stop()
            console.print(f"[red]Failed[/red] {exc}", highlight=False, soft_wrap=True)
            console.print(f"Earlier months' data is untouched under {settings.layout.lake}.", soft_wrap=True)
            raise SystemExit(1) from None
        except Exception as exc:  # noqa: BLE001 - anything else: one line here, the traceback in the log
            progress.stop()
            console.print(f"[red]Failed[/red] {unexpected(exc, settings.layout)}", highlight=False, soft_wrap=True)
            console.print(f"Earlier months' data is untouched under {settings.layout.lake}.", soft_wrap=True)
            raise SystemExit(1) from None
    _summary(settings, outcomes, time.time() - started)
    return outcomes


def unexpected(exc: BaseException, layout) -> str:
    """One line for an error no step turned into one (a full disk under Dagster's run storage, say); the
    traceback goes to the log file."""
    import traceback

    from pipelines.diskspace import disk_full_line, is_disk_full
    from pipelines.runlog import write_log

    write_log(layout.log_file, "unexpected error", "".join(traceback.format_exception(exc)))
    if is_disk_full(exc):
        return f"{disk_full_line(layout.root)} (details: {layout.log_file})"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first} (details: {layout.log_file})"


def stand_ins(outcome) -> str:
    """What a month lacked and which month's data stood in, from its assets' metadata."""
    sources = outcome.metadata.get("list_size_source_files", {})
    values = outcome.metadata.get("indicator_practice_values", {})
    notes = []
    missing = sources.get("missing_files", "none")
    if missing != "none":
        notes.append(f"no {missing} file(s)")
    if "sing-age-female" in missing:
        notes.append("valproate has no denominator")
    lists, geography = values.get("list_size_month"), values.get("practice_map_month")
    if lists and lists != outcome.month:
        notes.append(f"list sizes of {lists} stood in" if lists != "none" else "no list sizes at all")
    if geography and geography != outcome.month:
        notes.append(
            f"practice map of {geography} stood in"
            if geography != "none"
            else "no practice map at all: every cost centre counted, the EPD rows' own geography used"
        )
    return "; ".join(notes)


def read_from(outcome) -> str:
    """The file a month's EPD was read from, its size and when it was published, from the source asset."""
    source = outcome.metadata.get("epd_source_file", {})
    if not source.get("file"):
        return "EPD file not recorded"
    size = source.get("bytes") or 0
    shown = f"{size:,} bytes" if size < 1e6 else f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:,.2f} GB"
    return f"EPD read from {source['file']} ({shown}; {source.get('published') or 'publication time unknown'})"


def _summary(settings: Settings, outcomes: list, seconds: float) -> None:
    table = Table(title="Months processed")
    for col in ("month", "EPD rows", "items", "practices", "registered patients", "checks"):
        table.add_column(col, justify="right" if col not in ("month", "checks") else "left")
    for o in outcomes:
        rx = o.metadata.get("prescribing_month", {})
        ls = o.metadata.get("list_sizes", {})
        checks = "all passed" if all(o.checks.values()) else ", ".join(k for k, v in o.checks.items() if not v)
        table.add_row(
            o.month,
            f"{rx.get('dagster/row_count', 0):,}",
            f"{rx.get('items', 0):,}",
            f"{rx.get('practices', 0):,}",
            f"{ls.get('patients', 0):,}",
            checks,
        )
    console.print(table)
    for o in outcomes:  # which file each month was read from, and what it lacked and what stood in
        console.print(f"{o.month}: {read_from(o)}", highlight=False, soft_wrap=True)
        if notes := stand_ins(o):
            console.print(f"[yellow]{o.month}[/yellow]: {notes}")
        if "prescribing_month_coverage" in o.warnings:  # a whole ICB missing is said, not only listed
            console.print(
                f"[bold yellow]warning[/bold yellow] {o.warnings['prescribing_month_coverage']}",
                highlight=False,
                soft_wrap=True,
            )
        for indicator_id, why in (o.metadata.get("patient_indicator_practice", {}).get("not_computed") or {}).items():
            console.print(f"[yellow]{o.month}[/yellow]: {indicator_id} {why}")
    layout = settings.layout
    if outcomes and (
        failure := email_failure_line(
            layout, outcomes[-1].month, "msi serve's signals_email_sensor tries again; `msi notify` sends it now"
        )
    ):
        console.print(f"[yellow]{failure}[/yellow]", highlight=False, soft_wrap=True)
    console.print(f"Finished {len(outcomes)} months in {seconds:.0f} s. Outputs:")
    console.print(f"  lake (Parquet, one folder per month): {layout.lake}")
    lake_tables = datasets.month_tables()  # every dataset's, from its registry line
    width = max(len(t.name) for t in lake_tables) + 1
    for lake_table in lake_tables:
        console.print(f"    {lake_table.name + ':':{width}} {lake_table.root(layout)}")
    if outcomes and layout.report(outcomes[-1].month).is_dir():
        last = outcomes[-1].month
        console.print(f"  [bold]report site[/bold] (open in a browser):  {layout.reports / 'index.html'}")
        console.print(f"  [bold]ICB Excel extracts[/bold]:               {layout.extracts(last)}")
    if settings.patient_level_dir:
        console.print(
            f"  patient-level extract (checked, internal): {layout.lake / 'patient'} from "
            f"{settings.patient_level_dir}; its indicators (pl_*, grain 'patient') are in the "
            "extracts and report with counts of 1-7 suppressed and others rounded to 5"
        )
    console.print(f"  indicator values (Parquet per month):  {TABLES['indicator_values'].root(layout)}")
    console.print(f"  DuckDB views (indicator_values, ...):  {layout.views}")
    console.print(f"  raw source records:                   {layout.raw}")
    console.print(f"  Dagster run history (see `msi serve`): {layout.dagster_home}")


def email_failure_line(layout, month: str, then: str) -> str | None:
    """The month's last failed e-mail send, in one line, until a send succeeds (pipelines/notify/outbox.py)."""
    from pipelines.notify.outbox import last_failure

    failure = last_failure(layout, month)
    if failure is None:
        return None
    return (
        f"e-mail: the last send for {month} failed at {failure.get('at')} ({failure.get('channel')}): "
        f"{failure.get('error')}; {then}"
    )


PATIENT_SAMPLE_PATIENTS = 1_000_000


def write_patient_extract(out: Path, months: list[str], patients: int, seed: int, fmt: str = "parquet") -> dict:
    from pipelines.datasets.patient.sample import issue_months, sample_practices, write_patient_sample

    return write_patient_sample(out, sample_practices(months[-1], seed), issue_months(months), patients, seed, fmt)


@main.command()
@data_dir_option
@click.option("--months", default=DEMO_MONTHS, show_default=True, help="Months to run, YYYY-MM:YYYY-MM.")
@click.option(
    "--patient-level",
    is_flag=True,
    help="Also generate a synthetic pseudonymised extract (1 M patients) and compute the "
    "patient-level indicators next to their public-data proxies.",
)
def demo(data_dir: str | None, months: str, patient_level: bool) -> None:
    """Run the whole pipeline on the built-in England-like sample."""
    settings = Settings(data_dir=str(resolve_data_dir(data_dir)), source="sample", sample_scale="demo")
    chosen = _partition_months(months)
    console.print(f"[bold]msi demo[/bold]: built-in sample, months {months}, data in {settings.layout.root}")
    if patient_level:
        folder = settings.layout.sample_dir / f"patient-level-seed{settings.sample_seed}-{chosen[0]}-{chosen[-1]}"
        if not (folder / "prescriptions.parquet").is_file():
            info = write_patient_extract(folder, chosen, PATIENT_SAMPLE_PATIENTS, settings.sample_seed)
            console.print(
                f"synthetic patient-level extract: {info['patients']:,} patients, "
                f"{info['prescriptions']:,} issues -> {folder}"
            )
        settings = Settings(
            data_dir=str(settings.layout.root), source="sample", sample_scale="demo", patient_level_dir=str(folder)
        )
    run_pipeline(settings, chosen, pregenerate=True)
    subscriptions = settings.layout.subscriptions
    if not subscriptions.exists():  # so that `msi notify --dry-run` works on the demo at once
        shutil.copyfile(Path(__file__).resolve().parent / "notify" / "subscriptions.example.yaml", subscriptions)
        where = "" if settings.layout.root == resolve_data_dir(None) else f" --data-dir {settings.layout.root}"
        console.print(f"example e-mail subscriptions: {subscriptions} (try `uv run msi notify --dry-run{where}`)")


@main.command()
@data_dir_option
@click.option("--months", required=True, help="Months to run, YYYY-MM or YYYY-MM:YYYY-MM.")
@click.option("--source", type=click.Choice(SOURCES), default="sample", show_default=True)
@click.option("--epd-dir", type=click.Path(file_okay=False), default="", help="--source local: EPD files.")
@click.option(
    "--list-size-dir",
    type=click.Path(file_okay=False),
    default="",
    help="NHS Digital registered-patient files, one YYYY-MM folder per month.",
)
@click.option("--ckan-url", default=None, help="NHSBSA CKAN API base (default: the live portal).")
@click.option("--scale", type=click.Choice(["demo", "national"]), default="demo", help="--source sample only.")
@click.option(
    "--report/--no-report",
    default=True,
    show_default=True,
    help="Also build the report site for the last month (the Excel extracts are always written).",
)
@click.option(
    "--patient-level",
    "patient_level",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="A pseudonymised patient-level extract (prescriptions + registrations, contract v1): "
    "adds the patient-level indicators.",
)
@click.option(
    "--baseline",
    default=DEFAULT_BASELINE,
    show_default=True,
    envvar="MSI_BASELINE",
    help="The period the extracts and report measure change against, YYYY-MM:YYYY-MM.",
)
def run(data_dir, months, source, epd_dir, list_size_dir, ckan_url, scale, report, patient_level, baseline) -> None:
    """Run the asset graph for chosen months from the sample, NHSBSA or local files."""
    _months(baseline)  # a malformed baseline is a one-line error before anything runs
    settings = Settings(
        data_dir=str(resolve_data_dir(data_dir)),
        source=source,
        epd_dir=epd_dir or "",
        list_size_dir=list_size_dir or "",
        sample_scale=scale,
        patient_level_dir=str(Path(patient_level).resolve()) if patient_level else "",
        baseline=baseline,
        **({"ckan_base_url": ckan_url} if ckan_url else {}),
    )
    check_source(source, epd_dir, list_size_dir)
    run_pipeline(settings, _partition_months(months), pregenerate=source == "sample", report=report)


@main.command()
@click.option("--months", required=True, help="Months to write, YYYY-MM or YYYY-MM:YYYY-MM.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option(
    "--scale",
    type=click.Choice(["demo", "national"]),
    default="demo",
    show_default=True,
    help="national: a full-volume month (~18 M rows, ~7 GB of CSV).",
)
@click.option("--zip", "zip_epd", is_flag=True, help="Also write the EPD file zipped, as NHSBSA serves it.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True)
@click.option(
    "--dataset",
    type=click.Choice(["auto", "snomed", "epd"]),
    default="auto",
    show_default=True,
    help="auto: what NHSBSA serves (EPD with SNOMED code from Nov 2020); epd: the retired EPD_YYYYMM files.",
)
@click.option(
    "--patient-level",
    is_flag=True,
    help="Write a synthetic patient-level extract (contract v1) for the months instead of EPD files.",
)
@click.option("--patients", type=int, default=PATIENT_SAMPLE_PATIENTS, show_default=True, help="--patient-level only.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="--patient-level only.",
)
def sample(
    months: str,
    out: str,
    scale: str,
    zip_epd: bool,
    seed: int,
    dataset: str,
    patient_level: bool,
    patients: int,
    fmt: str,
) -> None:
    """Write sample input files in the real published formats (or a patient-level extract)."""
    if patient_level:
        started = time.time()
        info = write_patient_extract(Path(out), _months(months), patients, seed, fmt)
        console.print(
            f"patient-level extract: {info['patients']:,} patients, {info['prescriptions']:,} issues "
            f"({info['months']}), {info['registrations']:,} registrations -> {out} "
            f"in {time.time() - started:.1f} s"
        )
        return
    for month in _months(months):
        started = time.time()
        try:
            result = write_sample_month(
                month,
                Path(out),
                scale=scale,
                seed=seed,
                zip_epd=zip_epd,
                dataset=None if dataset == "auto" else dataset,
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        console.print(
            f"{month}: {result.rows:,} EPD rows -> {result.epd_path} "
            f"(+ {len(result.list_size_paths)} list-size files) in {time.time() - started:.1f} s"
        )


@main.group(invoke_without_command=True)
@click.pass_context
def indicators(ctx: click.Context) -> None:
    """List the indicator catalogue (`msi indicators show ID` for one definition)."""
    if ctx.invoked_subcommand is not None:
        return
    from indicators.catalogue import catalogue

    for ind in catalogue().values():
        flags = [ind.unit_label, ind.direction, ind.grain, f"v{ind.definition_version}"]
        if ind.proxy:
            flags.append("ECOLOGICAL PROXY")
        click.echo(f"{ind.id}\n    {ind.title}\n    [{'; '.join(flags)}]")


@indicators.command("show")
@click.argument("indicator_id")
@data_dir_option
def indicators_show(indicator_id: str, data_dir: str | None) -> None:
    """Print one definition with its codes expanded against the presentations actually seen."""
    from indicators.catalogue import catalogue
    from pipelines.indicators.describe import describe, presentations_seen
    from pipelines.layout import Layout

    found = catalogue().get(indicator_id)
    if found is None:
        raise click.UsageError(f"no indicator {indicator_id!r}; `msi indicators` lists them")
    seen, label = presentations_seen(Layout(resolve_data_dir(data_dir)))
    click.echo(describe(found, seen, label))


@main.command()
@data_dir_option
@click.option("--month", default=None, help="The data month (default: the newest with outputs).")
@click.option(
    "--subscriptions",
    type=click.Path(dir_okay=False),
    default=None,
    help="The subscriptions file (default: <data-dir>/subscriptions.yaml).",
)
@click.option("--dry-run", is_flag=True, help="Write the .eml files to <data-dir>/outbox/<month>/ and send nothing.")
@click.option("--resend", is_flag=True, help="Send again messages sent.json records as already sent.")
def notify(data_dir: str | None, month: str | None, subscriptions: str | None, dry_run: bool, resend: bool) -> None:
    """Send each subscribed ICB the month's new concerning signals (e-mail: MSI_SMTP_*)."""
    from pipelines.lock import LockTimeout
    from pipelines.notify.channels import NotifyError, configured
    from pipelines.notify.outbox import notify_month
    from pipelines.notify.subscriptions import SubscriptionError

    layout = Settings(data_dir=str(resolve_data_dir(data_dir))).layout
    from pipelines.outputs.analysis import available_months

    months = available_months(layout)
    newest = month or (months[-1] if months else None)
    if newest and not dry_run and (failure := email_failure_line(layout, newest, "sending again")):
        console.print(f"[yellow]{failure}[/yellow]", highlight=False, soft_wrap=True)
    try:
        channels = [] if dry_run else configured()
        result = notify_month(
            layout,
            month,
            Path(subscriptions) if subscriptions else None,
            dry_run=dry_run,
            channels=channels,
            resend=resend,
            log=lambda line: console.print(f"[yellow]{line}[/yellow]"),
        )
    except (SubscriptionError, NotifyError, FileNotFoundError, LockTimeout) as exc:
        console.print(f"[red]msi notify: {exc}[/red]", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except Exception as exc:  # noqa: BLE001 - one line here, the traceback in the log
        console.print(f"[red]msi notify: {unexpected(exc, layout)}[/red]", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    for key, path in result["files"].items():
        state = (
            "written (dry run)"
            if dry_run
            else "sent"
            if key in result["sent"]
            else "already sent (--resend to send again)"
        )
        console.print(f"{key}: {result['signals'][key]} to act on first, {state} -> {path}", highlight=False)
    for problem in result["problems"]:
        console.print(f"[red]msi notify: {problem}[/red]", highlight=False, soft_wrap=True)
    if result["problems"]:  # a subscriber who gets nothing is a failure, not a warning
        raise SystemExit(1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """National-scale benchmark (same as `python -m bench`; options: --data DIR, --repeats N)."""
    try:
        from bench.run import main as bench_main
    except ModuleNotFoundError:
        console.print(
            "[red]msi bench: the benchmark runs from a source checkout (bench/ is not installed with "
            "msi): clone the repository and run `uv run msi bench` there.[/red]",
            highlight=False,
        )
        raise SystemExit(1) from None

    bench_main(ctx.args)


@main.command()
@data_dir_option
@click.option("--port", default=3000, show_default=True)
@click.option(
    "--source",
    type=click.Choice(SOURCES),
    envvar="MSI_SOURCE",
    default=None,
    help="Where scheduled and sensor runs read the EPD: nhsbsa (the live portal), local (--epd-dir) or "
    "sample (synthetic, the default only when nothing is said). Also MSI_SOURCE.",
)
@click.option(
    "--epd-dir",
    envvar="MSI_EPD_DIR",
    type=click.Path(file_okay=False),
    default="",
    help="--source local: EPD files. Also MSI_EPD_DIR.",
)
@click.option(
    "--list-size-dir",
    envvar="MSI_LIST_SIZE_DIR",
    type=click.Path(file_okay=False),
    default="",
    help="NHS Digital registered-patient files, one YYYY-MM folder per month. Also MSI_LIST_SIZE_DIR.",
)
@click.option(
    "--ckan-url", envvar="MSI_CKAN_URL", default=None, help="NHSBSA CKAN API base (default: the live portal)."
)
@click.option(
    "--patient-level",
    "patient_level",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="A patient-level extract: the code location then includes the patient-level assets.",
)
def serve(
    data_dir: str | None,
    port: int,
    source: str | None,
    epd_dir: str,
    list_size_dir: str,
    ckan_url: str | None,
    patient_level: str | None,
) -> None:
    """Start the Dagster UI and daemon (schedules and sensors run) with a persistent DAGSTER_HOME."""
    from pipelines.wiring.runner import dagster_instance

    check_source(source or "sample", epd_dir, list_size_dir)
    settings = Settings(data_dir=str(resolve_data_dir(data_dir)))
    dagster_instance(settings)  # writes dagster.yaml if missing
    env = {
        **os.environ,
        "MSI_DATA_DIR": str(settings.layout.root),
        "DAGSTER_HOME": str(settings.layout.dagster_home),
        "MSI_SOURCE": source or "sample",
        "MSI_EPD_DIR": str(Path(epd_dir).resolve()) if epd_dir else "",
        "MSI_LIST_SIZE_DIR": str(Path(list_size_dir).resolve()) if list_size_dir else "",
    }
    if ckan_url:
        env["MSI_CKAN_URL"] = ckan_url
    if patient_level:
        env["MSI_PATIENT_LEVEL_DIR"] = str(Path(patient_level).resolve())
    console.print(serve_source_line(source, env), highlight=False, soft_wrap=True)
    console.print(
        f"Dagster UI on http://127.0.0.1:{port} (this machine's pages only: requests from other "
        f"sites are refused); DAGSTER_HOME={env['DAGSTER_HOME']}"
    )
    raise SystemExit(serve_processes(port, env))


def workspace_file(env: dict) -> Path:
    """The checkout's workspace.yaml; an installed msi (no checkout) writes the same one under DAGSTER_HOME."""
    checkout = PROJECT_ROOT / "workspace.yaml"
    if checkout.is_file():
        return checkout
    written = Path(env["DAGSTER_HOME"]) / "workspace.yaml"
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text("load_from:\n  - python_module:\n      module_name: pipelines.wiring.definitions\n")
    return written


def serve_processes(port: int, env: dict) -> int:
    """The guarded webserver and the daemon, as two processes (pipelines/wiring/webserver.py says why); when
    either stops, or on Ctrl-C, both are stopped. Returns the exit status."""
    workspace = str(workspace_file(env))
    commands = {
        "webserver": [
            sys.executable,
            "-m",
            "pipelines.wiring.webserver",
            "--port",
            str(port),
            "--workspace",
            workspace,
        ],
        "daemon": [sys.executable, "-m", "dagster._daemon", "run", "-w", workspace],
    }
    processes = {name: subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env) for name, cmd in commands.items()}
    status = 0

    def stop(signum, frame):  # a service manager's SIGTERM stops both, as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        for name, process in processes.items():
            if process.returncode is not None:
                console.print(
                    f"[red]msi serve: the {name} stopped (exit {process.returncode}; what it said is "
                    "above); stopping the rest.[/red]",
                    highlight=False,
                )
                status = process.returncode or 1
                break
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():  # as Ctrl-C would: each stops its code server too
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return status


def serve_source_line(source: str | None, env: dict) -> str:
    """The first thing `msi serve` says: which data every scheduled and sensor run will read."""
    if source is None:
        return (
            "[bold yellow]Source: the built-in SAMPLE (synthetic data), because no source was given.[/bold yellow] "
            "For NHS data: msi serve --source nhsbsa --list-size-dir DIR (or MSI_SOURCE=nhsbsa)."
        )
    if source == "sample":
        return "[bold]Source: the built-in sample (synthetic data)[/bold], as asked."
    from pipelines.datasets.epd.nhsbsa import DEFAULT_BASE_URL

    where = (
        f"NHSBSA's portal {env.get('MSI_CKAN_URL') or DEFAULT_BASE_URL}"
        if source == "nhsbsa"
        else f"local EPD files in {env['MSI_EPD_DIR']}"
    )
    return f"[bold]Source: {where}[/bold]; list sizes from {env['MSI_LIST_SIZE_DIR']}."


def entry() -> None:
    """The `msi` command (pyproject's script, and `python -m pipelines.cli`): `main`, then an exit that skips
    the interpreter's teardown once the command has finished and its output is flushed. With Great
    Expectations and duckdb_engine both imported, tearing down DuckDB's extension module printed ~40 lines of
    nanobind "leaked instances" warnings after every run: harmless (everything was written and closed), but
    alarming to whoever reads the end of the output. An exception other than an exit still ends the usual way,
    with its traceback."""
    import logging

    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # SystemExit("message"): printed, status 1, as Python itself does
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    entry()
