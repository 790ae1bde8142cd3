"""NHS Digital registered-patient files in each published layout: CSV or ZIP, before and after July
2022, every EXTRACT_DATE form. Expected denominators are summed by hand from the fixture lines."""

import zipfile
from datetime import date

import duckdb
import pytest

from pipelines.datasets.nhs_digital.files import ListSizeError
from pipelines.datasets.nhs_digital.format import parse_extract_date
from pipelines.datasets.nhs_digital.list_sizes import ingest_list_sizes
from pipelines.datasets.nhs_digital.practice_map import ingest_practice_geography
from pipelines.layout import Layout
from pipelines.tables import lake_file

QUIN = """PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS
GP_PRAC_PAT_LIST,{d},Comm Region,Y62,E40000010,,ALL,ALL,7000000
GP_PRAC_PAT_LIST,{d},ICB,QOP,E54000057,,ALL,ALL,3000000
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,ALL,1000
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,FEMALE,ALL,520
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,MALE,ALL,480
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,0_4,60
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,5_9,70
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,10_14,80
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,15_19,90
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,40_44,489
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,60_64,55
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,65_69,50
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,70_74,40
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,75_79,30
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,80_84,20
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,85_89,10
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,90_94,5
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,ALL,95+,1
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,FEMALE,20_24,490
GP_PRAC_PAT_LIST,{d},GP,P85002,,OL1 3UL,FEMALE,65_69,30
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,ALL,12
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,0_4,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,5_9,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,10_14,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,15_19,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,20_24,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,25_29,4
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,30_34,5
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,35_39,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,40_44,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,45_49,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,50_54,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,55_59,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,60_64,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,65_69,3
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,70_74,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,75_79,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,80_84,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,85_89,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,90_94,0
GP_PRAC_PAT_LIST,{d},GP,Y05540,,ST4 6HT,ALL,95+,0
"""
FEMALE_POST_2022 = """PUBLICATION,EXTRACT_DATE,ORG_TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,ORG_CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,ALL,520
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,0,5
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,12,6
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,13,7
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,30,10
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,54,8
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,55,9
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,60,473
GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,P85002,OL1 3UL,FEMALE,95+,2
"""
# Before July 2022: CCG columns, and a `TYPE` column where later files say ORG_TYPE.
FEMALE_PRE_2022 = FEMALE_POST_2022.replace(
    "ORG_TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE", "TYPE,CCG_CODE,ONS_CCG_CODE"
).replace(",00Y,", ",00Y,")
MAP_POST_2022 = """PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME
GP_PRAC_PAT_LIST,{d},P85002,ST MARY'S MEDICAL CENTRE,OL1 3UL,U12345,OLDHAM WEST PCN,E38000135,00Y,NHS GREATER MANCHESTER ICB - 00Y,E54000057,QOP,NHS GREATER MANCHESTER INTEGRATED CARE BOARD,E40000010,Y62,North West,EMIS
"""
MAP_PRE_2022 = """PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_CCG_CODE,CCG_CODE,CCG_NAME,ONS_STP_CODE,STP_CODE,STP_NAME,ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME
GP_PRAC_PAT_LIST,{d},A81001,THE DENSHAM SURGERY,TS18 1HU,U89141,STOCKTON PCN,E38000247,16C,NHS Tees Valley CCG,E54000050,QHM,Cumbria and North East,E40000009,Y63,North East and Yorkshire
"""


def write_month(folder, d, female=FEMALE_POST_2022, mapping=MAP_POST_2022, zipped=False):
    folder.mkdir(parents=True)
    for stem, text in (
        ("gp-reg-pat-prac-quin-age", QUIN),
        ("gp-reg-pat-prac-sing-age-female", female),
        ("gp-reg-pat-prac-map", mapping),
    ):
        payload = text.format(d=d).encode("latin-1")
        if zipped:
            with zipfile.ZipFile(folder / f"{stem}.zip", "w") as zf:
                zf.writestr(f"{stem}.csv", payload)
        else:
            (folder / f"{stem}.csv").write_bytes(payload)
    return folder


def table(path):
    with duckdb.connect() as con:
        rel = con.execute("SELECT * FROM read_parquet($p) ORDER BY practice_code", {"p": str(path)})
        cols = [c[0] for c in rel.description]
        return {r[1]: dict(zip(cols, r)) for r in rel.fetchall()}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("01-Sep-20", date(2020, 9, 1)),
        ("01Jan2022", date(2022, 1, 1)),
        ("01JUL2026", date(2026, 7, 1)),
        ("2026-04-01", date(2026, 4, 1)),
        ("01SEP2017", date(2017, 9, 1)),
    ],
)
def test_extract_date_forms(text, expected):
    assert parse_extract_date(text) == expected


def test_bad_extract_date():
    with pytest.raises(ListSizeError, match="unrecognised EXTRACT_DATE '1st Jan'"):
        parse_extract_date("1st Jan")


@pytest.mark.parametrize(
    "month, d, female, mapping, zipped",
    [
        ("2026-01", "01JAN2026", FEMALE_POST_2022, MAP_POST_2022, False),
        ("2026-04", "2026-04-01", FEMALE_POST_2022, MAP_POST_2022, True),
        ("2022-01", "01Jan2022", FEMALE_PRE_2022, MAP_PRE_2022, False),
        ("2020-09", "01-Sep-20", FEMALE_PRE_2022, MAP_PRE_2022, True),
    ],
)
def test_list_sizes_every_layout(tmp_path, month, d, female, mapping, zipped):
    folder = write_month(tmp_path / month, d, female, mapping, zipped)
    layout = Layout(tmp_path / "data")
    info = ingest_list_sizes(folder, month, layout)
    assert info["practices"] == 2 and info["patients"] == 1012
    rows = table(lake_file(layout, "list_sizes", month))
    p = rows["P85002"]
    assert (p["patients"], p["female"], p["male"]) == (1000, 520, 480)
    assert p["aged_65_plus"] == 50 + 40 + 30 + 20 + 10 + 5 + 1  # 156: ALL-sex rows only, never FEMALE 65_69
    assert p["aged_75_plus"] == 30 + 20 + 10 + 5 + 1
    assert (p["aged_0_14"], p["aged_15_19"]) == (60 + 70 + 80, 90)
    assert p["female_13_54"] == 7 + 10 + 8  # ages 13, 30 and 54; not 12, 55 or 95+
    assert p["female_0_12"] == 5 + 6
    assert rows["Y05540"]["female_13_54"] is None  # no single-year rows for this cost centre
    assert str(p["extract_date"]) == f"{month}-01"


@pytest.mark.parametrize(
    "month, d, mapping, zipped, expected",
    [
        ("2026-01", "01JAN2026", MAP_POST_2022, True, ("P85002", "U12345", "00Y", "QOP", "Y62", "E54000057")),
        ("2022-01", "01Jan2022", MAP_PRE_2022, False, ("A81001", "U89141", "16C", "QHM", "Y63", "E54000050")),
    ],
)
def test_practice_map_both_layouts(tmp_path, month, d, mapping, zipped, expected):
    folder = write_month(tmp_path / month, d, mapping=mapping, zipped=zipped)
    layout = Layout(tmp_path / "data")
    info = ingest_practice_geography(folder, month, layout)
    assert info["practices"] == 1
    row = next(iter(table(lake_file(layout, "practice_geography", month)).values()))
    got = (
        row["practice_code"],
        row["pcn_code"],
        row["sub_icb_code"],
        row["icb_code"],
        row["region_code"],
        row["icb_ons_code"],
    )
    assert got == expected


def test_extract_date_of_another_month_is_refused(tmp_path):
    folder = write_month(tmp_path / "2026-02", "01JAN2026")
    with pytest.raises(ListSizeError, match="EXTRACT_DATE 2026-01-01 is not in 2026-02; wrong folder"):
        ingest_list_sizes(folder, "2026-02", Layout(tmp_path / "data"))


def test_missing_file_is_named(tmp_path):
    folder = write_month(tmp_path / "2026-01", "01JAN2026")
    (folder / "gp-reg-pat-prac-quin-age.csv").unlink()
    with pytest.raises(ListSizeError, match="no gp-reg-pat-prac-quin-age.csv or gp-reg-pat-prac-quin-age.zip"):
        ingest_list_sizes(folder, "2026-01", Layout(tmp_path / "data"))


def test_without_a_female_file_the_female_denominators_are_null_and_said_to_be(tmp_path):
    folder = write_month(tmp_path / "2026-01", "01JAN2026")
    (folder / "gp-reg-pat-prac-sing-age-female.csv").unlink()
    info = ingest_list_sizes(folder, "2026-01", Layout(tmp_path / "data"))
    assert info["female_file"] is False and info["practices_without_female_counts"] == 2
    assert info["files"] == ["gp-reg-pat-prac-quin-age.csv"]
    with duckdb.connect() as con:
        row = con.execute(
            "SELECT aged_65_plus, female_13_54 FROM read_parquet($p) WHERE practice_code = 'P85002'",
            {"p": info["path"]},
        ).fetchone()
    assert row == (156, None)  # 50 + 40 + 30 + 20 + 10 + 5 + 1


def test_missing_column_is_named(tmp_path):
    folder = write_month(tmp_path / "2026-01", "01JAN2026")
    path = folder / "gp-reg-pat-prac-quin-age.csv"
    path.write_text(path.read_text().replace("NUMBER_OF_PATIENTS", "PATIENTS"))
    with pytest.raises(
        ListSizeError, match=r"gp-reg-pat-prac-quin-age.csv: none of the columns \['NUMBER_OF_PATIENTS'\]"
    ):
        ingest_list_sizes(folder, "2026-01", Layout(tmp_path / "data"))


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_practice_name_with_an_accent_in_either_encoding(tmp_path, encoding):
    folder = write_month(tmp_path / "2026-01", "01JAN2026")
    path = folder / "gp-reg-pat-prac-map.csv"
    path.write_bytes(path.read_text().replace("ST MARY'S MEDICAL CENTRE", "BRONTË MEDICAL CENTRE").encode(encoding))
    info = ingest_practice_geography(folder, "2026-01", Layout(tmp_path / "data"))
    with duckdb.connect() as con:
        name = con.execute("SELECT practice_name FROM read_parquet($p)", {"p": info["path"]}).fetchone()[0]
    assert name == "BRONTË MEDICAL CENTRE"
