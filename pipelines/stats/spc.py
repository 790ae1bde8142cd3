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
    rules: list[set[str]] = field(default_factory=list)  # per point: which rules flag it
    sides: list[str | None] = field(default_factory=list)  # per point: 'high' | 'low' | None
    variation: list[str] = field(default_factory=list)  # per point: concern | improvement | special | common | none


def xmr(values: list[float | None], low_is_good: bool | None) -> Xmr:
    present = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    n = len(values)
    if len(present) < MIN_POINTS:
        return Xmr(
            None,
            None,
            None,
            None,
            None,
            None,
            [set() for _ in values],
            [None] * n,
            ["none" if v is None else "common" for v in values],
        )
    baseline = [v for _, v in present[:BASELINE_POINTS]]
    mean = sum(baseline) / len(baseline)
    ranges = [abs(b - a) for a, b in zip(baseline, baseline[1:])]
    mr_bar = sum(ranges) / len(ranges)
    sigma = mr_bar / D2
    upper, lower = mean + E2 * mr_bar, max(0.0, mean - E2 * mr_bar)
    upper_2s, lower_2s = mean + 2 * sigma, max(0.0, mean - 2 * sigma)
    result = Xmr(
        mean,
        mr_bar,
        upper,
        lower,
        upper_2s,
        lower_2s,
        [set() for _ in values],
        [None] * n,
        [],
    )
    idx = [i for i, _ in present]
    xs = [v for _, v in present]

    def flag(k: int, rule: str, side: str) -> None:
        result.rules[idx[k]].add(rule)
        result.sides[idx[k]] = result.sides[idx[k]] or side

    for k, x in enumerate(xs):
        if x > upper:
            flag(k, "outside", "high")
        elif x < lower:
            flag(k, "outside", "low")
    _runs(xs, lambda x: 1 if x > mean else (-1 if x < mean else 0), "shift", flag)
    _runs(
        [0] + [1 if b > a else (-1 if b < a else 0) for a, b in zip(xs, xs[1:])],
        lambda s: s,
        "trend",
        flag,
        include_previous=True,
    )
    for side, beyond in (("high", [x > upper_2s for x in xs]), ("low", [x < lower_2s for x in xs])):
        if sum(beyond) < 2:
            continue
        for k in range(1, len(xs)):
            first = max(0, k - 2)
            if sum(beyond[first : k + 1]) >= 2:
                for j in range(first, k + 1):
                    if beyond[j]:
                        flag(j, "two_of_three", side)
    for i, v in enumerate(values):
        point_side = result.sides[i]
        if v is None:
            result.variation.append("none")
        elif point_side is None:
            result.variation.append("common")
        elif low_is_good is None:
            result.variation.append("special")
        else:
            bad = (point_side == "high") == low_is_good
            result.variation.append("concern" if bad else "improvement")
    return result


def _runs(seq, sign_of, rule, flag, include_previous=False) -> None:
    """Flag every point of a run of RUN or more points sharing a non-zero sign. For trends the sign is
    that of the step into each point, so the point before the first step belongs to the run as well
    (6 increases make a run of 7 points)."""
    signs = [sign_of(s) for s in seq]
    start = 0
    for k in range(1, len(signs) + 1):
        if k < len(signs) and signs[k] != 0 and signs[k] == signs[start]:
            continue
        first = start - 1 if include_previous and start > 0 else start
        if signs[start] != 0 and k - first >= RUN:
            for j in range(first, k):
                flag(j, rule, "high" if signs[start] > 0 else "low")
        start = k


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
