"""The 17 real rows of NHSBSA's January 2026 EPD with SNOMED code (byte for byte) through the engine:
numerators worked by hand from the rows. No list sizes are loaded, so list-size denominators are NULL.

Rows that matter (practice, code, name, ITEMS):
  G85034  0408010W0BBALA2  Epilim Chrono 500 tablets                       1   valproate
  G85034  0408010W0BBAMBS  Epilim Chronosphere MR 500mg granules sachets   1   valproate
  Y05540  0401010Z0AAAAAA  Zopiclone 7.5mg tablets                         3   sedatives (falls)
  Y05540  0401020K0AAAHAH  Diazepam 2mg tablets                            2   sedatives (falls)
  M83038  0402010ADAAAAAA  Aripiprazole 10mg tablets                       5   antipsychotics (falls; STOMP)
  K83010  040201030AAAAAA  Risperidone 1mg tablets                         5   antipsychotics (falls; STOMP)
Every other row (dressings, appliances, clarithromycin, fexofenadine, EpiPen, Ipinnia XL, Glucophage SR,
Mounjaro) is in no indicator's code list."""

import duckdb
import pytest

from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.indicators.engine import compute_practice_month
from pipelines.layout import Layout
from tests.epd_fixtures import REAL_ROWS


@pytest.fixture(scope="module")
def values(tmp_path_factory):
    layout = Layout(tmp_path_factory.mktemp("real202601") / "data")
    ingest_epd_month(REAL_ROWS, "2026-01", layout)
    result = compute_practice_month(layout, "2026-01")
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT indicator_id, practice_code, numerator, denominator, value FROM read_parquet($p)",
            {"p": str(result.values_path)},
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}, result


def test_valproate_items_from_real_rows(values):
    got, _ = values
    assert got[("valproate_per_1000_female_13_54", "G85034")] == (2, None, None)  # no list sizes: no denominator
    assert all(
        v[0] == 0
        for (ind, practice), v in got.items()
        if ind == "valproate_per_1000_female_13_54" and practice != "G85034"
    )


def test_no_other_indicator_counts_these_rows(values):
    got, result = values
    counted = {(ind, p) for (ind, p), v in got.items() if v[0]}
    assert counted == {
        ("valproate_per_1000_female_13_54", "G85034"),
        ("sedative_per_1000_65plus", "Y05540"),
        ("antipsychotic_per_1000_65plus", "M83038"),
        ("antipsychotic_per_1000_65plus", "K83010"),
        ("antipsychotic_per_1000_patients", "M83038"),
        ("antipsychotic_per_1000_patients", "K83010"),
    }
    assert got[("sedative_per_1000_65plus", "Y05540")][0] == 3 + 2  # zopiclone 3 items, diazepam 2
    for ind in ("antipsychotic_per_1000_65plus", "antipsychotic_per_1000_patients"):
        assert got[(ind, "M83038")][0] == 5 and got[(ind, "K83010")][0] == 5
    assert result.opioid_items_in_scope == 0
    # Every identified cost centre in the file gets a row (no practice map loaded).
    assert {p for _, p in got} == {
        "P85002",
        "P85003",
        "M83038",
        "Y05540",
        "K83010",
        "M88610",
        "G85034",
        "C84656",
        "M81069",
        "L83113",
    }
