"""Oral morphine equivalent (OME) per dispensed unit, for any opioid presentation, from its name.

OME mg per unit = opioid mg per unit (tablet, capsule, sachet, suppository, unit dose vial; per ml for
liquids) x factor; for patches, mg per hour x hours worn x factor. EPD's TOTAL_QUANTITY is in those
units, so a row's OME is TOTAL_QUANTITY x this figure.

Hand-kept data, all in reference/ and each checked by tests/reference/test_reference_real.py:
* opioid_chemicals.csv   the BNF chemicals in scope and the ingredient each is (real chemical codes);
* opioid_ome_factors.csv ingredient x route -> factor, row by row from OpenPrescribing's
                          opioid_ing_form_ome.csv (BNF palliative care / Opioids Aware);
* opioid_name_overrides.csv  the few names the grammar cannot read, each with its reason.
Everything else comes from the name (opioid_names.py).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from functools import cache

import polars as pl

from pipelines.bnf import lists
from pipelines.bnf.opioid_names import NO_STRENGTH, NameReading, read_name
from pipelines.reference import REFERENCE_DIR

STATUS_OME, STATUS_EXCLUDED, STATUS_UNREAD = "ome", "excluded", "unread"
EXCLUSION_REASONS = {
    "injection": "injection or infusion: outside the OME scope (hospital and palliative use; dose per ampoule)",
    "transmucosal": "buccal, sublingual, lozenge or nasal form: outside the OME scope (breakthrough pain)",
    "topical": "topical gel: not systemic",
    "bulk powder": "bulk powder for extemporaneous preparation: unit and use unknown",
    "tincture": "tincture: no strength in the name",
    "placeholder": "placeholder code ('DO NOT USE')",
    "iontophoretic": "patient-activated iontophoretic system (hospital, post-operative): no continuous rate",
}
SCHEMA = {
    "bnf_code": pl.Utf8,
    "bnf_name": pl.Utf8,
    "ingredient": pl.Utf8,
    "route": pl.Utf8,
    "strength_mg": pl.Float64,
    "per": pl.Utf8,
    "patch_hours": pl.Float64,
    "ome_factor": pl.Float64,
    "ome_mg_per_unit": pl.Float64,
    "status": pl.Utf8,
    "reason": pl.Utf8,
}


@dataclass(frozen=True)
class OmeReading:
    bnf_code: str
    bnf_name: str
    ingredient: str | None
    route: str | None
    strength_mg: float | None
    per: str | None
    patch_hours: float | None
    ome_factor: float | None
    ome_mg_per_unit: float | None
    status: str  # ome | excluded | unread
    reason: str | None


def _read_csv(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def chemicals() -> dict[str, dict]:
    return {r["chem_code"]: r for r in _read_csv("opioid_chemicals.csv")}


@cache
def factors() -> dict[tuple[str, str], float]:
    return {(r["ingredient"], r["route"]): float(r["ome_factor"]) for r in _read_csv("opioid_ome_factors.csv")}


@cache
def overrides() -> dict[str, dict]:
    return {r["bnf_code"]: r for r in _read_csv("opioid_name_overrides.csv")}


def in_scope(bnf_code: str) -> bool:
    return bnf_code[:9] in chemicals()


def _float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


def _without_ome(
    bnf_code: str,
    bnf_name: str,
    ingredient: str | None,
    status: str,
    reason: str | None,
    route: str | None = None,
    strength: float | None = None,
    per: str | None = None,
    hours: float | None = None,
) -> OmeReading:
    """A presentation excluded from the OME scope, or in it but unread (what was read kept)."""
    return OmeReading(bnf_code, bnf_name, ingredient, route, strength, per, hours, None, None, status, reason)


def read_presentation(bnf_code: str, bnf_name: str) -> OmeReading:
    """The OME per unit of one presentation, or why it has none. Codes outside the opioid chemicals
    in scope are 'excluded'."""
    chem = chemicals().get(bnf_code[:9])
    if chem is None:
        reason = "not an opioid chemical in the OME scope (reference/opioid_chemicals.csv)"
        return _without_ome(bnf_code, bnf_name, None, STATUS_EXCLUDED, reason)
    ingredient = chem["ingredient"]
    note: str | None
    strength: float | None
    hours: float | None
    override = overrides().get(bnf_code)
    if override is not None:
        if override["exclude_reason"]:
            return _without_ome(bnf_code, bnf_name, ingredient, STATUS_EXCLUDED, override["exclude_reason"])
        route, strength, per = override["route"], float(override["strength_mg"]), override["per"]
        hours, note = _float(override["patch_hours"]), f"override: {override['reason']}"
    else:
        reading, note = _read_with_fallbacks(bnf_code, bnf_name, ingredient, chem["opioid_strength"])
        if reading.excluded:
            return _without_ome(bnf_code, bnf_name, ingredient, STATUS_EXCLUDED, EXCLUSION_REASONS[reading.excluded])
        if not reading.ok:
            return _without_ome(bnf_code, bnf_name, ingredient, STATUS_UNREAD, reading.problem, route=reading.route)
        route, strength, per, hours = reading.route, reading.strength_mg, reading.per, reading.patch_hours
    factor = factors().get((ingredient, route))
    if factor is None:
        reason = f"no OME factor for {ingredient} by the {route} route"
        return _without_ome(bnf_code, bnf_name, ingredient, STATUS_UNREAD, reason, route, strength, per, hours)
    # A reading without a problem has a strength, and a strength per hour the hours a patch is worn.
    assert strength is not None and (per != "hour" or hours is not None), bnf_code
    per_unit = strength * factor * (hours if per == "hour" and hours is not None else 1.0)
    return OmeReading(bnf_code, bnf_name, ingredient, route, strength, per, hours, factor, per_unit, STATUS_OME, note)


def generic_equivalent(bnf_code: str) -> str:
    """A brand's generic presentation: chemical + 'AA' + the brand's last two characters twice, the
    equivalence NHSBSA's codes encode and OpenPrescribing's OME view relies on."""
    return bnf_code[:9] + "AA" + bnf_code[-2:] + bnf_code[-2:]


def _read_with_fallbacks(
    bnf_code: str, bnf_name: str, ingredient: str, opioid_strength: str
) -> tuple[NameReading, str | None]:
    """Read the name; when it states no strength (`Remedeine tablets`, `Paramol tablets`), read the same
    code's name in the other NHSBSA list, then its generic equivalent's names. Each step is a published
    name, and the reading says which one it used."""
    reading = read_name(bnf_name, ingredient, opioid_strength)
    if reading.problem != NO_STRENGTH:
        return reading, None
    candidates = [(bnf_code, r) for r in ("2020", "2024")]
    if generic_equivalent(bnf_code) != bnf_code:
        candidates += [(generic_equivalent(bnf_code), r) for r in ("2024", "2020")]
    for code, release in candidates:
        other = lists.names(release).get(code)
        if not other or other == bnf_name:
            continue
        fallback = read_name(other, ingredient, opioid_strength)
        if fallback.ok and fallback.route == reading.route:
            return fallback, f"strength from NHSBSA {release} name of {code}: {other!r}"
    return reading, None


def ome_table(presentations: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct (bnf_code, bnf_name) of `presentations` in the opioid scope. A code seen
    under two names in one month keeps the reading of its first name with an OME."""
    pairs = presentations.select("bnf_code", "bnf_name").unique().sort("bnf_code", "bnf_name")
    rows = [asdict(read_presentation(c, n or "")) for c, n in pairs.iter_rows() if in_scope(c)]
    table = pl.DataFrame(rows, schema=SCHEMA)
    order = pl.col("status").replace_strict({STATUS_OME: 0, STATUS_UNREAD: 1, STATUS_EXCLUDED: 2}, return_dtype=pl.Int8)
    return table.sort(order, "bnf_name").unique("bnf_code", keep="first", maintain_order=True).sort("bnf_code")


def coverage(table: pl.DataFrame) -> tuple[int, int]:
    """(items of presentations the OME counts or cannot read, items of those it cannot read) for a
    month's table with an `items` column: what the OME coverage check and the asset report."""
    counted = table.filter(pl.col("status").is_in([STATUS_OME, STATUS_UNREAD]))
    unread = counted.filter(pl.col("status") == STATUS_UNREAD)
    return int(counted["items"].sum() or 0), int(unread["items"].sum() or 0)


@cache
def reference_ome_table() -> pl.DataFrame:
    """OME per unit of every in-scope presentation in NHSBSA's two lists, for inputs that carry codes
    but no names (the patient-level extract); a code created by a later recode is read with the name its
    old code was published under. Only presentations with an OME."""
    from pipelines.bnf.code_changes import current_codes

    named = lists.all_presentations(tuple(sorted(chemicals()))).select("bnf_code", "bnf_name")
    known = set(named["bnf_code"])
    by_old = dict(zip(named["bnf_code"], named["bnf_name"]))
    recoded = [(new, by_old[old]) for old, new in current_codes().items() if old in by_old and new not in known]
    named = pl.concat([named, pl.DataFrame(recoded, schema=named.schema, orient="row")])
    return ome_table(named).filter(pl.col("status") == STATUS_OME)
