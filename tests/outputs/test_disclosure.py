"""Disclosure control: primary suppression of 1-7, rounding to 5, secondary suppression; and an attacker
who tries to recover suppressed counts from everything published."""

import random

import polars as pl
import pytest

from pipelines.outputs.disclosure import disclose, round_count


def test_rounding_to_the_nearest_five():
    assert [round_count(n) for n in (0, 8, 10, 12, 13, 17, 18, 1234)] == [0, 10, 10, 10, 15, 15, 20, 1235]


def frame(rows):
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "month": pl.String,
            "geography": pl.String,
            "org_type": pl.String,
            "org_code": pl.String,
            "sub_icb_code": pl.String,
            "icb_code": pl.String,
            "region_code": pl.String,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "percentile": pl.Float64,
        },
    )


def row(org_type, code, num, den, icb="QX", sub="S1", region="R1", ind="pl_x"):
    return {
        "indicator_id": ind,
        "month": "2026-03",
        "geography": "current",
        "org_type": org_type,
        "org_code": code,
        "sub_icb_code": sub if org_type in ("practice", "sub_icb") else None,
        "icb_code": icb if org_type in ("practice", "sub_icb", "icb") else None,
        "region_code": region if org_type != "england" else None,
        "numerator": num,
        "denominator": den,
        "value": num / den * 100 if den else None,
        "percentile": 50.0,
    }


def test_primary_and_secondary_suppression():
    rows = [
        row("practice", "A", 3, 40),
        row("practice", "B", 10, 50),
        row("practice", "C", 22, 60),
        row("sub_icb", "S1", 35, 150),
        row("icb", "QX", 35, 150),
        row("region", "R1", 35, 150),
        row("england", "ENG", 35, 150),
        row("practice", "P", 30, 90, ind="methotrexate_10mg_pct"),
    ]  # public rows untouched
    out = disclose(frame(rows), {"pl_x"}, {"pl_x": 100.0})
    got = {r["org_code"]: r for r in out.iter_rows(named=True)}
    assert got["A"]["numerator"] is None and got["A"]["value"] is None and got["A"]["suppressed"]
    assert got["A"]["denominator"] == 40 and got["A"]["percentile"] is None
    # A was alone: B (the smallest other non-zero practice) is suppressed too; C is rounded.
    assert got["B"]["numerator"] is None and got["B"]["suppressed"]
    assert (got["C"]["numerator"], got["C"]["denominator"], got["C"]["value"]) == (20, 60, pytest.approx(100 / 3))
    assert got["QX"]["numerator"] == 35 and got["QX"]["denominator"] == 150
    assert got["P"]["numerator"] == 30 and not got["P"]["suppressed"]


# Rounding to 5 alone blurs a difference of totals; with exact counts (round_to=1) only the secondary
# suppression stands between the attacker and the cell, so both settings are attacked.
@pytest.mark.parametrize("round_to", [5, 1])
def test_an_attacker_cannot_recover_a_suppressed_count(round_to):
    rng = random.Random(7)
    rows = []
    for icb in ("Q1", "Q2", "Q3"):
        counts = [rng.choice([0, 0, 1, 2, 3, 5, 7, 8, 9, 12, 15, 30, 44]) for _ in range(rng.randint(2, 6))]
        for k, n in enumerate(counts):
            rows.append(row("practice", f"{icb}P{k}", n, 100, icb=icb, sub=icb + "S"))
        rows.append(row("sub_icb", icb + "S", sum(counts), 100 * len(counts), icb=icb, sub=icb + "S"))
        rows.append(row("icb", icb, sum(counts), 100 * len(counts), icb=icb))
    total = sum(r["numerator"] for r in rows if r["org_type"] == "icb")
    rows.append(row("region", "R1", total, 1000))
    rows.append(row("england", "ENG", total, 1000))
    truth = {r["org_code"]: r["numerator"] for r in rows}
    published = {
        r["org_code"]: r for r in disclose(frame(rows), {"pl_x"}, {"pl_x": 100.0}, round_to).iter_rows(named=True)
    }
    half = round_to // 2
    suppressed = [c for c, r in published.items() if r["numerator"] is None]
    assert suppressed, "the fixture must exercise suppression"

    def bounds(code):
        # What the attacker knows about a cell: exact 0, a rounding interval, or "suppressed" (1-7 if
        # primary, but they cannot tell primary from secondary, so 0 upwards).
        n = published[code]["numerator"]
        if n is None:
            return 0, float("inf")
        return (0, 0) if n == 0 else (n - half, n + half)

    for icb in ("Q1", "Q2", "Q3"):
        practices = [c for c in published if c.startswith(icb + "P")]
        for target in (c for c in practices if c in suppressed):
            low_total, high_total = bounds(icb)
            others = [bounds(c) for c in practices if c != target]
            low = max(1, low_total - sum(h for _, h in others))
            high = min(
                7 if published[target]["numerator"] is None else high_total, high_total - sum(lo for lo, _ in others)
            )
            # Recovering the count means narrowing it to one value; it must stay ambiguous.
            assert high > low, (target, truth[target], low, high)
