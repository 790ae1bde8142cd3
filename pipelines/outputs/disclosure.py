"""Statistical disclosure control for counts of patients, applied where outputs leave the data directory
(extracts, CSV, report site) and never to the internal tables.

The rules, as NHS England's publications of patient counts apply them:
* primary suppression: a count of 1 to 7 is not published;
* rounding: every other count is published to the nearest 5 (0 stays 0), and a rate or percentage is
  recomputed from the published counts;
* secondary suppression: where a total is published, a child cell suppressed alone could be recovered
  as the total minus the other children; so in every parent (PCN, sub-ICB, ICB, region, England) with exactly
  one suppressed child, the smallest other non-zero child is suppressed too, repeated until no parent has
  a lone suppressed child.
Only grain `patient` rows are touched; item counts from the public EPD are already public.
"""

from __future__ import annotations

import polars as pl

SUPPRESS_UP_TO = 7
ROUND_TO = 5
COUNTS = ("numerator", "denominator")
# (child org type, the column naming its parent, parent org type) as the outputs publish them
HIERARCHY = [
    ("practice", "pcn_code", "pcn"),
    ("pcn", "icb_code", "icb"),
    ("practice", "sub_icb_code", "sub_icb"),
    ("practice", "icb_code", "icb"),
    ("sub_icb", "icb_code", "icb"),
    ("icb", "region_code", "region"),
    ("region", None, "england"),
    ("icb", None, "england"),
]


def round_count(n: float | None, round_to: int = ROUND_TO) -> float | None:
    if n is None:
        return None
    return float(int((n + round_to / 2) // round_to * round_to))


def disclose(
    values: pl.DataFrame, patient_ids: set[str], multipliers: dict[str, float], round_to: int = ROUND_TO
) -> pl.DataFrame:
    """`values` (indicator_values rows) with patient-level counts controlled: numerator and denominator
    rounded or NULL, value recomputed (NULL if either count is suppressed), `suppressed` set."""
    if values.is_empty():
        return values.with_columns(pl.lit(False).alias("suppressed"))
    is_patient = pl.col("indicator_id").is_in(sorted(patient_ids))
    public = values.filter(~is_patient).with_columns(pl.lit(False).alias("suppressed"))
    rows = values.filter(is_patient)
    if rows.is_empty():
        return public
    for count in COUNTS:
        rows = rows.with_columns(pl.col(count).is_between(1, SUPPRESS_UP_TO).fill_null(False).alias(f"_{count}_hidden"))
        rows = _secondary(rows, count)
    published = {}
    for count in COUNTS:
        published[count] = [
            None if hidden else round_count(n, round_to)
            for n, hidden in zip(rows[count].to_list(), rows[f"_{count}_hidden"].to_list())
        ]
    mult = [multipliers.get(i, 1.0) for i in rows["indicator_id"].to_list()]
    value = [
        None if n is None or d is None or d == 0 else n / d * m
        for n, d, m in zip(published["numerator"], published["denominator"], mult)
    ]
    hidden = [a or b for a, b in zip(rows["_numerator_hidden"].to_list(), rows["_denominator_hidden"].to_list())]
    rows = rows.with_columns(
        pl.Series("numerator", published["numerator"], dtype=pl.Float64),
        pl.Series("denominator", published["denominator"], dtype=pl.Float64),
        pl.Series("value", value, dtype=pl.Float64),
        pl.Series("suppressed", hidden, dtype=pl.Boolean),
    ).drop("_numerator_hidden", "_denominator_hidden")
    if "percentile" in rows.columns:  # a rank from exact values is not published for a hidden cell
        rows = rows.with_columns(
            pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("percentile")).alias("percentile")
        )
    return pl.concat([public, rows.select(public.columns)], how="vertical_relaxed")


def _secondary(rows: pl.DataFrame, count: str) -> pl.DataFrame:
    """Suppress the smallest non-zero sibling of any lone suppressed child, until none is left."""
    flag = f"_{count}_hidden"
    rows = rows.with_row_index("_r")
    hidden = rows[flag].to_list()
    values = rows[count].to_list()
    groups: list[list[int]] = []
    keys = [k for k in ("indicator_id", "month", "geography") if k in rows.columns]
    for child, parent_col, _parent_type in HIERARCHY:
        children = rows.filter(pl.col("org_type") == child)
        if children.is_empty() or (parent_col and parent_col not in rows.columns):
            continue
        by = keys + ([parent_col] if parent_col else [])
        groups += children.group_by(by, maintain_order=True).agg(pl.col("_r"))["_r"].to_list()
    changed = True
    while changed:
        changed = False
        for members in groups:
            lone = [i for i in members if hidden[i]]
            if len(lone) != 1:
                continue
            candidates = [i for i in members if not hidden[i] and (values[i] or 0) > 0]
            if not candidates:
                continue  # the others are all 0: the parent equals the hidden cell, so it is 1-7 and hidden too
            smallest = min(candidates, key=lambda i: (values[i], i))
            hidden[smallest] = True
            changed = True
    return rows.with_columns(pl.Series(flag, hidden, dtype=pl.Boolean)).drop("_r")
