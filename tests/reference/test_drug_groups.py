"""Every drug group against every real presentation of NHSBSA's two BNF lists (reference/sources/, copied byte
for byte from research/data/real/: tests/reference/test_reference_real.py holds them equal), in every
chapter: a presentation whose own name or chemical names one of a group's ingredients is in the group or
left out with a stated reason. The walk below reads the lists row by row with its own matcher (Python's
regular expressions, a word boundary before the spelling), not the resolver's polars code.

Then hand-checked products, each looked up in the lists by name: what the issue that introduced these
groups found missing (valproic acid in BNF 4.8.1, Coversyl Plus as a diuretic, NSAIDs outside 10.1.1,
Pylera counted as gastroprotection) and what must stay out."""

import re
from functools import cache

import pytest

from indicators.catalogue import drug_groups
from pipelines.bnf.groups import IN, LEFT_OUT, resolved
from pipelines.bnf.lists import RELEASES, bnf_list

GROUPS = drug_groups()


# The BNF's own filing of each class group, read from the BNF's section headings (not from the YAML): the
# group must name these sections in `classes`, so that every chemical filed there is in or left out.
BNF_CLASSES = {
    "hypnotic_anxiolytic": {"0401"},
    "antipsychotic": {"040201", "040202"},
    "nsaid": {"100101"},
    "diuretic": {"0202"},
    "raas_inhibitor": {"020505"},
    "oral_anticoagulant": {"020802"},
    "antiplatelet": {"0209"},
    "opioid_analgesic": {"040702"},
    "ulcer_healing_pincer": {"010301", "0103050"},
    "gastroprotection": {"010301", "0103050"},
}


def test_class_groups_name_the_bnf_sections_of_their_class():
    for name, sections in BNF_CLASSES.items():
        assert sections <= set(GROUPS[name].classes), name


@pytest.mark.parametrize("name", sorted(n for n in GROUPS if GROUPS[n].classes))
def test_every_chemical_the_bnf_files_under_a_class_is_in_or_left_out(name):
    """Walked with this file's own reading of the lists: each presentation under a class, in either list."""
    statuses = {r["bnf_code"]: r["status"] for r in resolved(name).to_dicts()}
    missing, chemicals = [], set()
    for release in RELEASES:
        for row in bnf_list(release).iter_rows(named=True):
            if any(row["bnf_code"].startswith(c) for c in GROUPS[name].classes):
                chemicals.add(row["chem_code"])
                if row["bnf_code"] not in statuses:
                    missing.append((release, row["bnf_code"], row["bnf_name"]))
    assert chemicals and not missing, missing[:10]


@cache
def _all_names() -> str:
    """Every presentation and chemical name of both lists, lower case, one per line (read once)."""
    return "\n".join(
        f"{r['bnf_name']} | {r['chem_name']}".lower()
        for release in RELEASES
        for r in bnf_list(release).select("bnf_name", "chem_name").unique().iter_rows(named=True)
    )


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_every_ingredient_spelling_names_something_in_the_lists(name):
    """A misspelt ingredient ("ethacrynic" where NHSBSA writes "Etacrynic") names nothing and misses a drug."""
    text = _all_names()
    dead = [i for i in GROUPS[name].ingredients if not re.search(r"(?<![a-z])" + re.escape(i), text)]
    allowed = {"zofenopril", "sufentanil"}  # sold abroad, never listed here; a month or an extract may carry one
    assert not set(dead) - allowed, dead


def _matcher(group):
    return re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, group.ingredients)) + ")")


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_every_presentation_an_ingredient_names_is_in_or_left_out_with_a_reason(name):
    group = GROUPS[name]
    rows = {r["bnf_code"]: r for r in resolved(name).to_dicts()}
    named = _matcher(group).search
    unaccounted, walked = [], 0
    for release in RELEASES:
        for row in bnf_list(release).iter_rows(named=True):
            if named(row["bnf_name"].lower()) or named(row["chem_name"].lower()):
                walked += 1
                if row["bnf_code"] not in rows:
                    unaccounted.append((release, row["bnf_code"], row["bnf_name"]))
    assert walked and not unaccounted, unaccounted[:10]
    for code, r in rows.items():
        assert r["status"] in (IN, LEFT_OUT)
        if r["status"] == LEFT_OUT:
            assert r["reason"] and len(r["reason"]) > 20, (code, r)


def _status(name: str, code: str) -> tuple[str | None, str | None]:
    """The status of a presentation, or of every presentation of a chemical (a 9-character code), which
    must all agree."""
    rows = [r for r in resolved(name).to_dicts() if r["bnf_code"].startswith(code)]
    found = {(r["status"], r["reason"]) for r in rows}
    assert len(found) <= 1, (code, found)
    return found.pop() if found else (None, None)


@pytest.mark.parametrize(
    "name, code, status, because",
    [
        # valproate: every product, whatever the BNF section
        ("valproate", "0408010W0BBALA2", IN, None),  # Epilim Chrono 500 (the real January 2026 row)
        ("valproate", "040801020BCACAH", IN, None),  # Depakote 125mg sprinkle capsules (valproic acid, 4.8.1)
        ("valproate", "040801020BBACAC", IN, None),  # Convulex 500mg capsules (2020 list)
        ("valproate", "0402030Q0BBAAAA", IN, None),  # Depakote 250mg tablets (4.2.3)
        ("valproate", "0408010H0BBAIAC", LEFT_OUT, "Lamictal"),  # "Lamictal_Tab 25mg (Valpr)": lamotrigine
        # topiramate: every product (MHRA's Pregnancy Prevention Programme, 2024)
        ("topiramate", "040801050BBAEAU", IN, None),  # Topamax 15mg sprinkle capsules
        ("topiramate", "040801050BCAAAA", IN, None),  # Epitomax_Tab 50mg (2020 list, a parallel import)
        ("topiramate", "040801050AACECE", IN, None),  # Topiramate 25mg/5ml oral solution
        # gabapentinoids: every systemic form; the gel and cream are applied to the skin
        ("gabapentinoid", "0408010AEAAACAC", IN, None),  # Pregabalin 75mg capsules
        ("gabapentinoid", "0407030ADAAAAAA", LEFT_OUT, "applied to the skin"),  # Gabapentin 6% gel
        # falls in frailty: hypnotics and anxiolytics, antipsychotics
        ("hypnotic_anxiolytic", "0401010Z0AAAAAA", IN, None),  # Zopiclone 7.5mg tablets
        ("hypnotic_anxiolytic", "0401020K0AAAHAH", IN, None),  # Diazepam 2mg tablets
        ("antipsychotic", "040201030AAAKAK", IN, None),  # Risperidone 500microgram tablets
        ("antipsychotic", "0406000T0AAAGAG", LEFT_OUT, "antiemetic"),  # Prochlorperazine 5mg tablets (BNF 4.6)
        # the second round: chemicals the BNF files in the class that no spelling named
        ("hypnotic_anxiolytic", "0401010I0BBAAAA", IN, None),  # Rohypnol (flunitrazepam)
        ("hypnotic_anxiolytic", "0102000D0AAAEAE", IN, None),  # Clidinium Brom/Chlordiazepox_Tab (2020 only)
        ("hypnotic_anxiolytic", "0401010B0AAAJAJ", LEFT_OUT, "suppositories"),  # chloral hydrate 250mg suppositories
        ("hypnotic_anxiolytic", "0401020K0AAADAD", LEFT_OUT, "rectal tubes"),  # diazepam rectal tube
        ("hypnotic_anxiolytic", "0401010AD", LEFT_OUT, "melatonin"),
        ("hypnotic_anxiolytic", "0401010X0AAAAAA", IN, None),  # triclofos oral solution
        ("antipsychotic", "040201050", IN, None),  # sertindole
        ("antipsychotic", "0402010M0", IN, None),  # loxapine
        ("antipsychotic", "0402020R0", IN, None),  # fluspirilene (depot)
        ("diuretic", "0202020H0BBAAAB", IN, None),  # Edecrin (etacrynic acid)
        ("diuretic", "020400030BBAAAA", IN, None),  # Moducren (timolol with diuretic)
        ("diuretic", "0204000F0BBAAAA", IN, None),  # Kalten (atenolol with diuretic)
        ("diuretic", "0204000W0BCAAAC", IN, None),  # Lopresoretic
        ("diuretic", "0205020R0BDAAAC", IN, None),  # Abicol (reserpine with diuretic)
        ("diuretic", "0202050I0", LEFT_OUT, "isosorbide"),
        ("raas_inhibitor", "0205051X0BBAAAA", IN, None),  # Cibacen (benazepril, 2020 list)
        ("oral_anticoagulant", "0208020F0BBAAAA", IN, None),  # Previscan (fluindione)
        ("oral_anticoagulant", "020802000", LEFT_OUT, "lymphoedema"),  # coumarin
        ("antiplatelet", "0209000W0", LEFT_OUT, "coronary intervention"),  # abciximab
        ("antiplatelet", "0209000X0", LEFT_OUT, "coronary intervention"),  # eptifibatide
        ("nsaid", "100101090AAAAAA", LEFT_OUT, "not an NSAID"),  # ademetionine
        # diuretic and RAAS inhibitor: combinations filed under the other drug
        ("diuretic", "0205051N0BBAAAA", IN, None),  # Coversyl Plus tablets (perindopril/indapamide)
        ("raas_inhibitor", "0205051N0BBAAAA", IN, None),
        ("diuretic", "0205051G0AAAAAA", IN, None),  # co-zidocapt (captopril/hydrochlorothiazide)
        ("diuretic", "0205052ACAAAAAA", IN, None),  # olmesartan/amlodipine/hydrochlorothiazide
        ("raas_inhibitor", "0206020Z0AAAAAA", IN, None),  # amlodipine/valsartan (BNF 2.6.2)
        ("diuretic", "1106000B0AAA1A1", LEFT_OUT, "acetazolamide"),
        ("diuretic", "0106050N0AAAAAA", LEFT_OUT, "mannitol"),
        # NSAIDs outside 10.1.1, and the local forms left out
        ("nsaid", "0407010ADAAAAAA", IN, None),  # paracetamol 500mg / ibuprofen 200mg (4.7.1)
        ("nsaid", "040702040AABDBD", IN, None),  # tramadol 75mg / dexketoprofen 25mg (4.7.2)
        ("nsaid", "1501042E0AAAAAA", IN, None),  # ketorolac injection (15.1.4)
        ("nsaid", "1001010P0BUAABB", IN, None),  # Vimovo (naproxen/esomeprazole)
        ("nsaid", "1003020P0AAACAC", LEFT_OUT, "skin"),  # ibuprofen 5% gel
        ("nsaid", "1203010F0AAAAAA", LEFT_OUT, "mouth and throat"),  # flurbiprofen lozenges
        ("nsaid", "110802070AAAAAA", LEFT_OUT, "eye"),  # ketorolac eye drops
        # gastroprotection: Pylera holds no PPI; the lansoprazole packs do
        ("gastroprotection", "0103050A0BDAAAC", LEFT_OUT, "no proton pump inhibitor"),  # Pylera, filed in 1.3.5
        ("ulcer_healing_pincer", "0103050A0BDAAAC", LEFT_OUT, "no proton pump inhibitor"),
        ("ulcer_healing_pincer", "010102100BBAKA0", IN, None),  # Pepcidtwo: famotidine, a name that says nothing
        ("gastroprotection", "010102100BBAKA0", IN, None),
        ("gastroprotection", "0103050A0BBAAAA", IN, None),  # HeliClear
        ("gastroprotection", "1001010C0BLAAAM", IN, None),  # Arthrotec 50 (diclofenac/misoprostol)
        ("gastroprotection", "0701010X0AAAAAA", LEFT_OUT, "obstetrics"),  # misoprostol 400 microgram (7.1)
        ("ulcer_healing_pincer", "1001010C0BLAAAM", None, None),  # no misoprostol in PINCER's list
        # opioids: analgesics wherever filed, other uses left out; names must start a word
        ("opioid_analgesic", "1001010J0AAARAR", IN, None),  # ibuprofen/codeine (Codafen Continus)
        ("opioid_analgesic", "0309010C0AAAAAA", LEFT_OUT, "cough"),  # codeine linctus
        ("opioid_analgesic", "0410030C0AAAAAA", LEFT_OUT, "dependence"),  # methadone 1mg/ml oral solution
        ("opioid_analgesic", "0409010A0AAAAAA", None, None),  # apomorphine is not morphine
        ("opioid_analgesic", "0301020Q0AAAAAA", None, None),  # tiotropium is not opium
        # anticoagulants and antiplatelets
        ("oral_anticoagulant", "0208020S0AAAAAA", IN, None),  # phenprocoumon
        ("antiplatelet", "0209000C0AAAAAA", IN, None),  # clopidogrel 75mg
        ("antiplatelet", "100302020AAAAAA", LEFT_OUT, "skin"),  # aspirin cream
        # methotrexate by strength and form
        ("methotrexate_10mg", "1001030U0AAACAC", IN, None),
        ("methotrexate_10mg", "1001030U0BDABAC", IN, None),  # a 10 mg brand (2020 list)
        ("methotrexate_10mg", "1001030U0AAABAB", LEFT_OUT, "not a 10 mg tablet"),
        ("methotrexate_tablet", "1001030U0AAABAB", IN, None),
    ],
)
def test_hand_checked_products(name, code, status, because):
    got, reason = _status(name, code)
    assert got == status, (name, code, got, reason)
    if because:
        assert because in reason, reason
