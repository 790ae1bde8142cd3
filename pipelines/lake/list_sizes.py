"""lake/list_sizes: registered patients per practice, the per-patient denominators, from NHS Digital's
quinary-age file and single-year female file."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from pipelines.atomic import publish_file, scratch_dir
from pipelines.duck import duckdb_connection
from pipelines.lake.nhs_digital_format import (FEMALE_COLUMNS, QUIN_COLUMNS, check_month, first_extract_date,
                                                map_columns)
from pipelines.layout import Layout
from pipelines.sources.nhs_digital import ListSizeError, find_file, opened_csv
from pipelines.sqlfiles import load_sql
from pipelines.textfiles import text_encoding

# What the indicator SQL reads of the table, for a month that has none yet (written empty).
EMPTY = {"practice_code": "VARCHAR", "patients": "BIGINT", "aged_65_plus": "BIGINT", "female_13_54": "BIGINT",
         "aged_0_14": "BIGINT", "aged_15_19": "BIGINT"}

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
            check_month(extract, month, quin_file.name)
            if female_file is not None:
                female = stack.enter_context(opened_csv(female_file, work))
                female_names = map_columns(female, FEMALE_COLUMNS, female_file.name)
                check_month(first_extract_date(female, female_names, female_file.name), month, female_file.name)
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
