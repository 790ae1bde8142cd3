"""Funnel-plot control limits around a national value (Spiegelhalter 2005), normal approximations.

* Percentages (binomial): p0 ± z × sqrt(p0 (1 - p0) / n), n = the denominator, clipped to [0, 1].
* Rates per person (Poisson): the expected count E = r0 × n; count limits E ± z × sqrt(E), clipped at 0,
  divided by n.
z = 1.959964 (95 %) and 3.090232 (99.8 %). A unit is flagged when its value lies outside the 99.8 %
limits. The normal approximation is poor for very small denominators; such units carry the low-numbers
flag, and exact binomial/Poisson limits are a known refinement.
"""

from __future__ import annotations

import math

Z95 = 1.959964
Z998 = 3.090232


def binomial_limits(p0: float, n: float, z: float) -> tuple[float, float]:
    half = z * math.sqrt(p0 * (1 - p0) / n)
    return max(0.0, p0 - half), min(1.0, p0 + half)


def poisson_limits(r0: float, n: float, z: float) -> tuple[float, float]:
    expected = r0 * n
    half = z * math.sqrt(expected)
    return max(0.0, expected - half) / n, (expected + half) / n


def limits(kind: str, centre: float, n: float, z: float) -> tuple[float, float]:
    """centre and the limits on the proportion/rate-per-person scale (not x100 or x1000)."""
    return binomial_limits(centre, n, z) if kind == "binomial" else poisson_limits(centre, n, z)


def flag(kind: str, observed: float, centre: float, n: float) -> str:
    """'above', 'below' or 'within' the 99.8 % limits; 'none' without a denominator."""
    if not n or n <= 0:
        return "none"
    lo, hi = limits(kind, centre, n, Z998)
    return "above" if observed > hi else ("below" if observed < lo else "within")
