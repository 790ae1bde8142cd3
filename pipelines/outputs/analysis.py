"""What the extracts and the report share: every org's series, its SPC reading and its funnel position
for one reporting month, in today's ('current') geography."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import cached_property

import duckdb
import numpy as np
import polars as pl

from indicators.catalogue import catalogue
from indicators.model import Indicator
from pipelines.indicators.describe import presentations_seen
from pipelines.layout import Layout
from pipelines.months import month_range
from pipelines.outputs.disclosure import disclose
from pipelines.parquet_files import check_readable
from pipelines.settings import DEFAULT_BASELINE
from pipelines.sqlfiles import load_sql
from pipelines.stats.funnel import Z95, Z998, limits
from pipelines.stats.spc import trend_direction, xmr_many
from pipelines.tables import TABLES, nearest_lake_file, warehouse_file

SERIES_MONTHS = 24  # the SPC looks back at most two years
PRODUCT_MONTHS = 3  # a practice's products behind each numerator, over this many months
TOP_PRODUCTS = 8


def funnel_kind(indicator: Indicator) -> str | None:
    """Binomial for percentages of items; Poisson for item counts per patient; none otherwise (OME mg,
    ADQ ratios and expected co-exposure are not counts)."""
    if indicator.unit == "percent":
        return "binomial"
    if indicator.unit == "per_1000" and indicator.numerator.measure in ("items", "patients"):
        return "poisson"
    return None


@dataclass
class Analysis:
    layout: Layout
    month: str
    months: list[str]
    indicators: dict[str, Indicator]
    values: pl.DataFrame  # indicator_values, current geography, the reporting window
    deciles: pl.DataFrame  # practice deciles, current geography
    assessed: pl.DataFrame  # one row per indicator x org for the reporting month: SPC + funnel + trend
    series: dict  # (indicator, org_type, org_code) -> {"values": [...], "chart": Xmr}, aligned to months
    baseline_months: tuple[str, str] = (DEFAULT_BASELINE[:7], DEFAULT_BASELINE[-7:])  # change is measured against

    def latest(self, org_type: str) -> pl.DataFrame:
        return self.assessed.filter(pl.col("org_type") == org_type)

    @cached_property
    def synthetic(self) -> bool:
        """Made from the built-in sample (the month's EPD source record says `source: sample`): every page,
        workbook and e-mail then says so (wording.SYNTHETIC). Sample files run as --source local are not
        told apart from published ones: their bytes are NHSBSA's format exactly."""
        from pipelines.datasets.epd import EPD_FILE
        from pipelines.datasets.records import read_source_record

        record = read_source_record(EPD_FILE.record_dir(self.layout, self.month))
        return bool(record and record.get("source") == "sample")

    @cached_property
    def absent_icbs(self) -> dict:
        """ICBs with no prescribing in the month's EPD though its practice map (or last month's EPD) has
        them, by code: their outputs say "no prescribing data for this month" rather than lacking it."""
        from pipelines.verdicts.coverage import month_coverage

        return {a.code: a for a in month_coverage(self.layout, self.month).absent_icbs}

    @cached_property
    def opioids_without_ome(self) -> list[dict]:
        """The data month's in-scope opioid presentations that add no OME (unread names and forms outside
        the scope), with items and the reason, most items first; shown beside every OME indicator."""
        path = warehouse_file(self.layout, "opioid_ome", self.month)
        if not path.is_file():
            return []
        frame = pl.read_parquet(path, glob=False).filter(pl.col("status") != "ome")
        return (
            frame.sort("items", descending=True).select("bnf_code", "bnf_name", "items", "status", "reason").to_dicts()
        )

    def without_ome_text(self, ind: Indicator) -> str:
        """One line per presentation without an OME, for an OME indicator's definition; '' otherwise."""
        if ind.grain == "patient" or ind.numerator.measure != "ome_mg":
            return ""
        lines = [
            f"{r['bnf_code']} {r['bnf_name']}: {r['items']:,} items, {r['status']} ({r['reason']})"
            for r in self.opioids_without_ome
        ]
        return "\n".join(lines) if lines else "none: every in-scope opioid presentation has an OME"

    @cached_property
    def baseline(self) -> dict[tuple[str, str, str], dict]:
        """(indicator, org_type, org_code) -> baseline value and months, for the public-data indicators
        (patient-level counts are not pooled over a year here: that would need disclosure control of its own)."""
        first, last = self.baseline_months
        public = {k: v for k, v in self.indicators.items() if v.grain != "patient"}
        if not public or not available_months(self.layout):
            return {}
        specs = pl.DataFrame(
            [
                {
                    "indicator_id": i.id,
                    "unit": i.unit,
                    "multiplier": float(i.multiplier),
                    "per_day": i.unit == "per_1000_per_day",
                }
                for i in public.values()
            ]
        )
        with duckdb.connect() as con:
            con.register("indicator_specs", specs.to_arrow())
            rows = con.execute(
                load_sql("outputs/baseline"),
                {"values_files": TABLES["indicator_values"].glob(self.layout), "first": first, "last": last},
            ).fetchall()
        return {(i, t, c): {"value": v, "months": n} for i, t, c, v, n in rows}

    @cached_property
    def recent_products(self) -> dict:
        """practice -> indicator -> top presentations over the last PRODUCT_MONTHS months, as (bnf_code, bnf_name,
        items, quantity, ome_mg), most OME first, then most items (ordered in SQL: ~0.5 M rows a national month)."""
        months = self.months[-PRODUCT_MONTHS:]
        files = [str(f) for f in TABLES["indicator_practice_breakdown"].files(self.layout, months)]
        if not files:
            return {}
        with duckdb.connect() as con:
            frame = con.sql(load_sql("outputs/recent_products"), params={"files": files, "top": TOP_PRODUCTS}).pl()
        out: dict = {}
        practices, indicators, *product = (column.to_list() for column in frame.get_columns())
        for practice, indicator, *line in zip(practices, indicators, *product):
            out.setdefault(practice, {}).setdefault(indicator, []).append(tuple(line))
        return out

    @cached_property
    def practice_postcodes(self) -> dict[str, str]:
        """Practice -> postcode from NHS Digital's practice map of the month (or the nearest earlier one), which
        the report's search shows; a damaged map file is named (DamagedFile), not met as a bare error."""
        path, _ = nearest_lake_file(self.layout, "practice_geography", self.month)
        if path is None:
            return {}
        check_readable([path])
        frame = pl.read_parquet(path, columns=["practice_code", "practice_postcode"], glob=False)
        return {code: postcode for code, postcode in frame.iter_rows() if postcode}

    @cached_property
    def codes_seen(self) -> dict[str, str]:
        """BNF code -> name of every presentation dispensed in the reporting window (what Definitions list)."""
        return presentations_seen(self.layout, self.months)[0]

    @property
    def baseline_label(self) -> str:
        first, last = self.baseline_months
        if first[:4] == last[:4] and first.endswith("-01") and last.endswith("-12"):
            return f"calendar {first[:4]}"
        return f"{first} to {last}"

    def change_since_baseline(self, indicator_id: str, org_type: str, org_code: str, value) -> dict:
        """The baseline value, and the change to `value` (absolute and relative); None where either is missing."""
        base = self.baseline.get((indicator_id, org_type, org_code), {})
        b = base.get("value")
        change = value - b if value is not None and b is not None else None
        relative = change / b * 100 if change is not None and b else None
        return {"baseline": b, "change": change, "relative": relative, "months": base.get("months", 0)}

    @cached_property
    def england(self) -> dict[str, dict]:
        rows = self.values.filter((pl.col("org_type") == "england") & (pl.col("month") == self.month))
        return {r["indicator_id"]: r for r in rows.iter_rows(named=True)}


def side_by_side(indicators: dict[str, Indicator]) -> dict[str, Indicator]:
    """Catalogue order, with each patient-level indicator placed right after the public-data proxy it is
    the true version of (those with no proxy last), so readers see the two next to each other."""
    out: dict[str, Indicator] = {}
    patient = [i for i in indicators.values() if i.grain == "patient"]
    for ind in indicators.values():
        if ind.grain == "patient":
            continue
        out[ind.id] = ind
        for p in patient:
            if p.proxy_of and p.proxy_of[0] == ind.id:
                out[p.id] = p
    out.update({p.id: p for p in patient if p.id not in out})
    return out


def available_months(layout: Layout) -> list[str]:
    return TABLES["indicator_values"].months(layout)


def load_analysis(layout: Layout, month: str | None = None, baseline: str = DEFAULT_BASELINE) -> Analysis:
    months_all = available_months(layout)
    if not months_all:
        raise FileNotFoundError(f"no indicator values under {layout.warehouse}; run the indicators first")
    month = month or months_all[-1]
    if month not in months_all:
        raise FileNotFoundError(f"no indicator values for {month} (have {months_all[0]} to {months_all[-1]})")
    months = [m for m in months_all if m <= month][-SERIES_MONTHS:]
    # Every file the globs below read (all months: the baseline reads them too), named if one is damaged.
    check_readable(TABLES["indicator_values"].files(layout) + TABLES["indicator_deciles"].files(layout))
    with duckdb.connect() as con:
        values = con.sql(
            load_sql("outputs/current_values"),
            params={"p": TABLES["indicator_values"].glob(layout), "first": months[0], "last": month},
        ).pl()
        deciles = con.sql(
            load_sql("outputs/current_deciles"),
            params={"p": TABLES["indicator_deciles"].glob(layout), "first": months[0], "last": month},
        ).pl()
    # Every indicator with values (patient-level ones only when an extract was supplied), in catalogue order.
    present = set(values["indicator_id"].unique().to_list())
    indicators = side_by_side({k: v for k, v in catalogue().items() if k in present})
    # The outputs are where patient counts leave the data directory: disclosure control applies here
    # (and only here); deciles of exact patient-level values are not published at all.
    patient = {k for k, v in indicators.items() if v.grain == "patient"}
    values = disclose(values, patient, {k: v.multiplier for k, v in indicators.items()})
    deciles = deciles.filter(~pl.col("indicator_id").is_in(sorted(patient)))
    series: dict = {}
    gc.disable()  # 75,000 small result objects: the cyclic collector would rescan them again and again
    try:
        assessed = assess(values, months, month, indicators, series)
    finally:
        gc.enable()
    first, last = month_range(baseline)[0], month_range(baseline)[-1]
    return Analysis(layout, month, months, indicators, values, deciles, assessed, series, (first, last))


def assess(
    values: pl.DataFrame, months: list[str], month: str, indicators: dict[str, Indicator], keep: dict | None = None
) -> pl.DataFrame:
    """SPC over each org's series, trend direction and funnel flag for `month`: the series as one grid and
    their charts at once, then one pass over this month's rows as plain column lists (a per-group DataFrame
    loop is far slower over ~120,000 series, and a month with 24 months of history has ~2.9 M rows)."""
    index = {m: i for i, m in enumerate(months)}
    previous_month = months[months.index(month) - 1] if month in months and months.index(month) > 0 else None

    def england_in(m):
        if m is None:
            return {}
        return {
            r["indicator_id"]: r
            for r in values.filter((pl.col("org_type") == "england") & (pl.col("month") == m)).iter_rows(named=True)
        }

    england, england_before = england_in(month), england_in(previous_month)
    keys = ["indicator_id", "org_type", "org_code"]
    # The orgs reported this month (a closed practice has no row: nothing to report), in key order, each
    # with last month's numerator and denominator, so that a signal can be told to be new (signals.py).
    before = values.filter(pl.col("month") == (previous_month or "")).select(
        *keys, pl.col("numerator").alias("_numerator_before"), pl.col("denominator").alias("_denominator_before")
    )
    now = values.filter(pl.col("month") == month).sort(keys).join(before, on=keys, how="left", maintain_order="left")
    if now.is_empty():
        return pl.DataFrame()
    # Each org's value in every month of the window, as a series x month grid (NaN: no value that month),
    # filled from the columns: only this month's rows are read into Python.
    spread = values.select(*keys, "month", "value").join(now.select(keys).with_row_index("_org"), on=keys, how="inner")
    grid = np.full((now.height, len(months)), np.nan)
    grid[spread["_org"].to_numpy(), spread["month"].replace_strict(index, return_dtype=pl.Int64).to_numpy()] = (
        spread["value"].cast(pl.Float64).to_numpy()
    )
    cols = now.to_dict(as_series=False)
    directions = [indicators[i].low_is_good for i in cols["indicator_id"]]
    charts = xmr_many(grid, directions)  # every series' XmR chart at once
    boxed = grid.astype(object)  # the series as the outputs read them: None where a month has no value
    boxed[np.isnan(grid)] = None
    all_series = boxed.tolist()
    out: list[tuple] = []
    for i, (key, series, chart) in enumerate(
        zip(zip(cols["indicator_id"], cols["org_type"], cols["org_code"]), all_series, charts)
    ):
        ind = indicators[key[0]]
        if keep is not None:
            keep[key] = {"values": series, "chart": chart}
        last = {"numerator": cols["_numerator_before"][i], "denominator": cols["_denominator_before"][i]}
        out.append(
            _assess_one(key, _Row(cols, i), series, chart, ind, england)
            + (_funnel(ind, key[1], last, england_before), last["numerator"])
        )
    return pl.DataFrame(out, schema=ASSESSED, orient="row", infer_schema_length=None)


class _Row:
    """One row of the column lists, read by name (no dict made per row: 120,000 of them a national month)."""

    __slots__ = ("cols", "i")

    def __init__(self, cols: dict[str, list], i: int):
        self.cols, self.i = cols, i

    def __getitem__(self, name: str):
        return self.cols[name][self.i]

    def get(self, name: str, default=None):
        column = self.cols.get(name)
        return default if column is None else column[self.i]


# The assessed frame's columns, in order.
ASSESSED = (
    "indicator_id",
    "org_type",
    "org_code",
    "org_name",
    "pcn_code",
    "sub_icb_code",
    "icb_code",
    "region_code",
    "numerator",
    "denominator",
    "value",
    "percentile",
    "low_numbers",
    "suppressed",
    "practices",
    "spc",
    "spc_rules",
    "new_signal",
    "spc_mean",
    "spc_upper",
    "spc_lower",
    "funnel",
    "trend",
    "funnel_before",
    "numerator_before",
)


def _assess_one(key, row: _Row, series: list, chart, ind: Indicator, england: dict) -> tuple:
    """The org's assessment: ASSESSED's columns but the last two (funnel_before, numerator_before)."""
    indicator_id, org_type, org_code = key
    last = len(series) - 1
    previous = chart.variation[last - 1] if last > 0 else "none"
    special = ("concern", "improvement", "special")
    return (
        indicator_id,
        org_type,
        org_code,
        row["org_name"],
        row.get("pcn_code"),
        row["sub_icb_code"],
        row["icb_code"],
        row["region_code"],
        row["numerator"],
        row["denominator"],
        row["value"],
        row["percentile"],
        row["low_numbers"],
        row["suppressed"],
        row.get("practices"),
        chart.variation[last],
        ", ".join(sorted(chart.rules[last])),
        chart.variation[last] in special and previous not in special,
        chart.mean,
        chart.upper,
        chart.lower,
        _funnel(ind, org_type, row, england),
        trend_direction(series[-12:]),
    )


def _funnel(ind: Indicator, org_type: str, row, england: dict) -> str:
    """'above', 'below' or 'within' England's 99.8 % funnel limits; 'none' without a funnel or a denominator."""
    kind, eng = funnel_kind(ind), england.get(ind.id)
    if not (
        kind
        and eng
        and eng["denominator"]
        and row["denominator"]
        and row["numerator"] is not None
        and eng["numerator"] is not None
        and org_type != "england"
    ):
        return "none"
    centre = eng["numerator"] / eng["denominator"]
    lo, hi = limits(kind, centre, row["denominator"], Z998)
    observed = row["numerator"] / row["denominator"]
    return "above" if observed > hi else ("below" if observed < lo else "within")


def funnel_band(
    indicator: Indicator,
    england_row: dict,
    max_denominator: float,
    points: int = 60,
    min_denominator: float | None = None,
) -> list[dict]:
    """95 % and 99.8 % funnel limits on the indicator's own scale, from about half the smallest
    denominator shown up to the largest."""
    kind = funnel_kind(indicator)
    if kind is None or not england_row or not england_row["denominator"] or england_row["numerator"] is None:
        return []
    centre = england_row["numerator"] / england_row["denominator"]
    scale = indicator.multiplier
    low = max(1.0 if kind == "binomial" else 100.0, (min_denominator or 0) / 2)
    out = []
    for k in range(points + 1):
        n = low * (max(max_denominator, low * 2) / low) ** (k / points)  # log-spaced denominators
        lo95, hi95 = limits(kind, centre, n, Z95)
        lo998, hi998 = limits(kind, centre, n, Z998)
        out.append(
            {
                "denominator": n,
                "centre": centre * scale,
                "lo95": lo95 * scale,
                "hi95": hi95 * scale,
                "lo998": lo998 * scale,
                "hi998": hi998 * scale,
            }
        )
    return out
