"""Synthetic EPD rows for one month: practice x presentation x pack size, with plausible magnitudes.

Model (per GP practice p, presentation j, month m):
    expected items = items_per_1000[j] / 1000 x list_size[p] x age_effect[p, group] x practice_effect[p, group]
                     x trend[group, m] x season[group, m] x special[p, j, m] x days(m) / 30.44
    items ~ Poisson(expected), split over the presentation's pack sizes (several rows per practice x
    presentation with different QUANTITY, as in the real files).

Magnitudes: `items_per_1000` per presentation lives in reference/bnf_presentations.csv (assumption,
scaled so England totals land near NHSBSA's ~95 M items a month at national scale). Trends, seasonality
and practice variation below are assumptions chosen to give charts and signals something real-looking to
find; each is named where it is set.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from pipelines.bnf import lists as bnf_lists
from pipelines.bnf.ome import chemicals as opioid_chemicals
from pipelines.checks.verhoeff import check_digit
from pipelines.months import days_in_month
from pipelines.reference import REFERENCE_DIR
from pipelines.sample.organisations import BASE_MONTH, England, month_rng, months_between

REFERENCE = REFERENCE_DIR

# Monthly multiplicative trend per group (assumption: direction from NHSBSA/OpenPrescribing national
# series — opioids and valproate falling, DOACs rising — sizes invented).
TREND_PER_MONTH = {
    "opioid_long_acting": -0.0025,
    "opioid_other": -0.002,
    "nsaid": -0.003,
    "ppi": 0.001,
    "anticoagulant": 0.007,
    "valproate": -0.004,
    "methotrexate": -0.001,
}
# Winter bump for NSAIDs and short-acting opioids (assumption).
WINTER_GROUPS = {"nsaid", "opioid_other"}
# Practice-to-practice variation: lognormal sigma per group (assumption).
PRACTICE_SIGMA = 0.30
# Groups whose use rises with the share of over-65s (elasticity 1, assumption).
AGE_DRIVEN = {
    "opioid_long_acting",
    "opioid_other",
    "nsaid",
    "nsaid_gastroprotected",
    "ppi",
    "h2ra",
    "misoprostol",
    "acei",
    "arb",
    "renin_inhibitor",
    "diuretic",
    "anticoagulant",
    "methotrexate",
    "gabapentinoid",
    "sedative",
    "antipsychotic",
    "antiemetic",
}
# National-scale filler: real presentations outside every indicator's BNF chapters (the rates are the
# assumption, sized so a national month has ~18.4 M rows, as NHSBSA's January 2026 file has 18,342,436).
FILLER_CHAPTERS = ["03", "05", "06", "07", "09", "11", "12", "13", "15"]
NATIONAL_FILLER_PRESENTATIONS = 2250
FIRST_PACK_SHARE = 0.7  # share of a presentation's items dispensed in its first pack size (assumption)


@dataclass(frozen=True)
class SpecialPractices:
    """Practices with a story, so outputs have something to find (indices into GP practices)."""

    opioid_outliers: np.ndarray  # 3x the higher-strength long-acting opioids
    methotrexate_10mg: np.ndarray  # 10 mg tablets prescribed routinely
    opioid_drift: np.ndarray  # long-acting opioids rising 6 % a month from 2025-10
    nsaid_step_down: np.ndarray  # NSAIDs cut by 60 % from 2026-01 (an improvement)
    valproate_high: np.ndarray  # 3x valproate


# Every other opioid presentation of the OME's chemicals in NHSBSA's 2024 list joins the sample at this
# rate (assumption: rare brands, liquids, injections, buccal forms), so that the OME name grammar meets
# real names, including those it must leave out with a reason.
OTHER_OPIOID_ITEMS_PER_1000 = 0.002


def _other_opioids(known: set[str]) -> pl.DataFrame:
    """NHSBSA's other presentations of the OME's opioid chemicals (codes and names as published, Nov 2024)."""
    frame = bnf_lists.presentations_under(tuple(sorted(opioid_chemicals())), "2024")
    frame = frame.filter(~pl.col("bnf_code").is_in(list(known)) & ~pl.col("bnf_name").str.contains("DO NOT USE"))
    return frame.select(
        "bnf_code",
        "bnf_name",
        "chem_code",
        "chem_name",
        chapter=pl.lit("04: Central Nervous System"),
        snomed_code=pl.lit(None, pl.Utf8),
        sample_group=pl.lit("opioid_other"),
        items_per_1000=pl.lit(OTHER_OPIOID_ITEMS_PER_1000),
        packs=pl.lit("28"),
        adq_per_unit=pl.lit(0.0),
        price_per_unit=pl.lit(0.2),
        provenance=pl.lit("code and name: NHSBSA BNF Code Information, Nov 2024 (rate assumed)"),
    )


@cache
def presentations(scale: str = "demo") -> pl.DataFrame:
    df = pl.read_csv(REFERENCE / "bnf_presentations.csv", infer_schema=False).with_columns(
        pl.col("items_per_1000").cast(pl.Float64),
        pl.col("adq_per_unit").cast(pl.Float64),
        pl.col("price_per_unit").cast(pl.Float64),
    )
    df = pl.concat([df, _other_opioids(set(df["bnf_code"]))], how="vertical_relaxed")
    if scale == "national":
        filler = _real_filler(NATIONAL_FILLER_PRESENTATIONS, set(df["chem_code"]))
        df = pl.concat([df, filler], how="vertical_relaxed")
    else:
        # Demo scale: every indicator presentation, but only the filler seen in real EPD rows (the
        # high-volume generics such as atorvastatin add rows, not insight, to a 12-month demo).
        df = df.filter(
            (pl.col("sample_group") != "filler") | pl.col("provenance").str.starts_with("verified: real EPD row")
        )
    # The older, abbreviated NHSBSA name of each code, for months before names took the dm+d style.
    older = bnf_lists.names("2020")
    df = df.with_columns(bnf_name_2020=pl.col("bnf_code").replace_strict(older, default=pl.col("bnf_name")))
    if df["bnf_code"].n_unique() != df.height or not df["bnf_code"].str.len_chars().is_in([11, 15]).all():
        raise AssertionError("sample presentations must have unique, well-formed BNF codes")
    # Strength order within a chemical, used by the outlier practices (price rises with strength here).
    return df.with_columns(
        strength_rank=pl.col("price_per_unit").rank("dense").over("chem_code") / pl.len().over("chem_code")
    )


def _real_filler(n: int, known_chemicals: set[str]) -> pl.DataFrame:
    """n real presentations from NHSBSA's Nov 2024 list, in chapters no indicator reads, spread evenly
    over the list (deterministic). Names and codes are NHSBSA's; rates, packs and prices are assumptions."""
    frame = bnf_lists.bnf_list("2024")
    frame = frame.filter(
        pl.col("chapter_code").is_in(FILLER_CHAPTERS)
        & (pl.col("bnf_code").str.len_chars() == 15)
        & ~pl.col("chem_code").is_in(list(known_chemicals))
        & ~pl.col("bnf_name").str.contains("DO NOT USE")
    ).sort("bnf_code")
    step = frame.height / n
    frame = frame[[int(i * step) for i in range(n)]]
    rng = np.random.default_rng(7)
    rank = np.arange(1, n + 1)
    solid = frame["bnf_name"].str.contains(r"(?i)tablets|capsules")
    return frame.select(
        "bnf_code",
        "bnf_name",
        "chem_code",
        "chem_name",
        chapter=pl.col("chapter_code") + pl.lit(": ") + pl.col("chapter_name"),
        snomed_code=pl.lit(None, pl.Utf8),
        sample_group=pl.lit("filler"),
        # Zipf-like popularity (assumption): a few very common presentations, a long tail.
        items_per_1000=pl.Series((18.0 / rank**0.75 + 0.2).round(4)),
        packs=pl.Series([["28;56", "30;60;90", "100", "28", "56;112"][k % 5] for k in range(n)]),
        adq_per_unit=pl.when(solid).then(1.0).otherwise(0.0),
        price_per_unit=pl.Series(rng.uniform(0.01, 0.6, n).round(3)),
        provenance=pl.lit("code and name: NHSBSA BNF Code Information, Nov 2024 (national-scale filler; rate assumed)"),
    )


@cache
def _published_dmd_ids() -> dict[str, str]:
    """Presentation name -> a real dm+d code, from OpenSAFELY's PINCER lists (reference/sources/pincer/):
    a term equal to a name of NHSBSA's 2024 list, a pack's supplier in brackets aside; the first such term in
    file order. Read here with csv and plain equality, not with the matcher the PINCER check uses."""
    out: dict[str, str] = {}
    for path in sorted((bnf_lists.SOURCES / "pincer").glob("pincer-*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name = re.sub(r" \((?:[^()]|\([^()]*\))*\)$", "", row["term"])
                out.setdefault(name, row["id"])
    return out


def _snomed_for(codes: pl.Series) -> pl.Series:
    """Deterministic 18-digit pseudo-SNOMED IDs (dm+d extension style, with a valid Verhoeff check digit)
    for presentations whose real ID we do not hold."""

    def pseudo(c: str) -> str:
        body = f"{zlib.crc32(c.encode()) % 90000000 + 10000000}11000001{zlib.crc32(c[::-1].encode()) % 10}"
        return body + check_digit(body)

    return codes.map_elements(pseudo, return_dtype=pl.Utf8)


def special_practices(n_gp: int, seed: int) -> SpecialPractices:
    rng = np.random.default_rng([seed, 99])
    picks = rng.choice(n_gp, 34, replace=False)
    return SpecialPractices(picks[:12], picks[12:20], picks[20:25], picks[25:29], picks[29:34])


def seasonal_factor(group: str, month: str) -> float:
    m = int(month[5:])
    factor = 1.0 + 0.03 * np.cos(2 * np.pi * (m - 1) / 12)  # mild winter peak for everything
    if group in WINTER_GROUPS:
        factor *= 1.0 + 0.08 * np.cos(2 * np.pi * (m - 1) / 12)
    if m == 12:
        factor *= 1.05  # Christmas ordering ahead (assumption)
    return float(factor)


def gp_prescribing(
    england: England,
    month: str,
    gp: pl.DataFrame,
    lists: np.ndarray,
    share65: np.ndarray,
    scale: str,
    seed: int,
    chunk: int = 400,
) -> Iterator[pl.DataFrame]:
    """Rows for the month's GP practices, in chunks of `chunk` practices (bounded memory)."""
    pres = presentations(scale)
    groups = pres["sample_group"].to_list()
    rate = pres["items_per_1000"].to_numpy()
    rng = month_rng(seed, month, "gp")
    n_gp = gp.height
    sp = special_practices(len(england.practices.filter(pl.col("setting") == 4)), seed)
    # Index of each open practice among all GP practices (for stable practice effects and specials).
    all_gp_codes = england.practices.filter(pl.col("setting") == 4)["practice_code"].to_list()
    position = {c: i for i, c in enumerate(all_gp_codes)}
    idx = np.array([position[c] for c in gp["practice_code"].to_list()])

    # Practice effects are stable over time: seeded by practice position, not by month.
    effect_rng = np.random.default_rng([seed, 7])
    unique_groups = sorted(set(groups))
    group_effect = {g: effect_rng.lognormal(0.0, PRACTICE_SIGMA, len(all_gp_codes)) for g in unique_groups}
    national_share65 = float(np.average(share65, weights=lists)) if lists.sum() else 0.2
    months_on = months_between(BASE_MONTH, month)
    days = days_in_month(month) / 30.44
    col_factor = np.array(
        [
            (1 + TREND_PER_MONTH.get(g, 0.0)) ** months_on * seasonal_factor(g, month) * float(rng.lognormal(0, 0.015))
            for g in groups
        ]
    )
    is_group = {g: np.array([x == g for x in groups]) for g in unique_groups}
    high_strength = pres["strength_rank"].to_numpy() > 0.5
    mtx10 = (pres["bnf_code"] == "1001030U0AAACAC").to_numpy()

    packs = [list(map(float, p.split(";"))) for p in pres["packs"].to_list()]
    n_packs = np.array([len(p) for p in packs])
    pack_matrix = np.array([p + [p[-1]] * (3 - len(p)) for p in packs])

    for start in range(0, n_gp, chunk):
        sl = slice(start, min(start + chunk, n_gp))
        pidx = idx[sl]
        lam = (lists[sl, None] / 1000.0) * rate[None, :] * col_factor[None, :] * days
        for g in unique_groups:
            cols = is_group[g]
            eff = group_effect[g][pidx]
            if g in AGE_DRIVEN:
                eff = eff * (share65[sl] / national_share65)
            lam[:, cols] *= eff[:, None]
        _apply_specials(lam, pidx, sp, is_group, high_strength, mtx10, month)
        items = rng.poisson(lam)
        yield _split_rows(items, gp[sl], pres, n_packs, pack_matrix, rng)


def _apply_specials(lam, pidx, sp: SpecialPractices, is_group, high_strength, mtx10, month) -> None:
    la = is_group.get("opioid_long_acting", np.zeros(lam.shape[1], bool))
    rows = np.isin(pidx, sp.opioid_outliers)
    lam[np.ix_(rows, la & high_strength)] *= 3.0
    rows = np.isin(pidx, sp.methotrexate_10mg)
    lam[np.ix_(rows, mtx10)] *= 60.0
    if month >= "2025-10":
        rows = np.isin(pidx, sp.opioid_drift)
        lam[np.ix_(rows, la)] *= 1.06 ** (months_between("2025-10", month) + 1)
    if month >= "2026-01":
        rows = np.isin(pidx, sp.nsaid_step_down)
        lam[np.ix_(rows, is_group.get("nsaid", np.zeros(lam.shape[1], bool)))] *= 0.4
    rows = np.isin(pidx, sp.valproate_high)
    lam[np.ix_(rows, is_group.get("valproate", np.zeros(lam.shape[1], bool)))] *= 3.0


def _split_rows(items, practices: pl.DataFrame, pres: pl.DataFrame, n_packs, pack_matrix, rng) -> pl.DataFrame:
    """Split each practice x presentation's items over up to three pack sizes -> one row per pack size."""
    p_i, j_i = np.nonzero(items)
    n = items[p_i, j_i]
    k = n_packs[j_i]
    # Most items use the first pack size (assumption: 70 % / 20 % / 10 %).
    first = np.where(k > 1, rng.binomial(n, FIRST_PACK_SHARE), n)
    rest = n - first
    second = np.where(k > 2, rng.binomial(rest, 0.67), rest)
    third = rest - second
    counts = np.stack([first, second, third], axis=1)
    rr, cc = np.nonzero(counts)
    out_items = counts[rr, cc]
    pres_idx = j_i[rr]
    quantity = pack_matrix[pres_idx, cc]
    return pl.DataFrame(
        {
            "practice_code": practices["practice_code"].gather(p_i[rr]),
            "pres_idx": pres_idx.astype(np.int32),
            "quantity": quantity,
            "items": out_items.astype(np.int64),
        }
    )


def other_prescribing(england: England, month: str, geo: pl.DataFrame, scale: str, seed: int) -> pl.DataFrame:
    """Non-GP cost centres, unidentified prescribing ('-') and 'UNKNOWN SURGERY' %998 centres."""
    rng = month_rng(seed, month, "other")
    pres = presentations(scale)
    n_pres = pres.height
    rows = []
    non_gp = geo.filter(pl.col("setting") != 4)["practice_code"].to_list()
    for code in non_gp:
        for j in rng.choice(n_pres, int(rng.integers(3, 25)), replace=False):
            rows.append((code, int(j), float(pres["packs"][int(j)].split(";")[0]), int(rng.integers(1, 12)), False))
    for sub in geo["sub_icb_code"].unique().sort().to_list():
        for j in rng.choice(n_pres, int(rng.integers(10, 40)), replace=False):
            rows.append((f"-|{sub}", int(j), float(pres["packs"][int(j)].split(";")[0]), int(rng.integers(1, 9)), True))
    for code in ["A81998", "C83998", "E85998", "J82998", "M85998", "P84998"]:
        for j in rng.choice(n_pres, 5, replace=False):
            rows.append((code, int(j), float(pres["packs"][int(j)].split(";")[0]), int(rng.integers(1, 4)), False))
    return pl.DataFrame(rows, schema=["practice_code", "pres_idx", "quantity", "items", "unidentified"], orient="row")


def decorate(rows: pl.DataFrame, geo: pl.DataFrame, month: str, scale: str, seed: int) -> pl.DataFrame:
    """Add organisation and product columns plus the derived measures to bare rows."""
    pres = presentations(scale).with_row_index("pres_idx").with_columns(pl.col("pres_idx").cast(pl.Int32))
    # A real dm+d code where a published list holds one under the presentation's own (2024) name.
    pres = pres.with_columns(published_dmd=pl.col("bnf_name").replace_strict(_published_dmd_ids(), default=None))
    if bnf_lists.release_for(month) == "2020":
        pres = pres.with_columns(bnf_name=pl.col("bnf_name_2020"))
    pres = pres.with_columns(
        snomed_code=pl.when(pl.col("snomed_code").is_null() | (pl.col("snomed_code") == ""))
        .then(pl.coalesce(pl.col("published_dmd"), _snomed_for(pres["bnf_code"])))
        .otherwise(pl.col("snomed_code"))
    )
    rng = month_rng(seed, month, f"cost{rows.height}")
    out = rows.join(
        pres.select(
            "pres_idx",
            "bnf_code",
            "bnf_name",
            "chem_code",
            "chem_name",
            "chapter",
            "snomed_code",
            "adq_per_unit",
            "price_per_unit",
        ),
        on="pres_idx",
        how="left",
        maintain_order="left",
    )
    total = out["quantity"] * out["items"]
    nic = (total * out["price_per_unit"] * rng.uniform(0.95, 1.05, out.height)).round(2).clip(0.01)
    return out.with_columns(
        total_quantity=total,
        adq_usage=(total * out["adq_per_unit"]).round(5),
        nic=nic,
        actual_cost=(nic * rng.uniform(0.90, 1.04, out.height)).round(5),
    ).join(geo_columns(geo), on="practice_code", how="left", maintain_order="left")


def geo_columns(geo: pl.DataFrame) -> pl.DataFrame:
    """Organisation columns keyed by practice code; unidentified rows use '-|<sub-ICB>' keys."""
    base = geo.select(
        "practice_code",
        pl.col("name").alias("practice_name"),
        "address_1",
        "address_2",
        "address_3",
        "address_4",
        "postcode",
        "pco_code",
        "sub_icb_name",
        "icb_code",
        "icb_name",
        "region_code",
        "epd_region_name",
        "sub_icb_code",
    )
    subs = (
        base.group_by("sub_icb_code", maintain_order=True)
        .agg(pl.all().exclude("practice_code").first())
        .sort("sub_icb_code")
    )
    unidentified = subs.with_columns(
        practice_code=pl.lit("-|") + pl.col("sub_icb_code"),
        practice_name=pl.lit("UNIDENTIFIED DOCTORS"),
        address_1=pl.lit(""),
        address_2=pl.lit(""),
        address_3=pl.lit(""),
        address_4=pl.lit(""),
        postcode=pl.lit(""),
    )
    unknown = subs.head(6).with_columns(
        practice_code=pl.Series(["A81998", "C83998", "E85998", "J82998", "M85998", "P84998"]),
        practice_name=pl.lit("UNKNOWN SURGERY"),
        address_1=pl.lit(""),
        address_2=pl.lit(""),
        address_3=pl.lit(""),
        address_4=pl.lit(""),
        postcode=pl.lit(""),
    )
    return pl.concat([base, unidentified.select(base.columns), unknown.select(base.columns)])
