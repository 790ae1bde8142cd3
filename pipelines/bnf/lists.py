"""NHSBSA's published "BNF Code Information" lists, as copied byte for byte into reference/sources/.

Two releases are kept because presentation names changed style around 2020:
* 2020-02: the older abbreviated names that EPD files carried until then (`Co-Codamol_Tab 30mg/500mg`);
* 2024-11: today's dm+d-style names (`Co-codamol 30mg/500mg tablets`).

These lists are the only place a presentation's name, chemical and product come from in this project:
the sample draws its names from them, every hand-kept reference row is checked against them
(tests/reference/test_reference_real.py), and the patient-level engine reads opioid names from them because an
extract carries codes, not names.
"""

from __future__ import annotations

import io
import zipfile
from functools import cache

import polars as pl

from pipelines.reference import REFERENCE_DIR

SOURCES = REFERENCE_DIR / "sources"
RELEASES = {"2020": "20200201_BNF_Code_Information.zip", "2024": "20241101_BNF_Code_Information.zip"}
# Names switched from the abbreviated style to dm+d style during 2020 (research note nhsbsa_data.md;
# both styles exist in the two lists). Months before this take the 2020 list's names in the sample.
DMD_NAMES_FROM = "2020-11"
COLUMNS = {
    "BNF Presentation Code": "bnf_code",
    "BNF Presentation": "bnf_name",
    "BNF Chemical Substance Code": "chem_code",
    "BNF Chemical Substance": "chem_name",
    "BNF Product Code": "product_code",
    "BNF Product": "product_name",
    "BNF Chapter Code": "chapter_code",
    "BNF Chapter": "chapter_name",
}


@cache
def bnf_list(release: str) -> pl.DataFrame:
    """One release as a frame (bnf_code, bnf_name, chem_code, chem_name, product_*, chapter_*)."""
    with zipfile.ZipFile(SOURCES / RELEASES[release]) as zf:
        (member,) = [m for m in zf.namelist() if m.lower().endswith(".csv")]
        raw = zf.read(member)
    frame = pl.read_csv(io.BytesIO(raw), infer_schema=False, encoding="utf8-lossy")
    return frame.select([pl.col(k).alias(v) for k, v in COLUMNS.items()])


def release_for(month: str) -> str:
    """The list whose name style EPD used in `month`."""
    return "2024" if month >= DMD_NAMES_FROM else "2020"


@cache
def names(release: str) -> dict[str, str]:
    """bnf_code -> presentation name in one release."""
    frame = bnf_list(release)
    return dict(zip(frame["bnf_code"].to_list(), frame["bnf_name"].to_list()))


@cache
def chemicals(release: str) -> dict[str, str]:
    """chemical code -> chemical substance name in one release."""
    frame = bnf_list(release).unique("chem_code", keep="first")
    return dict(zip(frame["chem_code"].to_list(), frame["chem_name"].to_list()))


def presentations_under(prefixes: tuple[str, ...], release: str) -> pl.DataFrame:
    """Every presentation of a release whose code starts with one of `prefixes`."""
    frame = bnf_list(release)
    return frame.filter(pl.any_horizontal([pl.col("bnf_code").str.starts_with(p) for p in prefixes]))


def all_presentations(prefixes: tuple[str, ...]) -> pl.DataFrame:
    """Both releases' presentations under `prefixes`: one row per (code, name) as published, with the
    release it comes from (the same code may carry an abbreviated and a dm+d name)."""
    frames = [presentations_under(prefixes, r).with_columns(release=pl.lit(r)) for r in RELEASES]
    return pl.concat(frames).unique(["bnf_code", "bnf_name"], keep="first", maintain_order=True)
