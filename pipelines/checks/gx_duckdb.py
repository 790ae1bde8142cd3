"""Run a Great Expectations 1.x suite inside DuckDB, so a national month (18 M rows) is validated in
~0.4 GB instead of ~9 GB of pandas (shared research, stack.md §4).

GE 1.24.1 has no DuckDB dialect, and its SQLAlchemy engine reads results after closing the connection,
which duckdb_engine does not buffer: every expectation then fails with "list index out of range". The
fix (as GE already does for sqlite) is to keep one connection open for the engine. We patch exactly that
method, for the duckdb dialect only; great-expectations is pinned exactly in pyproject.toml and
tests/checks/test_gx_duckdb.py proves the patch still works (a suite passes on good data and fails on bad).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from pipelines.checks.gx_rules import RULE_TYPES
from pipelines.sqlfiles import sql_literal

# Great Expectations is imported, and its suites built and run, by one thread at a time: a month's datasets are
# staged side by side (pipelines/datasets/month.py), and neither importing GE from two threads at once (its
# modules import each other) nor its ephemeral contexts are known to be thread-safe. Callers hold it around
# building their expectations and validating.
ONE_SUITE_AT_A_TIME = threading.RLock()


def _patch_engine() -> None:
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    if getattr(SqlAlchemyExecutionEngine, "_msi_duckdb_patch", False):
        return
    original = SqlAlchemyExecutionEngine.get_connection

    @contextmanager
    def get_connection(self):
        if self.dialect_name == "duckdb":
            if not getattr(self, "_connection", None):
                self._connection = self.engine.connect()
            yield self._connection
        else:
            with original(self) as connection:
                yield connection

    SqlAlchemyExecutionEngine.get_connection = get_connection  # type: ignore[method-assign]  # the patch
    SqlAlchemyExecutionEngine._msi_duckdb_patch = True  # type: ignore[attr-defined]


def _close(source) -> None:
    """Close the engine's persistent DuckDB connection; left open, DuckDB objects outlive the
    interpreter's shutdown and nanobind prints 'leaked' warnings at exit."""
    engine = source.get_execution_engine()
    connection = getattr(engine, "_connection", None)
    if connection is not None:
        connection.close()
        engine._connection = None
    engine.engine.dispose()


def validate_parquet(parquet_path: Path, table: str, expectations: list, work_dir: Path) -> dict:
    """Validate `expectations` against the Parquet file exposed as view `table`. Returns a summary dict:
    success, evaluated, failed (list of {expectation, column, unexpected_count, observed}), statistics."""
    import duckdb
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _patch_engine()
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = Path(tempfile.mkdtemp(dir=work_dir)) / "gx.duckdb"
    with duckdb.connect(str(db_path)) as con:
        # The view's path is our own lake file; quoted as a literal because views cannot hold parameters.
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({sql_literal(str(parquet_path))})")
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    name = f"{table}_{uuid.uuid4().hex[:8]}"
    source = context.data_sources.add_sql(name, connection_string=f"duckdb:///{db_path}")
    batch = source.add_table_asset(name=table, table_name=table).add_batch_definition_whole_table("whole")
    suite = context.suites.add(gx.ExpectationSuite(name=f"{name}_suite"))
    for expectation in expectations:
        suite.add_expectation(expectation)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    try:
        result = definition.run()
    finally:
        _close(source)
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            assert cfg is not None  # GX sets it on every result of a suite it ran
            res = r.result or {}
            rows_rule = cfg.type in RULE_TYPES  # its observed value is the count of rows
            failed.append(
                {
                    "expectation": cfg.type,
                    "column": cfg.kwargs.get("column"),
                    "description": getattr(cfg, "description", None) or cfg.kwargs.get("description"),
                    "unexpected_count": res.get("observed_value") if rows_rule else res.get("unexpected_count"),
                    "observed": str(res.get("observed_value", res.get("partial_unexpected_list", "")))[:300],
                    "error": (r.exception_info or {}).get("exception_message")
                    if isinstance(r.exception_info, dict)
                    else None,
                }
            )
    shutil.rmtree(db_path.parent, ignore_errors=True)  # the database and its folder
    return {
        "success": bool(result.success),
        "evaluated": len(result.results),
        "failed": failed,
        "statistics": {
            k: (float(v) if isinstance(v, (int, float)) and v is not None else v)
            for k, v in dict(result.statistics).items()
        },
    }


def name_refused_rows(path: Path, summary: dict, expectations: list, naming_columns: list[str]) -> dict:
    """For each failed row rule, its first three refused rows named by `naming_columns` (the rule's own
    query, run on the staged file), in the failure's `observed`."""
    import duckdb

    queries = {getattr(e, "description", None): getattr(e, "unexpected_rows_query", None) for e in expectations}
    failed = []
    for f in summary["failed"]:
        query = queries.get(f.get("description"))
        if f["expectation"] in RULE_TYPES and query:
            with duckdb.connect() as con:
                # GE fills in {batch} with str.format (literal regex braces are doubled): so here
                sql = query.format(batch="read_parquet($p)") + " LIMIT 3"
                cur = con.execute(sql, {"p": str(path)})
                cols = [d[0] for d in cur.description]
                rows = [dict(zip(cols, r)) for r in cur.fetchall()]
            keys = [k for k in naming_columns if k in cols]
            f = {**f, "observed": str(["; ".join(f"{k} {r[k]}" for k in keys) for r in rows])[:300]}
        failed.append(f)
    return {**summary, "failed": failed}


def describe_failed_rule(rule: dict) -> str:
    what = rule.get("description") or rule.get("expectation") or "rule"
    column = f" on {rule['column']}" if rule.get("column") and rule["column"] not in what else ""
    count = f": {rule['unexpected_count']:,} unexpected" if rule.get("unexpected_count") is not None else ""
    observed = f", e.g. {rule['observed'][:240]}" if rule.get("observed") else ""
    return f"{what}{column}{count}{observed}{' (' + rule['error'] + ')' if rule.get('error') else ''}"


def failure_text(summary: dict) -> str:
    return "; ".join(describe_failed_rule(r) for r in summary["failed"]) or "the suite failed"
