"""Every drug group against every real presentation of NHSBSA's two BNF lists (reference/sources/, copied byte
for byte from research/data/real/: tests/reference/test_reference_real.py holds them equal), in every
chapter: a presentation whose own name or chemical names one of a group's ingredients is in the group or
left out with a stated reason. The walk below reads the lists row by row with its own matcher (Python's
regular expressions, a word boundary before the spelling), not the resolver's polars code.

Then hand-checked products, each looked up in the lists by name: what the issue that introduced these
groups found missing (valproic acid in BNF 4.8.1, Coversyl Plus as a diuretic, NSAIDs outside 10.1.1,
Pylera counted as gastroprotection) and what must stay out."""

import re

import pytest

from indicators.catalogue import drug_groups
from pipelines.bnf.groups import IN, LEFT_OUT, resolve
from pipelines.bnf.lists import RELEASES, bnf_list

GROUPS = drug_groups()


def _matcher(group):
    return re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, group.ingredients)) + ")")


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_every_presentation_an_ingredient_names_is_in_or_left_out_with_a_reason(name):
    group = GROUPS[name]
    resolved = {r["bnf_code"]: r for r in resolve(group).to_dicts()}
    named = _matcher(group).search
    unaccounted, walked = [], 0
    for release in RELEASES:
        for row in bnf_list(release).iter_rows(named=True):
            if named(row["bnf_name"].lower()) or named(row["chem_name"].lower()):
                walked += 1
                if row["bnf_code"] not in resolved:
                    unaccounted.append((release, row["bnf_code"], row["bnf_name"]))
    assert walked and not unaccounted, unaccounted[:10]
    for code, r in resolved.items():
        assert r["status"] in (IN, LEFT_OUT)
        if r["status"] == LEFT_OUT:
            assert r["reason"] and len(r["reason"]) > 20, (code, r)


def _status(name: str, code: str) -> tuple[str | None, str | None]:
    row = next((r for r in resolve(GROUPS[name]).to_dicts() if r["bnf_code"] == code), None)
    return (row["status"], row["reason"]) if row else (None, None)


@pytest.mark.parametrize("name, code, status, because", [
    # valproate: every product, whatever the BNF section
    ("valproate", "0408010W0BBALA2", IN, None),               # Epilim Chrono 500 (the real January 2026 row)
    ("valproate", "040801020BCACAH", IN, None),               # Depakote 125mg sprinkle capsules (valproic acid, 4.8.1)
    ("valproate", "040801020BBACAC", IN, None),               # Convulex 500mg capsules (2020 list)
    ("valproate", "0402030Q0BBAAAA", IN, None),               # Depakote 250mg tablets (4.2.3)
    ("valproate", "0408010H0BBAIAC", LEFT_OUT, "Lamictal"),  # "Lamictal_Tab 25mg (Valpr)": lamotrigine
    # topiramate: every product (MHRA's Pregnancy Prevention Programme, 2024)
    ("topiramate", "040801050BBAEAU", IN, None),              # Topamax 15mg sprinkle capsules
    ("topiramate", "040801050BCAAAA", IN, None),              # Epitomax_Tab 50mg (2020 list, a parallel import)
    ("topiramate", "040801050AACECE", IN, None),              # Topiramate 25mg/5ml oral solution
    # gabapentinoids: every systemic form; the gel and cream are applied to the skin
    ("gabapentinoid", "0408010AEAAACAC", IN, None),           # Pregabalin 75mg capsules
    ("gabapentinoid", "0407030ADAAAAAA", LEFT_OUT, "applied to the skin"),  # Gabapentin 6% gel
    # falls in frailty: hypnotics and anxiolytics, antipsychotics
    ("benzodiazepine_z", "0401010Z0AAAAAA", IN, None),        # Zopiclone 7.5mg tablets
    ("benzodiazepine_z", "0401020K0AAAHAH", IN, None),        # Diazepam 2mg tablets
    ("antipsychotic", "040201030AAAKAK", IN, None),           # Risperidone 500microgram tablets
    ("antipsychotic", "0406000T0AAAGAG", LEFT_OUT, "antiemetic"),  # Prochlorperazine 5mg tablets (BNF 4.6)
    # diuretic and RAAS inhibitor: combinations filed under the other drug
    ("diuretic", "0205051N0BBAAAA", IN, None),                # Coversyl Plus tablets (perindopril/indapamide)
    ("raas_inhibitor", "0205051N0BBAAAA", IN, None),
    ("diuretic", "0205051G0AAAAAA", IN, None),                # co-zidocapt (captopril/hydrochlorothiazide)
    ("diuretic", "0205052ACAAAAAA", IN, None),                # olmesartan/amlodipine/hydrochlorothiazide
    ("raas_inhibitor", "0206020Z0AAAAAA", IN, None),          # amlodipine/valsartan (BNF 2.6.2)
    ("diuretic", "1106000B0AAA1A1", LEFT_OUT, "acetazolamide"),
    ("diuretic", "0106050N0AAAAAA", LEFT_OUT, "mannitol"),
    # NSAIDs outside 10.1.1, and the local forms left out
    ("nsaid", "0407010ADAAAAAA", IN, None),                   # paracetamol 500mg / ibuprofen 200mg (4.7.1)
    ("nsaid", "040702040AABDBD", IN, None),                   # tramadol 75mg / dexketoprofen 25mg (4.7.2)
    ("nsaid", "1501042E0AAAAAA", IN, None),                   # ketorolac injection (15.1.4)
    ("nsaid", "1001010P0BUAABB", IN, None),                   # Vimovo (naproxen/esomeprazole)
    ("nsaid", "1003020P0AAACAC", LEFT_OUT, "skin"),           # ibuprofen 5% gel
    ("nsaid", "1203010F0AAAAAA", LEFT_OUT, "mouth and throat"),  # flurbiprofen lozenges
    ("nsaid", "110802070AAAAAA", LEFT_OUT, "eye"),            # ketorolac eye drops
    # gastroprotection: Pylera holds no PPI; the lansoprazole packs do
    ("gastroprotection", "0103050A0BDAAAC", None, None),      # Pylera: named by no ingredient, not added
    ("gastroprotection", "0103050A0BBAAAA", IN, None),        # HeliClear
    ("gastroprotection", "1001010C0BLAAAM", IN, None),        # Arthrotec 50 (diclofenac/misoprostol)
    ("gastroprotection", "0701010X0AAAAAA", LEFT_OUT, "obstetrics"),  # misoprostol 400 microgram (7.1)
    ("ulcer_healing_pincer", "1001010C0BLAAAM", None, None),  # no misoprostol in PINCER's list
    # opioids: analgesics wherever filed, other uses left out; names must start a word
    ("opioid_analgesic", "1001010J0AAARAR", IN, None),        # ibuprofen/codeine (Codafen Continus)
    ("opioid_analgesic", "0309010C0AAAAAA", LEFT_OUT, "cough"),  # codeine linctus
    ("opioid_analgesic", "0410030C0AAAAAA", LEFT_OUT, "dependence"),  # methadone 1mg/ml oral solution
    ("opioid_analgesic", "0409010A0AAAAAA", None, None),      # apomorphine is not morphine
    ("opioid_analgesic", "0301020Q0AAAAAA", None, None),      # tiotropium is not opium
    # anticoagulants and antiplatelets
    ("oral_anticoagulant", "0208020S0AAAAAA", IN, None),      # phenprocoumon
    ("antiplatelet", "0209000C0AAAAAA", IN, None),            # clopidogrel 75mg
    ("antiplatelet", "100302020AAAAAA", LEFT_OUT, "skin"),    # aspirin cream
    # methotrexate by strength and form
    ("methotrexate_10mg", "1001030U0AAACAC", IN, None),
    ("methotrexate_10mg", "1001030U0BDABAC", IN, None),       # a 10 mg brand (2020 list)
    ("methotrexate_10mg", "1001030U0AAABAB", LEFT_OUT, "not a 10 mg tablet"),
    ("methotrexate_tablet", "1001030U0AAABAB", IN, None),
])
def test_hand_checked_products(name, code, status, because):
    got, reason = _status(name, code)
    assert got == status, (name, code, got, reason)
    if because:
        assert because in reason, reason
