"""Registered patients by practice, sex and age for the sample (NHS Digital's monthly publication).

Age/sex structure: England's registered population by five-year band (shares in %, approximate from
NHS Digital's "Patients registered at a GP practice" national totals — assumption, not verified) and the
female share of each band (rising with age, assumption). Each practice tilts the national structure
older or younger (`age_tilt`), so 65+ shares range from about 8 % to 35 % as they do in England.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.sample.organisations import BASE_MONTH, England, month_rng, months_between

BANDS = [f"{a}_{a + 4}" for a in range(0, 95, 5)] + ["95+"]
BAND_SHARE = np.array(
    [5.3, 5.8, 6.0, 5.8, 6.2, 6.8, 7.2, 7.0, 6.6, 6.1, 6.6, 6.6, 5.9, 5.0, 4.6, 4.0, 2.6, 1.5, 0.7, 0.2]
)
FEMALE_SHARE = np.array(
    [
        0.488,
        0.488,
        0.488,
        0.49,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
        0.505,
        0.505,
        0.51,
        0.515,
        0.525,
        0.54,
        0.56,
        0.6,
        0.67,
        0.75,
    ]
)
BAND_MID = np.array([2.5 + 5 * i for i in range(20)])
GROWTH_PER_MONTH = 0.001  # England's registered list grows ~1 % a year (assumption)


@dataclass(frozen=True)
class ListSizes:
    practice_code: list[str]
    male: np.ndarray  # practices x 20 bands
    female: np.ndarray  # practices x 20 bands
    female_single: np.ndarray  # practices x 96 (ages 0..94, then 95+)

    @property
    def total(self) -> np.ndarray:
        return self.male.sum(axis=1) + self.female.sum(axis=1)

    @property
    def share65(self) -> np.ndarray:
        old = self.male[:, 13:].sum(axis=1) + self.female[:, 13:].sum(axis=1)
        return np.divide(old, self.total, out=np.zeros(len(self.practice_code)), where=self.total > 0)


def practice_list_sizes(england: England, geo: pl.DataFrame, month: str, seed: int) -> ListSizes:
    """List sizes for the GP practices open in `month` (rows of `geo` with setting 4, same order)."""
    gp = geo.filter(pl.col("setting") == 4)
    rng = month_rng(seed, month, "lists")
    base = gp["list_size_base"].to_numpy().copy()
    # Patients of a closed practice move to the practice it merged into.
    moved = england.practices.filter(pl.col("closed").is_not_null() & (pl.col("closed") <= month))
    where = {c: i for i, c in enumerate(gp["practice_code"].to_list())}
    for code, size in zip(moved["merged_into"].to_list(), moved["list_size_base"].to_list()):
        if code in where:
            base[where[code]] += size
    size = base * (1 + GROWTH_PER_MONTH) ** months_between(BASE_MONTH, month) * rng.lognormal(0, 0.003, len(base))
    tilt = gp["age_tilt"].to_numpy()
    weights = BAND_SHARE[None, :] * np.exp(tilt[:, None] * (BAND_MID[None, :] - 40) / 30)
    weights /= weights.sum(axis=1, keepdims=True)
    people = np.round(size[:, None] * weights)
    female = np.round(people * FEMALE_SHARE[None, :])
    male = people - female
    # Single years: each band's women spread over its five ages, slightly fewer at the older end.
    spread = np.array([0.205, 0.2025, 0.2, 0.1975, 0.195])
    single = np.zeros((len(base), 96))
    for b in range(19):
        part = np.floor(female[:, b, None] * spread[None, :])
        part[:, 0] += female[:, b] - part.sum(axis=1)
        single[:, 5 * b : 5 * b + 5] = part
    single[:, 95] = female[:, 19]
    return ListSizes(
        gp["practice_code"].to_list(), male.astype(np.int64), female.astype(np.int64), single.astype(np.int64)
    )
