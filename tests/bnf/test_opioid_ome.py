"""OME per unit read from NHSBSA's published names.

Hand-worked cases first (each expected figure is strength x factor [x hours] worked out in the comment),
then the whole of both NHSBSA lists: every oral and transdermal opioid presentation gets an OME, and the
doses agree with OpenPrescribing's independent BNF-keyed table (revised.csv) times today's factors."""

import csv

import polars as pl
import pytest

from pipelines.bnf import lists
from pipelines.bnf.ome import (
    SCHEMA,
    STATUS_EXCLUDED,
    STATUS_OME,
    chemicals,
    factors,
    ome_table,
    overrides,
    read_presentation,
)
from tests.reference.test_reference_real import OP  # ../shared/research/data/real/opioids when beside the checkout

A = pytest.approx

# (code, name as NHSBSA publishes it, OME mg per unit worked by hand)
HAND_WORKED = [
    ("0407010F0AAAHAH", "Co-codamol 30mg/500mg tablets", 30 * 0.1),
    ("0407010F0AAAAAA", "Co-Codamol_Tab 8mg/500mg", 8 * 0.1),  # the code is 8/500, whatever one assumes
    ("0407010F0AAARAR", "Co-Codamol Eff_Pdr Sach 60mg/1g", 60 * 0.1),
    ("0407010F0AAASAS", "Co-codamol 8mg/500mg/5ml oral liquid", 8 / 5 * 0.1),  # per ml
    ("0407010N0AAAJAJ", "Co/Dydramol_Tab 500mg/7.46mg", 7.46 * 0.1),  # paracetamol written first
    ("0407010N0BIAAAA", "Eroset 500mg/10mg tablets", 10 * 0.1),
    ("0407020ADAAAAAA", "Oxycodone 5mg/5ml oral solution sugar free", 5 / 5 * 1.5),
    ("0407020ADAAAAAA", "Oxycodone HCl_Oral Soln 5mg/5ml S/F", 5 / 5 * 1.5),
    ("0407020ADAAABAB", "Oxycodone HCl_Oral Soln 10mg/1ml S/F", 10 * 1.5),
    ("0407020C0AAABAB", "Codeine 25mg/5ml oral solution", 25 / 5 * 0.1),
    ("0407020G0AAAAAA", "Dihydrocodeine Tart_Oral Soln 10mg/5ml", 10 / 5 * 0.1),
    ("0407020AFAAAAAA", "Oxycodone HCl/Naloxone HCl_Tab 10/5mgM/R", 10 * 1.5),  # unit shared by 10/5mg
    ("0407020AFBBAAAA", "Targinact 10mg/5mg modified-release tablets", 10 * 1.5),
    ("040702040AAAUAU", "Tramadol HCl/Paracet_Tab 37.5mg/325mg", 37.5 * 0.1),
    ("040702040BXAABD", "Skudexa 75mg/25mg tablets", 75 * 0.1),  # tramadol first, dexketoprofen 25 mg
    ("040702040AABBBB", "Tramadol 100mg/ml oral drops", 100 * 0.1),
    ("0407020Q0AAERER", "Morphine sulfate 1g/5ml oral solution", 1000 / 5 * 1),
    ("0407020Q0AACSCS", "Morph Sulf_Oral Soln 10mg/5ml Udv S/F", 10 * 1),  # one unit dose vial
    ("0407020Q0BIABEH", "MXL 60mg capsules", 60 * 1),
    ("040702050AAAEAE", "Hydromorphone 1.3mg capsules", 1.3 * 5),
    ("0407020A0AAAEAE", "Fentanyl 25micrograms/hour transdermal patches", 0.025 * 72 * 100),  # 60 mg/day
    ("0407020A0BBAAAE", "Durogesic_Transdermal Patch 25mcg", 0.025 * 72 * 100),
    ("0407020B0BEAAAH", "BuTrans 5micrograms/hour transdermal patches", 0.005 * 168 * 100),  # 12 mg/day
    ("0407020B0AAAHAH", "Buprenorphine_Patch 5mcg/hr (7day)", 0.005 * 168 * 100),
    ("0407020B0BDAAAE", "Transtec 35micrograms/hour transdermal patches", 0.035 * 96 * 100),
    ("0407020Z0BBAAAA", "Proladone 30mg suppositories", 30 * 1.5),
    # No strength in the name: the same code's 2020 name, or the generic equivalent's name, gives it.
    ("0407010N0BGAAAH", "Remedeine tablets", 20 * 0.1),  # generic 0407010N0AAAHAH Co-Dydramol_Tab 20mg/500mg
    ("0407010N0BHABAJ", "Paramol tablets", 7.46 * 0.1),  # 2020 name Paramol_Tab 500mg/7.46mg
    ("0407010F0BWAAAB", "Feminax Period Pain capsules", 8 * 0.1),  # 2020 name Feminax_Period Pain Cap 8mg/500mg
]


@pytest.mark.parametrize("code, name, expected", HAND_WORKED)
def test_hand_worked_names(code, name, expected):
    reading = read_presentation(code, name)
    assert reading.status == STATUS_OME and reading.ome_mg_per_unit == A(expected), reading


@pytest.mark.parametrize(
    "code, name, reason",
    [
        ("0407020A0AABDBD", "Fentanyl 200microgram buccal tablets sugar free", "buccal"),
        ("0407020A0AAAYAY", "Fentanyl_Tab Sublingual 300mcg S/F", "buccal"),
        ("0407020AFBBAAAA", "Oxycodone 10mg/1ml solution for injection ampoules", "injection"),
        ("0407020Q0AAFQFQ", "Morph Sulf_Gel 2%", "topical"),
        ("0407020M0AAAEAE", "Methadone HCl_Tab 5mg", "not an opioid chemical in the OME scope"),
        ("0410030C0AAAFAF", "Methadone 1mg/ml oral solution", "not an opioid chemical in the OME scope"),
    ],
)
def test_out_of_scope_forms_say_why(code, name, reason):
    reading = read_presentation(code, name)
    assert reading.status == STATUS_EXCLUDED and reason in reading.reason and reading.ome_mg_per_unit is None


def test_an_unreadable_name_is_unread_with_its_reason_and_the_check_counts_it(tmp_path):
    from pipelines.verdicts.opioid_ome import ome_coverage

    # A hypothetical future name with no strength, no other-list name and no generic equivalent.
    month = pl.DataFrame(
        {
            "bnf_code": ["0407020ADBZZAZZ", "0407010F0AAAHAH"],
            "bnf_name": ["Newbrand tablets", "Co-codamol 30mg/500mg tablets"],
        }
    )
    table = ome_table(month).join(
        pl.DataFrame({"bnf_code": ["0407020ADBZZAZZ", "0407010F0AAAHAH"], "items": [1, 199]}), on="bnf_code"
    )
    unread = table.filter(pl.col("bnf_code") == "0407020ADBZZAZZ").to_dicts()[0]
    assert unread["status"] == "unread" and unread["reason"] == "no strength in the name"
    table.write_parquet(tmp_path / "ome.parquet")
    c = ome_coverage(tmp_path / "ome.parquet")
    # 1 of 200 items = 0.5 %: at the threshold, not above it.
    assert (c["items_in_scope"], c["items_without_ome"], c["passed"]) == (200, 1, True)
    assert c["without"] == [
        {"bnf_code": "0407020ADBZZAZZ", "bnf_name": "Newbrand tablets", "items": 1, "reason": "no strength in the name"}
    ]
    table.with_columns(items=pl.when(pl.col("bnf_code") == "0407020ADBZZAZZ").then(2).otherwise(198)).write_parquet(
        tmp_path / "ome2.parquet"
    )
    assert ome_coverage(tmp_path / "ome2.parquet")["passed"] is False  # 2 of 200 = 1 %


def _real_opioids() -> pl.DataFrame:
    frame = lists.all_presentations(tuple(sorted(chemicals())))
    rows = [vars(read_presentation(c, n)) for c, n in zip(frame["bnf_code"], frame["bnf_name"])]
    return pl.DataFrame(rows, schema=SCHEMA)


def test_every_real_oral_and_transdermal_presentation_gets_an_ome():
    readings = _real_opioids()
    # Oral and transdermal: what the grammar reads as such, plus what an override excludes by reason
    # (special-order liquids of unstated strength, Morphine and Cocaine Elixir).
    unread = readings.filter(pl.col("status") == "unread")
    assert unread.height == 0, unread.select("bnf_code", "bnf_name", "reason").rows()
    got = readings.filter((pl.col("status") == STATUS_OME) & pl.col("route").is_in(["oral", "transdermal"]))
    by_override = readings.filter((pl.col("status") == STATUS_EXCLUDED) & pl.col("bnf_code").is_in(list(overrides())))
    assert got.height > 1300  # measured: 1,397 (code, name) pairs, 788 codes, across the 2020 and 2024 lists
    assert by_override.height <= 10  # each with its reason in reference/opioid_name_overrides.csv
    # Both styles are read: the 2020 list's abbreviated names and the 2024 list's dm+d names.
    assert set(got["bnf_name"]) & set(lists.names("2020").values())
    assert set(got["bnf_name"]) & set(lists.names("2024").values())


def test_doses_agree_with_openprescribings_bnf_keyed_table():
    """revised.csv gives dose per unit (per ml for liquids, per patch over its wear time) and an older
    multiplier; today's factor times its dose must equal our OME per unit, read from NHSBSA's names."""
    with open(OP / "opioid_measure_rework_revised.csv", newline="") as fh:
        revised = [r for r in csv.DictReader(fh) if r["dose_per_unit"] and r["bnf_code"][:9] in chemicals()]
    compared, disagree = 0, []
    for r in revised:
        for name in {lists.names("2024").get(r["bnf_code"]), lists.names("2020").get(r["bnf_code"])} - {None}:
            reading = read_presentation(r["bnf_code"], name)
            if reading.status == STATUS_EXCLUDED and reading.bnf_code not in overrides():
                continue  # injections, buccal, nasal: outside our scope by form
            compared += 1
            if reading.status != STATUS_OME:
                disagree.append((r["bnf_code"], name, "none", r["dose_per_unit"]))
                continue
            expected = float(r["dose_per_unit"]) * factors()[(reading.ingredient, reading.route)]
            if reading.ome_mg_per_unit != A(expected):
                disagree.append((r["bnf_code"], name, reading.ome_mg_per_unit, expected))
    assert compared >= 200
    assert (compared - len(disagree)) / compared >= 0.99
    # Each disagreement is explained in the override file.
    assert all(code in overrides() for code, *_ in disagree), disagree


def _daily_ome(code: str, name: str) -> float | None:
    """OME a day at the usual dosing OpenPrescribing's high-dose measures assume: patches worn
    continuously, modified-release tablets and capsules twice a day, once-daily brands (XL, MXL, 24hr)
    once."""
    import re

    reading = read_presentation(code, name)
    if reading.status != STATUS_OME:
        return None
    if reading.per == "hour":
        return reading.ome_mg_per_unit * 24 / reading.patch_hours
    once = re.search(r"\bxl\b|\bmxl\b|24hr|once", name.lower().replace("_", " "))
    return reading.ome_mg_per_unit * (1 if once else 2)


LONG_ACTING_CHEMICALS = (
    "0407020A0",
    "0407020B0",
    "0407020AD",
    "0407020Z0",
    "0407020AF",
    "0407020AG",
    "0407020AH",
    "0407020Q0",
    "040702050",
)
# A long-acting name: patches, or a modified-release marker in either name style.
LONG_ACTING_NAME = r"(?i)patch|t/derm|transdermal|modified|m/r|\bmr\b|\bsr\b|-sr\b|\bxl\b|mxl|prolonged|24hr|continus|retard|\bpr\b|srm"


@pytest.mark.parametrize(
    "indicator, threshold",
    [
        ("opioid_high_dose_pct_120", 120),
        ("opioid_high_dose_per_1000_120", 120),
        ("opioid_high_dose_pct_90", 90),
        ("opioid_high_dose_per_1000_90", 90),
    ],
)
def test_high_dose_code_lists_match_the_strength_rule_on_every_real_presentation(indicator, threshold):
    """On every real long-acting presentation of the six opioids in NHSBSA's 2020 and 2024 lists: it is in
    the long-acting denominator, and it is in the high-dose numerator exactly when the strength read from
    its name gives at least the threshold a day at OpenPrescribing's assumed dosing."""
    import re

    from indicators.catalogue import catalogue
    from indicators.model import CodeFilter, expand

    ind = catalogue()[indicator]
    opioid_codes = sorted(c for c in set(lists.names("2024")) | set(lists.names("2020")) if c.startswith("0407"))
    numerator = set(expand([CodeFilter.parse(f) for f in ind.numerator.codes], opioid_codes))
    long_acting = set(
        expand(
            [CodeFilter.parse(f) for f in catalogue()[f"opioid_high_dose_pct_{threshold}"].denominator.codes],
            opioid_codes,
        )
    )
    named = {
        (c, n)
        for c in opioid_codes
        if c[:9] in LONG_ACTING_CHEMICALS
        for n in (lists.names("2024").get(c), lists.names("2020").get(c))
        if n and re.search(LONG_ACTING_NAME, n) and read_presentation(c, n).status == STATUS_OME
    }
    assert not {(c, n) for c, n in named if c not in long_acting}  # no long-acting presentation left out
    checked, wrong = 0, []
    for code in sorted(long_acting | numerator):
        for name in {lists.names("2024").get(code), lists.names("2020").get(code)} - {None}:
            daily = _daily_ome(code, name)
            checked += 1
            if daily is None or (code in numerator) != (daily >= threshold):
                wrong.append((code, name, daily, code in numerator))
    assert checked > 500 and not wrong


@pytest.mark.parametrize(
    "code, name, hours",
    [
        ("0407020B0BKAGAN", "Reletrans 40micrograms/hour transdermal patches", 168),  # a seven-day brand
        ("0407020B0BGAAAE", "Hapoctasin 35micrograms/hour transdermal patches", 96),
        ("0407020B0AAAFAF", "Buprenorphine 52.5micrograms/hour transdermal patches", 96),
        ("0407020B0AAAEAE", "Buprenorphine_Patch 35mcg/hr (96hr)", 96),  # stated in the 2020 name
    ],
)
def test_buprenorphine_wear_time(code, name, hours):
    assert read_presentation(code, name).patch_hours == hours
