"""The built-in sample looks like England and is written in the published formats."""

import hashlib

import polars as pl
import pytest

from pipelines.datasets.epd.flavours import detect_flavour
from pipelines.datasets.epd.sample import REFERENCE as REFERENCE_DIR
from pipelines.datasets.epd.sample_file import epd_filename, epd_flavour_for
from pipelines.datasets.nhs_digital.sample_files import extract_date_text
from pipelines.datasets.sample import write_sample_month
from pipelines.sample.organisations import build_england
from pipelines.textfiles import parse_header_line

REFERENCE = REFERENCE_DIR / "bnf_presentations.csv"


@pytest.fixture(scope="module")
def england():
    return build_england()


def test_icbs_before_and_after_april_2026(england):
    before, after = england.geography("2026-03"), england.geography("2026-04")
    assert before.filter(pl.col("setting") == 4)["icb_code"].n_unique() == 42
    assert after.filter(pl.col("setting") == 4)["icb_code"].n_unique() == 36
    assert {"S1Y5D", "D7T5G", "T6Y0W", "Z9B2Z", "S9B9J", "S0E4D"} <= set(after["icb_code"])
    assert len(set(after["icb_code"]) & {"QHG", "QUE", "QM7", "QNQ", "QXU", "QNX"}) == 0
    # Frimley (QNQ) practices are split three ways: Thames Valley, Surrey and Sussex, Hampshire and IoW.
    frimley = before.filter(pl.col("icb_code") == "QNQ")["practice_code"]
    moved = after.filter(pl.col("practice_code").is_in(frimley.to_list()))
    assert set(moved["icb_code"]) == {"S0E4D", "S9B9J", "QRL"}
    assert england.geography("2026-01").filter(pl.col("practice_code") == "P85002")["icb_code"].item() == "QOP"


def test_practices_and_list_sizes_look_like_england(england):
    gp = england.practices.filter(pl.col("setting") == 4)
    assert 6200 <= gp.height <= 6400
    assert 58e6 <= gp["list_size_base"].sum() <= 66e6
    assert england.practices.filter(pl.col("setting") != 4).height >= 300  # non-GP cost centres
    real = {"P85002", "P85003", "M83038", "K83010", "M88610", "G85034", "C84656", "M81069", "L83113"}
    assert real <= set(gp["practice_code"])


@pytest.mark.parametrize(
    "month, filename, flavour, geography",
    [
        ("2026-01", "EPD_SNOMED_202601.csv", "snomed_2025", "ICB"),
        ("2025-02", "EPD_SNOMED_202502.csv", "snomed_legacy", "ICB"),
        ("2021-06", "EPD_SNOMED_202106.csv", "snomed_legacy", "STP"),
        ("2019-05", "EPD_201905.csv", "epd_legacy", "STP"),
    ],
)
def test_dataset_and_flavour_by_month(month, filename, flavour, geography):
    assert epd_filename(month) == filename
    f = epd_flavour_for(month)
    assert (f.name, f.geography) == (flavour, geography)


def test_extract_date_eras():
    assert [extract_date_text(m) for m in ("2020-09", "2022-01", "2025-07", "2026-04")] == [
        "01-Sep-20",
        "01Jan2022",
        "01JUL2025",
        "2026-04-01",
    ]


@pytest.fixture(scope="module")
def small_month(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return write_sample_month("2026-01", out, practice_fraction=0.03), out


def test_month_file_has_published_quirks(small_month):
    result, _ = small_month
    data = result.epd_path.read_bytes()
    lines = data.splitlines()
    assert detect_flavour(parse_header_line(lines[0])).name == "snomed_2025"
    assert (
        lines[0].startswith(b'"YEAR_MONTH","REGIONAL_OFFICE_NAME"') and b",QUANTITY,ITEMS,TOTAL_QUANTITY," in lines[0]
    )
    body = data[len(lines[0]) :]
    assert b',"-","","","","","",' in body and b'"UNIDENTIFIED DOCTORS"' in body  # unidentified prescribing
    assert b',"Y",' in body and b',"N",' in body
    assert b'998","' in body  # %998 "UNKNOWN SURGERY" cost centres
    assert b'"28.",' in body  # quoted numbers with trailing dots
    # Several rows for one practice x presentation, one per pack size (QUANTITY).
    keys = [(row.split(b",")[8], row.split(b",")[16]) for row in lines[1:] if row.count(b",") == 26]
    assert len(keys) > len(set(keys))
    assert result.rows == len(lines) - 1
    assert all(p.suffix == ".zip" for p in result.list_size_paths)  # NHS Digital zips from late 2025


def test_latin1_practice_names_appear(england):
    names = " ".join(england.practices["name"].to_list())
    assert "CAFÉ" in names or "BRONTË" in names
    assert any(ch.encode("latin-1")[0] >= 0xC0 for ch in names if ord(ch) > 127)


def test_sample_is_deterministic(small_month, tmp_path):
    result, _ = small_month
    again = write_sample_month("2026-01", tmp_path, practice_fraction=0.03)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again.epd_path) == digest(result.epd_path)
    assert [digest(p) for p in again.list_size_paths] == [digest(p) for p in result.list_size_paths]


def test_legacy_dataset_for_months_it_covered(tmp_path):
    result = write_sample_month("2024-03", tmp_path, practice_fraction=0.01, dataset="epd")
    assert result.epd_path.name == "EPD_202403.csv"
    header = result.epd_path.read_bytes().splitlines()[0]
    assert detect_flavour(parse_header_line(header)).name == "epd_legacy"
    assert header.startswith(b'YEAR_MONTH,"REGIONAL_OFFICE_NAME"')  # numeric YYYYMM: unquoted name
    assert result.epd_path.read_bytes().splitlines()[1].startswith(b"202403,")
    with pytest.raises(ValueError, match="legacy EPD dataset ends in June 2025"):
        write_sample_month("2025-07", tmp_path, dataset="epd")


def test_national_presentations_have_well_formed_unique_codes():
    from pipelines.datasets.epd.sample import NATIONAL_FILLER_PRESENTATIONS, presentations

    table = presentations("national")
    reference_rows = len(open(REFERENCE).read().splitlines()) - 1
    other_opioids = table.filter(table["provenance"].str.ends_with("Nov 2024 (rate assumed)")).height
    assert other_opioids > 500  # NHSBSA's other oral, rectal and transdermal opioid presentations
    assert table.height == reference_rows + other_opioids + NATIONAL_FILLER_PRESENTATIONS
    assert presentations("demo").height < reference_rows + other_opioids  # demo keeps only real-row filler
    assert table["bnf_code"].n_unique() == table.height
    assert table["bnf_code"].str.len_chars().is_in([11, 15]).all()
    filler = table.filter(table["provenance"].str.contains("national-scale filler"))
    assert filler.height == NATIONAL_FILLER_PRESENTATIONS
    assert (filler["bnf_code"].str.slice(0, 9) == filler["chem_code"]).all()
    # Never inside a BNF chapter an indicator reads (01 GI, 02 CV, 04 CNS, 08 oncology, 10 MSK).
    assert not filler["bnf_code"].str.slice(0, 2).is_in(["01", "02", "04", "08", "10"]).any()


def test_months_before_november_2020_carry_the_older_abbreviated_names(tmp_path):
    # NHSBSA's names took the dm+d style during 2020; a sample month of 2019 carries the 2020 list's names.
    result = write_sample_month("2019-06", tmp_path, practice_fraction=0.01, dataset="epd")
    text = result.epd_path.read_bytes()
    assert b'"Co-Codamol_Tab 30mg/500mg"' in text and b'"Co-codamol 30mg/500mg tablets"' not in text
    current = write_sample_month("2026-01", tmp_path / "now", practice_fraction=0.01).epd_path.read_bytes()
    assert b'"Co-codamol 30mg/500mg tablets"' in current and b'"Co-Codamol_Tab 30mg/500mg"' not in current


@pytest.mark.parametrize(
    "month, dataset, flavour, geography, list_files",
    [
        ("2015-06", "epd", "epd_legacy", "AREA_TEAM", ["gp-reg-pat-prac-quin-age.csv"]),
        (
            "2019-06",
            "epd",
            "epd_legacy",
            "STP",
            ["gp-reg-pat-prac-map.csv", "gp-reg-pat-prac-quin-age.csv", "gp-reg-pat-prac-sing-age-female.csv"],
        ),
        ("2021-06", None, "snomed_legacy", "STP", None),
        ("2023-06", "epd", "epd_legacy", "ICB", None),
        ("2025-01", None, "snomed_legacy", "ICB", None),
        (
            "2026-01",
            None,
            "snomed_2025",
            "ICB",
            ["gp-reg-pat-prac-map.zip", "gp-reg-pat-prac-quin-age.zip", "gp-reg-pat-prac-sing-age-female.zip"],
        ),
    ],
)
def test_every_era_is_written_in_its_published_layout(tmp_path, month, dataset, flavour, geography, list_files):
    from pipelines.datasets.epd.flavours import source_geography

    result = write_sample_month(month, tmp_path, practice_fraction=0.01, dataset=dataset)
    detected = detect_flavour(parse_header_line(result.epd_path.read_bytes().splitlines()[0]))
    assert (detected.name, detected.geography, source_geography(result.epd_path)) == (flavour, geography, geography)
    if list_files is not None:
        assert sorted(p.name for p in result.list_size_paths) == list_files
    if geography == "AREA_TEAM":  # regional stand-ins in the area-team column, and the 2017 list-size layout
        codes = {line.split(b'","')[3] for line in result.epd_path.read_bytes().splitlines()[1:]}
        assert codes and all(c[:2] == b"Q9" and len(c) == 3 for c in codes)
        quin = result.list_size_paths[0].read_bytes()
        assert quin.endswith(b"\r\n") and b",ALL,65_69," not in quin and b",FEMALE,65_69," in quin
