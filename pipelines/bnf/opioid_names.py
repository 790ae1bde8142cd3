"""Read an opioid presentation's form, route and strength from its published name.

BNF codes do not say what a presentation is (0407010F0AAAAAA is co-codamol 8/500, not 30/500), but every
EPD row carries its name, in the style of its time:
* abbreviated, until about 2020: `Co-Codamol_Tab 30mg/500mg`, `Oxycodone HCl_Oral Soln 5mg/5ml S/F`,
  `Buprenorphine_Patch 15mcg/hr (7day)`, `Paracet/Dihydrocodeine_Tab 500mg/7.46mg`;
* dm+d style, since: `Co-codamol 30mg/500mg tablets`, `Oxycodone 5mg/5ml oral solution sugar free`,
  `BuTrans 15micrograms/hour transdermal patches`, `Tramadol 37.5mg / Paracetamol 325mg tablets`.

`read_name` returns what the name says (route, the opioid's mg per unit, per ml or per hour, and a
patch's wear time) or why it cannot say. The ingredient comes from the BNF chemical (the first nine
characters of the code), which is what a chemical code does name. What a reading is worth in oral
morphine equivalent is ome.py's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Forms outside the OME scope, in the order they are tested (the first that matches names the reason).
EXCLUDED_FORMS = [
    ("placeholder", re.compile(r"do not use")),
    (
        "injection",
        re.compile(
            r"\binj\b|injection|ampoule|\bamps?\b|\binf\b|infusion|\bi/v\b|pre-filled syr|\bpfs\b"
            r"|cartridge|minjet"
        ),
    ),
    ("transmucosal", re.compile(r"subling|buccal|\bloz\b|lozenge|oromucosal|nasal|\bnsl\b|spray|\bp/spy\b")),
    ("topical", re.compile(r"\bgel\b|intrasite")),
    ("bulk powder", re.compile(r"powder$| \(s\)$|\bpdr$")),
    ("tincture", re.compile(r"tinct")),
    ("iontophoretic", re.compile(r"iontophoretic|transdermal system")),
]
NO_STRENGTH = "no strength in the name"
RECTAL = re.compile(r"suppos")
TRANSDERMAL = re.compile(r"patch|t/derm|transdermal")
ORAL = re.compile(
    r"\btab|tablet|\bcap|capsule|caplet|\bcapl\b|soln|solution|\bliq|liquid|susp|syrup|\bsyr\b|\belix|drops|\bdps\b"
    r"|sach|granule|\bgran\b|orodisper|\bmelt\b|\boral\b|\bpdrs\b"
)
UNIT_DOSE_VIAL = re.compile(r"unit dose vial|\budv")
AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(micrograms?|mcg|mg|g|ml)?(?![a-z0-9])", re.I)
WEAR = [
    (re.compile(r"7\s*-?\s*day|seven day"), 168),
    (re.compile(r"96\s*-?\s*h(?:ou)?rs?|4\s*-?\s*day|four day"), 96),
    (re.compile(r"72\s*-?\s*h(?:ou)?rs?|3\s*-?\s*day|three day"), 72),
]
TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "microgram": 0.001, "micrograms": 0.001}


@dataclass(frozen=True)
class NameReading:
    route: str | None  # oral, rectal, transdermal; None when excluded or unread
    strength_mg: float | None  # the opioid's mg per unit, per ml (per_ml) or per hour (patches)
    per: str | None  # "unit", "ml", "hour"
    patch_hours: float | None  # wear time of one patch
    excluded: str | None = None  # a form outside the OME scope (injection, transmucosal, ...)
    problem: str | None = None  # why the name could not be read

    @property
    def ok(self) -> bool:
        return self.route is not None and self.strength_mg is not None


def _amounts(text: str) -> list[tuple[float, str | None]]:
    """Every number in the name with its unit; a bare number followed by '/' takes the unit of the
    next one (`10/5mg` is 10 mg and 5 mg; `500/8mg` is 500 mg and 8 mg)."""
    text = re.sub(r"/ml\b", "/1ml", text)
    found = [(float(m.group(1)), (m.group(2) or "").lower() or None, m.end()) for m in AMOUNT.finditer(text)]
    out: list[tuple[float, str | None]] = []
    for i, (value, unit, end) in enumerate(found):
        if unit is None and i + 1 < len(found) and text[end : end + 1] == "/" and found[i + 1][1] not in (None, "ml"):
            unit = found[i + 1][1]
        out.append((value, unit))
    return out


def _opioid_mass(masses: list[float], opioid_strength: str) -> float | None:
    """The opioid's mass among a name's strengths. `smaller`: paracetamol and aspirin combinations,
    whose partner dose always exceeds the opioid's, whichever order the name uses; `first`: tramadol
    and oxycodone/naloxone combinations, written opioid first; `single`: one ingredient."""
    if not masses:
        return None
    return min(masses) if opioid_strength == "smaller" and len(masses) > 1 else masses[0]


def _wear_hours(text: str, ingredient: str, mcg_per_hour: float) -> float:
    for pattern, hours in WEAR:
        if pattern.search(text):
            return float(hours)
    if ingredient == "buprenorphine":
        # Not in dm+d-style names. OpenPrescribing's rule: 35, 52.5 and 70 micrograms/hour patches are
        # 96-hour (Transtec and its generics); the others seven-day (BuTrans and its generics, including
        # the 25, 30 and 40 micrograms/hour Reletrans strengths).
        return 96.0 if mcg_per_hour in (35.0, 52.5, 70.0) else 168.0
    return 72.0  # fentanyl patches are changed every 72 hours (SPC; Opioids Aware)


def read_name(name: str, ingredient: str, opioid_strength: str = "single") -> NameReading:
    text = " ".join(name.lower().split())
    text = re.sub(r"(\d)(mg|mcg|ml)(?=[a-z])", r"\1\2 ", text)  # `10/5mgM/R`, `10mg/5mlUdvS/F`
    words = text.replace("_", " ")  # `Morph Sulf_Tab 10mg`: the form follows an underscore
    for reason, pattern in EXCLUDED_FORMS:
        if pattern.search(words):
            return NameReading(None, None, None, None, excluded=reason)
    if TRANSDERMAL.search(words):
        route = "transdermal"
    elif RECTAL.search(words):
        route = "rectal"
    elif ORAL.search(words):
        route = "oral"
    else:
        return NameReading(None, None, None, None, problem="no form in the name")
    amounts = _amounts(text)
    masses = [(v, u) for v, u in amounts if u in TO_MG]
    volumes = [v for v, u in amounts if u == "ml"]
    if route == "transdermal":
        if re.search(r"mg\s*/\s*\d+\s*h", text) or not re.search(r"mcg|microgram", text):
            return NameReading(route, None, None, None, problem="patch strength given as content, not a rate per hour")
        rate = next((v for v, u in masses if u in ("mcg", "microgram", "micrograms")), None)
        if rate is None:
            return NameReading(route, None, None, None, problem="no rate per hour in the name")
        return NameReading(route, rate * 0.001, "hour", _wear_hours(text, ingredient, rate))
    mg = _opioid_mass([v * TO_MG[u] for v, u in masses], opioid_strength)
    if mg is None:
        return NameReading(route, None, None, None, problem=NO_STRENGTH)
    if volumes:
        per_ml = mg / volumes[0]
        if UNIT_DOSE_VIAL.search(text):
            # A unit dose vial is dispensed and counted per vial holding the stated volume.
            return NameReading(route, mg, "unit", None)
        return NameReading(route, per_ml, "ml", None)
    return NameReading(route, mg, "unit", None)
