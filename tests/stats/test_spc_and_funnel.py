"""SPC and funnel limits against series and counts worked out by hand."""

import pytest

from pipelines.stats.funnel import Z95, Z998, binomial_limits, flag, poisson_limits
from pipelines.stats.spc import trend_direction, xmr

A = pytest.approx


def test_limits_and_common_cause():
    # mean = 95/8 = 11.875; moving ranges 2,1,2,1,2,3,1 -> mR-bar = 12/7 = 1.714286
    # limits = 11.875 +/- 2.66 x 1.714286 = 16.435, 7.315; sigma = 1.714286/1.128 = 1.519757
    r = xmr([10, 12, 11, 13, 12, 14, 11, 12], low_is_good=True)
    assert (r.mean, r.mr_bar) == (A(11.875), A(12 / 7))
    assert (r.upper, r.lower) == (A(16.435), A(7.315))
    assert (r.upper_2s, r.lower_2s) == (A(11.875 + 2 * (12 / 7) / 1.128), A(11.875 - 2 * (12 / 7) / 1.128))
    assert r.variation == ["common"] * 8


def test_point_outside_limits_and_a_shift_below():
    # mean = 100/8 = 12.5; mR-bar = 20/7 = 2.857143; upper limit 12.5 + 7.6 = 20.1 -> 30 is outside (high).
    # The seven 10s are a run of 7 below the mean: a shift (low).
    r = xmr([10, 10, 10, 10, 10, 10, 10, 30], low_is_good=True)
    assert r.upper == A(20.1)
    assert r.rules[7] == {"outside"} and r.sides[7] == "high"
    assert all(r.rules[i] == {"shift"} and r.sides[i] == "low" for i in range(7))
    assert r.variation == ["improvement"] * 7 + ["concern"]  # lower is better


def test_trend_of_seven_rising_points():
    values = [10, 14, 9, 13, 10, 11, 12, 13, 14, 15, 16, 12, 9, 14]
    # mean = 172/14 = 12.285714; mR sum 34 over 13 -> 2.615385; limits 19.2426 and 5.3288;
    # 2-sigma lines 16.9229 and 7.6485: no point outside or beyond two sigma; runs around the mean <= 4.
    r = xmr(values, low_is_good=True)
    assert (r.mean, r.mr_bar) == (A(172 / 14), A(34 / 13))
    trend = [i for i, rules in enumerate(r.rules) if "trend" in rules]
    assert trend == [4, 5, 6, 7, 8, 9, 10]  # 10, 11, ..., 16: six increases, seven points
    assert all(r.rules[i] == set() for i in range(14) if i not in trend)
    assert r.variation == ["common"] * 4 + ["concern"] * 7 + ["common"] * 3


def test_six_rising_points_are_not_a_trend():
    r = xmr([10, 14, 9, 13, 10, 11, 12, 13, 14, 15, 12, 9, 14], low_is_good=True)
    assert not any("trend" in rules for rules in r.rules)


def test_two_of_three_beyond_two_sigma():
    values = [10, 11] * 8 + [14.5, 11, 14.5]
    # mean = 208/19 = 10.947368; mR = 15 x 1 + 3 x 3.5 = 25.5 over 18 -> 1.416667
    # upper limit = 10.947368 + 2.66 x 1.416667 = 14.715702 (14.5 is inside);
    # upper 2-sigma = 10.947368 + 2 x 1.416667 / 1.128 = 13.459188 (14.5 is beyond): points 16 and 18.
    r = xmr(values, low_is_good=False)
    assert (r.upper, r.upper_2s) == (A(14.715702), A(13.459188))
    flagged = [i for i, rules in enumerate(r.rules) if rules]
    assert flagged == [16, 18] and r.rules[16] == {"two_of_three"}
    assert r.variation[16] == r.variation[18] == "improvement"  # higher is better here


@pytest.mark.parametrize("low_is_good, label", [(True, "concern"), (False, "improvement"), (None, "special")])
def test_shift_above_and_direction(low_is_good, label):
    values = [10, 12, 10, 12, 10, 14, 13, 14, 13, 14, 13, 14]
    # mean = 149/12 = 12.416667: points 5-11 (seven) are above it; limits 16.77 / 8.06, 2-sigma 15.32.
    r = xmr(values, low_is_good)
    assert [i for i, rules in enumerate(r.rules) if rules] == list(range(5, 12))
    assert all(r.rules[i] == {"shift"} for i in range(5, 12))
    assert r.variation == ["common"] * 5 + [label] * 7


def test_missing_months_are_skipped_and_short_series_get_no_limits():
    r = xmr([10, None, 12, 11, 13, 12, 14, 11, 12], low_is_good=True)
    assert r.mean == A(11.875) and r.variation[1] == "none"
    short = xmr([1, 2, 3, 4, 5], low_is_good=True)
    assert short.mean is None and short.variation == ["common"] * 5


def test_trend_direction():
    assert trend_direction([10, 10, 10, 11, 12, 12]) == "rising"  # last 3 mean 11.67 vs 10: +16.7%
    assert trend_direction([10, 10, 10, 10, 10, 10.4]) == "flat"  # +1.3%
    assert trend_direction([10, 10, 10, 9, 9, 9]) == "falling"
    assert trend_direction([1, 2, 3]) == "too few months"


def test_binomial_limits():
    # p0 = 0.1, n = 100: standard error sqrt(0.09/100) = 0.03
    assert binomial_limits(0.1, 100, Z95) == (A(0.1 - 1.959964 * 0.03), A(0.1 + 1.959964 * 0.03))
    assert binomial_limits(0.1, 100, Z998) == (A(0.00729304), A(0.19270696))
    assert binomial_limits(0.01, 10, Z998)[0] == 0.0  # clipped at zero
    assert (flag("binomial", 0.2, 0.1, 100), flag("binomial", 0.005, 0.1, 100), flag("binomial", 0.1, 0.1, 100)) == (
        "above",
        "below",
        "within",
    )
    assert flag("binomial", 0.2, 0.1, 0) == "none"


def test_poisson_limits():
    # r0 = 0.002 per person, n = 10,000: expected 20, sqrt 4.472136
    lo, hi = poisson_limits(0.002, 10_000, Z998)
    assert (lo, hi) == (A((20 - 3.090232 * 4.472136) / 10_000), A((20 + 3.090232 * 4.472136) / 10_000))
    assert poisson_limits(0.002, 10_000, Z95) == (A(11.2348 / 10_000, rel=1e-4), A(28.7652 / 10_000, rel=1e-4))
    assert flag("poisson", 35 / 10_000, 0.002, 10_000) == "above"
    assert flag("poisson", 6 / 10_000, 0.002, 10_000) == "below"


def test_limits_of_small_counts_are_clipped_at_zero():
    # Items 0,1,0,3,0,1 a month: mean 5/6, moving ranges 1,1,3,3,1 (mean 1.8); the lower limit
    # 5/6 - 2.66 x 1.8 = -3.95 and lower 2-sigma line 5/6 - 2 x 1.8/1.128 = -2.36 are drawn at 0.
    r = xmr([0, 1, 0, 3, 0, 1], low_is_good=True)
    assert r.mean == A(5 / 6) and r.upper == A(5 / 6 + 2.66 * 1.8)
    assert (r.lower, r.lower_2s) == (0.0, 0.0)
    assert r.variation == ["common"] * 6  # zero is not below a zero limit
