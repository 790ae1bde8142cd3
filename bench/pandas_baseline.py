"""The pandas baseline: two indicators (methotrexate_10mg_pct, opioid_high_dose_pct_120) at practice and
ICB level from the published CSV, as a competent analyst would write it (usecols, dtypes, categoricals),
with the same rules as the pipeline: GP practices of NHS Digital's map only, unidentified and %998 out,
ICB as published, pooled sums."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from indicators.catalogue import catalogue, group_references
from indicators.model import CodeFilter, expand

INDICATORS = ("methotrexate_10mg_pct", "opioid_high_dose_pct_120")


def _code_sets(codes_seen) -> dict[str, tuple[set, set]]:
    from pipelines.bnf.groups import group_members

    out = {}
    for ind_id in INDICATORS:
        ind = catalogue()[ind_id]
        groups = group_members(codes_seen, wanted=group_references(ind))
        num = set(expand([CodeFilter.parse(c) for c in ind.numerator.codes], codes_seen, groups))
        den = set(expand([CodeFilter.parse(c) for c in ind.denominator.codes], codes_seen, groups))
        out[ind_id] = (num, den)
    return out


def read_map(map_path: Path) -> set[str]:
    if map_path.suffix == ".zip":
        with zipfile.ZipFile(map_path) as zf:
            with zf.open(zf.namelist()[0]) as fh:
                frame = pd.read_csv(fh, usecols=["PRACTICE_CODE"], dtype=str, encoding="latin-1")
    else:
        frame = pd.read_csv(map_path, usecols=["PRACTICE_CODE"], dtype=str, encoding="latin-1")
    return set(frame["PRACTICE_CODE"].str.strip())


def run(csv_path: Path, map_path: Path, out_path: Path) -> dict:
    header = pd.read_csv(csv_path, nrows=0, encoding="latin-1").columns
    code_col = "BNF_PRESENTATION_CODE" if "BNF_PRESENTATION_CODE" in header else "BNF_CODE"
    rx = pd.read_csv(
        csv_path,
        usecols=["ICB_CODE", "PRACTICE_CODE", code_col, "ITEMS"],
        encoding="latin-1",
        dtype={"ICB_CODE": "category", "PRACTICE_CODE": "category", code_col: "category", "ITEMS": "int32"},
    )
    gp = read_map(map_path)
    rx = rx[rx["PRACTICE_CODE"].isin(gp)]
    codes = _code_sets(rx[code_col].cat.categories)
    results = []
    for ind_id, (num_codes, den_codes) in codes.items():
        sub = rx[rx[code_col].isin(den_codes)]
        sub = sub.assign(num=sub["ITEMS"].where(sub[code_col].isin(num_codes), 0))
        practice = sub.groupby(["PRACTICE_CODE", "ICB_CODE"], observed=True)[["num", "ITEMS"]].sum().reset_index()
        practice = practice[practice["ITEMS"] > 0]
        icb = practice.groupby("ICB_CODE", observed=True)[["num", "ITEMS"]].sum().reset_index()
        for level, frame, code in (("practice", practice, "PRACTICE_CODE"), ("icb", icb, "ICB_CODE")):
            results.append(
                pd.DataFrame(
                    {
                        "indicator_id": ind_id,
                        "org_type": level,
                        "org_code": frame[code].astype(str),
                        "numerator": frame["num"].astype(float),
                        "denominator": frame["ITEMS"].astype(float),
                        "value": 100.0 * frame["num"] / frame["ITEMS"],
                    }
                )
            )
    out = pd.concat(results, ignore_index=True)
    out.to_parquet(out_path)
    return {"rows": len(out)}
