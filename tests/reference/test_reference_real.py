"""Every hand-kept reference row checked against the real published lists: the code exists and its name
agrees. The lists are read from ../shared/research/data/real/ (the research notes' real files) when that
folder is beside the checkout, as on CI, else from their byte-for-byte copies in reference/sources/.

Nothing here is computed by the code under test except where a test says so: the lists are read by this
file's own reader, and the expected names and factors come from NHSBSA's and OpenPrescribing's files."""

import csv
import hashlib
import io
import zipfile
from functools import cache
from pathlib import Path

import pytest
import yaml

from indicators.catalogue import catalogue, drug_groups
from pipelines.bnf import lists
from pipelines.reference import REFERENCE_DIR

ROOT = Path(__file__).resolve().parents[2]
REAL = (ROOT / ".." / "shared" / "research" / "data" / "real").resolve()
# The real files themselves where they are beside the checkout; else the copies (checked equal below).
BNF_LISTS = REAL / "bnf_code_information" if REAL.is_dir() else REFERENCE_DIR / "sources"
OP = REAL / "opioids" if REAL.is_dir() else REFERENCE_DIR / "sources" / "openprescribing"
RELEASES = {"2020": "20200201_BNF_Code_Information.zip", "2024": "20241101_BNF_Code_Information.zip"}


@cache
def _real_list(release: str) -> tuple[dict[str, str], dict[str, str]]:
    """(presentation code -> name, chemical code -> name) of one NHSBSA release, read here with csv."""
    with zipfile.ZipFile(BNF_LISTS / RELEASES[release]) as zf:
        (member,) = [m for m in zf.namelist() if m.lower().endswith(".csv")]
        text = zf.read(member).decode("utf-8", errors="replace")
    names, chemicals = {}, {}
    for r in csv.DictReader(io.StringIO(text)):
        names[r["BNF Presentation Code"]] = r["BNF Presentation"]
        chemicals.setdefault(r["BNF Chemical Substance Code"], r["BNF Chemical Substance"])
    return names, chemicals


def _name(code: str, release: str) -> str | None:
    return _real_list(release)[0].get(code)


def _chemical(code: str, release: str) -> str | None:
    return _real_list(release)[1].get(code)


def _rows(name: str) -> list[dict]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _real_names(code: str) -> set[str]:
    return {n for n in (_name(code, "2024"), _name(code, "2020")) if n}


def _all_codes() -> set[str]:
    return set(_real_list("2024")[0]) | set(_real_list("2020")[0])


@pytest.mark.skipif(not REAL.is_dir(), reason="the research notes' data/real is not beside this checkout")
@pytest.mark.parametrize(
    "copy, original",
    [
        ("sources/20200201_BNF_Code_Information.zip", "bnf_code_information/20200201_BNF_Code_Information.zip"),
        ("sources/20241101_BNF_Code_Information.zip", "bnf_code_information/20241101_BNF_Code_Information.zip"),
        (
            "sources/openprescribing/openprescribing_opioid_ing_form_ome.csv",
            "opioids/openprescribing_opioid_ing_form_ome.csv",
        ),
        ("sources/openprescribing/opioid_measure_rework_revised.csv", "opioids/opioid_measure_rework_revised.csv"),
        ("sources/openprescribing/bnf_code_mapping.csv", "bnf_code_changes/bnf_code_mapping.csv"),
        ("sources/nhs_digital/2020-09_gp-reg-pat-prac-map.csv", "nhs_digital/2020-09_gp-reg-pat-prac-map.csv"),
        ("sources/nhs_digital/2022-01_gp-reg-pat-prac-map.csv", "nhs_digital/2022-01_gp-reg-pat-prac-map.csv"),
        *[
            (f"sources/pincer/{n}", f"pincer/{n}")
            for n in sorted(p.name for p in (REFERENCE_DIR / "sources" / "pincer").iterdir())
        ],
    ],
)
def test_sources_are_byte_copies_of_the_real_files(copy, original):
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(REFERENCE_DIR / copy) == digest(REAL / original)


def test_the_lists_are_the_releases_they_claim():
    assert lists.bnf_list("2020").height == 81655 and lists.bnf_list("2024").height == 54879
    assert len(_real_list("2020")[0]) == 81655 and len(_real_list("2024")[0]) == 54879
    assert lists.names("2024") == _real_list("2024")[0]  # the project's loader reads what the real file says
    # The two name styles the grammar must read (research README's examples).
    assert lists.names("2024")["0407020ADAAAAAA"] == "Oxycodone 5mg/5ml oral solution sugar free"
    assert lists.names("2020")["0407020ADAAAAAA"] == "Oxycodone HCl_Oral Soln 5mg/5ml S/F"


def test_every_reference_presentation_exists_with_its_real_name():
    wrong = []
    for r in _rows("bnf_presentations.csv"):
        real = _name(r["bnf_code"], "2024") or _name(r["bnf_code"], "2020")
        chem = _chemical(r["chem_code"], "2024") or _chemical(r["chem_code"], "2020")
        if real != r["bnf_name"] or chem != r["chem_name"] or r["bnf_code"][:9] != r["chem_code"]:
            wrong.append((r["bnf_code"], r["bnf_name"], real, r["chem_name"], chem))
    assert not wrong


def test_codes_the_issue_found_wrong_are_now_right():
    names = {r["bnf_code"]: r["bnf_name"] for r in _rows("bnf_presentations.csv")}
    assert names["0103050L0AAAAAA"] == "Lansoprazole 30mg gastro-resistant capsules"
    assert names["0103050L0AAABAB"] == "Lansoprazole 15mg gastro-resistant capsules"
    assert names["0407010F0AAAHAH"] == "Co-codamol 30mg/500mg tablets" and "0407010F0AAAAAA" not in names
    assert names["0408010W0AAACAC"] == "Sodium valproate 200mg gastro-resistant tablets"


def test_opioid_chemicals_exist_with_their_real_names():
    for r in _rows("opioid_chemicals.csv"):
        real = {_chemical(r["chem_code"], "2024"), _chemical(r["chem_code"], "2020")}
        assert r["chem_name"] in real, r


def test_overrides_name_real_presentations_and_give_reasons():
    for r in _rows("opioid_name_overrides.csv"):
        assert r["bnf_name"] in _real_names(r["bnf_code"]), r
        assert r["reason"] and (r["exclude_reason"] or (r["route"] and float(r["strength_mg"]) > 0)), r


def test_ome_factors_are_openprescribings_row_by_row():
    with open(OP / "openprescribing_opioid_ing_form_ome.csv", newline="") as fh:
        op = {(r["vpi"], r["nm"], r["form"]): float(r["ome"]) for r in csv.DictReader(fh)}
    for r in _rows("opioid_ome_factors.csv"):
        assert op[(r["op_vpi"], r["op_name"], r["op_form"])] == float(r["ome_factor"]), r
        assert r["op_form"] == r["route"]


def _exact_codes(filters) -> list[str]:
    return [f.lstrip("~") for f in filters if "%" not in f and "_" not in f and len(f.lstrip("~")) == 15]


def _catalogue_filters(selections: bool = True):
    """Every code list of the public indicators and, with `selections`, the code patterns that shape each
    drug group (its `only`, `exclude` and `include`)."""
    for ind in catalogue().values():
        if ind.grain != "practice_aggregate":
            continue
        parts = [ind.numerator] + ([ind.denominator] if ind.denominator else [])
        for part in parts:
            yield ind.id, list(part.codes or [])
            for component in getattr(part, "components", None) or []:
                yield ind.id, list(component.codes)
    for name, group in drug_groups().items() if selections else []:
        for selection in [group.only] + group.exclude + group.include:
            if selection is not None:
                yield name, list(selection.codes)


def test_every_exact_code_in_the_code_lists_exists():
    codes = _all_codes()
    missing = [(owner, c) for owner, filters in _catalogue_filters() for c in _exact_codes(filters) if c not in codes]
    assert not missing


def test_every_pattern_in_the_code_lists_matches_a_real_presentation():
    """In NHSBSA's lists, or among the current codes of NHSBSA's code changes (codes newer than the list)."""
    import re

    from indicators.model import CodeFilter
    from pipelines.bnf.code_changes import current_codes

    codes = sorted(_all_codes() | set(current_codes().values()))
    empty = []
    for owner, filters in _catalogue_filters():
        for raw in filters:
            f = CodeFilter.parse(raw)
            if f.kind == "group":  # a drug group: its members come from these same lists
                continue
            literal = re.split(r"[%_]", f.pattern, maxsplit=1)[0]  # only codes under the literal start can match
            if not any(f.matches(c) for c in codes if c.startswith(literal)):
                empty.append((owner, raw))
    assert not empty


def test_code_list_fixes_from_the_real_lists():
    """Products the BNF files under another drug's section are in their groups, and the indicators use them."""
    from pipelines.bnf.groups import listed_members

    tw = catalogue()["triple_whammy_expected_per_1000_adults"].numerator.components
    assert [c.codes for c in tw] == [["@nsaid"], ["@raas_inhibitor"], ["@diuretic"]]
    assert "0206020Z0AAAAAA" in listed_members("raas_inhibitor")  # Amlodipine 5mg / Valsartan 80mg tablets
    assert {"020400040AAAAAA", "020400030AAAEAE"} <= listed_members(
        "diuretic"
    )  # co-tenidone; timolol/bendroflumethiazide
    assert catalogue()["nsaid_gastro_cover_ratio"].numerator.codes == ["@gastroprotection"]
    for code in ("1001010P0AABBBB", "1001010P0BUAABB", "1001010P0BKAAAL", "1001010L0BQAAAM", "1001010C0CNAAAM"):
        assert code in listed_members("gastroprotection"), code


def test_sample_names_come_from_the_real_lists():
    from pipelines.datasets.epd.sample import presentations

    table = presentations("demo")
    for code, name, older in zip(table["bnf_code"], table["bnf_name"], table["bnf_name_2020"]):
        assert name in _real_names(code), (code, name)
        assert older in _real_names(code), (code, older)


def test_indicator_yaml_sources_say_what_differs():
    text = (Path(__file__).resolve().parents[2] / "indicators" / "opioid_ome_per_1000_day.yaml").read_text()
    spec = yaml.safe_load(text)
    limitations = " ".join(spec["limitations"])
    for word in ("methadone", "injections", "buccal", "per day", "no judgement"):
        assert word in limitations


def test_code_lists_follow_nhsbsas_code_changes():
    """Indicators match today's codes (pipelines/bnf/code_changes.py), so a list that selects a product's
    old code must select its current code too, or the product would drop out of its indicator at the recode."""
    from indicators.model import CodeFilter, expand
    from pipelines.bnf.code_changes import current_codes
    from pipelines.bnf.groups import group_members

    mapping = current_codes()
    codes = sorted(set(mapping) | set(mapping.values()))
    groups = group_members(codes)  # a drug group's members among them, new codes included
    lost = []
    owned = [
        (owner, set(expand([CodeFilter.parse(f) for f in filters], codes, groups)))
        for owner, filters in _catalogue_filters(selections=False)
    ] + list(groups.items())
    for owner, selected in owned:
        lost += [(owner, old, new) for old, new in mapping.items() if old in selected and new not in selected]
    assert not lost


def test_code_change_mapping_is_a_copy_and_resolved():
    from pipelines.bnf.code_changes import current_codes

    mapping = current_codes()
    assert len(mapping) == 2996
    assert not set(mapping.values()) & set(mapping)  # every old code reaches a current one (3 chains followed)
    assert mapping["0913261M0AAADAD"] == "0913451F0AAAAAA"  # recoded twice
    assert mapping["0407020AHAAACAC"] == "0407020AGAAALAL"  # tapentadol 150 mg MR capsules, recoded in 2025


@pytest.mark.parametrize(
    "name, unallocated", [("2020-09_gp-reg-pat-prac-map.csv", 131), ("2022-01_gp-reg-pat-prac-map.csv", 68)]
)
def test_a_practice_in_no_pcn_is_what_nhs_digitals_real_maps_call_u(name, unallocated):
    """NHS Digital writes a practice in no Primary Care Network as PCN 'U', "Unallocated" (counted in the real
    maps by this file's reader); the engine's ods_pcn macro must make exactly those no PCN and keep every
    real PCN code as it is."""
    import duckdb

    folder = REAL / "nhs_digital" if REAL.is_dir() else REFERENCE_DIR / "sources" / "nhs_digital"
    with open(folder / name, newline="", encoding="latin-1") as fh:
        rows = list(csv.DictReader(fh))
    u = [r for r in rows if r["PCN_CODE"] == "U"]
    assert len(u) == unallocated and {r["PCN_NAME"] for r in u} == {"Unallocated"}
    codes = sorted({r["PCN_CODE"] for r in rows})
    with duckdb.connect() as con:
        con.execute((ROOT / "sql" / "macros.sql").read_text())
        mapped = dict(con.execute("SELECT c, ods_pcn(c) FROM unnest($codes) t(c)", {"codes": codes}).fetchall())
    assert mapped.pop("U") is None
    assert all(code == kept for code, kept in mapped.items()) and len(mapped) >= 1250


def test_every_code_the_patient_sample_issues_is_real():
    """The synthetic extract's products and its hand-made edge cases name presentations of NHSBSA's lists."""
    from pipelines.datasets.patient.sample import EDGE_CASES, PRODUCTS

    codes = {p.bnf_code for products, _ in PRODUCTS.values() for p in products}
    with open(EDGE_CASES / "prescriptions.csv", newline="", encoding="utf-8") as fh:
        codes |= {r["bnf_code"] for r in csv.DictReader(fh)}
    assert len(codes) > 30
    assert not [c for c in sorted(codes) if not (_name(c, "2024") or _name(c, "2020"))]
