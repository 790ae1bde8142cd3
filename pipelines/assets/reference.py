"""Reference tables published to the lake for SQL joins."""


import dagster as dg
import duckdb

from pipelines.atomic import publish_file, scratch_name
from pipelines.reference import FILES, REFERENCE_DIR
from pipelines.resources import MsiSettings


@dg.asset(group_name="reference", kinds={"duckdb", "parquet"})
def reference_tables(context: dg.AssetExecutionContext, msi: MsiSettings) -> dg.MaterializeResult:
    """ICBs (42 of 2022-2026 and 36 from April 2026), regions and BNF presentations as Parquet."""
    layout = msi.layout
    counts = {}
    for table, name in FILES.items():
        built = layout.tmp / scratch_name(f"reference-{table}", ".parquet")
        built.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as con:
            con.execute(
                "COPY (SELECT * FROM read_csv($p, all_varchar = true, header = true)) TO $o (FORMAT parquet)",
                {"p": str(REFERENCE_DIR / name), "o": str(built)},
            )
            counts[table] = con.execute("SELECT count(*) FROM read_parquet($o)", {"o": str(built)}).fetchone()[0]
        publish_file(built, layout.reference_file(table))
    return dg.MaterializeResult(metadata={f"{t}_rows": n for t, n in counts.items()})
