"""The XmR chart a point at a time: pipelines/stats/spc.py's implementation until 2026-12-08, checked then by
the hand-worked series of test_spc_and_funnel.py. Kept here as the reference the array version is held to,
series by series (test_spc_arrays.py); not used by the pipeline."""

from __future__ import annotations

from pipelines.stats.spc import BASELINE_POINTS, D2, E2, MIN_POINTS, RUN, Xmr


def reference_xmr(values: list[float | None], low_is_good: bool | None) -> Xmr:
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
