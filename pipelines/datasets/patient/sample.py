"""A synthetic pseudonymised extract (contract v1), seeded, with co-prescribing patterns that give rates
of the order PINCER published (research note §1.5: e.g. ~3.6 % of over-65s without an ulcer-healer on an
NSAID, ~4.4 % of anticoagulated patients on an NSAID), plus the hand-made edge cases in edge_cases/
(window edges, a patient turning 65, a gastroprotected combination, a practice move, patches and liquids,
a male on valproate, a 12-year-old girl) placed at the first two practices. Registrations carry the optional
learning_disability_or_autism flag (Y or N for every synthetic patient).

Vectorised with numpy: one million patients and a year of issues take seconds. Nothing here is real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.months import add_months, days_in_month, month_range

EDGE_CASES = Path(__file__).resolve().parent / "edge_cases"
EPOCH = date(1970, 1, 1)

# Age bands on the last day and their share of the registered list (England, roughly).
AGE_BANDS = [(0, 17, 0.21), (18, 39, 0.29), (40, 64, 0.31), (65, 79, 0.13), (80, 99, 0.06)]


@dataclass(frozen=True)
class Product:
    bnf_code: str
    quantity: float  # per issue


# name -> (products to choose from, relative weights)
PRODUCTS = {
    "nsaid": (
        [
            Product("1001010J0AAAEAE", 84),
            Product("1001010P0AAADAD", 56),
            Product("1001010C0AAADAD", 84),
            Product("1001010AHAAAAAA", 28),
        ],
        [0.5, 0.3, 0.15, 0.05],
    ),
    "arthrotec": ([Product("1001010C0BLAAAM", 56)], [1.0]),
    "ppi": ([Product("0103050P0AAAAAA", 28), Product("0103050L0AAAAAA", 28)], [0.6, 0.4]),
    "raas": (
        [Product("0205051R0AAACAC", 28), Product("0205051L0AAADAD", 28), Product("0205052N0AAABAB", 28)],
        [0.4, 0.3, 0.3],
    ),
    "diuretic": (
        [Product("0202020L0AABDBD", 28), Product("0202010P0AAAAAA", 28), Product("0202010B0AAABAB", 28)],
        [0.4, 0.3, 0.3],
    ),
    "anticoagulant": (
        [Product("0208020Z0AAAAAA", 56), Product("0208020Y0AAADAD", 28), Product("0208020V0AAAAAA", 56)],
        [0.5, 0.3, 0.2],
    ),
    "weak_opioid": (
        [Product("0407010F0AAAAAA", 100), Product("0407020C0AAABAB", 56), Product("040702040AAAAAA", 60)],
        [0.6, 0.25, 0.15],
    ),
    "strong_opioid": (
        [
            Product("0407020Q0AAALAL", 56),
            Product("0407020ADAAAFAF", 56),
            Product("0407020B0AAAIAI", 4),
            Product("0407020Q0AACNCN", 300),
        ],
        [0.35, 0.3, 0.2, 0.15],
    ),
    "high_dose_opioid": ([Product("0407020A0AAAFAF", 10), Product("0407020Q0AAAHAH", 56)], [0.6, 0.4]),
    "methotrexate_2_5": ([Product("1001030U0AAABAB", 24)], [1.0]),
    "methotrexate_10": ([Product("1001030U0AAACAC", 4)], [1.0]),
    "valproate": ([Product("0408010W0AAAAAA", 100), Product("0408010W0AAABAB", 100)], [0.6, 0.4]),
    "statin": ([Product("0212000B0AAABAB", 28)], [1.0]),
    "topiramate": ([Product("040801050AAAAAA", 60), Product("040801050AAADAD", 60)], [0.6, 0.4]),
    "gabapentinoid": ([Product("0408010AEAAACAC", 56), Product("0408010G0AAABAB", 100)], [0.55, 0.45]),
    "antiplatelet": ([Product("0209000A0AAABAB", 28), Product("0209000C0AAAAAA", 28)], [0.6, 0.4]),
    "sedative": ([Product("0401010Z0AAAAAA", 28), Product("0401020K0AAAHAH", 28)], [0.6, 0.4]),
    "antipsychotic": (
        [Product("0402010ABAAABAB", 60), Product("040201030AAAKAK", 28), Product("040201060AAAAAA", 28)],
        [0.5, 0.25, 0.25],
    ),
}


def _days(d: date) -> int:
    return (d - EPOCH).days


def _ids(prefix: str, idx: np.ndarray) -> pl.Series:
    return pl.select(pl.lit(prefix) + pl.Series(idx).cast(pl.String).str.zfill(7)).to_series().alias("patient_id")


def generate(
    practices: list[str], months: list[str], patients: int, seed: int = 20260101, edge_cases: bool = True
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(prescriptions, registrations) for `patients` patients with issues in `months` (contiguous)."""
    rng = np.random.default_rng(seed)
    n = patients
    first, last = months[0], months[-1]
    start = date(int(first[:4]), int(first[5:]), 1)
    end = date(int(last[:4]), int(last[5:]), days_in_month(last))
    # --- registrations ---------------------------------------------------------------------------
    practice = rng.integers(0, len(practices), n)
    band = rng.choice(len(AGE_BANDS), n, p=[b[2] for b in AGE_BANDS])
    lo = np.array([b[0] for b in AGE_BANDS])[band]
    hi = np.array([b[1] for b in AGE_BANDS])[band]
    age = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    dob = _days(end) - age * 365 - rng.integers(0, 365, n)
    sex = rng.choice(np.array(["F", "M", "U"]), n, p=[0.505, 0.49, 0.005])
    reg_from = np.maximum(dob, _days(start) - rng.integers(0, 30 * 365, n))
    mover = rng.random(n) < 0.02
    leaver = (rng.random(n) < 0.01) & ~mover
    change = _days(start) + rng.integers(0, max(1, _days(end) - _days(start)), n)
    change = np.maximum(change, reg_from + 1)
    new_practice = (practice + 1 + rng.integers(0, max(1, len(practices) - 1), n)) % len(practices)
    pid = _ids("pt", np.arange(n))
    to_days = np.where(mover | leaver, change - 1, -1)
    first_spells = pl.DataFrame(
        {
            "patient_id": pid,
            "practice_code": np.array(practices)[practice],
            "sex": sex,
            "date_of_birth": dob,
            "registered_from": reg_from,
            "registered_to": to_days,
        }
    )
    moved = np.flatnonzero(mover)
    second_spells = pl.DataFrame(
        {
            "patient_id": pid.gather(moved),
            "practice_code": np.array(practices)[new_practice[moved]],
            "sex": sex[moved],
            "date_of_birth": dob[moved],
            "registered_from": change[moved],
            "registered_to": np.full(moved.size, -1),
        }
    )
    registrations = pl.concat([first_spells, second_spells]).with_columns(
        *(pl.col(c).cast(pl.Date) for c in ("date_of_birth", "registered_from")),
        pl.when(pl.col("registered_to") < 0)
        .then(None)
        .otherwise(pl.col("registered_to"))
        .cast(pl.Date)
        .alias("registered_to"),
    )
    # --- exposures ---------------------------------------------------------------------------------
    adult, older, mid = age >= 18, age >= 65, (age >= 40) & (age < 65)
    u = lambda: rng.random(n)  # noqa: E731
    nsaid = adult & (u() < np.where(older, 0.05, 0.04))
    protected = nsaid & older & (u() < 0.62)
    arthrotec = nsaid & (u() < 0.03)
    raas = adult & (u() < np.where(older, 0.35, np.where(mid, 0.12, 0.02)))
    diuretic = adult & ((raas & (u() < 0.45)) | (older & (u() < 0.05)))
    anticoag = adult & (u() < np.where(older, 0.09, np.where(mid, 0.015, 0.002)))
    nsaid |= anticoag & (u() < 0.045)
    opioid = adult & (u() < np.where(older, 0.08, np.where(mid, 0.05, 0.02)))
    strong = opioid & (u() < 0.3)
    high = strong & (u() < 0.15)
    mtx = (age >= 30) & (u() < 0.005)
    mtx10 = mtx & (u() < 0.05)
    mtx_both = mtx10 & (u() < 0.3)
    valproate = (age >= 5) & (u() < 0.003)
    statin = older & (u() < 0.4)
    n_months = len(months)
    month_start = np.array([_days(date(int(m[:4]), int(m[5:]), 1)) for m in months])
    month_len = np.array([days_in_month(m) for m in months])
    parts = []

    def issue(name: str, who: np.ndarray, per_month: float, course: int | None = None) -> None:
        """Issues for patients `who`: each month with probability `per_month` (chronic), or one course of
        `course` consecutive months starting in a random month (acute)."""
        idx = np.flatnonzero(who)
        if idx.size == 0:
            return
        if course is None:
            hit = rng.random((idx.size, n_months)) < per_month
        else:
            first_month = rng.integers(0, n_months, idx.size)
            offs = np.arange(n_months)[None, :] - first_month[:, None]
            hit = (offs >= 0) & (offs < course) & (rng.random((idx.size, n_months)) < per_month)
        rows, cols = np.nonzero(hit)
        products, weights = PRODUCTS[name]
        choice = rng.choice(len(products), idx.size, p=weights)[rows]  # one product per patient
        parts.append(
            pl.DataFrame(
                {
                    "p": idx[rows],
                    "issue_date": month_start[cols] + (rng.random(rows.size) * month_len[cols]).astype(int),
                    "bnf_code": np.array([p.bnf_code for p in products])[choice],
                    "quantity": np.array([p.quantity for p in products], dtype=float)[choice],
                }
            )
        )

    issue("nsaid", nsaid & ~arthrotec, 0.9, course=2)
    issue("arthrotec", arthrotec, 0.9, course=2)
    issue("ppi", protected, 0.9)
    issue("raas", raas, 0.85)
    issue("diuretic", diuretic, 0.85)
    issue("anticoagulant", anticoag, 0.9)
    issue("weak_opioid", opioid & ~strong, 0.6)
    issue("strong_opioid", strong & ~high, 0.85)
    issue("high_dose_opioid", high, 0.95)
    issue("methotrexate_2_5", mtx & (~mtx10 | mtx_both), 0.85)
    issue("methotrexate_10", mtx10, 0.85)
    issue("valproate", valproate, 0.9)
    issue("statin", statin, 0.85)
    # Drawn after every other exposure and issue, so that adding them changed none of theirs. Topiramate:
    # mostly women (migraine prophylaxis), rates assumed.
    topiramate = (age >= 10) & (u() < np.where(sex == "F", 0.004, 0.0015))
    issue("topiramate", topiramate, 0.85)
    # Gabapentinoids (rates assumed): more often beside an opioid, both being given for pain.
    gabapentinoid = adult & (u() < np.where(opioid, 0.12, np.where(older, 0.03, 0.015)))
    issue("gabapentinoid", gabapentinoid, 0.85)
    # Antiplatelets (rates assumed): common in the over-65s, and beside an anticoagulant for some.
    antiplatelet = adult & (u() < np.where(anticoag, 0.06, np.where(older, 0.12, 0.02)))
    issue("antiplatelet", antiplatelet, 0.85)
    # Sedatives and antipsychotics (rates assumed): more in the over-65s.
    sedative = adult & (u() < np.where(older, 0.05, 0.02))
    issue("sedative", sedative, 0.8)
    antipsychotic = adult & (u() < np.where(older, 0.02, 0.008))
    issue("antipsychotic", antipsychotic, 0.9)
    # Learning disability, autism or both (the optional registration flag; rates assumed): STOMP's population,
    # given antipsychotics far more often than others (NHS England: about 16 times for a learning disability).
    ld_autism = u() < 0.012
    issue("antipsychotic", ld_autism & (age >= 10) & ~antipsychotic & (u() < 0.15), 0.9)
    registrations = registrations.with_columns(
        pl.Series("learning_disability_or_autism", np.where(np.concatenate([ld_autism, ld_autism[moved]]), "Y", "N"))
    )
    rx = pl.concat(parts)
    # Issues follow the patient: a mover's issues before the move are at the old practice.
    spell_practice = np.where(
        mover[rx["p"].to_numpy()] & (rx["issue_date"].to_numpy() >= change[rx["p"].to_numpy()]),
        new_practice[rx["p"].to_numpy()],
        practice[rx["p"].to_numpy()],
    )
    prescriptions = rx.with_columns(
        pid.gather(rx["p"]).alias("patient_id"),
        pl.Series("practice_code", np.array(practices)[spell_practice]),
        pl.col("issue_date").cast(pl.Date),
    ).select("patient_id", "practice_code", "issue_date", "bnf_code", "quantity")
    # Issues after a leaver's deregistration are dropped (they were never issued by the practice).
    left = (
        registrations.filter(pl.col("registered_to").is_not_null())
        .group_by("patient_id")
        .agg(pl.col("registered_to").max().alias("_to"))
    )
    moved_ids = pid.gather(moved).implode()
    prescriptions = (
        prescriptions.join(left, on="patient_id", how="left", maintain_order="left")
        .filter(
            pl.col("_to").is_null() | (pl.col("issue_date") <= pl.col("_to")) | pl.col("patient_id").is_in(moved_ids)
        )
        .drop("_to")
        .sort("issue_date", "patient_id", maintain_order=True)
    )
    if edge_cases:
        prescriptions, registrations = _with_edge_cases(prescriptions, registrations, practices)
    return prescriptions, registrations


def _with_edge_cases(rx: pl.DataFrame, reg: pl.DataFrame, practices: list[str]):
    """The hand-made patients of edge_cases/ (see tests/indicators/test_patient.py), at the first three
    practices."""
    practice_map = {
        "P00001": practices[0],
        "P00002": practices[1 % len(practices)],
        "P00003": practices[2 % len(practices)],
    }
    e_reg = (
        pl.read_csv(EDGE_CASES / "registrations.csv", infer_schema=False)
        .select(reg.columns)
        .with_columns(
            pl.col("practice_code").replace(practice_map),
            pl.col("date_of_birth").str.to_date(),
            pl.col("registered_from").str.to_date(),
            pl.col("registered_to").str.to_date(),
        )
    )
    e_rx = (
        pl.read_csv(EDGE_CASES / "prescriptions.csv", infer_schema=False)
        .select(rx.columns)
        .with_columns(
            pl.col("practice_code").replace(practice_map),
            pl.col("issue_date").str.to_date(),
            pl.col("quantity").cast(pl.Float64),
        )
    )
    return pl.concat([rx, e_rx]), pl.concat([reg, e_reg])


def write_patient_sample(
    out: Path, practices: list[str], months: list[str], patients: int, seed: int = 20260101, fmt: str = "csv"
) -> dict:
    """Write prescriptions.<fmt> and registrations.<fmt> into `out` (contract v1)."""
    out.mkdir(parents=True, exist_ok=True)
    rx, reg = generate(practices, months, patients, seed)
    for name, frame in (("prescriptions", rx), ("registrations", reg)):
        target = out / f"{name}.{fmt}"
        part = target.with_name(target.name + ".part")
        if fmt == "csv":
            frame.write_csv(part)
        else:
            frame.write_parquet(part)
        part.replace(target)
    return {
        "folder": str(out),
        "patients": patients,
        "prescriptions": rx.height,
        "registrations": reg.height,
        "months": f"{months[0]} to {months[-1]}",
    }


def issue_months(report_months: list[str]) -> list[str]:
    """Issues must cover the window of the first reporting month: from two months before it."""
    return month_range(f"{add_months(report_months[0], -2)}:{report_months[-1]}")


def sample_practices(month: str, seed: int = 20260101) -> list[str]:
    """The GP practices of the built-in EPD sample open in `month` (so the two samples line up)."""
    from pipelines.sample.organisations import build_england

    geo = build_england(seed).geography(month)
    return sorted(geo.filter(pl.col("setting") == 4)["practice_code"].to_list())
