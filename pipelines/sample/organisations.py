"""England's prescribing organisations for the built-in sample: regions, ICBs, sub-ICB locations,
PCNs, ~6,300 GP practices and some non-GP cost centres, with the April 2026 reorganisation.

What is real and what is made up (every magnitude says which):
* regions and ICBs: real ODS/ONS codes and names (reference/*.csv, from shared research);
* ICB populations: approximate registered populations in thousands — assumption (recalled, not verified);
* sub-ICB locations: 8 real codes seen in real EPD rows (00Y, 05W, 78H, D2P2L, 72Q, 52R, 18C, 15N), the
  Frimley code D4U1Y and Thames Valley's U2G6B from the research note; every other code is synthetic;
* practices: 9 real practices from the real January 2026 EPD rows; all others have synthetic codes in the
  real format (letter + 5 digits), names and addresses;
* list sizes: lognormal, median 8,500, sigma 0.55 — assumption fitted to England's ~63 M registered
  patients over ~6,300 practices (NHS Digital publication totals, approximate).
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from pipelines.reference import REFERENCE_DIR

REFERENCE = REFERENCE_DIR
REORGANISATION_MONTH = "2026-04"
# The month the invented trends start from (prescribing and list sizes grow or fall from it).
BASE_MONTH = "2024-01"

# Approximate registered population per ICB (thousands). Assumption, for proportions only.
ICB_POPULATION_K = {
    "QHG": 1100,
    "QUE": 1000,
    "QM7": 1650,
    "QH8": 1300,
    "QMM": 1100,
    "QJG": 1100,
    "QMJ": 1750,
    "QMF": 2200,
    "QRV": 2800,
    "QKK": 2000,
    "QWE": 1650,
    "QHL": 1500,
    "QUA": 1300,
    "QWU": 1050,
    "QJ2": 1100,
    "QGH": 850,
    "QK1": 1200,
    "QJM": 780,
    "QPM": 800,
    "QT1": 1150,
    "QOC": 520,
    "QNC": 1200,
    "QOQ": 1800,
    "QHM": 3100,
    "QF7": 1450,
    "QWO": 2600,
    "QYG": 2700,
    "QOP": 3300,
    "QE1": 1800,
    "QU9": 1900,
    "QNQ": 800,
    "QRL": 1900,
    "QKS": 2000,
    "QXU": 1100,
    "QNX": 1800,
    "QOX": 1000,
    "QUY": 1050,
    "QT6": 600,
    "QJK": 1300,
    "QVV": 830,
    "QR1": 700,
    "QSL": 610,
}
TOTAL_PRACTICES = 6300  # assumption: England had ~6,200-6,300 GP practices in 2025
NON_GP_COST_CENTRES = 420  # assumption: OOH, walk-in, federations, community services

# Real sub-ICB codes (seen in real EPD rows or the research note), by ICB of 2022-2026.
REAL_SUB_ICBS = {
    "QOP": ["00Y"],
    "QNC": ["05W"],
    "QPM": ["78H"],
    "QUA": ["D2P2L"],
    "QKK": ["72Q"],
    "QT1": ["52R"],
    "QGH": ["18C"],
    "QJK": ["15N"],
    "QNQ": ["D4U1Y"],
}

# The 9 real practices of the real January 2026 rows: (code, sub-ICB, name, address 1-4, postcode).
REAL_PRACTICES = [
    (
        "P85002",
        "00Y",
        "ST MARY'S MEDICAL CENTRE",
        "ST.MARY'S MEDICAL CENTRE",
        "ROCK STREET",
        "OLDHAM",
        "LANCASHIRE",
        "OL1 3UL",
    ),
    (
        "P85003",
        "00Y",
        "THE CHOWDHURY PRACTICE",
        "INTEGRATED CARE CENTRE",
        "NEW RADCLIFFE STREET",
        "OLDHAM",
        "",
        "OL1 1NL",
    ),
    (
        "M83038",
        "05W",
        "ORCHARD SURGERY",
        "ORCHARD SURGERY",
        "KNYPERSLEY ROAD",
        "NORTON IN THE MOORS",
        "STOKE-ON-TRENT",
        "ST6 8HY",
    ),
    (
        "K83010",
        "78H",
        "ELEANOR CROSS HEALTHCARE",
        "DELAPRE MEDICAL CENTRE",
        "GLOUCESTER AVENUE",
        "NORTHAMPTON",
        "NORTHAMPTONSHIRE",
        "NN4 8QF",
    ),
    (
        "M88610",
        "D2P2L",
        "SAREPHED MEDICAL CENTRE",
        "SAREPHED MEDICAL CENTRE",
        "ARDEN ROAD, SMETHWICK",
        "WARLEY",
        "WEST MIDLANDS",
        "B67 6AJ",
    ),
    (
        "G85034",
        "72Q",
        "NEXUS HEALTH GROUP",
        "PRINCESS STREET GP PRACT",
        "2 PRINCESS STREET",
        "ELEPHANT AND CASTLE",
        "LONDON",
        "SE1 6JP",
    ),
    (
        "C84656",
        "52R",
        "HILL VIEW SURGERY",
        "HILL VIEW SURGERY",
        "KIRKLINGTON RD, RAINWORTH",
        "MANSFIELD",
        "NOTTINGHAMSHIRE",
        "NG21 0JP",
    ),
    (
        "M81069",
        "18C",
        "DAVENAL HOUSE SURGERY PARTNERSHIP",
        "DAVENAL HOUSE SURGERY",
        "28 BIRMINGHAM ROAD",
        "BROMSGROVE",
        "WORCESTERSHIRE",
        "B61 0DD",
    ),
    (
        "L83113",
        "15N",
        "BUDSHEAD MEDICAL PRACTICE",
        "BUDSHEAD MEDICAL PRACTICE",
        "433 BUDSHEAD RD,WHITLEIGH",
        "PLYMOUTH",
        "DEVON",
        "PL5 4DU",
    ),
]

# Practice-code letters used in each region (as ODS allocates them regionally; assumption).
REGION_LETTERS = {"Y63": "AB", "Y62": "NP", "Y60": "CM", "Y61": "DE", "Y56": "EFG", "Y59": "GHJK", "Y58": "JKL"}
POSTCODE_AREAS = {
    "Y63": ["NE", "SR", "DH", "TS", "LS", "BD", "HU", "YO", "S"],
    "Y62": ["M", "OL", "BL", "WN", "L", "CH", "PR", "LA", "BB"],
    "Y60": ["B", "WS", "WV", "CV", "DE", "NG", "LE", "LN", "ST", "NN", "WR", "SY"],
    "Y61": ["CB", "PE", "NR", "IP", "CO", "CM", "SS", "LU", "MK", "AL", "SG"],
    "Y56": ["E", "N", "NW", "SE", "SW", "W", "EC", "HA", "UB", "CR", "BR"],
    "Y59": ["RG", "OX", "HP", "GU", "SO", "PO", "ME", "CT", "TN", "BN", "RH"],
    "Y58": ["BA", "SN", "BS", "TR", "EX", "PL", "TQ", "BH", "DT", "GL", "TA"],
}
PLACES = [
    "ABBEY",
    "ASHFIELD",
    "BEECHWOOD",
    "BIRCHWOOD",
    "BRIDGE",
    "BROOKSIDE",
    "CASTLE",
    "CEDAR",
    "CHURCH VIEW",
    "CLAREMONT",
    "COURTYARD",
    "CROSS LANE",
    "DALE",
    "ELM TREE",
    "FAIRFIELD",
    "FERNDALE",
    "GREENWAY",
    "HALL GREEN",
    "HEATHFIELD",
    "HIGHFIELD",
    "HILLSIDE",
    "KINGSWAY",
    "LAKESIDE",
    "LIME TREE",
    "MANOR",
    "MARKET STREET",
    "MEADOWS",
    "MILL",
    "NORTHGATE",
    "OAKLANDS",
    "OLD SCHOOL",
    "ORCHARD",
    "PARK VIEW",
    "PRIORY",
    "QUEENS ROAD",
    "RIVERSIDE",
    "ROSEWOOD",
    "ST ANDREW'S",
    "ST GEORGE'S",
    "ST JOHN'S",
    "ST LUKE'S",
    "STATION ROAD",
    "SUNNYSIDE",
    "THE GROVE",
    "THE LIMES",
    "VALLEY",
    "VICTORIA",
    "WESTGATE",
    "WILLOW",
    "WOODLANDS",
    "BRONTË HOUSE",
    "CAFÉ ROW",
]
SUFFIXES = ["MEDICAL CENTRE", "SURGERY", "HEALTH CENTRE", "MEDICAL PRACTICE", "FAMILY PRACTICE", "GROUP PRACTICE"]
STREETS = [
    "HIGH STREET",
    "CHURCH ROAD",
    "STATION ROAD",
    "PARK LANE",
    "MILL LANE",
    "VICTORIA ROAD",
    "LONDON ROAD",
    "THE GREEN",
    "QUEEN STREET",
    "MANOR ROAD",
    "ELM GROVE",
    "NEW ROAD",
    "KING STREET",
    "WEST STREET",
]
TOWNS = [
    "NORTHTON",
    "EASTBRIDGE",
    "WESTFIELD",
    "SOUTHWOLD",
    "HIGHTOWN",
    "LOWMOOR",
    "MIDDLEHAM",
    "NEWBURY PARK",
    "OLDCASTLE",
    "GREENHILL",
    "ASHBY",
    "KINGSBRIDGE",
    "RIVERSMEET",
    "BROADWATER",
]
COST_CENTRE_KINDS = [
    "GP FEDERATION",
    "OUT OF HOURS SERVICE",
    "WALK-IN CENTRE",
    "URGENT TREATMENT CENTRE",
    "COMMUNITY NURSING TEAM",
    "HOSPICE AT HOME",
    "SEXUAL HEALTH SERVICE",
]


@dataclass(frozen=True)
class England:
    """The sample's organisations. `practices` holds GP practices and non-GP cost centres."""

    regions: pl.DataFrame  # region_code, region_ons_code, region_name, epd_region_name
    icbs: pl.DataFrame  # period ('2022'|'2026'), icb_code, icb_ons_code, icb_name, region_code
    sub_icbs: pl.DataFrame  # period, sub_icb_code, pco_code, sub_icb_ons_code, icb_code
    # practice_code, name, address_1-4, postcode, sub_icb_2022, sub_icb_2026, pcn_code, pcn_name, setting,
    # list_size_base, age_tilt, opened, closed, merged_into
    practices: pl.DataFrame

    def period(self, month: str) -> str:
        return "2026" if month >= REORGANISATION_MONTH else "2022"

    def geography(self, month: str) -> pl.DataFrame:
        """Practice -> sub-ICB -> ICB -> region for `month` (open cost centres only)."""
        period = self.period(month)
        px = self.practices.filter(
            (pl.col("opened") <= month) & (pl.col("closed").is_null() | (pl.col("closed") > month))
        ).with_columns(pl.col(f"sub_icb_{period}").alias("sub_icb_code"))
        sub = self.sub_icbs.filter(pl.col("period") == period).drop("period")
        icb = self.icbs.filter(pl.col("period") == period).drop("period")
        return (
            px.join(sub, on="sub_icb_code", how="left", maintain_order="left")
            .join(icb, on="icb_code", how="left", maintain_order="left")
            .join(self.regions, on="region_code", how="left", maintain_order="left")
        )


def _read_csv(name: str) -> list[dict]:
    with open(REFERENCE / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _short_icb_name(name: str) -> str:
    return name.replace(" INTEGRATED CARE BOARD", " ICB")


def _synthetic_code(rng: np.random.Generator, taken: set[str]) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        code = (
            rng.choice(list(letters))
            + str(rng.integers(0, 10))
            + rng.choice(list(letters))
            + str(rng.integers(0, 10))
            + rng.choice(list(letters))
        )
        if code not in taken:
            taken.add(code)
            return code


@cache
def build_england(seed: int = 20260101) -> England:
    rng = np.random.default_rng(seed)
    regions = pl.DataFrame(
        [
            {
                "region_code": r["region_ods_code"],
                "region_ons_code": r["region_ons_code_2022"],
                "region_name": r["region_name"],
                "epd_region_name": r["epd_regional_office_name"],
            }
            for r in _read_csv("regions.csv")
        ]
    )
    old = _read_csv("icbs_2022_07_to_2026_03.csv")
    new = _read_csv("icbs_from_2026_04.csv")
    icbs = pl.DataFrame(
        [
            {
                "period": "2022",
                "icb_code": r["icb_ods_code"],
                "icb_ons_code": r["icb_ons_code_apr2023"],
                "icb_name": r["icb_name"],
                "region_code": r["region_ods_code"],
            }
            for r in old
        ]
        + [
            {
                "period": "2026",
                "icb_code": r["icb_ods_code"],
                "icb_ons_code": r["icb_ons_code_2026"],
                "icb_name": r["icb_name"],
                "region_code": r["region_ods_code"],
            }
            for r in new
        ]
    )
    successors = {r["icb_ods_code"]: [s for s in r["successor_icb_ods_codes"].split(";") if s] for r in old}
    region_of = {r["icb_ods_code"]: r["region_ods_code"] for r in old}

    # Sub-ICB locations of 2022-2026: ~1 per 600k people, at least one, real codes where known.
    taken: set[str] = {c for codes in REAL_SUB_ICBS.values() for c in codes} | {"U2G6B"}
    sub_rows = []
    sub_of_icb: dict[str, list[str]] = {}
    for r in old:
        icb = r["icb_ods_code"]
        n = max(1, min(9, round(ICB_POPULATION_K[icb] / 600)))
        codes = list(REAL_SUB_ICBS.get(icb, []))
        while len(codes) < n:
            codes.append(_synthetic_code(rng, taken))
        sub_of_icb[icb] = codes
    # The 2026 parent of each 2022 sub-ICB. Split ICBs hand their sub-ICBs out in turn; Frimley's single
    # sub-ICB is itself split three ways (handled per practice below).
    new_parent: dict[str, str] = {}
    for icb, codes in sub_of_icb.items():
        succ = successors[icb] or [icb]
        for i, code in enumerate(codes):
            new_parent[code] = succ[i % len(succ)]
    frimley_parts = {"S0E4D": "U2G6B", "S9B9J": _synthetic_code(rng, taken), "QRL": _synthetic_code(rng, taken)}
    ons_counter = iter(range(38000200, 38001000))
    for icb, codes in sub_of_icb.items():
        for code in codes:
            sub_rows.append(
                {"period": "2022", "sub_icb_code": code, "icb_code": icb, "sub_icb_ons_code": f"E{next(ons_counter)}"}
            )
            if icb != "QNQ":
                sub_rows.append(
                    {
                        "period": "2026",
                        "sub_icb_code": code,
                        "icb_code": new_parent[code],
                        "sub_icb_ons_code": sub_rows[-1]["sub_icb_ons_code"],
                    }
                )
    for icb, code in frimley_parts.items():
        sub_rows.append(
            {"period": "2026", "sub_icb_code": code, "icb_code": icb, "sub_icb_ons_code": f"E{next(ons_counter)}"}
        )
    sub_icbs = pl.DataFrame(sub_rows)
    icb_names = {(r["period"], r["icb_code"]): r["icb_name"] for r in icbs.iter_rows(named=True)}
    sub_icbs = sub_icbs.with_columns(
        pco_code=pl.when(pl.col("sub_icb_code").str.len_chars() == 3)
        .then(pl.col("sub_icb_code") + "00")
        .otherwise(pl.col("sub_icb_code")),
        sub_icb_name=pl.struct("period", "icb_code", "sub_icb_code").map_elements(
            lambda s: f"{_short_icb_name(icb_names[(s['period'], s['icb_code'])])} - {s['sub_icb_code']}",
            return_dtype=pl.Utf8,
        ),
    )

    practices = _build_practices(rng, sub_of_icb, region_of, new_parent, frimley_parts)
    return England(regions=regions, icbs=icbs, sub_icbs=sub_icbs, practices=practices)


def _build_practices(rng, sub_of_icb, region_of, new_parent, frimley_parts) -> pl.DataFrame:
    total_pop = sum(ICB_POPULATION_K.values())
    used_codes = {p[0] for p in REAL_PRACTICES}
    rows = []
    real_by_sub: dict[str, list] = {}
    for p in REAL_PRACTICES:
        real_by_sub.setdefault(p[1], []).append(p)
    pcn_serial = iter(range(10001, 99999))

    def new_code(letters: str) -> str:
        while True:
            code = rng.choice(list(letters)) + f"{int(rng.integers(81000, 99999)):05d}"
            if code not in used_codes and not code.endswith("998"):
                used_codes.add(code)
                return code

    frimley_targets = list(frimley_parts.values())
    for icb, subs in sub_of_icb.items():
        region = region_of[icb]
        n_icb = round(TOTAL_PRACTICES * ICB_POPULATION_K[icb] / total_pop)
        per_sub = np.full(len(subs), n_icb // len(subs))
        per_sub[: n_icb - per_sub.sum()] += 1
        for sub, n in zip(subs, per_sub):
            entries = list(real_by_sub.get(sub, []))
            while len(entries) < n:
                place = PLACES[int(rng.integers(len(PLACES)))]
                style = int(rng.integers(4))
                name = f"{place} {SUFFIXES[int(rng.integers(len(SUFFIXES)))]}" if style < 3 else f"THE {place} PRACTICE"
                area = POSTCODE_AREAS[region][int(rng.integers(len(POSTCODE_AREAS[region])))]
                district, sector = int(rng.integers(1, 30)), int(rng.integers(1, 10))
                unit = "".join("ABDEFGHJLNPQRSTUWXYZ"[int(rng.integers(20))] for _ in range(2))
                postcode = f"{area}{district} {sector}{unit}"
                town = TOWNS[int(rng.integers(len(TOWNS)))]
                entries.append(
                    (
                        new_code(REGION_LETTERS[region]),
                        sub,
                        name,
                        name,
                        f"{int(rng.integers(1, 400))} {STREETS[int(rng.integers(len(STREETS)))]}",
                        town,
                        "" if rng.random() < 0.3 else "ENGLAND",
                        postcode,
                    )
                )
            # PCNs of ~6 practices within the sub-ICB.
            for start in range(0, len(entries), 6):
                pcn = f"U{next(pcn_serial)}"
                pcn_name = f"{entries[start][2].split(' ')[0]} {sub} PCN"
                for k, e in enumerate(entries[start : start + 6]):
                    if icb == "QNQ":
                        sub26 = frimley_targets[(start + k) % 3]
                    else:
                        sub26 = sub
                    rows.append(
                        {
                            "practice_code": e[0],
                            "name": e[2],
                            "address_1": e[3],
                            "address_2": e[4],
                            "address_3": e[5],
                            "address_4": e[6],
                            "postcode": e[7],
                            "sub_icb_2022": sub,
                            "sub_icb_2026": sub26,
                            "pcn_code": pcn,
                            "pcn_name": pcn_name,
                            "setting": 4,
                        }
                    )
    n_gp = len(rows)
    # List sizes: lognormal (assumption, see module docstring), and an age tilt per practice
    # (negative = younger population, e.g. student or inner-city practices).
    list_size = np.clip(rng.lognormal(np.log(8500), 0.55, n_gp), 900, 60000).round()
    tilt = np.clip(rng.normal(0, 0.35, n_gp), -1.0, 1.0)
    # Non-GP cost centres (prescribing setting != 4): Y-codes, small volumes, no registered list.
    subs_flat = [(s, icb) for icb, subs in sub_of_icb.items() for s in subs]
    for i in range(NON_GP_COST_CENTRES):
        sub, icb = subs_flat[int(rng.integers(len(subs_flat)))]
        kind = COST_CENTRE_KINDS[int(rng.integers(len(COST_CENTRE_KINDS)))]
        code = f"Y{int(rng.integers(1000, 9999)):05d}"
        while code in used_codes:
            code = f"Y{int(rng.integers(1000, 9999)):05d}"
        used_codes.add(code)
        sub26 = frimley_targets[i % 3] if icb == "QNQ" else sub
        rows.append(
            {
                "practice_code": code,
                "name": f"{PLACES[i % len(PLACES)]} {kind}",
                "address_1": kind,
                "address_2": f"{int(rng.integers(1, 200))} {STREETS[i % len(STREETS)]}",
                "address_3": TOWNS[i % len(TOWNS)],
                "address_4": "",
                "postcode": "",
                "sub_icb_2022": sub,
                "sub_icb_2026": sub26,
                "pcn_code": None,
                "pcn_name": None,
                "setting": 2 if "HOURS" in kind else 0,
            }
        )
    df = pl.DataFrame(rows)
    n = df.height
    list_all = np.concatenate([list_size, np.zeros(n - n_gp)])
    tilt_all = np.concatenate([tilt, np.zeros(n - n_gp)])
    # A few practices close (their patients move to the next practice in the same PCN) and a few open:
    # trends and geography must cope with both. Months are assumptions for the sample only.
    opened = np.full(n, "2014-01", dtype=object)
    closed = np.full(n, None, dtype=object)
    merged = np.full(n, None, dtype=object)
    gp_idx = np.arange(n_gp)
    for j, month in zip(
        rng.choice(gp_idx[:-1], 12, replace=False),
        [
            "2025-06",
            "2025-09",
            "2025-11",
            "2026-01",
            "2026-02",
            "2026-04",
            "2026-05",
            "2026-07",
            "2025-03",
            "2025-12",
            "2026-03",
            "2026-06",
        ],
    ):
        if df["pcn_code"][int(j)] == df["pcn_code"][int(j) + 1]:
            closed[j] = month
            merged[j] = df["practice_code"][int(j) + 1]
    for j, month in zip(
        rng.choice(gp_idx, 6, replace=False), ["2025-08", "2025-10", "2026-01", "2026-02", "2026-04", "2026-05"]
    ):
        if closed[j] is None:
            opened[j] = month
    # About 1 % of practices are in no PCN, which NHS Digital's map writes as PCN 'U', "Unallocated" (68 of
    # 6,527 practices in January 2022). Picked by position, so the random draws above stay as they were.
    unallocated = [(i % 97 == 41) and i < n_gp for i in range(n)]
    df = df.with_columns(
        pcn_code=pl.when(pl.Series(unallocated)).then(pl.lit("U")).otherwise(pl.col("pcn_code")),
        pcn_name=pl.when(pl.Series(unallocated)).then(pl.lit("Unallocated")).otherwise(pl.col("pcn_name")),
    )
    return df.with_columns(
        list_size_base=pl.Series(list_all),
        age_tilt=pl.Series(tilt_all),
        opened=pl.Series(opened.tolist(), dtype=pl.Utf8),
        closed=pl.Series(closed.tolist(), dtype=pl.Utf8),
        merged_into=pl.Series(merged.tolist(), dtype=pl.Utf8),
    )


def month_rng(seed: int, month: str, salt: str = "") -> np.random.Generator:
    """The random numbers of one month of the sample (and one purpose, `salt`): the same seed, month and salt
    give the same draws, whichever months are generated and in which order."""
    return np.random.default_rng([seed, int(month.replace("-", "")), zlib.crc32(salt.encode())])


def months_between(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])
