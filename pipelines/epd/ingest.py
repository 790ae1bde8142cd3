"""Ingest one published EPD month (CSV, or the ZIP NHSBSA serves) into the Parquet lake.

Streaming throughout: DuckDB reads the CSV (Latin-1, every field as text) and writes Parquet with a
bounded memory limit, spilling to disk if it must. Nothing is replaced until every output file has been
written in full; then each file is swapped in with an atomic rename, so a failure at any step leaves the
previous good partition byte-for-byte as it was.
"""

from __future__ import annotations

import shutil
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from pipelines.atomic import publish_file
from pipelines.epd.flavours import Flavour, detect_flavour, parse_header_line
from pipelines.layout import Layout
from pipelines.sqlfiles import load_sql


class IngestError(RuntimeError):
    """The file cannot be ingested; the message says what and where."""


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


def duckdb_connection(tmp_dir: Path, memory_limit: str = "2GB", threads: int | None = None):
    """A DuckDB connection with a memory cap and a spill directory inside the data directory."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")  # constant from code, not input
    con.execute("SET temp_directory = $d", {"d": str(tmp_dir / "duckdb_spill")})
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(load_sql("macros"))
    return con


def read_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise IngestError(f"{path.name}: file is empty (no header line)")
    return parse_header_line(first)


@contextmanager
def csv_from_source(source: Path, scratch: Path) -> Iterator[Path]:
    """Yield a CSV path for `source`; a ZIP is extracted (CRC-checked) into `scratch` first."""
    if source.suffix.lower() != ".zip":
        yield source
        return
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(source) as zf:  # handles ZIP64, as NHSBSA's >4 GB files need
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise IngestError(
                    f"{source.name}: expected exactly one CSV inside the ZIP, found "
                    f"{[m.filename for m in zf.infolist()]}"
                )
            target = scratch / Path(members[0].filename).name
            # ZipExtFile checks the CRC-32 when it reaches the end and raises BadZipFile on mismatch.
            with zf.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, length=16 * 1024 * 1024)
    except zipfile.BadZipFile as exc:
        raise IngestError(f"{source.name}: not a complete ZIP file ({exc}); download it again") from exc
    except EOFError as exc:
        raise IngestError(f"{source.name}: ZIP ends early (truncated download)") from exc
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


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


def ingest_epd_month(source: Path, month: str, layout: Layout, memory_limit: str = "2GB") -> IngestResult:
    """Normalise `source` (the published file for `month`) into the lake, replacing that month."""
    source = Path(source)
    if not source.is_file():
        raise IngestError(f"EPD file for {month} not found: {source}")
    work = layout.tmp / f"ingest-{month}-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        with csv_from_source(source, work) as csv_path:
            flavour = detect_flavour(read_header(csv_path), source=source.name)
            con = duckdb_connection(work, memory_limit)
            staging = work / "staging.parquet"
            params = {"csv_path": str(csv_path), "names": list(flavour.canonical)}
            try:
                con.execute(load_sql("lake/stage_epd"), {**params, "staging_path": str(staging)})
            except duckdb.Error as exc:
                where = _locate_bad_value(con, csv_path, flavour)
                first = str(exc).splitlines()[0]
                raise IngestError(f"{source.name}: cannot read the file{where}: {first}") from exc
        summary = con.execute(load_sql("lake/month_summary"), {"staging_path": str(staging)}).fetchone()
        year_months, rows, items, practices, unidentified_rows = summary
        expected = month.replace("-", "")
        if rows == 0:
            raise IngestError(f"{source.name}: no data rows")
        if year_months != [expected]:
            raise IngestError(
                f"{source.name}: YEAR_MONTH values {year_months} do not match the requested month {month}"
            )
        out_rx = work / "prescribing.parquet"
        out_px = work / "practices.parquet"
        con.execute(load_sql("lake/write_prescribing"), {"staging_path": str(staging), "out_path": str(out_rx)})
        con.execute(load_sql("lake/write_practices"), {"staging_path": str(staging), "out_path": str(out_px)})
        con.close()
        final_rx = layout.lake_file("prescribing", month)
        final_px = layout.lake_file("practices", month)
        publish_file(out_rx, final_rx)
        publish_file(out_px, final_px)
        return IngestResult(
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
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
