"""NHS Digital / NHS England "Patients Registered at a GP Practice": list sizes and the practice map.

Three files a month, each a plain CSV or (from late 2025) a ZIP holding one:
* gp-reg-pat-prac-quin-age     practice x sex x five-year age band (totals, 65+)
* gp-reg-pat-prac-sing-age-female   practice x single year of age, females (13-54 for valproate)
* gp-reg-pat-prac-map          practice -> PCN -> sub-ICB (was CCG) -> ICB (was STP) -> region

Columns are selected by name: layouts differ before and after July 2022 and between files, and the
type column is `ORG_TYPE` in some and `TYPE` in others (nhsbsa_data.md §3.2-3.3).
"""

from __future__ import annotations

import codecs
import shutil
import zipfile
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from pipelines.epd.flavours import parse_header_line
from pipelines.atomic import publish_file, scratch_dir
from pipelines.epd.ingest import duckdb_connection
from pipelines.layout import Layout
from pipelines.sqlfiles import load_sql

FILE_STEMS = {
    "quin_age": "gp-reg-pat-prac-quin-age",
    "female": "gp-reg-pat-prac-sing-age-female",
    "map": "gp-reg-pat-prac-map",
}

# canonical name -> accepted published names (first match wins); `required` ones must be present.
QUIN_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"], "org_type": ["ORG_TYPE", "TYPE"], "org_code": ["ORG_CODE", "CODE"],
    "sex": ["SEX"], "age_group": ["AGE_GROUP_5"], "patients": ["NUMBER_OF_PATIENTS"],
}
FEMALE_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"], "org_type": ["ORG_TYPE", "TYPE"], "org_code": ["ORG_CODE", "CODE"],
    "sex": ["SEX"], "age": ["AGE"], "patients": ["NUMBER_OF_PATIENTS"],
}
MAP_COLUMNS = {
    "extract_date": ["EXTRACT_DATE"], "practice_code": ["PRACTICE_CODE"], "practice_name": ["PRACTICE_NAME"],
    "practice_postcode": ["PRACTICE_POSTCODE"], "pcn_code": ["PCN_CODE"], "pcn_name": ["PCN_NAME"],
    "sub_icb_code": ["SUB_ICB_LOCATION_CODE", "CCG_CODE"], "sub_icb_name": ["SUB_ICB_LOCATION_NAME", "CCG_NAME"],
    "sub_icb_ons_code": ["ONS_SUB_ICB_LOCATION_CODE", "ONS_CCG_CODE"],
    "icb_code": ["ICB_CODE", "STP_CODE"], "icb_name": ["ICB_NAME", "STP_NAME"], "icb_ons_code": ["ONS_ICB_CODE", "ONS_STP_CODE"],
    "region_code": ["COMM_REGION_CODE"], "region_name": ["COMM_REGION_NAME"], "region_ons_code": ["ONS_COMM_REGION_CODE"],
}
OPTIONAL = {"org_type", "pcn_code", "pcn_name"}

_DATE_FORMATS = ("%d-%b-%y", "%d%b%Y", "%Y-%m-%d", "%d/%m/%Y", "%d-%b-%Y")


class ListSizeError(ValueError):
    """A registered-patients file is missing or unreadable; the message says which and why."""


def parse_extract_date(text: str) -> date:
    """EXTRACT_DATE in any published form: 01-Sep-20, 01Jan2022, 01JUL2026, 2026-04-01."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.title() if "%b" in fmt else value, fmt).date()
        except ValueError:
            continue
    raise ListSizeError(f"unrecognised EXTRACT_DATE {text!r}")


def find_file(folder: Path, kind: str) -> Path:
    stem = FILE_STEMS[kind]
    for suffix in (".csv", ".zip", ".CSV", ".ZIP"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    raise ListSizeError(f"{folder}: no {stem}.csv or {stem}.zip")


@contextmanager
def opened_csv(path: Path, scratch: Path) -> Iterator[Path]:
    """A CSV path for a CSV or a single-CSV ZIP (extracted into `scratch`)."""
    if path.suffix.lower() != ".zip":
        yield path
        return
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise ListSizeError(f"{path.name}: expected one CSV inside, found {[m.filename for m in zf.infolist()]}")
            scratch.mkdir(parents=True, exist_ok=True)
            target = scratch / Path(members[0].filename).name
            with zf.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ListSizeError(f"{path.name}: not a complete ZIP file ({exc})") from exc
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def text_encoding(csv_path: Path) -> str:
    """'utf-8' for a file with a byte-order mark or whose bytes all read as UTF-8, else 'latin-1'. NHS
    Digital's files are mostly ASCII; a practice name with an accent has come both ways."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(csv_path, "rb") as fh:
        try:
            for block in iter(lambda: fh.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def map_columns(csv_path: Path, wanted: dict[str, list[str]], label: str) -> list[str]:
    """Canonical name for each column of the file (unwanted columns get placeholder names)."""
    with open(csv_path, "rb") as fh:
        header = [h.upper() for h in parse_header_line(fh.readline())]
    names = [f"_unused_{i}" for i in range(len(header))]
    for canonical, options in wanted.items():
        hit = next((h for h in options if h in header), None)
        if hit is None:
            if canonical in OPTIONAL:
                continue
            raise ListSizeError(f"{label}: none of the columns {options} found; header is {header}")
        names[header.index(hit)] = canonical
    return names


def first_extract_date(csv_path: Path, names: list[str], label: str) -> date:
    import csv

    with open(csv_path, encoding=text_encoding(csv_path), newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        row = next(reader, None)
    if row is None:
        raise ListSizeError(f"{label}: no data rows")
    return parse_extract_date(row[names.index("extract_date")])


# Five-year bands of the quinary-age file that make each age denominator.
AGE_BANDS = {
    "bands_65_plus": ["65_69", "70_74", "75_79", "80_84", "85_89", "90_94", "95+"],
    "bands_75_plus": ["75_79", "80_84", "85_89", "90_94", "95+"],
    "bands_0_14": ["0_4", "5_9", "10_14"],
}
# Every denominator the quinary-age file must give for each practice it lists.
QUIN_DENOMINATORS = ("patients", "aged_65_plus", "aged_75_plus", "aged_0_14", "aged_15_19")
# Stands in for a month without a single-year female file: one row of no GP practice (filtered out by
# ORG_TYPE), since DuckDB cannot read a header-only CSV with fixed column names.
EMPTY_FEMALE = "EXTRACT_DATE,ORG_TYPE,ORG_CODE,SEX,AGE,NUMBER_OF_PATIENTS\n,NONE,,FEMALE,0,0\n"


def _check_month(extract: date, month: str, label: str) -> None:
    if f"{extract.year:04d}-{extract.month:02d}" != month:
        raise ListSizeError(f"{label}: EXTRACT_DATE {extract.isoformat()} is not in {month}; wrong folder?")


def ingest_list_sizes(folder: Path, month: str, layout: Layout) -> dict:
    """Write lake/list_sizes/month=<month> from the month's quin-age file and, where NHS Digital published
    one, its sing-age-female file (without it the female denominators are NULL and the result says so).
    A practice the quin-age file lists but for which a denominator cannot be derived stops the month."""
    quin_file = find_file(folder, "quin_age")
    try:
        female_file: Path | None = find_file(folder, "female")
    except ListSizeError:
        female_file = None
    with scratch_dir(layout.tmp, f"lists-{month}") as work:
        with ExitStack() as stack:
            quin = stack.enter_context(opened_csv(quin_file, work))
            quin_names = map_columns(quin, QUIN_COLUMNS, quin_file.name)
            extract = first_extract_date(quin, quin_names, quin_file.name)
            _check_month(extract, month, quin_file.name)
            if female_file is not None:
                female = stack.enter_context(opened_csv(female_file, work))
                female_names = map_columns(female, FEMALE_COLUMNS, female_file.name)
                _check_month(first_extract_date(female, female_names, female_file.name), month, female_file.name)
            else:
                female = work / "no_female_file.csv"
                female.write_text(EMPTY_FEMALE)
                female_names = map_columns(female, FEMALE_COLUMNS, "no female file")
            files = f"{quin_file.name}/{female_file.name if female_file else '(no female file)'}"
            con = duckdb_connection(work, "1GB")
            out = work / "list_sizes.parquet"
            try:
                con.execute(load_sql("lake/list_sizes"), {
                    "quin_path": str(quin), "quin_names": quin_names, "female_path": str(female),
                    "female_names": female_names, "month": month, "extract_date": extract.isoformat(),
                    "out_path": str(out), "quin_encoding": text_encoding(quin),
                    "female_encoding": text_encoding(female), **AGE_BANDS})
            except Exception as exc:  # duckdb errors: say which files
                raise ListSizeError(f"{files} for {month}: {str(exc).splitlines()[0]}") from exc
            practices, patients = con.execute(
                "SELECT count(*), coalesce(sum(patients), 0) FROM read_parquet($p)", {"p": str(out)}).fetchone()
            underived = {c: [r[0] for r in con.execute(
                f"SELECT practice_code FROM read_parquet($p) WHERE {c} IS NULL ORDER BY 1", {"p": str(out)}).fetchall()]
                for c in QUIN_DENOMINATORS}  # column names are this module's constants
            without_female = con.execute("SELECT count(*) FROM read_parquet($p) WHERE female_13_54 IS NULL",
                                         {"p": str(out)}).fetchone()[0]
            con.close()
        if practices == 0:
            raise ListSizeError(f"{quin_file.name} for {month}: no GP practice rows")
        bad = {c: codes for c, codes in underived.items() if codes}
        if bad:
            column, codes = next(iter(bad.items()))
            raise ListSizeError(
                f"{quin_file.name} for {month}: cannot derive {column} for {len(codes)} practice(s) it lists "
                f"(first: {', '.join(codes[:5])}); the file lacks the age bands or totals for them. Check the "
                "file is complete (SEX ALL/MALE/FEMALE x AGE_GROUP_5 bands) and re-download it")
        final = layout.lake_file("list_sizes", month)
        publish_file(out, final)
        return {"practices": int(practices), "patients": int(patients), "extract_date": extract.isoformat(),
                "files": [quin_file.name] + ([female_file.name] if female_file else []),
                "female_file": female_file is not None, "practices_without_female_counts": int(without_female),
                "path": str(final)}


def ingest_practice_geography(folder: Path, month: str, layout: Layout) -> dict:
    """Write lake/practice_geography/month=<month> from the month's gp-reg-pat-prac-map file."""
    map_file = find_file(folder, "map")
    with scratch_dir(layout.tmp, f"map-{month}") as work:
        with opened_csv(map_file, work) as path:
            names = map_columns(path, MAP_COLUMNS, map_file.name)
            extract = first_extract_date(path, names, map_file.name)
            _check_month(extract, month, map_file.name)
            con = duckdb_connection(work, "1GB")
            out = work / "geography.parquet"
            con.execute(load_sql("lake/practice_geography"), {
                "map_path": str(path), "map_names": names, "month": month, "encoding": text_encoding(path),
                "extract_date": extract.isoformat(), "out_path": str(out)})
            practices, icbs = con.execute(
                "SELECT count(*), count(DISTINCT icb_code) FROM read_parquet($p)", {"p": str(out)}).fetchone()
            con.close()
        final = layout.lake_file("practice_geography", month)
        publish_file(out, final)
        return {"practices": int(practices), "icbs": int(icbs), "extract_date": extract.isoformat(),
                "file": map_file.name, "path": str(final)}

