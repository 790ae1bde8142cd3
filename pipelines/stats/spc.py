"""Statistical process control, NHS England "Making Data Count" style: an XmR chart per series.

* Baseline: the first `BASELINE_POINTS` (20) non-missing points, or all of them if fewer. Limits need at
  least `MIN_POINTS` (6) points; shorter series get no limits and no signals.
* Centre line = baseline mean. Moving range mR_i = |x_i - x_(i-1)| over the baseline; process limits =
  mean ± 2.66 × mean(mR); sigma = mean(mR) / 1.128, so the 2-sigma lines are mean ± 2 sigma.
* Limits are clipped at zero: every indicator is a count, rate or share of something that cannot be
  negative, so a lower limit (or 2-sigma line) below zero is drawn at zero. No point can fall below it,
  so the clipping changes what is drawn, never which points signal; small monthly counts (a practice
  issuing 0-3 items) thus get no impossible negative limits.
* Special-cause rules, applied to every point (missing months are skipped, not treated as breaks):
  1. `outside`: a point above the upper or below the lower process limit;
  2. `shift`: a run of 7 or more consecutive points all above, or all below, the mean (a point exactly on
     the mean ends a run);
  3. `trend`: a run of 7 or more consecutive points each higher (or each lower) than the one before;
  4. `two_of_three`: 2 of 3 consecutive points beyond the same 2-sigma line (both points are flagged).
* A point with a signal on the high side is `concern` when lower is better and `improvement` when higher
  is better (and the reverse on the low side); `special` when the indicator makes no judgement; otherwise
  `common` cause. Points without a value are `none`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BASELINE_POINTS = 20
MIN_POINTS = 6
RUN = 7
E2 = 2.66  # 3 / d2 with d2 = 1.128 for moving ranges of two
D2 = 1.128


@dataclass
class Xmr:
    mean: float | None
    mr_bar: float | None
    upper: float | None
    lower: float | None
    upper_2s: float | None
    lower_2s: float | None
    rules: list[frozenset[str]] = field(default_factory=list)  # per point: which rules flag it
    sides: list[str | None] = field(default_factory=list)  # per point: 'high' | 'low' | None
    variation: list[str] = field(default_factory=list)  # per point: concern | improvement | special | common | none


def xmr(values: list[float | None], low_is_good: bool | None) -> Xmr:
    """The XmR chart of one series (None: no value that month)."""
    return xmr_many(np.array([values], dtype=float), [low_is_good])[0]


# A point's rules as a bit each, in the order a point's side is taken from (the first rule that flags it).
OUTSIDE, SHIFT, TREND, TWO_HIGH, TWO_LOW = 1, 2, 4, 8, 16
_RULE_BITS = ((OUTSIDE, "outside"), (SHIFT, "shift"), (TREND, "trend"), (TWO_HIGH | TWO_LOW, "two_of_three"))
_RULE_SETS = np.array([frozenset(name for bit, name in _RULE_BITS if bits & bit) for bits in range(32)], dtype=object)
_SIDES = np.array([None, "high", "low"], dtype=object)
_VARIATION = np.array(["none", "common", "special", "concern", "improvement"], dtype=object)


def _run_lengths(signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cell, the length of the run it is in along its row, and whether it starts one: a run is
    consecutive cells of one non-zero sign; a zero is a run of its own (it ends a run and starts none)."""
    n, m = signs.shape
    starts = np.ones((n, m), dtype=bool)
    starts[:, 1:] = (signs[:, 1:] != signs[:, :-1]) | (signs[:, 1:] == 0)
    runs = np.cumsum(starts, axis=1) - 1 + (np.arange(n) * m)[:, None]  # a run number unique over all rows
    return np.bincount(runs.ravel(), minlength=n * m)[runs], starts


def xmr_many(values: np.ndarray, low_is_good: list[bool | None]) -> list[Xmr]:
    """The XmR chart of every row of `values` (series x months, NaN: no value that month), all at once.

    The rules are those of the module's docstring, computed over arrays rather than a point at a time (a
    national month has ~120,000 series): each row's present points are moved to its front in order (missing
    months are skipped, not breaks), the rules are applied there, and the flags are put back in place. Sums
    are sequential (cumsum), as a loop would add them, so that a point on a limit falls on the same side."""
    v = np.asarray(values, dtype=float)
    n, m = v.shape
    present = ~np.isnan(v)
    counts = present.sum(axis=1)
    order = np.argsort(~present, axis=1, kind="stable")  # each row's present points first, in month order
    x = np.take_along_axis(v, order, axis=1)
    pos = np.arange(m)[None, :]
    valid = pos < counts[:, None]
    charted = counts >= MIN_POINTS
    used = np.minimum(counts, BASELINE_POINTS)
    in_baseline = pos < used[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.cumsum(np.where(in_baseline, x, 0.0), axis=1)[:, -1] / used
        ranges = np.zeros((n, m))
        ranges[:, 1:] = np.where(in_baseline[:, 1:], np.abs(x[:, 1:] - x[:, :-1]), 0.0)
        mr_bar = np.cumsum(ranges, axis=1)[:, -1] / (used - 1)
    sigma = mr_bar / D2
    upper, lower = mean + E2 * mr_bar, mean - E2 * mr_bar
    upper_2s, lower_2s = mean + 2 * sigma, mean - 2 * sigma
    lower, lower_2s = np.where(lower > 0.0, lower, 0.0), np.where(lower_2s > 0.0, lower_2s, 0.0)  # 0.0, never -0.0
    live = valid & charted[:, None]

    rules = np.zeros((n, m), dtype=np.int8)
    side = np.zeros((n, m), dtype=np.int8)  # 1 high, 2 low: from the first rule (in bit order) that flags it

    def flag(where: np.ndarray, bit: int, sides: np.ndarray) -> None:
        nonlocal rules, side
        rules = rules | np.where(where, bit, 0).astype(np.int8)
        side = np.where((side == 0) & where, sides, side).astype(np.int8)

    high, low = live & (x > upper[:, None]), live & (x < lower[:, None])
    flag(high | low, OUTSIDE, np.where(high, 1, 2))
    # shift: 7 or more consecutive points on one side of the mean (a point on it ends a run)
    around = np.where(live, np.sign(x - mean[:, None]), 0.0).astype(np.int8)
    length, _ = _run_lengths(around)
    flag((around != 0) & (length >= RUN), SHIFT, np.where(around > 0, 1, 2))
    # trend: 6 or more consecutive steps one way, i.e. 7 points (the point before the first step included)
    steps = np.zeros((n, m), dtype=np.int8)
    steps[:, 1:] = np.where(live[:, 1:], np.sign(x[:, 1:] - x[:, :-1]), 0.0)
    length, starts = _run_lengths(steps)
    in_trend = (steps != 0) & (length >= RUN - 1)
    before = np.zeros((n, m), dtype=bool)
    before[:, :-1] = in_trend[:, 1:] & starts[:, 1:]
    next_sign = np.zeros((n, m), dtype=np.int8)
    next_sign[:, :-1] = steps[:, 1:]
    trend_sign = np.where(in_trend, steps, next_sign)
    flag(in_trend | before, TREND, np.where(trend_sign > 0, 1, 2))
    # two of three consecutive points beyond the same 2-sigma line: each such point is flagged
    for line, bit, code in ((upper_2s, TWO_HIGH, 1), (lower_2s, TWO_LOW, 2)):
        beyond = (live & ((x > line[:, None]) if code == 1 else (x < line[:, None]))).astype(np.int8)
        window = beyond.copy()  # window[k]: points k-2..k beyond the line (k >= 1 ends a window)
        window[:, 1:] += beyond[:, :-1]
        window[:, 2:] += beyond[:, :-2]
        two = (window >= 2) & (pos >= 1) & (pos < counts[:, None])
        covered = two.copy()
        covered[:, :-1] |= two[:, 1:]
        covered[:, :-2] |= two[:, 2:]
        flag((beyond == 1) & covered, bit, np.full((n, m), code))

    # back to each month's place; then each point's variation
    placed_rules, placed_side = np.empty_like(rules), np.empty_like(side)
    np.put_along_axis(placed_rules, order, rules, axis=1)
    np.put_along_axis(placed_side, order, side, axis=1)
    judged = np.array([2 if g is None else (1 if g else 0) for g in low_is_good], dtype=np.int8)[:, None]
    variation = np.where(
        ~present,
        0,
        np.where(
            placed_side == 0,
            1,
            np.where(judged == 2, 2, np.where((placed_side == 1) == (judged == 1), 3, 4)),
        ),
    )
    rule_lists = _RULE_SETS[placed_rules].tolist()
    side_lists = _SIDES[placed_side].tolist()
    variation_lists = _VARIATION[variation].tolist()
    means, mrs, uppers, lowers, uppers_2s, lowers_2s = (
        a.tolist() for a in (mean, mr_bar, upper, lower, upper_2s, lower_2s)
    )
    charted_list = charted.tolist()
    return [
        Xmr(
            means[i],
            mrs[i],
            uppers[i],
            lowers[i],
            uppers_2s[i],
            lowers_2s[i],
            rule_lists[i],
            side_lists[i],
            variation_lists[i],
        )
        if charted_list[i]
        else Xmr(None, None, None, None, None, None, rule_lists[i], side_lists[i], variation_lists[i])
        for i in range(n)
    ]


def trend_direction(values: list[float | None], tolerance: float = 0.05) -> str:
    """'rising', 'falling' or 'flat': the mean of the last three months against the first three's."""
    present = [float(v) for v in values if v is not None]
    if len(present) < 6:
        return "too few months"
    first, last = sum(present[:3]) / 3, sum(present[-3:]) / 3
    if first == 0:
        return "rising" if last > 0 else "flat"
    change = last / first - 1
    return "rising" if change > tolerance else ("falling" if change < -tolerance else "flat")
