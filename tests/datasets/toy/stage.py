"""The toy's month: staged in scratch, held to its expectations, published only with the rest of the month."""

from pathlib import Path

import duckdb

from pipelines.atomic import StagedFile
from pipelines.checks.gx_duckdb import failure_text, validate_parquet
from pipelines.tables import lake_file
from tests.datasets.toy.suite import expectations

SQL = (Path(__file__).parent / "stage.sql").read_text()


def stage(staging) -> StagedFile:
    source = Path(staging.record["path"])
    staging.work.mkdir(parents=True, exist_ok=True)
    out = staging.work / "toy.parquet"
    with duckdb.connect() as con:
        con.execute(SQL, {"month": staging.month, "path": str(source), "out_path": str(out)})
        practices, vaccinated = con.execute(
            "SELECT count(*), sum(vaccinated) FROM read_parquet(?)", [str(out)]
        ).fetchone()
    summary = validate_parquet(out, "toy_rows", expectations(), staging.work)
    if not summary["success"]:
        raise ValueError(
            f"{source.name} for {staging.month} refused by the toy expectations: {failure_text(summary)}. "
            f"Nothing of {staging.month} was published; the lake keeps the month's previous data"
        )
    return StagedFile(
        out,
        lake_file(staging.layout, "toy_vaccinations", staging.month),
        {"practices": practices, "vaccinated": vaccinated},
    )


def metadata(published: dict | None) -> dict:
    assert published is not None
    return {
        "dagster/row_count": published["practices"],
        "vaccinated": published["vaccinated"],
        "path": Path(published["path"]),
    }
