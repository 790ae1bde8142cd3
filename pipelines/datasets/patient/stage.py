"""Check a patient-level extract against the contract and normalise it into the lake.

Each table is staged as text with its row numbers, checked by the Great Expectations suite (inside
DuckDB), and only when every rule holds written typed to `lake/patient/`. A failure names the file, the
column, the first bad row and how many rows break the rule, and leaves the last good extract as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.atomic import scratch_dir
from pipelines.datasets.patient import FILES
from pipelines.datasets.patient.contract import CONTRACT_VERSION, TABLES, ExtractError, Table, find_table
from pipelines.datasets.patient.suite import RULES, expectations
from pipelines.duck import duckdb_connection
from pipelines.layout import Layout
from pipelines.private import check_private, publish_private
from pipelines.sqlfiles import load_sql


@dataclass(frozen=True)
class ExtractSummary:
    folder: str
    prescriptions: int
    registrations: int
    patients: int
    first_issue: str
    last_issue: str
    flags: tuple[str, ...] = ()  # the optional registration flags the extract carries


def carried_flags(registrations: Path) -> tuple[str, ...]:
    """The optional registration flags (contract v1) that a normalised registrations file carries."""
    with duckdb.connect() as con:
        return tuple(
            sorted(
                r[0]
                for r in con.execute(
                    load_sql("patient/flags_carried"), {"registrations_path": str(registrations)}
                ).fetchall()
            )
        )


def _register_source(con, path: Path, table: Table) -> None:
    if path.suffix == ".csv":
        rel = con.read_csv(str(path), header=True, all_varchar=True)
    else:
        rel = con.read_parquet(str(path))
    missing = [c for c in table.required if c not in rel.columns]
    if missing:
        raise ExtractError(
            f"{path.name}: missing column(s) {missing}; the contract (v{CONTRACT_VERSION}) needs {list(table.required)}"
        )
    con.register("source", rel)


def _first_problems(staged: Path, path: Path, table: Table, failed: list[dict]) -> list[str]:
    """For each failed rule: the first offending row, its value and how many rows break the rule."""
    lines = []
    line_offset = 1 if path.suffix == ".csv" else 0  # CSV line = data row + header
    with duckdb.connect() as con:
        for rule in RULES[table.name]:
            if not any(f["description"] == f"{rule.column}: {rule.requirement}" for f in failed):
                continue
            where = rule.where.replace("{{", "{").replace("}}", "}")
            # `where` is our own rule text (pipelines/datasets/patient/suite.py), never input.
            rows = con.execute(
                f"SELECT row, {rule.column}, count(*) OVER () FROM read_parquet($p) WHERE {where} ORDER BY row LIMIT 1",
                {"p": str(staged)},
            ).fetchall()
            if rows:
                row, value, count = rows[0]
                where_text = f"row {row}" + (f" (line {row + line_offset})" if line_offset else "")
                lines.append(
                    f"{path.name}: column {rule.column}, {where_text}: {value!r} — {rule.requirement}"
                    f" ({count} row{'s' if count != 1 else ''} in all)"
                )
    if any(f["expectation"] == "expect_table_row_count_to_be_between" for f in failed):
        lines.append(f"{path.name}: no data rows")
    return lines


def load_extract(folder: Path, layout: Layout) -> ExtractSummary:
    """Validate `folder` against the contract and publish it as lake/patient/{prescriptions,registrations}."""
    from pipelines.checks.gx_duckdb import validate_parquet

    folder = Path(folder)
    check_private(layout)
    if not folder.is_dir():
        raise ExtractError(f"patient-level extract folder not found: {folder}")
    with scratch_dir(layout.tmp, "patient") as work:
        built, problems = {}, []
        for table in TABLES:
            path = find_table(folder, table)
            staged = work / f"{table.name}_staged.parquet"
            con = duckdb_connection(work, "2GB")
            # Row numbers must follow the file: keep the scan's order (the shared setting drops it).
            con.execute("SET preserve_insertion_order = true")
            try:
                _register_source(con, path, table)
                con.execute(load_sql(f"patient/stage_{table.name}"), {"out_path": str(staged)})
            except duckdb.Error as exc:
                raise ExtractError(f"{path.name}: cannot be read: {str(exc).splitlines()[0]}") from exc
            finally:
                con.close()
            result = validate_parquet(staged, table.name, expectations(table.name), work)
            if not result["success"]:
                problems += _first_problems(staged, path, table, result["failed"])
                continue
            out = work / f"{table.name}.parquet"
            with duckdb_connection(work, "2GB") as con:
                con.execute(
                    load_sql(f"patient/normalise_{table.name}"), {"staged_path": str(staged), "out_path": str(out)}
                )
            built[table.name] = (out, path)
        if problems:
            raise ExtractError("the patient-level extract breaks the contract:\n  " + "\n  ".join(problems))
        with duckdb.connect() as con:
            rx, rg = str(built["prescriptions"][0]), str(built["registrations"][0])
            n_rx, first, last = con.execute(load_sql("patient/prescriptions_summary"), {"p": rx}).fetchall()[0]
            n_rg, patients = con.execute(load_sql("patient/registrations_summary"), {"p": rg}).fetchall()[0]
        summary = ExtractSummary(str(folder), int(n_rx), int(n_rg), int(patients), first, last, carried_flags(Path(rg)))
        manifest = work / "manifest.json"
        manifest.write_text(
            json.dumps(
                {
                    "contract_version": CONTRACT_VERSION,
                    **summary.__dict__,
                    "files": {t: str(p) for t, (_, p) in built.items()},
                },
                indent=2,
            )
        )
        for name, (out, _) in built.items():
            publish_private(out, FILES[name].path(layout), layout)
        publish_private(manifest, layout.patient_manifest, layout)
        return summary
