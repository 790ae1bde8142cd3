"""NHS Digital's three monthly files for January 2026, in the published post-July-2022 layout (plain
unquoted CSV, LF line ends, EXTRACT_DATE like 01JAN2026), for the nine GP practices of the 17 real EPD
rows (tests/fixtures/epd_snomed_202601_real_sample_rows.csv; Y05540, a GP federation, is in no map).

Practice names, postcodes, PCNs and sub-ICB (CCG) codes are the practices' own rows of NHS Digital's real
January 2022 map (research/data/real/nhs_digital/), moved into the post-2022 columns with their ICBs'
names and ONS codes from reference/icbs_2022_07_to_2026_03.csv. Each list total is the practice's real
January 2022 total (gp-reg-pat-prac-all.csv); how it splits by sex and age is chosen here, simply: half
female (rounded down), and each sex's patients in two bands, 30_34 and 70_74 (a quarter, rounded down),
so that every band and sex adds up to its total, as in NHS Digital's files."""

from __future__ import annotations

from pathlib import Path

EXTRACT = "01JAN2026"
# practice: (name, postcode, PCN code, PCN name, sub-ICB, its ONS code, ICB, real Jan 2022 list total)
PRACTICES = {
    "C84656": ("HILL VIEW SURGERY", "NG21 0JP", "U90349", "SHERWOOD PCN", "52R", "E38000243", "QT1", 7820),
    "G85034": ("NEXUS HEALTH GROUP", "SE1 6JP", "U06180", "NORTH SOUTHWARK PCN", "72Q", "E38000244", "QKK", 77128),
    "K83010": ("ELEANOR CROSS HEALTHCARE", "NN4 8QF", "U97651", "THE ARC HUB PCN", "78H", "E38000242", "QPM", 18753),
    "L83113": ("BUDSHEAD MEDICAL PRACTICE", "PL5 4DU", "U74074", "SOUND PCN", "15N", "E38000230", "QJK", 7780),
    "M81069": (
        "DAVENAL HOUSE SURGERY",
        "B61 0DD",
        "U84529",
        "REDDITCH & BROMSGROVE & DISTRICT PCN",
        "18C",
        "E38000236",
        "QGH",
        9364,
    ),
    "M83038": ("ORCHARD SURGERY", "ST6 8HY", "U36512", "WHITFIELD PCN", "05W", "E38000175", "QNC", 10427),
    "M88610": (
        "SAREPHED MEDICAL CENTRE",
        "B67 6AJ",
        "U98291",
        "SWB TOGETHER4HEALTHCARE PCN",
        "D2P2L",
        "E38000250",
        "QUA",
        4591,
    ),
    "P85002": ("ST MARY'S MEDICAL CENTRE", "OL1 3UL", "U14327", "OLDHAM CENTRAL PCN", "00Y", "E38000135", "QOP", 5830),
    "P85003": ("THE CHOWDHURY PRACTICE", "OL1 1NL", "U14327", "OLDHAM CENTRAL PCN", "00Y", "E38000135", "QOP", 6619),
}
# ICB: (name, ONS code, region, region ONS code, region name) - reference/icbs_2022_07_to_2026_03.csv
ICBS = {
    "QKK": ("NHS SOUTH EAST LONDON INTEGRATED CARE BOARD", "E54000030", "Y56", "E40000003", "London"),
    "QUA": ("NHS BLACK COUNTRY INTEGRATED CARE BOARD", "E54000062", "Y60", "E40000008", "Midlands"),
    "QGH": ("NHS HEREFORDSHIRE AND WORCESTERSHIRE INTEGRATED CARE BOARD", "E54000019", "Y60", "E40000008", "Midlands"),
    "QPM": ("NHS NORTHAMPTONSHIRE INTEGRATED CARE BOARD", "E54000059", "Y60", "E40000008", "Midlands"),
    "QT1": ("NHS NOTTINGHAM AND NOTTINGHAMSHIRE INTEGRATED CARE BOARD", "E54000060", "Y60", "E40000008", "Midlands"),
    "QNC": ("NHS STAFFORDSHIRE AND STOKE-ON-TRENT INTEGRATED CARE BOARD", "E54000010", "Y60", "E40000008", "Midlands"),
    "QOP": ("NHS GREATER MANCHESTER INTEGRATED CARE BOARD", "E54000057", "Y62", "E40000010", "North West"),
    "QJK": ("NHS DEVON INTEGRATED CARE BOARD", "E54000037", "Y58", "E40000006", "South West"),
}

QUIN_HEADER = "PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS"
FEMALE_HEADER = (
    "PUBLICATION,EXTRACT_DATE,ORG_TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,ORG_CODE,"
    "POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
)
MAP_HEADER = (
    "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
    "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,"
    "ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME"
)


def split(total: int) -> dict[str, tuple[int, int, int]]:
    """sex: (its total, its 30_34 band, its 70_74 band)."""
    female = total // 2
    male = total - female
    return {sex: (n, n - n // 4, n // 4) for sex, n in (("FEMALE", female), ("MALE", male))}


def quin_text() -> str:
    lines = [QUIN_HEADER]
    for code, (_, postcode, *_rest, total) in PRACTICES.items():
        sexes = split(total)
        row = f"GP_PRAC_PAT_LIST,{EXTRACT},GP,{code},,{postcode}"
        lines.append(f"{row},ALL,ALL,{total}")
        lines.append(f"{row},ALL,30_34,{sexes['FEMALE'][1] + sexes['MALE'][1]}")
        lines.append(f"{row},ALL,70_74,{sexes['FEMALE'][2] + sexes['MALE'][2]}")
        for sex, (n, young, old) in sexes.items():
            lines += [f"{row},{sex},ALL,{n}", f"{row},{sex},30_34,{young}", f"{row},{sex},70_74,{old}"]
    return "\n".join(lines) + "\n"


def female_text() -> str:
    lines = [FEMALE_HEADER]
    for code, (_, postcode, _pcn, _pcn_name, sub, sub_ons, _icb, total) in PRACTICES.items():
        n, young, old = split(total)["FEMALE"]
        row = f"GP_PRAC_PAT_LIST,{EXTRACT},GP,{sub},{sub_ons},{code},{postcode},FEMALE"
        lines += [f"{row},ALL,{n}", f"{row},32,{young}", f"{row},72,{old}"]
    return "\n".join(lines) + "\n"


def map_text() -> str:
    lines = [MAP_HEADER]
    for code, (name, postcode, pcn, pcn_name, sub, sub_ons, icb, _) in PRACTICES.items():
        icb_name, icb_ons, region, region_ons, region_name = ICBS[icb]
        sub_name = f"{icb_name.replace(' INTEGRATED CARE BOARD', ' ICB')} - {sub}"
        lines.append(
            f"GP_PRAC_PAT_LIST,{EXTRACT},{code},{name},{postcode},{pcn},{pcn_name},{sub_ons},{sub},{sub_name},"
            f"{icb_ons},{icb},{icb_name},{region_ons},{region},{region_name},EMIS"
        )
    return "\n".join(lines) + "\n"


FILES = {
    "gp-reg-pat-prac-quin-age.csv": quin_text,
    "gp-reg-pat-prac-sing-age-female.csv": female_text,
    "gp-reg-pat-prac-map.csv": map_text,
}


def write_month(folder: Path, changed: dict[str, bytes] | None = None) -> Path:
    """The three files in `folder` (a YYYY-MM folder of --list-size-dir), any of them replaced by `changed`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_bytes((changed or {}).get(name, text().encode("latin-1")))
    return folder
