"""The priority model (pipelines/outputs/signals.py) on a small hand-made ICB, every expected number worked out
by hand from the rows below (not from the code): eight months, November 2025 to June 2026, of five practices
and England.

England, every month: methotrexate 10 mg items 3,000 (a count); valproate 10,000 items / 1,000,000 females
13-54 = 10 per 1,000; sedatives 50,000 items / 1,000,000 patients 65+ = 50 per 1,000.
* P00001 issues 46 methotrexate 10 mg items every month: excess 46 (any item is excess), a signal in 6 of
  the last 6 months: priority 27 x 46 x (1 + 6/6) = 2,484.
* P00002 issued 2 items in March, none in April or May, 2 in June: a signal in 2 of 6 months (March, June);
  not new (March is within the 3 months before June): 27 x 2 x (1 + 2/6) = 72.
* P00003 issues 1 item in June only: new; 27 x 1 x (1 + 1/6) = 31.5.
* P00004, 2,000 females 13-54, issues 20 valproate items a month (10 per 1,000, England's rate) until May
  and June, 60 (30 per 1,000). England's rate gives 20 at that size; the 99.8 % Poisson limit is about
  20 + 3.09 x sqrt(20) = 33.8, so 60 is beyond it in May and June: excess 60 - 20 = 40 items, 2 of 6 months:
  27 x 40 x (1 + 2/6) = 1,440.
* P00005, 1,000 patients 65+, issues sedatives falling by 2 a month from 100 to 86 (per 1,000, the same
  numbers): beyond England's limit (50 + 3.09 x sqrt(50) = 71.8) every month, and a falling run of 8 points:
  an improving trend above England's level. June: excess 86 - 50 = 36 items, 6 of 6 months: 3 x 36 x 2 = 216.
"""

from __future__ import annotations

import polars as pl
import pytest

from indicators.catalogue import catalogue
from pipelines.layout import Layout
from pipelines.outputs.analysis import Analysis, assess
from pipelines.outputs.signals import act_on_first, signals_by_icb
from pipelines.outputs.wording import act_first_entry, position, standing, variation

MONTHS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
MTX, VPA, SED = "methotrexate_10mg_items", "valproate_per_1000_female_13_54", "sedative_per_1000_65plus"


def _row(
    ind: str, month: str, org_type: str, code: str, numerator: float, denominator: float | None, multiplier: float
) -> dict:
    value = numerator if denominator is None else numerator / denominator * multiplier
    return {
        "indicator_id": ind,
        "month": month,
        "org_type": org_type,
        "org_code": code,
        "org_name": f"{code} SURGERY" if org_type == "practice" else "England",
        "pcn_code": "U00001",
        "sub_icb_code": "00Y",
        "icb_code": "QOP" if org_type == "practice" else None,
        "region_code": "Y62",
        "numerator": float(numerator),
        "denominator": None if denominator is None else float(denominator),
        "value": float(value),
        "percentile": 50.0,
        "low_numbers": False,
        "suppressed": False,
        "practices": None,
    }


@pytest.fixture(scope="module")
def analysis(tmp_path_factory) -> Analysis:
    rows = []
    for k, m in enumerate(MONTHS):
        rows += [
            _row(MTX, m, "england", "ENG", 3000, None, 1),
            _row(VPA, m, "england", "ENG", 10_000, 1_000_000, 1000),
            _row(SED, m, "england", "ENG", 50_000, 1_000_000, 1000),
        ]
        rows.append(_row(MTX, m, "practice", "P00001", 46, None, 1))
        rows.append(_row(MTX, m, "practice", "P00002", 2 if m in ("2026-03", "2026-06") else 0, None, 1))
        rows.append(_row(MTX, m, "practice", "P00003", 1 if m == "2026-06" else 0, None, 1))
        rows.append(_row(VPA, m, "practice", "P00004", 60 if m in ("2026-05", "2026-06") else 20, 2000, 1000))
        rows.append(_row(SED, m, "practice", "P00005", 100 - 2 * k, 1000, 1000))
    values = pl.DataFrame(rows, infer_schema_length=None)
    indicators = {k: v for k, v in catalogue().items() if k in (MTX, VPA, SED)}
    series: dict = {}
    assessed = assess(values, MONTHS, MONTHS[-1], indicators, series)
    return Analysis(
        Layout(tmp_path_factory.mktemp("data")),
        MONTHS[-1],
        MONTHS,
        indicators,
        values,
        pl.DataFrame(),
        assessed,
        series,
    )


def _by_code(signals):
    return {s.org_code: s for s in signals}


def test_persistence_newness_excess_and_priority_as_worked_by_hand(analysis):
    signals = _by_code(signals_by_icb(analysis)["QOP"])
    assert set(signals) == {"P00001", "P00002", "P00003", "P00004", "P00005"}
    expected = {  # (months a signal of the last 6, new, excess, priority)
        "P00001": (6, False, 46, 2484.0),
        "P00002": (2, False, 2, 72.0),
        "P00003": (1, True, 1, 31.5),
        "P00004": (2, False, 40, 1440.0),
        "P00005": (6, False, 36, 216.0),
    }
    for code, (months_on, new, excess, priority) in expected.items():
        s = signals[code]
        assert (s.months_on, s.new) == (months_on, new), code
        assert s.excess == pytest.approx(excess) and s.priority == pytest.approx(priority), code
    assert signals["P00004"].expected == pytest.approx(20)


def test_the_short_list_puts_the_steady_methotrexate_prescriber_first_and_valproate_in_the_top_three(analysis):
    first = act_on_first(signals_by_icb(analysis)["QOP"])
    assert [s.org_code for s in first] == ["P00001", "P00004", "P00005", "P00002", "P00003"]
    words = act_first_entry(first[0], "THE PCN")
    assert words["against"] == "46 items (the right number is none)"
    assert words["excess"] == "46 items, every one to review" and words["how_long"] == "6 of the last 6 months"
    assert words["action"].startswith("Review each patient issued 10 mg tablets")
    assert act_first_entry(first[1], None)["excess"] == "40 items more than England's rate would give"
    assert act_first_entry(first[-1], None)["how_long"] == "new this month (none in the 3 months before)"


def test_an_improving_trend_above_england_is_never_called_better_than_england(analysis):
    ind = analysis.indicators[SED]
    row = next(r for r in analysis.assessed.iter_rows(named=True) if r["org_code"] == "P00005")
    assert position(ind, row)[0] == "worse" and variation(ind, row)[0] == "improvement"
    state, label = standing(ind, row)
    assert state == "worse" and "worse than England" in label and "improving" in label
    assert "better than England" not in label


def test_each_high_harm_concerns_biggest_practice_is_always_on_the_short_list():
    """Twelve sedative lines of high priority (3 x 100 x 2 = 600 each) and one ICB methotrexate 10 mg
    prescriber of 3 items this month only (27 x 3 x 7/6 = 94.5): methotrexate is a high-harm concern, so its
    biggest practice takes a place; sedatives, one concern, get at most four."""
    from dataclasses import replace

    from pipelines.outputs.signals import Signal, priority

    c = catalogue()
    sedative = [
        Signal(c[SED], "practice", f"S{k:05d}", "x", None, 150.0, 150.0, "continuing", ("",), months_on=6, excess=100.0)
        for k in range(12)
    ]
    sedative = [replace(s, priority=priority(s.indicator, s.excess, 6, True)) for s in sedative]
    mtx = Signal(c[MTX], "practice", "M00001", "x", None, 3.0, 3.0, "new this month", ("",), excess=3.0)
    mtx = replace(mtx, priority=priority(mtx.indicator, 3.0, 1, True))
    assert sedative[0].priority == pytest.approx(600) and mtx.priority == pytest.approx(94.5)
    first = act_on_first(sedative + [mtx])
    assert [s.org_code for s in first] == ["S00000", "S00001", "S00002", "S00003", "M00001"]
