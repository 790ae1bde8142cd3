"""Ingest one published EPD month (CSV, or the ZIP NHSBSA serves) into the Parquet lake.

Streaming throughout: one polars pass reads the CSV (every field as text, cast strictly) into the fact
and the practice names, Latin-1 text repaired from the raw bytes (pipelines/datasets/epd/scan.py); DuckDB then
checks the month and writes the practice dimension. Nothing is replaced until every output file has been
written in full; then each file is swapped in with an atomic rename, so a failure at any step leaves the
previous good partition byte-for-byte as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.archives import csv_of
from pipelines.atomic import StagedFile, scratch_dir
from pipelines.checks.gx_duckdb import failure_text
from pipelines.datasets.dataset import Staging
from pipelines.datasets.epd import EPD_FILE, FACT, PRACTICES, scan
from pipelines.datasets.epd.flavours import Flavour, detect_flavour
from pipelines.datasets.epd.validation import validate_prescribing, write_validation
from pipelines.duck import duckdb_connection
from pipelines.layout import Layout
from pipelines.parquet_files import DamagedFile, parquet_rows
from pipelines.sqlfiles import load_sql
from pipelines.textfiles import NotText, check_text, parse_header_line


class IngestError(RuntimeError):
    """The file cannot be ingested; the message says what and where."""


# A republished month may lose a few rows to corrections, not more than this share of them.
REPUBLICATION_MIN_SHARE = 0.99


@dataclass(frozen=True)
class IngestResult:
    month: str
    flavour: str
    geography: str
    rows: int
    items: int
    practices: int
    unidentified_rows: int
    prescribing_path: Path
    practices_path: Path
    source_file: str
    validation: dict | None = None  # the expectations' summary on the staged month, when validated
    encoding: str = "latin-1"  # how the text was decoded: NHSBSA's Latin-1, or UTF-8 (BOM or by content)


def check_complete(csv_path: Path, source_name: str) -> None:
    """Every file NHSBSA publishes (and every excerpt in the research notes) ends with a line end; one that
    does not was cut short in transfer, so the month is refused rather than loaded in part."""
    with open(csv_path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        if size == 0:
            return  # read_header says the file is empty
        fh.seek(size - 1)
        last = fh.read(1)
    if last not in (b"\n", b"\r"):
        raise IngestError(
            f"{source_name}: the file ends part-way through a line (no line end after its last "
            "line): it was cut short; download it again"
        )


def read_header(path: Path, name: str | None = None) -> list[str]:
    """The header's column names, once the file's start is known to be text (a UTF-16 file is named as such,
    not met later as a CSV error); `name` is the published file's (a ZIP's, for its member)."""
    with open(path, "rb") as fh:
        start = fh.read(1 << 20)
    try:
        check_text(start, name or path.name)
    except NotText as exc:
        raise IngestError(str(exc)) from None
    first = start.split(b"\n", 1)[0] + b"\n"
    if not first.strip():
        raise IngestError(f"{name or path.name}: file is empty (no header line)")
    return parse_header_line(first)


def _locate_bad_value(con, csv_path: Path, flavour: Flavour) -> str:
    try:
        row = con.execute(
            load_sql("lake/locate_bad_value"),
            {"csv_path": str(csv_path), "names": list(flavour.canonical)},
        ).fetchone()
    except duckdb.Error:
        return ""
    if not row:
        return ""
    line, field, value = row
    published = flavour.columns[flavour.canonical.index(field)]
    return f" (line {line}, column {published}: {value!r} is not a number)"


def _locate_field_count(csv_path: Path, flavour: Flavour) -> str:
    """The first row whose field count differs from the header's (failure path only: parses the file)."""
    expected = len(flavour.canonical)
    for _, line, fields in scan.parsed_rows(csv_path):
        if len(fields) != expected:
            return (
                f"line {line} has {len(fields)} fields where the header has {expected}: "
                "the file is damaged; download it again"
            )
    return ""


def _diagnose(con, csv_path: Path, flavour: Flavour, month: str, source_name: str, exc: Exception) -> IngestError:
    """Say what and where after the streaming read refused the file (failure path only: rescans)."""
    params = {"csv_path": str(csv_path), "names": list(flavour.canonical)}
    try:
        found = con.execute(load_sql("lake/year_months"), params).fetchall()[0][0]
    except duckdb.Error:
        found = None
    if found and [m.replace("-", "") for m in found] != [month.replace("-", "")]:
        found = [m.replace("-", "") for m in found]
        return IngestError(f"{source_name}: YEAR_MONTH values {found} do not match the requested month {month}")
    count = _locate_field_count(csv_path, flavour)
    if count:
        return IngestError(f"{source_name}: {count}")
    where = _locate_bad_value(con, csv_path, flavour)
    first = str(exc).strip().splitlines()[0]
    return IngestError(f"{source_name}: cannot read the file{where}: {first}")


def _stage(
    csv_path: Path,
    flavour: Flavour,
    month: str,
    work: Path,
    source_name: str,
    con,
    validate: Callable[[Path, str], dict] | None,
):
    """The typed fact (file row order), the practice names and the suite's verdict on the fact, or an
    IngestError saying what and where.

    The suite (Great Expectations in DuckDB) runs in a thread while the names are decoded from the raw
    lines (numpy and Python, one core): neither reads what the other writes, and the two take similar
    time. Should a presentation name need repairing (rare), the fact is rewritten and checked again,
    so the verdict is always on the bytes that will be published."""
    fact = work / "fact.parquet"
    try:
        scan.write_fact(csv_path, flavour, month, fact)
    except pl.exceptions.PolarsError as exc:
        raise _diagnose(con, csv_path, flavour, month, source_name, exc) from exc
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="suite") as pool:
        checking = pool.submit(validate, fact, flavour.geography) if validate else None
        con.execute(load_sql("lake/practice_counts"), {"fact_path": str(fact)})
        found = con.execute(load_sql("lake/practice_keys")).fetchall()
        keys, data_rows = [r[:3] for r in found], (found[0][3] if found else 0)
        names, encoding = scan.practice_names(keys, csv_path, flavour, int(data_rows))
        suspects = dict(con.execute(load_sql("lake/presentation_name_suspects"), {"fact_path": str(fact)}).fetchall())
        validation = checking.result() if checking else None
    if suspects:  # rare: a presentation name that is not ASCII; rewrite the fact with the exact names
        con.register("presentation_repairs", scan.presentation_repairs(suspects, csv_path, flavour, int(data_rows)))
        repaired = work / "fact_repaired.parquet"
        con.execute(load_sql("lake/repair_presentation_names"), {"fact_path": str(fact), "out_path": str(repaired)})
        fact = repaired
        validation = validate(fact, flavour.geography) if validate else None
    return fact, names, encoding, validation


@dataclass
class StagedEpd:
    """A month's fact and practice dimension, built and checked in scratch; `publish` makes both visible."""

    fact: StagedFile
    practices: StagedFile
    result: IngestResult

    def publish(self) -> IngestResult:
        self.fact.publish()
        self.practices.publish()
        return self.result


def held_rows(final: Path, log: Callable[[str], None] | None = None) -> int | None:
    """Rows the month already holds in the lake; None if none, or if that file is damaged (then it is simply
    replaced by the month being ingested: a good source file repairs a damaged lake month)."""
    if not final.is_file():
        return None
    try:
        return parquet_rows(final)
    except DamagedFile as exc:
        if log:
            log(f"{exc}; replacing it with the month being ingested")
        return None


def stage_epd_month(
    source: Path,
    month: str,
    layout: Layout,
    work: Path,
    memory_limit: str = "2GB",
    validate: Callable[[Path, str], dict] | None = None,
    log: Callable[[str], None] | None = None,
) -> StagedEpd:
    """Normalise `source` (the published file for `month`) into `work`, ready to replace that month. With
    `validate` (staged fact path, header geography -> summary with `success`), a month that fails is
    refused (IngestError) before anything is published."""
    source = Path(source)
    if not source.is_file():
        raise IngestError(f"EPD file for {month} not found: {source}")
    work.mkdir(parents=True, exist_ok=True)
    with csv_of(source, work, IngestError) as csv_path:
        flavour = detect_flavour(read_header(csv_path, source.name), source=source.name)
        check_complete(csv_path, source.name)
        con = duckdb_connection(work, memory_limit)
        fact, names, encoding, validation = _stage(csv_path, flavour, month, work, source.name, con, validate)
    rows, items, practices, unidentified_rows, without_month = con.execute(load_sql("lake/month_summary")).fetchall()[0]
    if rows == 0:
        raise IngestError(f"{source.name}: no data rows")
    if without_month:  # the read casts YEAR_MONTH strictly to the month; only a blank one gets here
        raise IngestError(f"{source.name}: YEAR_MONTH is blank on {without_month} rows")
    out_px = work / "practices.parquet"
    con.register("practice_names", names)
    con.execute(load_sql("lake/write_practices"), {"out_path": str(out_px)})
    con.close()
    if validation is not None and not validation["success"]:
        raise IngestError(
            f"{source.name} for {month} refused by the prescribing expectations: "
            f"{failure_text(validation)}. Nothing of {month} was published; the lake keeps the "
            "month's previous data"
        )
    final_rx = FACT.path(layout, month)
    final_px = PRACTICES.path(layout, month)
    held = held_rows(final_rx, log)
    # NHSBSA republishes a month to add late prescriptions (later batches subsume earlier ones), so a file
    # with clearly fewer rows than the month already holds (beyond a correction's few) was most likely cut
    # at a line end.
    if held is not None and rows < held * REPUBLICATION_MIN_SHARE:
        raise IngestError(
            f"{source.name} has {rows:,} rows where {month} already holds {held:,}: a republished month "
            "only gains rows, so this file was probably cut short at a line end; download it again (the "
            f"month is kept; remove {final_rx.parent} first to load a shorter file on purpose)"
        )
    result = IngestResult(
        month=month,
        flavour=flavour.name,
        geography=flavour.geography,
        rows=int(rows),
        items=int(items),
        practices=int(practices),
        unidentified_rows=int(unidentified_rows),
        prescribing_path=final_rx,
        practices_path=final_px,
        source_file=source.name,
        validation=validation,
        encoding=encoding,
    )
    return StagedEpd(StagedFile(fact, final_rx), StagedFile(out_px, final_px), result)


def ingest_epd_month(
    source: Path,
    month: str,
    layout: Layout,
    memory_limit: str = "2GB",
    validate: Callable[[Path, str], dict] | None = None,
) -> IngestResult:
    """Stage, check and publish one EPD month on its own (tests, benchmarks); a monthly run publishes it with
    the rest of its month (pipelines/datasets/month.py). A refused month leaves the lake byte-identical."""
    with scratch_dir(layout.tmp, f"ingest-{month}") as work:
        return stage_epd_month(source, month, layout, work, memory_limit, validate).publish()


@dataclass
class _StagedWithSummary:
    """The staged month and the suite's summary, written beside the source record when the month is published
    (the blocking asset check reads it, pipelines/verdicts/prescribing.py)."""

    staged: StagedEpd
    record: dict
    summary_dir: Path

    def publish(self) -> dict:
        result = self.staged.publish()
        assert result.validation is not None  # stage() always validates
        write_validation(self.summary_dir, result.validation)
        return {**asdict(result), "published": self.record.get("published", "")}


def stage(staging: Staging) -> _StagedWithSummary:
    """The dataset's month (pipelines/datasets/registry.py): the recorded EPD file, held to the prescribing
    expectations for the month and its header's geography."""
    layout, month = staging.layout, staging.month
    staged = stage_epd_month(
        Path(staging.record["path"]),
        month,
        layout,
        staging.work,
        validate=lambda fact, geography: validate_prescribing(fact, month, geography, layout.tmp),
        log=staging.log.warning,
    )
    return _StagedWithSummary(staged, staging.record, EPD_FILE.record_dir(layout, month))


def metadata(published: dict | None) -> dict:
    assert published is not None  # every month has its EPD file, or the month stops before staging
    return {
        "dagster/row_count": published["rows"],
        "items": published["items"],
        "practices": published["practices"],
        "unidentified_rows": published["unidentified_rows"],
        "header_flavour": f"{published['flavour']} ({published['geography']})",
        "encoding": published["encoding"],
        "source_file": published["source_file"],
        "published": published["published"],
        "path": published["prescribing_path"],
    }
