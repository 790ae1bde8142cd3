"""The prescribing month's Great Expectations suite, run on the *staged* month before it is published.

Stage, check, then publish: `ingest_epd_month` calls `validate_prescribing` on the staged Parquet file and
publishes nothing if a rule fails, so the lake keeps the month's previous bytes. The summary (with the
SHA-256 of the bytes it validated) is recorded next to the raw file, and the blocking asset check
`prescribing_month_expectations` reports it and confirms the published partition is those very bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipelines.checks import verhoeff
from pipelines.datasets.epd.suite import NAMING_COLUMNS
from pipelines.reference import geography_rule
from pipelines.sqlfiles import load_sql

VALIDATION_FILE = "validation.json"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_prescribing(path: Path, month: str, header_geography: str, tmp: Path) -> dict:
    # GE is imported here, not at module level: it takes seconds to import and the code location must
    # load fast (dg check defs, the UI).
    from pipelines.checks.gx_duckdb import ONE_SUITE_AT_A_TIME, name_refused_rows, validate_parquet
    from pipelines.datasets.epd.suite import prescribing_expectations

    rule = geography_rule(month, header_geography)
    with ONE_SUITE_AT_A_TIME:
        expectations = prescribing_expectations(month, rule)
        summary = validate_parquet(path, "prescribing", expectations, tmp)
    summary = name_refused_rows(path, summary, expectations, NAMING_COLUMNS)
    summary = _check_snomed_digits(path, summary)
    return {**summary, "geography_rule": rule[0], "sha256": sha256(path)}


def _check_snomed_digits(path: Path, summary: dict) -> dict:
    """SNOMED CT codes end in a Verhoeff check digit: a code cut short or altered fails (a rule of its own,
    run over the month's distinct codes, since SQL has no Verhoeff)."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(load_sql("lake/snomed_code_counts"), {"p": str(path)}).fetchall()
    bad = [(code, n) for code, n in rows if not verhoeff.valid(code)]
    out = {**summary, "evaluated": summary["evaluated"] + 1}
    if bad:
        out["success"] = False
        out["failed"] = summary["failed"] + [
            {
                "expectation": "snomed_check_digit",
                "column": "snomed_code",
                "description": "SNOMED CT codes end in a valid Verhoeff check digit",
                "unexpected_count": sum(n for _, n in bad),
                "observed": str(sorted(c for c, _ in bad)[:20])[:300],
                "error": None,
            }
        ]
    return out


def write_validation(folder: Path, summary: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{VALIDATION_FILE}.tmp"
    tmp.write_text(json.dumps(summary, indent=2, default=str))
    tmp.replace(folder / VALIDATION_FILE)


def read_validation(folder: Path) -> dict | None:
    path = folder / VALIDATION_FILE
    return json.loads(path.read_text()) if path.is_file() else None
