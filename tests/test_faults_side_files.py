"""Fault injection, the files beside the EPD: one changed NHS Digital file at a time, through `msi run`,
against a data directory that holds a good January 2026 (the 17 real EPD rows and NHS Digital's three files
for their practices, tests/nhs_digital_fixtures.py). For every case: the exit status, the line the user
reads, and the sha256 of every lake and warehouse file before and after.

Before this suite, each of these ran to exit 0 and changed published numbers (England's denominator,
NSAID items, a phantom ICB workbook). Now each stops the month naming the file, the rule and its rows, and
nothing of the month is published, the EPD file included; and a refused EPD file publishes no list sizes
or map."""

from pathlib import Path

import pytest

from tests.epd_fixtures import REAL_ROWS
from tests.fault_runs import copy_data, digests, good_month, month_inputs, one_line, run
from tests.nhs_digital_fixtures import female_text, map_text, quin_text

QUIN, FEMALE, MAP = "gp-reg-pat-prac-quin-age.csv", "gp-reg-pat-prac-sing-age-female.csv", "gp-reg-pat-prac-map.csv"
P85002_TOTAL = "GP_PRAC_PAT_LIST,01JAN2026,GP,P85002,,OL1 3UL,ALL,ALL,5830\n"
P85002_MAP = next(line for line in map_text().splitlines(keepends=True) if ",P85002," in line)


def _lines(text: str, practice: str) -> list[str]:
    return [line for line in text.splitlines(keepends=True) if f",{practice}," in line]


# (case, file, its changed text, what the user must read)
CASES = [
    (
        "a list size of 10,000,000",
        QUIN,
        quin_text().replace(P85002_TOTAL, P85002_TOTAL.replace(",5830", ",10000000")),
        f"{QUIN} for 2026-01 refused by the quinary-age list size expectations: NUMBER_OF_PATIENTS is at most 300,000 "
        "(the largest real practice list is 108,789): 1 unexpected, e.g. ['line 65; org_code P85002; sex ALL; "
        "age ALL; patients 10000000']",
    ),
    (
        "a list size of -6,000",
        QUIN,
        quin_text().replace(P85002_TOTAL, P85002_TOTAL.replace(",5830", ",-6000")),
        "NUMBER_OF_PATIENTS is a whole number, not negative: 1 unexpected, e.g. ['line 65; org_code P85002; sex ALL; "
        "age ALL; patients -6000']",
    ),
    (
        "a count that is not a whole number",
        QUIN,
        quin_text().replace(P85002_TOTAL, P85002_TOTAL.replace(",5830", ",5830.5")),
        "NUMBER_OF_PATIENTS is a whole number, not negative: 1 unexpected",
    ),
    (
        "a practice's list-size rows repeated",
        QUIN,
        quin_text() + "".join(_lines(quin_text(), "P85002")),
        "one row per practice x SEX x AGE_GROUP_5: 18 unexpected, e.g. ['line 66; org_code P85002; sex ALL; "
        "age 30_34; patients 4374', 'line 84; org_code P85002; sex ALL; age 30_34; patients 4374'",
    ),
    (
        "the sexes do not add up to the total",
        QUIN,
        quin_text().replace(P85002_TOTAL, P85002_TOTAL.replace(",5830", ",6830")),
        "MALE + FEMALE add up to the total (SEX ALL), short of it by at most 10 patients or 0.5%: 1 unexpected, "
        "e.g. ['line 65; org_code P85002; sex ALL; age ALL; published 6830; parts 5830']",
    ),
    (
        "an age band that does not add up",
        QUIN,
        quin_text().replace("GP,P85002,,OL1 3UL,ALL,30_34,4374", "GP,P85002,,OL1 3UL,ALL,30_34,4375"),
        "each sex's age bands add up to its total (AGE_GROUP_5 ALL): 1 unexpected, e.g. ['line 65; org_code "
        "P85002; sex ALL; age ALL; published 5830; parts 5831']",
    ),
    (
        "a practice code that is not one",
        QUIN,
        quin_text().replace(",P85002,", ",P8500,"),
        "ORG_CODE is a GP practice code (a letter and five digits): 9 unexpected",
    ),
    (
        "single-year rows repeated",
        FEMALE,
        female_text() + "".join(_lines(female_text(), "P85003")),
        f"{FEMALE} for 2026-01 refused by the single-year female list size expectations: one row per practice x AGE: "
        "6 unexpected",
    ),
    (
        "single years that do not add up",
        FEMALE,
        female_text().replace("OL1 3UL,FEMALE,32,2187", "OL1 3UL,FEMALE,32,2188"),
        "the single years of age add up to the practice's total (AGE ALL): 1 unexpected, e.g. ['line 23; org_code "
        "P85002; sex FEMALE; age ALL; published 2915; parts 2916']",
    ),
    (
        "a practice twice in the map (two ICBs)",
        MAP,
        map_text() + P85002_MAP.replace(",QOP,", ",QKK,"),
        f"{MAP} for 2026-01 refused by the practice map expectations: one row per practice (a practice listed twice "
        "would count twice, perhaps in two ICBs): 2 unexpected, e.g. ['line 9; practice_code P85002; pcn_code U14327; "
        "sub_icb_code 00Y; icb_code QOP; region_code Y62', 'line 11; practice_code P85002; pcn_code U14327; "
        "sub_icb_code 00Y; icb_code QKK",
    ),
    (
        "an ICB code that is no ICB (QZZ)",
        MAP,
        map_text().replace(",QOP,", ",QZZ,"),
        "the ICB (STP) code is one of the 42 ICB codes of July 2022 - March 2026: 2 unexpected, e.g. ['line 9; "
        "practice_code P85002; pcn_code U14327; sub_icb_code 00Y; icb_code QZZ",
    ),
    (
        "a sub-ICB in two ICBs",
        MAP,
        map_text().replace(P85002_MAP, P85002_MAP.replace(",QOP,", ",QKK,")),
        "each sub-ICB (CCG) lies in one ICB (STP): 2 unexpected",
    ),
    (
        "a sub-ICB code of 4 characters",
        MAP,
        map_text().replace(",00Y,", ",00YY,"),
        "the sub-ICB (CCG) code has 3 or 5 letters and digits: 2 unexpected",
    ),
    (
        "a PCN code that is not one",
        MAP,
        map_text().replace(",U14327,", ",U1432,"),
        "PCN_CODE is 'U' and five digits, 'U' (no PCN) or blank: 2 unexpected",
    ),
    (
        "a region that is none of the 7",
        MAP,
        map_text().replace(",Y62,", ",Y99,"),
        "COMM_REGION_CODE is one of the 7 NHS England regions: 2 unexpected",
    ),
    (
        "a list-size file in UTF-16",
        QUIN,
        quin_text(),
        f"{QUIN} for 2026-01: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); NHSBSA and NHS "
        "Digital publish UTF-8 or Latin-1 CSV",
    ),
    (
        "a map row of another month",
        MAP,
        map_text().replace(P85002_MAP, P85002_MAP.replace("01JAN2026", "01DEC2025")),
        "EXTRACT_DATE is the same on every row: 1 unexpected, e.g. ['line 9; practice_code P85002",
    ),
]


def _month(root: Path, changed: dict[str, bytes] | None = None, epd: bytes | None = None) -> tuple[Path, Path]:
    return month_inputs(root, changed, epd)


@pytest.fixture(scope="module")
def good_data(tmp_path_factory):
    return good_month(tmp_path_factory.mktemp("good_side_files"))


@pytest.mark.parametrize("case, name, text, says", CASES, ids=[c[0] for c in CASES])
def test_side_file_fault(good_data, tmp_path, case, name, text, says):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    epd, lists = _month(tmp_path, {name: text.encode("utf-16" if "UTF-16" in case else "latin-1")})
    result = run(epd, lists, data)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert says in output, output
    assert "Nothing of 2026-01 was published" in output and "Traceback" not in result.output
    assert digests(data) == before  # lake and warehouse, byte for byte


def test_a_refused_side_file_publishes_no_epd_month(good_data, tmp_path):
    """A new, good EPD file for the month with a refused map: the new EPD rows are not published either."""
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    restated = REAL_ROWS.read_bytes().replace(b'"28.",5,"140."', b'"28.",6,"168."')  # a republished row, consistent
    epd, lists = _month(tmp_path, {MAP: map_text().replace(",QOP,", ",QZZ,").encode()}, epd=restated)
    result = run(epd, lists, data)
    assert result.exit_code == 1 and "practice map expectations" in one_line(result), one_line(result)
    assert digests(data) == before


def test_a_refused_epd_month_publishes_no_side_files(good_data, tmp_path):
    """Good new list sizes (a practice grew by 100 patients, every sum still agreeing) with a refused EPD file:
    the new list sizes are not published either."""
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    grown = (
        quin_text()
        .replace(P85002_TOTAL, P85002_TOTAL.replace(",5830", ",5930"))
        .replace("GP,P85002,,OL1 3UL,ALL,30_34,4374", "GP,P85002,,OL1 3UL,ALL,30_34,4474")
        .replace("GP,P85002,,OL1 3UL,MALE,ALL,2915", "GP,P85002,,OL1 3UL,MALE,ALL,3015")
        .replace("GP,P85002,,OL1 3UL,MALE,30_34,2187", "GP,P85002,,OL1 3UL,MALE,30_34,2287")
    )
    assert grown != quin_text()
    good_epd, lists = _month(tmp_path / "alone", {QUIN: grown.encode()})
    assert run(good_epd, lists, tmp_path / "alone" / "data").exit_code == 0  # the grown file passes on its own
    bad_epd, _ = _month(tmp_path / "bad", epd=REAL_ROWS.read_bytes().replace(b'"QOP"', b'"Q52"'))  # another era's code
    result = run(bad_epd, lists, data)
    assert result.exit_code == 1 and "refused by the prescribing expectations" in one_line(result), one_line(result)
    assert digests(data) == before


def test_a_list_size_csv_beside_a_different_zip_is_refused(good_data, tmp_path):
    import zipfile

    data = copy_data(good_data, tmp_path)
    before = digests(data)
    epd, lists = _month(tmp_path)
    grown = quin_text().replace("GP,P85002,,OL1 3UL,ALL,30_34,4374", "GP,P85002,,OL1 3UL,ALL,30_34,4375")
    with zipfile.ZipFile(lists / "2026-01" / "gp-reg-pat-prac-quin-age.zip", "w") as zf:
        zf.writestr(QUIN, grown)
    result = run(epd, lists, data)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert "gp-reg-pat-prac-quin-age for 2026-01: 2 different files" in output and QUIN in output, output
    assert "gp-reg-pat-prac-quin-age.zip" in output and digests(data) == before
