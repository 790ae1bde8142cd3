"""lake/list_sizes: registered patients per practice, the per-patient denominators, from NHS Digital's
quinary-age file and single-year female file.

Staged, checked, then published: the files' rows are staged as published and held to their expectations
(pipelines/datasets/nhs_digital/suite.py); only then is the table built, and it becomes visible only when
the whole month is published (pipelines/datasets/month.py)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from pipelines.archives import csv_of
from pipelines.atomic import StagedFile, scratch_dir
from pipelines.datasets.dataset import Staging
from pipelines.datasets.nhs_digital import LIST_SIZES_TABLE
from pipelines.datasets.nhs_digital.files import FILE_STEMS, ListSizeError, find_file
from pipelines.datasets.nhs_digital.format import FEMALE_COLUMNS, QUIN_COLUMNS, parse_extract_date
from pipelines.datasets.nhs_digital.rows import check_rows, connection, stage_rows
from pipelines.datasets.nhs_digital.source import folder_with, not_written
from pipelines.datasets.nhs_digital.suite import female_expectations, quin_expectations
from pipelines.duck import write_empty
from pipelines.layout import Layout
from pipelines.sqlfiles import load_sql

# The staged female rows when NHS Digital published no single-year female file for the month.
EMPTY_FEMALE_ROWS = {
    "line": "BIGINT",
    "extract_date": "VARCHAR",
    "org_code": "VARCHAR",
    "sex": "VARCHAR",
    "age": "VARCHAR",
    "patients": "VARCHAR",
    "first_extract_date": "VARCHAR",
}

# Five-year bands of the quinary-age file that make each age denominator.
AGE_BANDS = {
    "bands_65_plus": ["65_69", "70_74", "75_79", "80_84", "85_89", "90_94", "95+"],
    "bands_75_plus": ["75_79", "80_84", "85_89", "90_94", "95+"],
    "bands_0_14": ["0_4", "5_9", "10_14"],
}
# Every denominator the quinary-age file must give for each practice it lists.
QUIN_DENOMINATORS = ("patients", "aged_65_plus", "aged_75_plus", "aged_0_14", "aged_15_19")


def stage_list_sizes(folder: Path, month: str, layout: Layout, work: Path) -> StagedFile:
    """lake/list_sizes/month=<month> built in `work` from the month's quin-age file and, where NHS Digital
    published one, its sing-age-female file (without it the female denominators are NULL and the result
    says so), after both passed their expectations. A practice the quin-age file lists but for which a
    denominator cannot be derived stops the month."""
    quin_file = find_file(folder, "quin_age")
    try:
        female_file: Path | None = find_file(folder, "female")
    except ListSizeError:
        female_file = None
    work.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        con = connection(work)
        stack.callback(con.close)
        quin = stack.enter_context(csv_of(quin_file, work, ListSizeError))
        quin_rows, female_rows = work / "quin_rows.parquet", work / "female_rows.parquet"
        extract = stage_rows(con, "list_size_rows", quin, QUIN_COLUMNS, quin_file.name, month, quin_rows)
        check_rows(quin_rows, "quin_rows", quin_expectations, work, quin_file.name, month)
        if female_file is not None:
            female = stack.enter_context(csv_of(female_file, work, ListSizeError))
            stage_rows(con, "list_size_rows", female, FEMALE_COLUMNS, female_file.name, month, female_rows)
            check_rows(female_rows, "female_rows", female_expectations, work, female_file.name, month)
        else:
            write_empty(con, female_rows, EMPTY_FEMALE_ROWS)
        out = work / "list_sizes.parquet"
        con.execute(
            load_sql("lake/list_sizes"),
            {
                "quin_rows": str(quin_rows),
                "female_rows": str(female_rows),
                "month": month,
                "extract_date": parse_extract_date(extract).isoformat(),
                "out_path": str(out),
                **AGE_BANDS,
            },
        )
        practices, patients, without_female = con.execute(
            load_sql("lake/list_sizes_summary"), {"p": str(out)}
        ).fetchone()
        underived: dict[str, list] = {c: [] for c in QUIN_DENOMINATORS}
        for column, code in con.execute(load_sql("lake/list_sizes_underived"), {"p": str(out)}).fetchall():
            underived[column].append(code)
    bad = {c: codes for c, codes in underived.items() if codes}
    if bad:
        column, codes = next(iter(bad.items()))
        raise ListSizeError(
            f"{quin_file.name} for {month}: cannot derive {column} for {len(codes)} practice(s) it lists "
            f"(first: {', '.join(codes[:5])}); the file lacks the age bands or totals for them. Check the "
            "file is complete (SEX ALL/MALE/FEMALE x AGE_GROUP_5 bands) and re-download it"
        )
    return StagedFile(
        out,
        LIST_SIZES_TABLE.path(layout, month),
        {
            "practices": int(practices),
            "patients": int(patients),
            "extract_date": parse_extract_date(extract).isoformat(),
            "files": [quin_file.name] + ([female_file.name] if female_file else []),
            "female_file": female_file is not None,
            "practices_without_female_counts": int(without_female),
        },
    )


def ingest_list_sizes(folder: Path, month: str, layout: Layout) -> dict:
    """Stage, check and publish the month's list sizes on their own (tests, benchmarks); a monthly run
    publishes them with the rest of its month (pipelines/datasets/month.py)."""
    with scratch_dir(layout.tmp, f"lists-{month}") as work:
        return stage_list_sizes(folder, month, layout, work).publish()


def stage(staging: Staging) -> StagedFile | None:
    """The dataset's month (pipelines/datasets/registry.py); None when the month has no quinary-age file."""
    folder = folder_with(
        staging,
        "quin_age",
        "the month's per-patient indicators use the nearest earlier month's list sizes (or have no denominator)",
    )
    if folder is None:
        return None
    if FILE_STEMS["female"] in staging.record.get("missing", []):
        staging.log.warning(
            f"{staging.month}: no {FILE_STEMS['female']} file; the female denominators (valproate) are NULL "
            "for the month"
        )
    return stage_list_sizes(folder, staging.month, staging.layout, staging.work)


def metadata(published: dict | None) -> dict:
    if published is None:
        return not_written("quin_age")
    return {
        "dagster/row_count": published["practices"],
        "patients": published["patients"],
        "extract_date": published["extract_date"],
        "files": ", ".join(published["files"]),
        "missing": "" if published["female_file"] else FILE_STEMS["female"],
        "path": Path(published["path"]),
    }
