"""Which CCG each CCG of September 2020 became by January 2022, from NHS Digital's two real practice maps
(reference/sources/nhs_digital/, byte for byte): the 2022 CCG that most of its practices were in.

The 135 CCGs of the 2020 map became 106 by January 2022 (April 2021 mergers); every 2020 CCG's practices all went to
one 2022 CCG. The sub-ICB locations of July 2022 kept the CCG codes of January 2022. So a practice that closed
before the maps in the lake began can still be placed in today's organisations: its last EPD PCO code (a CCG) ->
this table -> a sub-ICB code the lake's maps know. `python -m pipelines.organisations.ccg_successors` rewrites
reference/ccg_successors.csv; tests/indicators/test_geography_eras.py checks the file equals a fresh derivation.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.reference import REFERENCE_DIR
from pipelines.sqlfiles import load_sql

MAPS = REFERENCE_DIR / "sources" / "nhs_digital"
MAP_2020, MAP_2022 = MAPS / "2020-09_gp-reg-pat-prac-map.csv", MAPS / "2022-01_gp-reg-pat-prac-map.csv"
TABLE = REFERENCE_DIR / "ccg_successors.csv"


def derive(map_2020: Path = MAP_2020, map_2022: Path = MAP_2022) -> pl.DataFrame:
    with duckdb.connect() as con:
        rows = con.execute(
            load_sql("organisations/ccg_successors"), {"old": str(map_2020), "new": str(map_2022)}
        ).fetchall()
    cols = ["ccg_code_2020", "ccg_name_2020", "ccg_code_2022", "ccg_name_2022", "practices_moved", "practices_in_both"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def successors() -> dict[str, str]:
    table = pl.read_csv(TABLE, infer_schema=False)
    return dict(zip(table["ccg_code_2020"], table["ccg_code_2022"]))


if __name__ == "__main__":
    derive().write_csv(TABLE)
    print(f"wrote {TABLE}")
