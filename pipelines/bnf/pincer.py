"""OpenSAFELY's PINCER drug code lists (reference/sources/pincer/, copied byte for byte from
opensafely/pincer-measures; PROVENANCE.md there): dm+d concepts (`id`, `term`), matched here to BNF
presentations so that a drug group citing one can be compared with it code by code.

A list carries no BNF codes. A term is matched to the November 2024 NHSBSA list, whose names are dm+d's
own, after the same three normalisations on both sides: lower case; an AMP's trailing supplier in brackets
dropped ("Voltarol 75mg SR tablets (Novartis Pharmaceuticals UK Ltd)" is the presentation "Voltarol 75mg
SR tablets"); and "oral solution" and "oral suspension" read as "oral liquid", the name NHSBSA gives the
specials it codes once for both. A brand is in the list when its generic presentation (the same chemical
and strength, product "AA") is, as OpenPrescribing's measures join a brand to its VMP. Abstract concepts
("Aspirin and omeprazole product", "Apixaban in oral dosage form") name no prescribable pack and match
nothing; codes of the 2020 list only, which carry abbreviated names, cannot be matched, so a comparison
with a PINCER list is made on the 2024 list's presentations (`comparable`).

From 2020 the EPD carries each row's dm+d code (SNOMED_CODE): `ids` is the list as those codes, for the
check on real rows (pipelines/verdicts/pincer_agreement.py).
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache

from pipelines.bnf import lists
from pipelines.bnf.groups import generic_equivalent

FOLDER = lists.SOURCES / "pincer"
_SUPPLIER = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)\s*$")
_LIQUID = re.compile(r"oral (?:solution|suspension)")


def normalised(name: str) -> str:
    """A dm+d or BNF name in the form both are compared in."""
    return _LIQUID.sub("oral liquid", _SUPPLIER.sub("", name.strip().lower()))


@cache
def concepts(name: str) -> dict[str, str]:
    """dm+d id -> term of one PINCER list (`name` as in pincer-<name>.csv)."""
    path = FOLDER / f"pincer-{name}.csv"
    if not path.is_file():
        raise KeyError(f"no PINCER list {name!r} in {FOLDER}")
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["id"]: row["term"] for row in csv.DictReader(fh)}


def version(name: str) -> str:
    """The OpenCodelists id and version the list was downloaded as (e.g. pincer/nsaid/<version>)."""
    files = json.loads((FOLDER / "codelists.json").read_text(encoding="utf-8"))["files"]
    return files[f"pincer-{name}.csv"]["id"]


@cache
def _by_name() -> dict[str, frozenset[str]]:
    frame = lists.bnf_list("2024")
    out: dict[str, set[str]] = {}
    for code, bnf_name in zip(frame["bnf_code"].to_list(), frame["bnf_name"].to_list()):
        out.setdefault(normalised(bnf_name), set()).add(code)
    return {k: frozenset(v) for k, v in out.items()}


@cache
def comparable() -> frozenset[str]:
    """The presentations a PINCER list can be compared on: those of the 2024 list (dm+d names)."""
    return frozenset(lists.bnf_list("2024")["bnf_code"].to_list())


@cache
def matched(name: str) -> dict[str, frozenset[str]]:
    """term -> the 2024-list presentations whose names it matches (terms that match none are absent)."""
    by_name = _by_name()
    return {t: by_name[normalised(t)] for t in concepts(name).values() if normalised(t) in by_name}


@cache
def _by_generic() -> dict[str, tuple[str, ...]]:
    """generic presentation -> the 2024 list's presentations equivalent to it (itself and its brands)."""
    out: dict[str, list[str]] = {}
    for code in comparable():
        out.setdefault(generic_equivalent(code) or code, []).append(code)
    return {k: tuple(v) for k, v in out.items()}


@cache
def bnf_presentations(name: str) -> frozenset[str]:
    """A PINCER list as BNF presentations of the 2024 list: those a term names, and every brand whose
    generic presentation is one of them."""
    named = set().union(*matched(name).values()) if matched(name) else set()
    brands = _by_generic()
    return frozenset(named.union(*(brands.get(c, ()) for c in named)))


def ids(name: str) -> frozenset[str]:
    """A PINCER list as dm+d codes, as the EPD's SNOMED_CODE column carries them."""
    return frozenset(concepts(name))
