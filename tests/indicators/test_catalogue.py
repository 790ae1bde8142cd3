"""The indicator catalogue: definitions validate, bad ones are refused clearly, and code lists agree with
the published OpenPrescribing BNF lists (transcribed here from shared/research/openprescribing.md §1.3,
independently of the YAML files)."""

import csv
from functools import cache

import pytest
import yaml

from indicators.catalogue import CatalogueError, catalogue, load_catalogue, load_file
from indicators.model import CodeFilter, expand
from pipelines.reference import REFERENCE_DIR

CATALOGUE = load_catalogue()


def test_catalogue_loads_the_required_indicators():
    required = {
        "opioid_high_dose_pct_120",
        "opioid_high_dose_pct_90",
        "opioid_high_dose_per_1000_120",
        "opioid_high_dose_per_1000_90",
        "opioid_ome_per_1000_day",
        "methotrexate_10mg_pct",
        "methotrexate_10mg_items",
        "nsaid_per_1000_65plus",
        "valproate_per_1000_female_13_54",
    }
    assert required <= set(CATALOGUE)
    assert any(i.startswith("nsaid_gastro") for i in CATALOGUE) and any(
        i.startswith("triple_whammy") for i in CATALOGUE
    )
    for ind in CATALOGUE.values():
        assert ind.sources and ind.definition_version
        if ind.proxy:
            assert ind.limitations


@pytest.mark.parametrize(
    "text, kind, exclude",
    [
        ("1001030U0%AC", "like", False),
        ("1001030U0AAACAC", "exact", False),
        ("100101", "prefix", False),
        ("~0407020ADBQACAH", "exact", True),
        ("20030100183", "exact", False),
        ("1001030U0_AC  # comment", "like", False),
    ],
)
def test_filter_grammar(text, kind, exclude):
    f = CodeFilter.parse(text)
    assert (f.kind, f.exclude) == (kind, exclude)


def test_filter_semantics():
    codes = [
        "1001030U0AAACAC",
        "1001030U0BBACAC",
        "1001030U0AAABAB",
        "1001030U0AAAFAF",
        "0407020ADBQACAH",
        "0407020ADAAAHAH",
        "0407020ADAAAHAI",
    ]
    assert expand([CodeFilter.parse("1001030U0%AC")], codes) == ["1001030U0AAACAC", "1001030U0BBACAC"]
    assert expand([CodeFilter.parse(c) for c in ("0407020AD%AH", "~0407020ADBQACAH")], codes) == ["0407020ADAAAHAH"]
    assert expand([CodeFilter.parse("1001030U0_AAB_B")], codes) == ["1001030U0AAABAB"]


@pytest.mark.parametrize("bad", ["1O0101", "abc", "1001030U0%ac", "~", "10 0101", "1001030U0AAACACX"])
def test_bad_filters_are_refused(bad):
    with pytest.raises(ValueError, match="bad code filter"):
        CodeFilter.parse(bad)


def _write(tmp_path, name, changes=None, drop=()):
    data = yaml.safe_load((REFERENCE_DIR.parent / "indicators" / "methotrexate_10mg_pct.yaml").read_text())
    data.update(changes or {})
    for key in drop:
        data.pop(key)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "changes, drop, message",
    [
        ({"colour": "blue"}, (), "colour: Extra inputs are not permitted"),
        ({}, ("sources",), "sources: Field required"),
        ({"sources": []}, (), "sources: List should have at least 1 item"),
        ({"numerator": {"description": "x", "measure": "items", "codes": ["1O0101"]}}, (), "bad code filter '1O0101'"),
        (
            {"numerator": {"description": "x", "measure": "items", "codes": ["~1001030U0%AC"]}},
            (),
            "at least one include",
        ),
        ({"proxy": True, "limitations": []}, (), "ecological proxy must state its limitations"),
        ({"unit": "per_1000"}, (), "needs a list-size denominator"),
        (
            {"denominator": {"description": "x", "list_size": "patients", "codes": ["100101"], "measure": "items"}},
            (),
            "either `codes`",
        ),
        ({"unit": "parsecs"}, (), "unit: Input should be"),
        # an action is one sentence with one end mark: "dose?." once reached every short list
        ({"action": "Review each patient: is the dose still needed?."}, (), "action: String should match pattern"),
        ({"action": "Review each patient issued 10 mg tablets"}, (), "action: String should match pattern"),
    ],
)
def test_invalid_definitions_are_refused(tmp_path, changes, drop, message):
    path = _write(tmp_path, "methotrexate_10mg_pct", changes, drop)
    with pytest.raises(CatalogueError) as err:
        load_file(path)
    assert "methotrexate_10mg_pct.yaml" in str(err.value) and message in str(err.value)


def test_id_must_match_file_name(tmp_path):
    with pytest.raises(CatalogueError, match="must match the file name"):
        load_file(_write(tmp_path, "other_name"))


def test_definitions_are_read_with_a_safe_loader_that_refuses_python_tags(tmp_path):
    """The catalogue is read with libyaml's parser (SAFE_LOADER: the run's start reads it several times), and
    that loader is a safe one: a tag that would call Python is refused with the file's name, never run."""
    import indicators.catalogue as cat

    if yaml.__with_libyaml__:
        assert cat.SAFE_LOADER is yaml.CSafeLoader
    path = tmp_path / "methotrexate_10mg_pct.yaml"
    path.write_text("id: !!python/object/apply:os.getcwd []\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="methotrexate_10mg_pct.yaml: not valid YAML"):
        load_file(path)
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="(?s)not valid YAML.*line 2, column 1"):
        load_file(path)


# --- agreement with OpenPrescribing's BNF lists ------------------------------------------------------
# OpenPrescribing's last BNF-code versions (March 2023) of opioidspercent / opioidper1000, 120 mg rule.
OP_LONG_ACTING = (
    ["0407020A0%" + s for s in ("AU", "AE", "BW", "AF", "AG", "AH")]
    + ["0407020AD%" + s for s in ("AK", "AF", "AS", "AG", "AR", "AH", "AQ", "AI", "AP")]
    + ["0407020AF%" + s for s in ("AC", "AA", "AB", "AD")]
    + ["0407020AG%" + s for s in ("AI", "AC", "AD", "AE", "AF", "AG")]
    + ["0407020AH%" + s for s in ("AC", "AD", "AE")]
    + ["0407020B0%" + s for s in ("AH", "AI", "AK", "AJ", "AE", "AF", "AG")]
    + [
        "0407020Q0%" + s
        for s in (
            "CG",
            "AK",
            "CF",
            "AL",
            "AI",
            "AH",
            "AG",
            "EF",
            "DZ",
            "EG",
            "EA",
            "EH",
            "DU",
            "EB",
            "DV",
            "DW",
            "EI",
            "FL",
            "CV",
            "CP",
            "DC",
            "DD",
            "DE",
        )
    ]
    + ["040702050%" + s for s in ("AF", "AG", "AC", "AA", "AB")]
)
OP_HIGH_120_COMMON = [
    "0407020A0%AF",
    "0407020A0%AG",
    "0407020A0%AH",
    "0407020AD%AH",
    "0407020AD%AQ",
    "0407020AD%AI",
    "0407020AD%AP",
    "~0407020ADBQACAH",
    "0407020AF%AD",
    "0407020AG%AE",
    "0407020AG%AF",
    "0407020AG%AG",
    "0407020B0%AF",
    "0407020B0%AG",
    "0407020Q0%AI",
    "0407020Q0%AH",
    "0407020Q0%AG",
    "0407020Q0%EH",
    "0407020Q0%DU",
    "0407020Q0%EB",
    "0407020Q0%DV",
    "0407020Q0%DW",
    "0407020Q0%EI",
    "~0407020Q0BIABEH",
    "~0407020Q0BIACDU",
    "0407020Q0%DC",
    "0407020Q0%DD",
    "0407020Q0%DE",
]
OP_PERCENT_ONLY_120 = ["040702050%AA", "040702050%AB"]  # hydromorphone MR 16/24 mg: opioidspercent only
OP_PER1000_ONLY_120 = ["0407020AH%AC", "0407020AH%AD", "0407020AH%AE"]  # tapentadol MR capsules: opioidper1000 only
# The research note's BNF-only approximation of the 90 mg rule (November 2025 thresholds, 2023 list).
OP_HIGH_90 = (
    ["0407020A0%BW", "0407020A0%AF", "0407020A0%AG", "0407020A0%AH"]
    + ["0407020AD%" + s for s in ("AR", "AH", "AQ", "AI", "AP")]
    + ["~0407020ADBQACAH", "0407020AF%AD"]
    + ["0407020AG%AE", "0407020AG%AF", "0407020AG%AG", "0407020AH%AC", "0407020AH%AD", "0407020AH%AE"]
    + ["0407020B0%AF", "0407020B0%AG"]
    + ["0407020Q0%" + s for s in ("EA", "AI", "EH", "DC", "DU", "AH", "EB", "DD", "DV", "DW", "AG", "EI", "DE")]
    + ["~0407020Q0BIABEH", "040702050%AA", "040702050%AB"]
)


# Presentations NHSBSA's real lists hold that OpenPrescribing's 2023 BNF list lacks, added on purpose (each
# indicator's sources line says so; tests/bnf/test_opioid_ome.py checks them against the strength in each name).
ADDED_LONG_ACTING = (
    ["0407020A0%" + s for s in ("AA", "AB", "AC", "AD", "AQ", "AR", "AS", "AT")]
    + ["0407020Z0AAAKAK", "0407020Z0AAAGAG", "0407020Z0AAAHAH", "0407020AH%AA", "0407020AH%AB"]
    + ["0407020B0%AL", "0407020B0%AM", "0407020B0%AN"]
    + ["0407020AG%" + s for s in ("AJ", "AK", "AL", "AM", "AN")]
)  # NHSBSA's 2025 recodes
ADDED_HIGH_120 = (
    ["0407020A0%" + s for s in ("AB", "AC", "AD", "AR", "AS", "AT")]
    + ["0407020Z0AAAHAH"]
    + ["0407020AG%AL", "0407020AG%AM", "0407020AG%AN"]
)
ADDED_HIGH_90 = ADDED_HIGH_120 + ["0407020B0%AN"]


def universe() -> list[str]:
    """Every opioid presentation in NHSBSA's real 2020 and 2024 lists, a generic and branded version of each
    opioid strength OpenPrescribing lists, every presentation in the reference table, and decoys."""
    from pipelines.bnf.lists import names

    codes = {r["bnf_code"] for r in csv.DictReader(open(REFERENCE_DIR / "bnf_presentations.csv"))}
    codes |= {c for release in ("2020", "2024") for c in names(release) if c.startswith(("0407", "1001030U0"))}
    for f in OP_LONG_ACTING + ["1001030U0%AB", "1001030U0%AC"]:
        chem, suffix = f.split("%")
        codes |= {f"{chem}AA{suffix}{suffix}", f"{chem}BB{suffix}{suffix}", f"{chem}BC{suffix}{suffix}"[:15]}
    codes |= {
        "0407020ADBQACAH",
        "0407020Q0BIABEH",
        "0407020Q0BIACDU",
        "0407020Q0BIADDV",
        "1001030U0AAAFAF",
        "0407020A0AAAZAZ",
        "0407020M0AAAAAA",
        "0410030C0AAAAAA",
    }
    return sorted(codes)


@cache
def _universe() -> tuple[str, ...]:
    return tuple(universe())


def expanded(filters):
    from pipelines.bnf.groups import group_members

    groups = group_members(_universe(), wanted=[f.pattern for f in map(CodeFilter.parse, filters) if f.kind == "group"])
    return expand([CodeFilter.parse(f) for f in filters], _universe(), groups)


def test_long_acting_denominator_is_openprescribings_plus_the_stated_additions():
    expected = expanded(OP_LONG_ACTING + ADDED_LONG_ACTING)
    assert expanded(CATALOGUE["opioid_high_dose_pct_120"].denominator.codes) == expected
    assert expanded(CATALOGUE["opioid_high_dose_pct_90"].denominator.codes) == expected
    assert "0407020B0BKAGAN" in expected  # Reletrans 40 micrograms/hour


@pytest.mark.parametrize("indicator", ["opioid_high_dose_pct_120", "opioid_high_dose_per_1000_120"])
def test_120_numerator_is_the_union_of_openprescribings_two_measures(indicator):
    ours = expanded(CATALOGUE[indicator].numerator.codes)
    percent = set(expanded(OP_HIGH_120_COMMON + OP_PERCENT_ONLY_120))
    per1000 = set(expanded(OP_HIGH_120_COMMON + OP_PER1000_ONLY_120))
    assert set(ours) == percent | per1000 | set(expanded(ADDED_HIGH_120))
    assert "0407020Q0BIABEH" not in ours and "0407020ADBQACAH" not in ours  # once-daily brands


@pytest.mark.parametrize("indicator", ["opioid_high_dose_pct_90", "opioid_high_dose_per_1000_90"])
def test_90_numerator_matches_the_research_list(indicator):
    ours = expanded(CATALOGUE[indicator].numerator.codes)
    assert ours == expanded(OP_HIGH_90 + ADDED_HIGH_90)
    assert "0407020B0BKAGAN" in ours  # Reletrans 40 micrograms/hour: 96 mg OME a day
    assert "0407020Q0BIACDU" in ours and "0407020Q0BIABEH" not in ours  # MXL 90 counts, MXL 60 does not


def test_high_dose_numerators_sit_inside_their_denominators():
    for t in ("120", "90"):
        num = set(expanded(CATALOGUE[f"opioid_high_dose_pct_{t}"].numerator.codes))
        assert num <= set(expanded(CATALOGUE[f"opioid_high_dose_pct_{t}"].denominator.codes))


def test_methotrexate_matches_openprescribing():
    ind = CATALOGUE["methotrexate_10mg_pct"]
    # Every 10 mg tablet in NHSBSA's lists: generic, Maxtrex, and (2020 list) Wyeth/Lederle and Emtexate.
    assert {"1001030U0AAACAC", "1001030U0BDABAC", "1001030U0BBABAC", "1001030U0BCAAAC"} <= set(
        expanded(ind.numerator.codes)
    )
    assert expanded(ind.denominator.codes) == expanded(["1001030U0%AB", "1001030U0%AC"])
    assert "1001030U0AAAFAF" not in expanded(ind.denominator.codes)  # oral solution is outside the measure


def test_valproate_and_nsaid_use_their_ingredient_groups():
    from pipelines.bnf.groups import group_members
    from pipelines.bnf.lists import names

    codes = set(names("2024")) | set(names("2020"))

    def expanded(filters):
        return expand([CodeFilter.parse(f) for f in filters], codes, group_members(codes))

    valproate = expanded(CATALOGUE["valproate_per_1000_female_13_54"].numerator.codes)
    assert {c[:9] for c in valproate} == {"0408010W0", "0402030Q0", "040801020", "0407042A0"}
    assert {"0408010W0BBALA2", "040801020BCACAH"} <= set(valproate)  # the real Epilim Chrono row; Convulex/Depakote
    nsaid = expanded(CATALOGUE["nsaid_per_1000_65plus"].numerator.codes)
    assert "1001010P0BUAABB" in nsaid and "0407041U0AAABAB" in nsaid  # Vimovo; tolfenamic acid (BNF 4.7.4)


def test_ome_scope_is_the_opioid_chemicals_and_excludes_substance_dependence():
    from pipelines.bnf.ome import chemicals, read_presentation

    ome = expanded(CATALOGUE["opioid_ome_per_1000_day"].numerator.codes)
    assert "0410030C0AAAAAA" not in ome and "0407020M0AAAAAA" not in ome  # dependence; methadone left out
    assert {"0407020A0AAAFAF", "0407010F0AAAHAH"} <= set(ome)
    assert {CodeFilter.parse(f).pattern for f in CATALOGUE["opioid_ome_per_1000_day"].numerator.codes} == set(
        chemicals()
    )
    # Every opioid the sample and reference table carry reads to an OME from its own name.
    reference = {r["bnf_code"]: r["bnf_name"] for r in csv.DictReader(open(REFERENCE_DIR / "bnf_presentations.csv"))}
    assert all(read_presentation(c, reference[c]).status == "ome" for c in ome if c in reference)


def test_thresholds_match_the_words():
    # A definition's own words must state the threshold it uses (a 90 mg rule described as 120 misleads).
    for ind in CATALOGUE.values():
        threshold = ind.thresholds.get("ome_mg_per_day")
        if threshold is not None:
            assert f"{threshold:g} mg" in ind.short_description and f"≥{threshold:g} mg" in ind.title, ind.id


def _patient(tmp_path, changes=None, numerator_rule=None):
    data = yaml.safe_load((REFERENCE_DIR.parent / "indicators" / "pl_triple_whammy.yaml").read_text())
    data.update(changes or {})
    if numerator_rule is not None:
        data["numerator"]["patients"] = numerator_rule
    folder = tmp_path / "cat"
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    for shared in ("drug_groups.yaml", "cited_lists.yaml"):
        (folder / "shared" / shared).write_text((REFERENCE_DIR.parent / "indicators" / "shared" / shared).read_text())
    (folder / "pl_triple_whammy.yaml").write_text(yaml.safe_dump(data))
    return folder


@pytest.mark.parametrize(
    "changes, rule, message",
    [
        ({"proxy": True}, None, "a patient-level indicator counts patients; it is not a proxy"),
        ({"unit": "ratio"}, None, "does not fit a count of patients"),
        ({}, {"age_min": 70, "age_max": 18, "issued_all": ["nsaid"]}, "age_min is above age_max"),
        ({}, {"issued_all": ["nsaid"], "co_issued_within_days": 28}, "needs two or more issued_all groups"),
        ({}, {"issued_all": ["nsaid"], "min_ome_mg_per_day": "ome_mg_per_day"}, "not in thresholds"),
        ({"grain": "practice_aggregate"}, None, "belong to grain `patient` only"),
        ({}, {"issued_all": ["nsaids_typo"]}, "drug groups ['nsaids_typo'] are not in shared/drug_groups.yaml"),
        ({}, {"issued_all": ["nsaid"], "flagged": ["learning_disability_or_autism"]}, "the same `flagged` columns"),
        ({}, {"issued_all": ["nsaid"], "flagged": ["frailty"]}, "learning_disability_or_autism"),  # not in the contract
        (
            {"cited_scope": [{"source": "PINCER", "ours": "@nsaid", "theirs": ["@pincer_nsaids_typo"]}]},
            None,
            "cited_scope names ['pincer_nsaids_typo'], neither a cited list nor a drug group",
        ),
    ],
)
def test_invalid_patient_level_definitions_are_refused(tmp_path, changes, rule, message):
    folder = _patient(tmp_path, changes, rule)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(folder)
    assert "pl_triple_whammy.yaml" in str(err.value) and message in str(err.value)


def test_patient_level_definitions_name_real_proxies_and_groups():
    patient = {k: v for k, v in CATALOGUE.items() if v.grain == "patient"}
    assert len(patient) == 19
    for ind in patient.values():
        assert all(CATALOGUE[p].grain == "practice_aggregate" for p in ind.proxy_of), ind.id


def test_expand_selects_what_the_filters_say_on_every_real_code():
    """expand() looks only at the sorted range each filter's literal part allows; it must select exactly
    what trying every filter on every code selects, for every filter list of the catalogue and drug groups,
    over every code of NHSBSA's 2020 and 2024 lists (a drug group selects its members)."""
    from indicators.catalogue import catalogue, drug_groups
    from indicators.model import expand
    from pipelines.bnf.groups import group_members
    from pipelines.bnf.lists import names

    codes = set(names("2024")) | set(names("2020"))
    groups = group_members(codes)

    tried: dict = {}  # every code tried against each distinct filter once (filters repeat across lists)

    def hits(f) -> set[str]:
        key = (f.kind, f.pattern, str(f))
        if key not in tried:
            tried[key] = {c for c in codes if (c in groups[f.pattern] if f.kind == "group" else f.matches(c))}
        return tried[key]

    def plain(filters):
        inc = set().union(*(hits(f) for f in filters if not f.exclude))
        return sorted(inc.difference(*(hits(f) for f in filters if f.exclude)))

    lists = []
    for ind in catalogue().values():
        for part in (ind.numerator, ind.denominator):
            lists += [getattr(part, "filters", None)] + [c.filters for c in (getattr(part, "components", None) or [])]
    lists += [s.filters for g in drug_groups().values() for s in [g.only] + g.exclude + g.include if s]
    lists = [f for f in lists if f]
    assert len(lists) >= 17
    for filters in lists:
        assert expand(filters, codes, groups) == plain(filters)


def test_every_indicator_says_its_harm_tier_why_and_what_to_do_in_plain_words():
    """What readers see of a definition (titles, descriptions, limitations, sources, the harm reason, the
    action) never carries research shorthand such as UNVERIFIED; each states its tier's reason and an action."""
    for ind in catalogue().values():
        shown = [
            ind.title,
            ind.short_title,
            ind.short_description,
            ind.why_it_matters,
            ind.harm_reason,
            ind.action,
            *ind.limitations,
            *(s.name for s in ind.sources),
        ]
        assert not any("UNVERIFIED" in text for text in shown), ind.id
        assert ind.harm_reason.endswith("."), ind.id
        assert ind.action[-1] in ".?" and ind.action[-2] not in ".?!", ind.id  # one end mark, never "?."


def test_units_name_the_denominators_population():
    c = catalogue()
    assert c["valproate_per_1000_female_13_54"].unit_label == "per 1,000 females aged 13–54"
    assert c["topiramate_per_1000_female_13_54"].unit_label == "per 1,000 females aged 13–54"
    assert c["triple_whammy_expected_per_1000_adults"].unit_label == "per 1,000 adults aged 18+"
    assert c["sedative_per_1000_65plus"].unit_label == "per 1,000 patients aged 65+"
    assert c["opioid_ome_per_1000_day"].unit_label == "per 1,000 patients per day"
    assert c["methotrexate_10mg_items"].unit_label == "items"
    assert c["pl_valproate_female_13_54"].unit_label == "per 1,000 female patients aged 13–54"
    assert c["opioid_high_dose_pct_120"].unit_label == "% of items"


def test_sheet_names_are_short_titles_unique_and_allowed_by_excel():
    from pipelines.outputs.extracts import sheet_name

    names = [sheet_name(ind) for ind in catalogue().values()]
    assert len(set(n.lower() for n in names)) == len(names)  # Excel compares sheet names without case
    assert all(0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert sheet_name(catalogue()["sedative_per_1000_65plus"]) == "Falls - sedatives, 65+"


@pytest.mark.parametrize(
    "file, entry, message",
    [
        (
            "cited_lists.yaml",
            {
                "op_x": {
                    "description": "a measure",
                    "source": "openprescribing",
                    "measure": "x",
                    "repository": "ebmdatalab/openprescribing",
                    "path": "x.json",
                    "codes": ["0401"],
                }
            },
            "cited_lists.yaml: list op_x: (top): Value error, an OpenPrescribing list names its commit",
        ),
        (
            "cited_lists.yaml",
            {
                "op_x": {
                    "description": "a measure",
                    "source": "openprescribing",
                    "measure": "x",
                    "repository": "r",
                    "commit": "HEAD",
                    "path": "x.json",
                    "codes": ["0401"],
                }
            },
            "commit 'HEAD' is not a git commit",
        ),
        (
            "cited_lists.yaml",
            {"pincer_x": {"description": "a list", "source": "pincer", "codes": ["0401"]}},
            "a PINCER list names its file (`pincer`) and nothing else",
        ),
        (
            "drug_groups.yaml",
            {"g": {"description": "a group", "ingredients": ["zopiclone"], "classes": ["4.1"]}},
            "classes are BNF section, paragraph or chemical codes",
        ),
        (
            "drug_groups.yaml",
            {"g": {"description": "a group", "ingredients": ["zopiclone"], "cites": [{"list": "op_nothing"}]}},
            "group g cites ['op_nothing'], which shared/cited_lists.yaml lacks",
        ),
    ],
)
def test_invalid_shared_definitions_are_refused_naming_file_and_entry(tmp_path, file, entry, message):
    folder = _patient(tmp_path)
    shared = folder / "shared" / file
    data = yaml.safe_load(shared.read_text()) | entry
    shared.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(folder)
    assert message in str(err.value), str(err.value)
