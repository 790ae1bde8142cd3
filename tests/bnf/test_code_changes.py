"""NHSBSA's BNF code changes keep a recoded product in its indicator: a real recode (tapentadol 150 mg MR
capsules, 0407020AHAAACAC -> 0407020AGAAALAL in NHSBSA's 2025 code changes) across 24 months.

One practice, every month: 2 items of tapentadol 150 mg MR capsules (56 each) and 3 items of oxycodone
10 mg MR tablets (56 each). Under the old code until December 2024, the new code from January 2025.
By hand, every month: high-dose (120 mg) numerator 2 items of 5 long-acting; OME 112 x 150 x 0.4 = 6,720
+ 168 x 10 x 1.5 = 2,520 = 9,240 mg."""

import duckdb
import pytest

from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.indicators.engine import build_warehouse, compute_practice_month
from pipelines.layout import Layout
from pipelines.months import month_range
from tests.indicators.test_golden import CURRENT_HEADER, _num, _q

MONTHS = month_range("2024-01:2025-12")
ORG = (
    "NORTH WEST",
    "Y62",
    "NHS GREATER MANCHESTER INTEGRATED CARE BOARD",
    "QOP",
    "NHS GREATER MANCHESTER ICB - 00Y",
    "00Y00",
    "OLDHAM ROAD PRACTICE",
    "P84001",
)


def epd(month: str) -> bytes:
    tapentadol = "0407020AHAAACAC" if month < "2025-01" else "0407020AGAAALAL"
    rows = [
        (tapentadol, "Tapentadol 150mg modified-release capsules", 56, 2),
        ("0407020ADAAAFAF", "Oxycodone 10mg modified-release tablets", 56, 3),
    ]
    lines = [
        ",".join(
            [
                _q(month),
                *map(_q, ORG),
                *[_q("")] * 5,
                _q(code[:9]),
                _q("Chemical"),
                _q(code),
                _q(name),
                _q("04: Central Nervous System"),
                _num(q),
                str(items),
                _num(q * items),
                _num(0),
                _num(9.5),
                _num(9.1),
                _q("N"),
                "123456789",
            ]
        )
        for code, name, q, items in rows
    ]
    return CURRENT_HEADER + ("\n".join(lines) + "\n").encode("latin-1")


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("recode")
    layout = Layout(root / "data")
    for month in MONTHS:
        path = root / f"EPD_SNOMED_{month.replace('-', '')}.csv"
        path.write_bytes(epd(month))
        ingest_epd_month(path, month, layout)
        compute_practice_month(layout, month)
    build_warehouse(layout)
    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        values = con.execute(
            "SELECT indicator_id, month, numerator, denominator FROM indicator_values "
            "WHERE org_type = 'practice' AND geography = 'as_published' AND org_code = 'P84001'"
        ).fetchall()
        breakdown = con.execute(
            "SELECT DISTINCT bnf_code, bnf_name FROM indicator_breakdown WHERE org_type = 'practice' "
            "AND indicator_id = 'opioid_high_dose_pct_120'"
        ).fetchall()
    return {(i, m): (n, d) for i, m, n, d in values}, set(breakdown)


def test_high_dose_series_is_continuous_across_the_recode(series):
    values, _ = series
    for month in MONTHS:
        assert values[("opioid_high_dose_pct_120", month)] == (2, 5), month
        assert values[("opioid_high_dose_pct_90", month)] == (2, 5), month


def test_ome_is_continuous_across_the_recode(series):
    values, _ = series
    assert all(values[("opioid_ome_per_1000_day", m)][0] == pytest.approx(9240) for m in MONTHS)


def test_breakdown_shows_the_current_code(series):
    _, codes = series
    # NHSBSA's 2024-11 list predates the new code, so both codes' months show the name as published
    assert codes == {("0407020AGAAALAL", "Tapentadol 150mg modified-release capsules")}
