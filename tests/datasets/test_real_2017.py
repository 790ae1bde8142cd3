"""Golden test on a real September 2017 month: NHS Digital's real quinary-age file (4 practices, the 2017
layout where age bands come only by MALE and FEMALE) and an EPD file in the area-team layout of the time
with real NHSBSA codes and their abbreviated 2020-list names. Every expected figure is worked by hand
from the lines quoted in the comments.

The 2017 file (tests/fixtures/nhs_digital/, byte for byte from the research notes' data/real/):
  B85010  ALL,ALL 6939; FEMALE 65-69..95+ 160 162 118 100 65 29 7 = 641; MALE 174 142 111 70 39 10 5 = 551
          -> 65+ = 1,192; 75+ = (118+100+65+29+7) + (111+70+39+10+5) = 319 + 235 = 554
          0-14 = (212+216+208) + (233+240+200) = 636 + 673 = 1,309; 15-19 = 186 + 212 = 398
          adults = 6939 - 1309 - 0.6 x 398 = 5,391.2
  L84018  ALL,ALL 6632; 65+ = (209+194+133+122+82+50+20) + (194+192+114+84+46+17+2) = 810 + 649 = 1,459
No single-year female file is used for this month, so the female denominators are NULL and said to be.
"""

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.datasets.nhs_digital.files import ListSizeError
from pipelines.datasets.nhs_digital.list_sizes import ingest_list_sizes
from pipelines.indicators.engine import compute_practice_month
from pipelines.layout import Layout
from pipelines.tables import lake_file
from tests.epd_fixtures import LEGACY_AREA_TEAM_HEADER

A = pytest.approx
QUIN_2017 = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "nhs_digital"
    / "2017-09_gp-reg-pat-prac-quin-age_4_practices.csv"
)

# Organisations as the area-team-era EPD gave them (region, area team, CCG as PCO).
B85010 = (
    '"NORTH OF ENGLAND","Y54","WEST YORKSHIRE AREA TEAM","Q52","NHS GREATER HUDDERSFIELD CCG","03A",'
    '"DALTON SURGERY","B85010","DALTON SURGERY","NORTH ROAD","HUDDERSFIELD","","HD5 8DY"'
)
L84018 = (
    '"SOUTH OF ENGLAND","Y57","BATH, GLOUCESTERSHIRE, SWINDON AND WILTSHIRE AREA TEAM","Q64",'
    '"NHS GLOUCESTERSHIRE CCG","11M","CIRENCESTER HEALTH GROUP","L84018","THE AVENUE","CIRENCESTER","",'
    '"","GL7 1EH"'
)
# (org, chemical, chemical name, code, 2020-list name, QUANTITY, ITEMS, ADQUSAGE)
ROWS = [
    (B85010, "1001010P0", "Naproxen", "1001010P0AAAEAE", "Naproxen_Tab 500mg", 28, 3, 42),
    (B85010, "0205051R0", "Ramipril", "0205051R0AAADAD", "Ramipril_Cap 10mg", 28, 5, 140),
    (
        B85010,
        "020400040",
        "Co-Tenidone (Atenolol/Chlortalidone)",
        "020400040AAAAAA",
        "Co-Tenidone_Tab 50mg/12.5mg",
        28,
        2,
        56,
    ),
    (
        B85010,
        "0407010F0",
        "Co-Codamol (Codeine Phos/Paracetamol)",
        "0407010F0AAAHAH",
        "Co-Codamol_Tab 30mg/500mg",
        100,
        4,
        0,
    ),
    (
        B85010,
        "0407010F0",
        "Co-Codamol (Codeine Phos/Paracetamol)",
        "0407010F0AAAAAA",
        "Co-Codamol_Tab 8mg/500mg",
        32,
        1,
        0,
    ),
    (
        B85010,
        "0407020AD",
        "Oxycodone Hydrochloride",
        "0407020ADAAAAAA",
        "Oxycodone HCl_Oral Soln 5mg/5ml S/F",
        250,
        1,
        0,
    ),
    (B85010, "0407020B0", "Buprenorphine", "0407020B0AAAHAH", "Buprenorphine_Patch 5mcg/hr (7day)", 4, 2, 0),
    (L84018, "1001010J0", "Ibuprofen", "1001010J0AAAEAE", "Ibuprofen_Tab 400mg", 24, 2, 16),
]


def _num(value) -> str:
    return f'"{value:g}."' if float(value).is_integer() else f'"{value:g}"'


def epd_2017() -> bytes:
    lines = [
        f'201709,{org},"{chem}","{chem_name}","{code}","{name}","XX: Chapter",{_num(q)},{items},'
        f'{_num(q * items)},{_num(adq)},{_num(1.1 * items)},{_num(1.0 * items)},"N"'
        for org, chem, chem_name, code, name, q, items, adq in ROWS
    ]
    return LEGACY_AREA_TEAM_HEADER + ("\n".join(lines) + "\n").encode("latin-1")


def run_2017(root: Path) -> list[str]:
    """September 2017 as published, written under `root` (epd/EPD_201709.csv, and NHS Digital's quinary-age
    file alone in lists/2017-09/): the `msi run` arguments that read it (the data directory left to the caller)."""
    (root / "epd").mkdir(parents=True, exist_ok=True)
    (root / "lists" / "2017-09").mkdir(parents=True, exist_ok=True)
    (root / "epd" / "EPD_201709.csv").write_bytes(epd_2017())
    (root / "lists" / "2017-09" / "gp-reg-pat-prac-quin-age.csv").write_bytes(QUIN_2017.read_bytes())
    months = ["--source", "local", "--months", "2017-09"]
    return ["run", *months, "--epd-dir", str(root / "epd"), "--list-size-dir", str(root / "lists")]


@pytest.fixture(scope="module")
def month_2017(tmp_path_factory):
    root = tmp_path_factory.mktemp("real2017")
    layout = Layout(root / "data")
    folder = root / "lists" / "2017-09"
    folder.mkdir(parents=True)
    shutil.copy(QUIN_2017, folder / "gp-reg-pat-prac-quin-age.csv")
    lists = ingest_list_sizes(folder, "2017-09", layout)
    epd = root / "T201709PDPI+BNFT.csv"
    epd.write_bytes(epd_2017())
    ingest_epd_month(epd, "2017-09", layout)
    result = compute_practice_month(layout, "2017-09")
    with duckdb.connect() as con:
        sizes = {
            r[0]: r
            for r in con.execute(
                "SELECT practice_code, patients, aged_65_plus, aged_75_plus, aged_0_14, aged_15_19, female, male, "
                "female_13_54 FROM read_parquet($p)",
                {"p": str(lake_file(layout, "list_sizes", "2017-09"))},
            ).fetchall()
        }
        values = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "SELECT indicator_id, practice_code, numerator, denominator, value FROM read_parquet($p)",
                {"p": str(result.values_path)},
            ).fetchall()
        }
    return lists, sizes, values, result


def test_2017_quinary_layout_gives_every_age_denominator(month_2017):
    lists, sizes, _, _ = month_2017
    assert lists["practices"] == 4 and lists["female_file"] is False
    assert sizes["B85010"][1:8] == (6939, 1192, 554, 1309, 398, 3517, 3422)
    assert sizes["L84018"][1:3] == (6632, 1459)
    assert sizes["B85010"][8] is None  # no single-year female file that month: NULL, and the result says so


def test_nsaids_per_65_plus_and_adults_have_values(month_2017):
    _, _, values, _ = month_2017
    assert values[("nsaid_per_1000_65plus", "B85010")] == (3, 1192, A(3 / 1192 * 1000))
    assert values[("nsaid_per_1000_65plus", "L84018")] == (2, 1459, A(2 / 1459 * 1000))
    # Triple whammy: NSAID 42/30 ADQ a day x min(ramipril 140/30, co-tenidone 56/30) / adults 5,391.2.
    # Co-tenidone (atenolol/chlortalidone) is a diuretic combination: without it the practice would have none.
    expected = (42 / 30) * (56 / 30) / 5391.2
    num, den, val = values[("triple_whammy_expected_per_1000_adults", "B85010")]
    assert (num, den, val) == (A(expected), A(5391.2), A(expected / 5391.2 * 1000))


def test_ome_from_2017_names(month_2017):
    _, _, values, result = month_2017
    # Co-codamol 30/500: 400 x 30 x 0.1 = 1,200; co-codamol 8/500: 32 x 8 x 0.1 = 25.6; oxycodone 5mg/5ml:
    # 250 ml x 1 mg/ml x 1.5 = 375; buprenorphine 5 micrograms/hour seven-day: 8 x 0.005 x 168 x 100 = 672.
    ome = 1200 + 25.6 + 375 + 672
    assert values[("opioid_ome_per_1000_day", "B85010")] == (A(ome), 6939, A(ome / 6939 * 1000 / 30))
    assert (result.opioid_items_in_scope, result.opioid_items_without_ome) == (4 + 1 + 1 + 2, 0)


def test_a_practice_without_age_bands_stops_the_month(tmp_path):
    folder = tmp_path / "2017-09"
    folder.mkdir()
    lines = QUIN_2017.read_bytes().splitlines(keepends=True)
    # Drop every age-band row of L84018, leaving its totals: 65+ cannot be derived for a practice listed.
    kept = [line for line in lines if not (b",L84018," in line and b",ALL\r" not in line and b",ALL," not in line)]
    (folder / "gp-reg-pat-prac-quin-age.csv").write_bytes(b"".join(kept))
    with pytest.raises(
        ListSizeError,
        match=r"cannot derive patients|cannot derive aged_65_plus for 1 practice\(s\) it lists \(first: L84018\)",
    ):
        ingest_list_sizes(folder, "2017-09", Layout(tmp_path / "data"))


def test_the_real_2017_case_end_to_end(tmp_path):
    """`msi run` on September 2017 as published: area-team codes in the EPD file, only the quinary-age
    file (NHS Digital published no practice map and this month has no single-year female file)."""
    from click.testing import CliRunner

    from pipelines.cli import main

    data = tmp_path / "data"
    result = CliRunner().invoke(main, [*run_2017(tmp_path), "--data-dir", str(data), "--no-report"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "all passed" in said  # the GE suite checked Q52/Q64 as area-team codes
    assert "no gp-reg-pat-prac-sing-age-female, gp-reg-pat-prac-map file(s)" in said
    assert "valproate has no denominator" in said and "no practice map at all" in said
    with duckdb.connect(str(data / "warehouse" / "msi.duckdb"), read_only=True) as con:
        rows = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                "SELECT indicator_id, org_code, numerator, denominator, value FROM indicator_values "
                "WHERE geography = 'as_published' AND org_type IN ('practice', 'icb')"
            ).fetchall()
        }
    assert rows[("nsaid_per_1000_65plus", "B85010")] == (3, 1192, A(3 / 1192 * 1000))
    assert rows[("nsaid_per_1000_65plus", "Q64")] == (2, 1459, A(2 / 1459 * 1000))  # L84018's area team
    assert rows[("valproate_per_1000_female_13_54", "B85010")] == (0, None, None)
    ome = 1200 + 25.6 + 375 + 672
    assert rows[("opioid_ome_per_1000_day", "Q52")] == (A(ome), 6939, A(ome / 6939 * 1000 / 30))
