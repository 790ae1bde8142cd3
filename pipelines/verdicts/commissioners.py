"""Are the month's commissioner (PCO) codes the CCGs or sub-ICB locations of their era? (The asset check
prescribing_month_commissioners in pipelines/wiring/asset_checks.py reports this.)

Warning only: the codes are EPD's own and a few non-GP cost centres sit under other bodies, so a
stranger is reported, not refused. The reference set used is said in the result:
* STP-era files (April 2017 - June 2022): the CCGs of NHS Digital's real September 2020 and January 2022
  practice maps (reference/sources/nhs_digital/);
* ICB-era files: the sub-ICB locations of the practice maps in the lake;
* area-team-era files: no reference set is held for 2014-2017 CCGs, so none is checked (the GE suite
  checks the code format).
"""

from pathlib import Path

import duckdb
import polars as pl

from pipelines.datasets.epd import EPD_FILE
from pipelines.datasets.epd.flavours import source_geography
from pipelines.datasets.records import read_record
from pipelines.duck import duckdb_connection
from pipelines.layout import Layout
from pipelines.organisations.ccg_successors import MAP_2020, MAP_2022
from pipelines.parquet_files import check_readable
from pipelines.sqlfiles import load_sql
from pipelines.tables import TABLES, lake_file

KNOWN_SHARE = 0.99  # of identified items


def _lake_map_codes(layout: Layout) -> set[str]:
    files = TABLES["practice_geography"].files(layout)
    if not files:
        return set()
    check_readable(files)
    with duckdb.connect() as con:
        rows = con.execute(load_sql("lake/map_sub_icb_codes"), {"p": [str(f) for f in files]}).fetchall()
    return {r[0] for r in rows}


def reference_set(layout: Layout, header_geography: str) -> tuple[str, set[str] | None]:
    if header_geography == "STP":
        codes = _lake_map_codes(layout)
        for path in (MAP_2020, MAP_2022):
            codes |= set(pl.read_csv(path, infer_schema=False)["CCG_CODE"].to_list())
        return ("CCGs of NHS Digital's September 2020 and January 2022 practice maps and of the lake's maps", codes)
    if header_geography == "ICB":
        codes = _lake_map_codes(layout)
        if not codes:
            return "no practice map in the lake: not checked", None
        return "sub-ICB locations of the practice maps in the lake", codes
    return "area-team era: no reference set of 2014-2017 CCGs is held; not checked", None


def commissioner_codes(layout: Layout, month: str) -> dict:
    """The share of the month's identified items whose commissioner code is in its era's reference set:
    {passed, description, reference_set, known_share, unknown: [(code, items), ...] most items first}."""
    record = read_record(EPD_FILE.record_dir(layout, month), EPD_FILE.what, month)
    used, codes = reference_set(layout, source_geography(Path(record["path"])))
    if codes is None:
        return {"passed": True, "description": used, "reference_set": used, "known_share": None, "unknown": []}
    con = duckdb_connection(layout.tmp, "1GB")
    try:
        rows = con.execute(
            load_sql("lake/commissioner_codes"), {"practices_path": str(lake_file(layout, "practices", month))}
        ).fetchall()
    finally:
        con.close()
    total = sum(items for _, items in rows) or 0
    unknown = sorted(((code, items) for code, items in rows if code not in codes), key=lambda r: -r[1])
    share = 1 - sum(items for _, items in unknown) / total if total else 1.0
    return {
        "passed": share >= KNOWN_SHARE,
        "reference_set": used,
        "known_share": share,
        "unknown": unknown,
        "description": (
            f"{share:.2%} of identified items carry a commissioner code of the {used}"
            + (f"; unknown: {', '.join(c for c, _ in unknown[:10])}" if unknown else "")
        ),
    }
