"""Coverage of a month's EPD against its practice map and the previous month (pipelines/verdicts/coverage.py),
on small lake files written here: which ICB or sub-ICB is named, and when the share of silent practices
warns. Counts worked by hand from the rows below."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.layout import Layout
from pipelines.tables import lake_file
from pipelines.verdicts.coverage import month_coverage


def _write(path, rows: list[tuple], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        values = ", ".join("(" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in r) + ")" for r in rows)
        con.execute(f"COPY (SELECT * FROM (VALUES {values}) AS t({', '.join(columns)})) TO '{path}' (FORMAT parquet)")


PRACTICES = ["practice_code", "icb_code", "icb_name", "items"]
MAP = ["practice_code", "icb_code", "icb_name", "sub_icb_code", "sub_icb_name"]
# ICB QOP: 00Y (A1, A2) and 01D (A3); ICB QWE: 36L (B1 ... B25): 28 practices
THE_MAP = [
    ("A1", "QOP", "GM", "00Y", "Oldham"),
    ("A2", "QOP", "GM", "00Y", "Oldham"),
    ("A3", "QOP", "GM", "01D", "HMR"),
    *((f"B{i}", "QWE", "SWL", "36L", "SWL") for i in range(1, 26)),
]


@pytest.fixture
def layout(tmp_path):
    return Layout(tmp_path)


def _month(layout, month, practices, with_map=True):
    _write(lake_file(layout, "practices", month), [(p, icb, "x", items) for p, icb, items in practices], PRACTICES)
    if with_map:
        _write(lake_file(layout, "practice_geography", month), THE_MAP, MAP)


def test_every_icb_present(layout):
    _month(layout, "2026-01", [("A1", "QOP", 3), ("A3", "QOP", 1), *((f"B{i}", "QWE", 2) for i in range(1, 26))])
    c = month_coverage(layout, "2026-01")
    assert c.passed and c.absent == [] and (c.map_practices, c.map_missing) == (28, 1)  # A2 silent: 1 of 28, 3.6%


def test_an_icb_absent_from_the_epd_is_named_once(layout):
    _month(layout, "2026-01", [(f"B{i}", "QWE", 2) for i in range(1, 26)])
    c = month_coverage(layout, "2026-01")
    assert [(a.level, a.code, a.practices) for a in c.absent] == [("icb", "QOP", 3)]  # not its sub-ICBs again
    assert (
        not c.passed
        and "no prescribing for ICB QOP (GM: 0 of 3 practices in the month's practice map)" in c.description()
    )


def test_a_sub_icb_absent_is_named(layout):
    _month(layout, "2026-01", [("A3", "QOP", 1), *((f"B{i}", "QWE", 2) for i in range(1, 26))])
    c = month_coverage(layout, "2026-01")
    assert [(a.level, a.code, a.practices) for a in c.absent] == [("sub_icb", "00Y", 2)]
    assert "2 of the map's 28 practices (7.1%) have no EPD rows (over 5%)" in c.description()


def test_against_the_previous_month_without_a_map(layout):
    _month(layout, "2025-12", [("A1", "QOP", 3), *((f"B{i}", "QWE", 2) for i in range(1, 26))], with_map=False)
    _month(layout, "2026-01", [("A1", "QOP", 3)], with_map=False)
    c = month_coverage(layout, "2026-01")
    assert [(a.code, a.practices, a.against) for a in c.absent] == [("QWE", 25, "2025-12's EPD")]
    # an ICB of fewer than 5 practices then is not called gone (QOP's one practice is still there anyway)


def test_no_map_and_no_earlier_month_is_said(layout):
    _month(layout, "2026-01", [("A1", "QOP", 3)], with_map=False)
    c = month_coverage(layout, "2026-01")
    assert not c.checked and c.passed and "no practice map and no earlier month" in c.description()
