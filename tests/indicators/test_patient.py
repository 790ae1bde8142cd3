"""Patient-level indicators on a hand-made extract (pipelines/datasets/patient/edge_cases/), reporting month
March 2026: window 2026-01-01 to 2026-03-31 (90 days), ages on 2026-03-31.

Expected patient lists, worked out by hand from the fixture (see the notes in registrations.csv):
* p02's NSAIDs fall the day before (2025-12-31) and the day after (2026-04-01) the window: outside.
* p01's NSAID is on the window's first day and p19's valproate on its last: inside.
* p03 turns 65 inside the window (2026-03-15): 65+ on the last day, so counted; p16 turns 65 on
  2026-04-01: 64, not counted.
* p04 has only Arthrotec (diclofenac/misoprostol): an NSAID that is protected; PINCER's list has no
  misoprostol, so in GI_P3A he is unprotected.
* p06 moves from P00001 to P00002 on 2026-02-15; his January issues at P00001 count at P00002.
* p11: fentanyl 50 micrograms/hour, 30 patches x 0.05 mg/h x 72 h x 100 = 10,800 mg / 90 days = 120.0
  mg/day (at the threshold: counts, the rule is >=). p12: morphine 10mg/5ml 2,500 ml x 2 mg = 5,000 mg
  + buprenorphine 10 micrograms/hour 24 x 0.01 x 168 x 100 = 4,032 mg; 9,032 / 90 = 100.4 mg/day:
  >= 90, < 120. p13: codeine 30 mg x 100 x 0.1 = 300 mg / 90 = 3.3 mg/day.
* p17 (male) and p22 (sex U) on valproate: in no female row; p18 (12, Epilim Chrono) is in the 0-12 row;
  p21 left on 2026-03-30 and counts nowhere.
* p23 (71) has Coversyl Plus (perindopril with indapamide: a RAAS inhibitor and a diuretic in one product)
  and, 9 days later, ibuprofen: a whole triple whammy in two products (28-day rule too), and an NSAID in
  the over-65s with no gastroprotection.
* p24 (a woman of 30) has Depakote sprinkle capsules, valproic acid as the BNF files it for epilepsy (4.8.1).
* p20 (a woman of 26) has topiramate 25 mg tablets; p17 (male) topiramate 50 mg: in no female row.
* p13 has pregabalin 19 days after his codeine (both in the window): a gabapentinoid with an opioid; p09
  has gabapentin and no opioid: in the denominator only.
* p10 (anticoagulant 2026-02-15) has clopidogrel 23 days later and no ulcer-healing drug: PINCER GI_P3E;
  p09 (anticoagulant, no ulcer-healing drug, no antiplatelet) is in its denominator only.
* Falls: 65+ on the last day are p01 p02 p03 p04 p05 p06 p10 p11 p23; 75+ p01 (75) p04 p05 p06 p10. p05 (80)
  has zopiclone; p02's temazepam (2025-12-31) is the day before the window; p10 (78) has risperidone and p23 (71)
  quetiapine; p04's prochlorperazine is an antiemetic (BNF 4.6), not counted as an antipsychotic.
* STOMP (learning_disability_or_autism): flagged Y on the registration in force are p06 (his new practice's
  spell only), p08 (15, P00002, risperidone 2026-03-05), p13 (no antipsychotic) and p14 ('y', lower case,
  P00001); p21 is flagged but left; p10 is N (his risperidone does not count); p23's flag is empty (not
  recorded: in neither count). P00002: 1 of p06, p08, p13 = 33.3 %; P00001: 0 of p14.

Edge cases of the newer indicators, at P00003 (issue 30), each worked out by hand:
* Gabapentinoid with an opioid (issues fewer than 28 days apart): p25's gabapentin is 27 days after his
  codeine (2026-01-10 to 2026-02-06): in the numerator; p26's is 29 days after (2026-01-10 to 2026-02-08):
  denominator only. Their codeine 30mg tablets put both in the opioid denominators (3.3 mg OME a day).
* Anticoagulant with an antiplatelet and no ulcer-healing drug (GI_P3E): p27 (76) has apixaban and,
  14 days later, clopidogrel, no PPI: numerator. p28 (76) the same with omeprazole in the window: in neither
  GI_P3E count (its denominator is anticoagulated patients without an ulcer-healing drug), in the GI_P3D
  denominator (every anticoagulated patient), and not in GI_P3A's (65+ without one).
* Topiramate in women and girls 13-54: p29, born 1971-04-01, is 54 on 2026-03-31: numerator and
  denominator (of the valproate indicator too). p30, born 1971-03-31, is 55 that day: in neither.
* Falls: p31, born 1961-04-01, is 64 on the last day: his zopiclone counts nowhere; p32, born 1961-03-31,
  is 65: her zopiclone is in the 65+ numerator, and she is not 75. p33, born 1951-03-31, is 75 on the last
  day: olanzapine counts in both the 65+ and 75+ antipsychotic numerators. p34 (78) has a depot injection,
  haloperidol decanoate 50mg/1ml (BNF 4.2.2): an antipsychotic in both numerators.
* Denominators by age: 65+ gains p27 p28 p32 p33 p34; 75+ gains p27 p28 p33 p34.
"""

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.datasets.patient.contract import ExtractError
from pipelines.datasets.patient.stage import load_extract
from pipelines.indicators.patient import compute_patient_month
from pipelines.layout import Layout
from pipelines.tables import patient_file, warehouse_file

# The hand-made extract ships with the package: the synthetic sample embeds the same edge cases.
EXTRACT = Path(__file__).resolve().parents[2] / "pipelines" / "datasets" / "patient" / "edge_cases"

OVER_65 = {"p01", "p02", "p03", "p04", "p05", "p06", "p10", "p11", "p23", "p27", "p28", "p32", "p33", "p34"}
OVER_75 = {"p01", "p04", "p05", "p06", "p10", "p27", "p28", "p33", "p34"}
EXPECTED = {
    "pl_nsaid_no_gastroprotection_65plus": ({"p01", "p03", "p06", "p23"}, {"p01", "p03", "p04", "p05", "p06", "p23"}),
    "pl_nsaid_gi_p3a": (
        {"p01", "p03", "p04", "p06", "p23"},
        {"p01", "p02", "p03", "p04", "p06", "p10", "p11", "p23", "p27", "p32", "p33", "p34"},
    ),
    "pl_triple_whammy": ({"p06", "p07", "p23"}, {"p06", "p07", "p13", "p23"}),
    # p06's diuretic is 69 days after his NSAID; p07's ramipril is 4 and indapamide 15 days from hers;
    # p23's Coversyl Plus is 9 days from his ibuprofen.
    "pl_triple_whammy_28d": ({"p07", "p23"}, {"p06", "p07", "p13", "p23"}),
    "pl_nsaid_with_anticoagulant": ({"p09"}, {"p09", "p10", "p27", "p28"}),
    "pl_opioid_high_dose_120": ({"p11"}, {"p11", "p12", "p13", "p25", "p26"}),
    "pl_opioid_high_dose_90": ({"p11", "p12"}, {"p11", "p12", "p13", "p25", "p26"}),
    "pl_methotrexate_10mg": ({"p15", "p16"}, {"p14", "p15", "p16"}),
    "pl_methotrexate_both_strengths": ({"p16"}, {"p14", "p15", "p16"}),
    "pl_valproate_female_13_54": ({"p19", "p24"}, {"p07", "p14", "p19", "p20", "p24", "p29"}),
    "pl_valproate_female_0_12": ({"p18"}, {"p18"}),
    "pl_topiramate_female_13_54": ({"p20", "p29"}, {"p07", "p14", "p19", "p20", "p24", "p29"}),
    "pl_gabapentinoid_with_opioid": ({"p13", "p25"}, {"p09", "p13", "p25", "p26"}),
    "pl_anticoagulant_antiplatelet_gi_p3e": ({"p10", "p27"}, {"p09", "p10", "p27"}),
    "pl_sedative_65plus": ({"p05", "p32"}, OVER_65),
    "pl_sedative_75plus": ({"p05"}, OVER_75),
    "pl_antipsychotic_65plus": ({"p10", "p23", "p33", "p34"}, OVER_65),
    "pl_antipsychotic_75plus": ({"p10", "p33", "p34"}, OVER_75),
    "pl_antipsychotic_ld_autism": ({"p08"}, {"p06", "p08", "p13", "p14"}),
}


@pytest.fixture(scope="module")
def march(tmp_path_factory):
    layout = Layout(tmp_path_factory.mktemp("patient"))
    summary = load_extract(EXTRACT, layout)
    result = compute_patient_month(layout, "2026-03")
    return layout, summary, result


def members(layout):
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT indicator_id, role, patient_id, practice_code FROM read_parquet($p)",
            {"p": str(warehouse_file(layout, "patient_members", "2026-03"))},
        ).fetchall()
    return rows


def test_extract_is_loaded_whole(march):
    _, summary, result = march
    assert (summary.prescriptions, summary.registrations, summary.patients) == (
        65,
        35,
        34,
    )  # 15 rows, 10 registrations and 10 patients at P00003 since issue 30
    assert (summary.first_issue, summary.last_issue) == ("2025-12-31", "2026-04-01")
    assert (str(result.window_start), str(result.window_end)) == ("2026-01-01", "2026-03-31")
    assert summary.flags == ("learning_disability_or_autism",) and result.not_computed == {}


@pytest.mark.parametrize("indicator_id", sorted(EXPECTED))
def test_expected_patients(march, indicator_id):
    layout, _, _ = march
    rows = members(layout)
    got_num = {p for i, r, p, _ in rows if i == indicator_id and r == "numerator"}
    got_den = {p for i, r, p, _ in rows if i == indicator_id and r == "denominator"}
    assert (got_num, got_den) == EXPECTED[indicator_id]


def test_patient_who_moved_counts_at_the_new_practice(march):
    layout, _, _ = march
    assert {pc for i, r, p, pc in members(layout) if p == "p06"} == {"P00002"}


def test_practice_values(march):
    layout, _, result = march
    with duckdb.connect() as con:
        rows = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "SELECT indicator_id, practice_code, numerator, denominator, value FROM read_parquet($p)",
                {"p": str(result.values_path)},
            ).fetchall()
        }
    # P00001: p01, p03 unprotected of p01, p03, p04, p05; P00002: p06 and p23 of p06 and p23.
    assert rows[("pl_nsaid_no_gastroprotection_65plus", "P00001")] == (2.0, 4.0, 50.0)
    assert rows[("pl_nsaid_no_gastroprotection_65plus", "P00002")] == (2.0, 2.0, 100.0)
    # P00001: p19 and p24 of its females aged 13-54 (p14, p19, p20, p24; p07 is at P00002) -> 2 / 4 per 1,000.
    assert rows[("pl_valproate_female_13_54", "P00001")] == (2.0, 4.0, pytest.approx(500.0))
    assert rows[("pl_valproate_female_13_54", "P00002")] == (0.0, 1.0, 0.0)
    # No anticoagulant patients at P00001: a denominator of 0 gives no value.
    assert rows[("pl_nsaid_with_anticoagulant", "P00001")] == (0.0, 0.0, None)
    # STOMP: P00002 p08 of p06, p08, p13; P00001 none of p14.
    assert rows[("pl_antipsychotic_ld_autism", "P00002")] == (1.0, 3.0, pytest.approx(100 / 3))
    assert rows[("pl_antipsychotic_ld_autism", "P00001")] == (0.0, 1.0, 0.0)


def _without_column(text: str, column: str) -> str:
    lines = [line.split(",") for line in text.splitlines()]
    at = lines[0].index(column)
    return "".join(",".join(cells[:at] + cells[at + 1 :]) + "\n" for cells in lines)


@pytest.mark.parametrize("how", ["no column", "column left empty"])
def test_an_extract_without_the_flag_leaves_stomp_out_and_the_rest_unchanged(tmp_path, march, how):
    layout, _, _ = march
    folder = tmp_path / "no_flag"
    reg = (EXTRACT / "registrations.csv").read_text()
    if how == "no column":
        reg = _without_column(reg, "learning_disability_or_autism")
    else:
        reg = (
            "\n".join(
                ",".join(c if i != 6 or n == 0 else "" for i, c in enumerate(line.split(",")))
                for n, line in enumerate(reg.splitlines())
            )
            + "\n"
        )
    _write(folder, "registrations.csv", reg)
    _write(folder, "prescriptions.csv", (EXTRACT / "prescriptions.csv").read_text())
    other = Layout(tmp_path / "data")
    summary = load_extract(folder, other)
    result = compute_patient_month(other, "2026-03")
    assert summary.flags == ()
    assert list(result.not_computed) == ["pl_antipsychotic_ld_autism"]
    assert "no learning_disability_or_autism column" in result.not_computed["pl_antipsychotic_ld_autism"]
    with duckdb.connect() as con:
        ids = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT indicator_id FROM read_parquet($p)", {"p": str(result.values_path)}
            ).fetchall()
        }
    assert ids == set(EXPECTED) - {"pl_antipsychotic_ld_autism"}  # not a row of zeros: no row at all
    assert sorted(members(other)) == sorted(m for m in members(layout) if m[0] != "pl_antipsychotic_ld_autism")


def test_a_lake_file_from_before_the_flag_is_read_as_not_carrying_it(tmp_path):
    # Registrations normalised by an earlier version have no flag column at all.
    layout = Layout(tmp_path / "data")
    load_extract(EXTRACT, layout)
    path = patient_file(layout, "registrations")
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT * EXCLUDE (learning_disability_or_autism) FROM read_parquet($p)) TO $o (FORMAT parquet)",
            {"p": str(path), "o": str(tmp_path / "old.parquet")},
        )
    (tmp_path / "old.parquet").replace(path)
    path.chmod(0o600)  # as its owner makes it after the upgrade (an open patient file is refused)
    result = compute_patient_month(layout, "2026-03")
    assert list(result.not_computed) == ["pl_antipsychotic_ld_autism"]


def _write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_bad_values_are_named_by_file_column_and_row(tmp_path):
    bad = tmp_path / "bad"
    rx = (EXTRACT / "prescriptions.csv").read_text().replace("p03,P00001,2026-01-20", "p03,P00001,2026-01-32")
    _write(
        bad,
        "prescriptions.csv",
        rx.replace("p13,P00002,2026-02-01,0407020C0AAABAB,100", "p13,P00002,2026-02-01,0407020C0AAABAB,ten"),
    )
    _write(
        bad,
        "registrations.csv",
        (EXTRACT / "registrations.csv")
        .read_text()
        .replace("p22,P00001,U", "p22,P00001,X")
        .replace("2000-01-01,,N,", "2000-01-01,,no,"),
    )
    layout = Layout(tmp_path / "data")
    with pytest.raises(ExtractError) as err:
        load_extract(bad, layout)
    text = str(err.value)
    assert "prescriptions.csv: column issue_date, row 4 (line 5): '2026-01-32'" in text
    assert "prescriptions.csv: column quantity, row 25 (line 26): 'ten' — quantity must be a number above 0" in text
    assert "registrations.csv: column sex, row 23 (line 24): 'X' — sex must be F, M or U" in text
    assert (
        "registrations.csv: column learning_disability_or_autism, row 11 (line 12): 'no' — "
        "learning_disability_or_autism must be Y, N or empty (not recorded) (1 row in all)"
    ) in text
    assert not patient_file(layout, "prescriptions").exists()  # nothing published


def test_missing_column_and_failed_load_keep_the_last_good_extract(tmp_path):
    layout = Layout(tmp_path / "data")
    load_extract(EXTRACT, layout)
    before = patient_file(layout, "prescriptions").read_bytes()
    bad = tmp_path / "bad"
    _write(bad, "prescriptions.csv", (EXTRACT / "prescriptions.csv").read_text().replace("issue_date", "date"))
    _write(bad, "registrations.csv", (EXTRACT / "registrations.csv").read_text())
    with pytest.raises(ExtractError, match=r"prescriptions.csv: missing column\(s\) \['issue_date'\]"):
        load_extract(bad, layout)
    assert patient_file(layout, "prescriptions").read_bytes() == before


def test_parquet_input_gives_the_same_members(tmp_path, march):
    layout, _, _ = march
    folder = tmp_path / "pq"
    folder.mkdir()
    with duckdb.connect() as con:
        for name in ("prescriptions", "registrations"):
            # typed columns, as a supplier's Parquet would have them (dates as DATE, quantity as DOUBLE)
            con.execute(
                "COPY (SELECT * FROM read_csv($src)) TO $dst (FORMAT parquet)",
                {"src": str(EXTRACT / f"{name}.csv"), "dst": str(folder / f"{name}.parquet")},
            )
    other = Layout(tmp_path / "data")
    load_extract(folder, other)
    compute_patient_month(other, "2026-03")
    assert sorted(members(other)) == sorted(members(layout))


def test_row_numbers_follow_the_file_when_the_read_is_parallel(tmp_path):
    # ~20 MB of CSV, so DuckDB splits the read across threads; the bad row is near the end.
    folder = tmp_path / "big"
    folder.mkdir()
    line = "p{0},P00001,2026-01-15,1001010J0AAAEAE,84\n"
    rows = [line.format(i) for i in range(400_000)]
    rows[399_990] = "p399990,P00001,2026-01-15,1001010J0AAAEAE,-3\n"
    (folder / "prescriptions.csv").write_text("patient_id,practice_code,issue_date,bnf_code,quantity\n" + "".join(rows))
    (folder / "registrations.csv").write_text((EXTRACT / "registrations.csv").read_text())
    with pytest.raises(ExtractError, match=r"column quantity, row 399991 \(line 399992\): '-3'"):
        load_extract(folder, Layout(tmp_path / "data"))


def test_synthetic_extract_is_seeded_and_plausible(tmp_path):
    from pipelines.datasets.patient.sample import generate, write_patient_sample
    from pipelines.months import month_range

    practices = [f"S{k:05d}" for k in range(40)]
    months = month_range("2025-11:2026-03")
    first, again = generate(practices, months, 3000, seed=5), generate(practices, months, 3000, seed=5)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    # The hand-made edge cases ride along, moved to the first two practices.
    assert set(first[1].filter(pl.col("patient_id").is_in(["p06", "p18"]))["practice_code"]) == {"S00000", "S00001"}
    write_patient_sample(tmp_path / "x", practices, months, 100_000, seed=11, fmt="parquet")
    layout = Layout(tmp_path / "data")
    load_extract(tmp_path / "x", layout)
    result = compute_patient_month(layout, "2026-03")
    with duckdb.connect() as con:
        rates = dict(
            con.execute(
                "SELECT indicator_id, 100 * sum(numerator) / sum(denominator) FROM read_parquet($p) "
                "GROUP BY indicator_id",
                {"p": str(result.values_path)},
            ).fetchall()
        )
    # Broad bands around PINCER's published rates (research note §1.5): GI_P3A 3.6 % of patients at any
    # time over two years (monthly practice means ~1 %), anticoagulant + NSAID 4.4 % (monthly ~1.4 %).
    assert 0.3 < rates["pl_nsaid_gi_p3a"] < 3
    assert 1 < rates["pl_nsaid_with_anticoagulant"] < 8
    assert 0.5 < rates["pl_triple_whammy"] < 5
    assert rates["pl_opioid_high_dose_120"] < rates["pl_opioid_high_dose_90"] < 15
    assert rates["pl_methotrexate_both_strengths"] < rates["pl_methotrexate_10mg"] < 15
    assert rates["pl_triple_whammy_28d"] <= rates["pl_triple_whammy"]
    # STOMP: ~15 % of flagged patients aged 10+ are given an antipsychotic in the sample (assumed), far
    # above the over-65s' rate.
    assert 5 < rates["pl_antipsychotic_ld_autism"] < 30
    assert rates["pl_antipsychotic_ld_autism"] > 3 * rates["pl_antipsychotic_65plus"]


def test_every_registration_flag_is_staged_checked_typed_and_read():
    # A flag is declared once (indicators/model.py RegistrationFlag); the SQL that stages, types, detects and
    # reads it names each column, and the suite checks its values: adding a flag without them fails here.
    from pipelines.datasets.patient.contract import REGISTRATION_FLAGS
    from pipelines.datasets.patient.suite import RULES
    from pipelines.sqlfiles import load_sql

    assert REGISTRATION_FLAGS == ("learning_disability_or_autism",)
    for flag in REGISTRATION_FLAGS:
        for name in ("stage_registrations", "normalise_registrations", "flags_carried", "members"):
            assert flag in load_sql(f"patient/{name}"), (flag, name)
        assert any(rule.column == flag for rule in RULES["registrations"])
