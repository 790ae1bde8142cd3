"""The XmR charts of many series at once (spc.xmr_many, what the outputs use) equal the point-at-a-time
reference (xmr_reference.py) series by series: every limit to the last bit, every point's rules, side and
variation. Series are drawn to hit the rules' edges: few distinct values (points on the mean, flat steps,
ties on a limit), long runs, missing months, series too short for limits, and all three directions."""

import random

import numpy as np
import pytest

from pipelines.stats.spc import xmr, xmr_many
from tests.stats.xmr_reference import reference_xmr

FIELDS = ("mean", "mr_bar", "upper", "lower", "upper_2s", "lower_2s", "sides", "variation")


def _series(rng: random.Random, months: int) -> list[float | None]:
    kind = rng.choice(["levels", "walk", "step", "spike", "floats"])
    if kind == "levels":  # few values: points on the mean and flat steps
        values = [float(rng.choice([0, 1, 2, 3])) for _ in range(months)]
    elif kind == "walk":  # long rises and falls: trends
        values, x = [], 10.0
        for _ in range(months):
            x = max(0.0, x + rng.choice([-1, 1, 1, 1, 0]))
            values.append(x)
    elif kind == "step":  # a level shift: runs on one side of the mean
        cut = rng.randrange(months)
        values = [float(rng.choice([5, 6]) if i < cut else rng.choice([9, 10])) for i in range(months)]
    elif kind == "spike":  # points outside the limits and beyond two sigma
        values = [float(rng.choice([10, 11])) for _ in range(months)]
        for _ in range(rng.randrange(4)):
            values[rng.randrange(months)] = rng.choice([14.5, 20.0, 0.0])
    else:
        values = [rng.uniform(0, 50) for _ in range(months)]
    gaps = rng.choice([0.0, 0.0, 0.1, 0.4])
    return [None if rng.random() < gaps else v for v in values]


@pytest.mark.parametrize("months", [1, 5, 6, 7, 8, 13, 21, 24, 30])
def test_many_series_at_once_equal_the_reference_series_by_series(months):
    rng = random.Random(months)
    series = [_series(rng, months) for _ in range(400)]
    directions = [rng.choice([True, False, None]) for _ in series]
    charts = xmr_many(np.array(series, dtype=float), directions)
    for values, direction, chart in zip(series, directions, charts):
        expected = reference_xmr(values, direction)
        for name in FIELDS:
            assert getattr(chart, name) == getattr(expected, name), (name, values, direction)
        assert [set(r) for r in chart.rules] == expected.rules, (values, direction)


def test_the_edges_are_reached():
    """The draws above do exercise every rule, both sides and the short series (else the equality is empty)."""
    rng = random.Random(24)
    series = [_series(rng, 24) for _ in range(400)]
    charts = xmr_many(np.array(series, dtype=float), [True] * len(series))
    seen = {(rule, side) for c in charts for rules, side in zip(c.rules, c.sides) for rule in rules}
    assert seen >= {(r, s) for r in ("outside", "shift", "trend", "two_of_three") for s in ("high", "low")}
    short = xmr_many(np.array([[1.0, None, 2.0, 3.0, None, 4.0, 5.0]], dtype=float), [True])[0]
    assert short.mean is None and short.variation == ["common", "none", "common", "common", "none", "common", "common"]


def test_one_series_is_the_same_chart():
    values = [10, 10, 10, 10, 10, 10, 10, 30]
    assert xmr(values, True) == xmr_many(np.array([values], dtype=float), [True])[0]
    clipped = xmr([0, 0, 0, 0, 0, 9], True)  # mean 1.5, mR-bar 1.8: both lower lines below zero, drawn at 0.0
    assert (clipped.lower, clipped.lower_2s) == (0.0, 0.0) and type(clipped.lower) is float
