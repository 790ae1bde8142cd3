"""Hand-written EPD files imitating NHSBSA's bytes: Latin-1, quoted strings (even empty ones), quoted
decimals with trailing dots, unquoted ITEMS and SNOMED_CODE, header names quoted only for string columns.

Expected values in the tests are read off these lines by hand."""

from pathlib import Path

# 17 real rows of NHSBSA's EPD_SNOMED_202601 with the real header, byte for byte (Open Government
# Licence), copied from the project's research notes (shared/research/data/).
REAL_ROWS = Path(__file__).resolve().parent / "fixtures" / "epd_snomed_202601_real_sample_rows.csv"

LEGACY_ICB_HEADER = (
    b'YEAR_MONTH,"REGIONAL_OFFICE_NAME","REGIONAL_OFFICE_CODE","ICB_NAME","ICB_CODE","PCO_NAME","PCO_CODE",'
    b'"PRACTICE_NAME","PRACTICE_CODE","ADDRESS_1","ADDRESS_2","ADDRESS_3","ADDRESS_4","POSTCODE",'
    b'"BNF_CHEMICAL_SUBSTANCE","CHEMICAL_SUBSTANCE_BNF_DESCR","BNF_CODE","BNF_DESCRIPTION","BNF_CHAPTER_PLUS_CODE",'
    b'QUANTITY,ITEMS,TOTAL_QUANTITY,ADQUSAGE,NIC,ACTUAL_COST,"UNIDENTIFIED"\n'
)
LEGACY_STP_HEADER = LEGACY_ICB_HEADER.replace(b'"ICB_NAME","ICB_CODE"', b'"STP_NAME","STP_CODE"')
LEGACY_AREA_TEAM_HEADER = LEGACY_ICB_HEADER.replace(b'"ICB_NAME","ICB_CODE"', b'"AREA_TEAM_NAME","AREA_TEAM_CODE"')
SNOMED_LEGACY_HEADER = LEGACY_ICB_HEADER.replace(b'"UNIDENTIFIED"\n', b'"UNIDENTIFIED",SNOMED_CODE\n')

_GM = b'"NORTH WEST","Y62","NHS GREATER MANCHESTER INTEGRATED CARE BOARD","QOP","NHS GREATER MANCHESTER ICB - 00Y","00Y00"'
_BC = b'"MIDLANDS","Y60","NHS BLACK COUNTRY INTEGRATED CARE BOARD","QUA","NHS BLACK COUNTRY ICB - D2P2L","D2P2L"'
_STMARY = (
    b'"ST MARY\'S MEDICAL CENTRE","P85002","ST.MARY\'S MEDICAL CENTRE","ROCK STREET","OLDHAM","LANCASHIRE","OL1 3UL"'
)
# "CAF\xc9" is CAFE with an acute accent in Latin-1 (one byte, 0xC9); the address holds a comma.
_CAFE = b'"CAF\xc9 ROW SURGERY","M88999","CAF\xc9 ROW SURGERY","ARDEN ROAD, SMETHWICK","WARLEY","","B67 6AJ"'
_UNIDENTIFIED = b'"UNIDENTIFIED DOCTORS","-","","","","",""'
_MTX25 = b'"1001030U0","Methotrexate","1001030U0AAABAB","Methotrexate 2.5mg tablets","10: Musculoskeletal and Joint Diseases"'
_MTX10 = (
    b'"1001030U0","Methotrexate","1001030U0AAACAC","Methotrexate 10mg tablets","10: Musculoskeletal and Joint Diseases"'
)
_RISP = b'"040201030","Risperidone","040201030AAAAAA","Risperidone 1mg tablets","04: Central Nervous System"'
_DRESSING = (
    b'"2003","Wound Management & Other Dressings","20030100183","Tegaderm Film dressing 6cm x 7cm","20: Dressings"'
)


def legacy_rows(year_month: bytes = b"202401") -> bytes:
    """Five rows. Practice P85002 has methotrexate 2.5 mg split over two pack sizes (24 x 3 items and
    28 x 2 items); M88999 (Latin-1 name) has 10 mg tablets and risperidone (leading-zero chemical code);
    unidentified prescribing has a dressing (11-character appliance code)."""
    return b"".join(
        [
            year_month + b"," + _GM + b"," + _STMARY + b"," + _MTX25 + b',"24.",3,"72.","0.","4.8","4.51232","N"\n',
            year_month + b"," + _GM + b"," + _STMARY + b"," + _MTX25 + b',"28.",2,"56.","0.","3.73","3.51",' + b'"N"\n',
            year_month + b"," + _BC + b"," + _CAFE + b"," + _MTX10 + b',"100.",1,"100.","0.","28.5","26.99911","N"\n',
            year_month + b"," + _BC + b"," + _CAFE + b"," + _RISP + b',"7.",5,"35.","7.","1.25","1.5615","N"\n',
            year_month
            + b","
            + _GM
            + b","
            + _UNIDENTIFIED
            + b","
            + _DRESSING
            + b',"4.",4,"16.","0.","6.56","5.96231","Y"\n',
        ]
    )


def snomed_legacy_rows(year_month: bytes = b"202502") -> bytes:
    """The legacy rows with an 18-digit SNOMED code appended (and one 15-digit)."""
    codes = [b"326874007", b"326874007", b"326875008", b"123456789012345678", b"729011000001103"]
    lines = legacy_rows(year_month).splitlines(keepends=True)
    return b"".join(line.rstrip(b"\n") + b"," + code + b"\n" for line, code in zip(lines, codes))


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
