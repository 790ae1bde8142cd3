"""The PINCER second check on a SNOMED-coded month (pipelines/verdicts/pincer_agreement.py), on six rows made by
hand. Codes and dm+d ids were looked up in NHSBSA's 2024 list and the PINCER CSVs with grep:
Apixaban 5mg tablets 0208020Z0AAABAB = dm+d 703908001 (pincer-anticoag.csv); Toremifene 60mg tablets
0803041U0AAAAAA = 327375009 (pincer-diur.csv, a stray the diuretic group declares); Ibuprofen 400mg tablets
1001010J0AAAEAE (PINCER's VMP is 329653008); the other ids are made up, in no list."""

import polars as pl

from pipelines.verdicts.pincer_agreement import pincer_agreement

MADE_UP = "40000011000001102"  # a dm+d-shaped id no PINCER list holds (a pack newer than the lists, say)


def _month(tmp_path, rows):
    path = tmp_path / "prescribing.parquet"
    pl.DataFrame(rows, schema=["bnf_code", "bnf_name", "snomed_code", "items"], orient="row").write_parquet(path)
    return path


def test_agreement_declared_and_undeclared_differences(tmp_path):
    path = _month(
        tmp_path,
        [
            ("0208020Z0AAABAB", "Apixaban 5mg tablets", "703908001", 10),  # both sides: agree
            ("0208020S0AAAAAA", "Phenprocoumon 3mg tablets", "50000011000001107", 2),  # group only, declared
            ("0803041U0AAAAAA", "Toremifene 60mg tablets", "327375009", 3),  # PINCER only, declared
            ("1001010J0AAAEAE", "Ibuprofen 400mg tablets", "329653008", 7),  # both sides: agree
            ("1001010J0AAAEAE", "Ibuprofen 400mg tablets", MADE_UP, 5),  # group only, undeclared
            ("0601022B0AAABAB", "Metformin 500mg tablets", "60000011000001101", 40),  # neither side
            ("1001010J0AAAEAE", "Ibuprofen 400mg tablets", None, 9),  # no dm+d code: not compared
        ],
    )
    result = pincer_agreement(path)
    assert result.checked and not result.passed
    got = {
        (d.group, d.pincer_list, d.side, d.bnf_code, d.snomed_code, d.items, d.declared is not None)
        for d in result.disagreements
    }
    assert got == {
        ("oral_anticoagulant", "anticoag", "group only", "0208020S0AAAAAA", "50000011000001107", 2, True),
        ("diuretic", "diur", "pincer only", "0803041U0AAAAAA", "327375009", 3, True),
        ("nsaid", "nsaid", "group only", "1001010J0AAAEAE", MADE_UP, 5, False),
    }
    assert [d.bnf_code for d in result.undeclared] == ["1001010J0AAAEAE"]
    said = result.description()
    assert said.startswith("1 presentation x dm+d code pairs") and "2 more are declared" in said
    assert "Ibuprofen 400mg tablets (1001010J0AAAEAE, dm+d 40000011000001102, 5 items)" in said


def test_a_month_without_snomed_codes_is_not_compared(tmp_path):
    path = _month(tmp_path, [("1001010J0AAAEAE", "Ibuprofen_Tab 400mg", None, 9)])
    result = pincer_agreement(path)
    assert not result.checked and result.passed and "no SNOMED codes" in result.description()
