"""Golden test: every public-data indicator on a tiny hand-made England, values worked out by hand.

Organisations (April 2026 reorganisation):
  K81001  Frimley (QNQ, sub-ICB D4U1Y, South East Y59) in March 2026 -> Thames Valley (S0E4D, U2G6B) in April
  P84001  Greater Manchester (QOP, sub-ICB 00Y, North West Y62), both months
  P84002  Greater Manchester (QOP, 00Y), both months; no opioids, no methotrexate (zero denominators)
  '-'     unidentified prescribing in QOP (UNIDENTIFIED = Y) and P84998 an "UNKNOWN SURGERY": never counted
  Y00001  an out-of-hours service in QOP, not in NHS Digital's practice map: not a practice, never counted
PCNs (the practice map, both months): P84001 and P84002 in U62051 OLDHAM CENTRAL PCN; K81001 'U' ("Unallocated",
as NHS Digital writes a practice in no PCN).
March 2026 is written with the pre-March-2025 SNOMED header (YEAR_MONTH 202603), April with the current
header, so both flavours flow through the same engine. Prescribing is the same in both months.

List sizes (both months):       patients  65+   0-14  15-19  adults = patients - 0-14 - 0.6 x 15-19   F13-54
  K81001                          4,000    800    600    250   4000 - 600 - 150 = 3,250                 1,200
  P84001                         10,000  1,500  1,800    500   10000 - 1800 - 300 = 7,900               3,000
  P84002                          2,000    200    400    100   2000 - 400 - 60 = 1,540                    500
"""

import duckdb
import pytest

from pipelines.datasets.epd.stage import ingest_epd_month
from pipelines.datasets.nhs_digital.list_sizes import ingest_list_sizes
from pipelines.datasets.nhs_digital.practice_map import ingest_practice_geography
from pipelines.indicators.engine import build_warehouse, compute_practice_month
from pipelines.layout import Layout
from tests.epd_fixtures import SNOMED_LEGACY_HEADER

CURRENT_HEADER = (
    b'"YEAR_MONTH","REGIONAL_OFFICE_NAME","REGIONAL_OFFICE_CODE","ICB_NAME","ICB_CODE","PCO_NAME","PCO_CODE",'
    b'"PRACTICE_NAME","PRACTICE_CODE","ADDRESS_1","ADDRESS_2","ADDRESS_3","ADDRESS_4","POSTCODE",'
    b'"BNF_CHEMICAL_SUBSTANCE_CODE","BNF_CHEMICAL_SUBSTANCE","BNF_PRESENTATION_CODE","BNF_PRESENTATION_NAME",'
    b'"BNF_CHAPTER_PLUS_CODE",QUANTITY,ITEMS,TOTAL_QUANTITY,ADQ_USAGE,NIC,ACTUAL_COST,"UNIDENTIFIED",SNOMED_CODE\n'
)
ORGS = {
    ("K81001", "2026-03"): (
        "SOUTH EAST",
        "Y59",
        "NHS FRIMLEY INTEGRATED CARE BOARD",
        "QNQ",
        "NHS FRIMLEY ICB - D4U1Y",
        "D4U1Y",
    ),
    ("K81001", "2026-04"): (
        "SOUTH EAST",
        "Y59",
        "NHS THAMES VALLEY INTEGRATED CARE BOARD",
        "S0E4D",
        "NHS THAMES VALLEY ICB - U2G6B",
        "U2G6B",
    ),
    "GM": (
        "NORTH WEST",
        "Y62",
        "NHS GREATER MANCHESTER INTEGRATED CARE BOARD",
        "QOP",
        "NHS GREATER MANCHESTER ICB - 00Y",
        "00Y00",
    ),
}
# (practice, BNF code, name, QUANTITY, ITEMS, ADQ_USAGE). TOTAL_QUANTITY = QUANTITY x ITEMS. Every code and
# name is NHSBSA's own (Nov 2024 BNF Code Information; test_fixture_rows_are_real checks it).
ROWS = [
    ("K81001", "0407020A0AAAFAF", "Fentanyl 50micrograms/hour transdermal patches", 5, 2, 3.33),
    ("K81001", "0407020B0AAAIAI", "Buprenorphine 10micrograms/hour transdermal patches", 4, 3, 0),
    ("K81001", "0407020Q0BIABEH", "MXL 60mg capsules", 28, 1, 16.8),  # a brand (pattern %EH in the code lists)
    ("K81001", "1001030U0AAABAB", "Methotrexate 2.5mg tablets", 24, 2, 0),  # split quantity:
    ("K81001", "1001030U0AAABAB", "Methotrexate 2.5mg tablets", 28, 1, 0),  # 24 x 2 and 28 x 1
    ("K81001", "1001030U0AAACAC", "Methotrexate 10mg tablets", 100, 1, 0),
    ("K81001", "1001010P0AAAEAE", "Naproxen 500mg tablets", 28, 4, 112),
    ("K81001", "0103050P0AAAAAA", "Omeprazole 20mg gastro-resistant capsules", 28, 5, 140),
    ("K81001", "0205051R0AAADAD", "Ramipril 10mg capsules", 28, 6, 168),
    ("K81001", "0202020L0AABDBD", "Furosemide 40mg tablets", 28, 3, 84),
    ("K81001", "0408010W0BBALA2", "Epilim Chrono 500 tablets", 100, 2, 84),
    ("K81001", "040801050BBAAAA", "Topamax 50mg tablets", 60, 3, 30),  # a brand
    ("K81001", "0408010AEAAACAC", "Pregabalin 75mg capsules", 56, 3, 42),
    ("K81001", "0401010Z0AAAAAA", "Zopiclone 7.5mg tablets", 28, 4, 28),
    ("P84001", "0407020ADAAAHAH", "Oxycodone 40mg modified-release tablets", 56, 2, 0),
    ("P84001", "0407020ADAAARAR", "Oxycodone 30mg modified-release tablets", 56, 1, 0),
    ("P84001", "0407020ADBQACAH", "Onexila XL 40mg tablets", 28, 1, 0),  # brand, once daily: not high dose
    ("P84001", "0407010F0AAAHAH", "Co-codamol 30mg/500mg tablets", 100, 10, 0),
    ("P84001", "0407010F0AAAAAA", "Co-codamol 8mg/500mg tablets", 100, 1, 0),  # AAAAAA is 8/500, not 30/500
    ("P84001", "0407020A0AABDBD", "Fentanyl 200microgram buccal tablets sugar free", 4, 2, 0),  # outside the OME scope
    ("P84001", "1001030U0AAABAB", "Methotrexate 2.5mg tablets", 24, 4, 0),
    ("P84001", "1001010J0AAAEAE", "Ibuprofen 400mg tablets", 24, 5, 40),
    ("P84001", "1001010P0BUAABB", "Vimovo 500mg/20mg modified-release tablets", 60, 1, 60),
    ("P84001", "0205052N0AAABAB", "Losartan 50mg tablets", 28, 10, 280),
    ("P84001", "0202010B0AAABAB", "Bendroflumethiazide 2.5mg tablets", 28, 5, 140),
    ("P84001", "0402030Q0BBAAAA", "Depakote 250mg gastro-resistant tablets", 90, 1, 18),
    ("P84001", "040801050AAADAD", "Topiramate 25mg tablets", 60, 1, 5),
    ("P84001", "0408010G0AAABAB", "Gabapentin 300mg capsules", 100, 2, 30),
    ("P84001", "0401020K0AAAHAH", "Diazepam 2mg tablets", 28, 2, 5),
    (
        "P84001",
        "0406000T0AAAGAG",
        "Prochlorperazine 5mg tablets",
        28,
        3,
        5,
    ),  # an antiemetic (BNF 4.6): not an antipsychotic
    ("P84002", "0212000B0AAABAB", "Atorvastatin 20mg tablets", 28, 10, 280),
    ("P84002", "1001010P0AAAEAE", "Naproxen 500mg tablets", 28, 2, 56),
    # Products the BNF files outside their drug's own section, counted by ingredient (drug_groups.yaml):
    ("P84002", "0205051N0BBAAAA", "Coversyl Plus tablets", 30, 2, 60),  # perindopril + indapamide: RAAS and diuretic
    ("P84002", "0407010ADAAAAAA", "Paracetamol 500mg / Ibuprofen 200mg tablets", 24, 1, 10),  # an NSAID (BNF 4.7.1)
    (
        "P84002",
        "040801020BCACAH",
        "Depakote 125mg sprinkle gastro-resistant capsules",
        100,
        3,
        10,
    ),  # valproic acid, BNF 4.8.1
    ("P84002", "040801050AACECE", "Topiramate 25mg/5ml oral solution", 100, 2, 5),  # a liquid counts as any form
    ("P84002", "0402010ABAAABAB", "Quetiapine 25mg tablets", 60, 1, 2),
    ("P84002", "0103050A0BDAAAC", "Pylera 140mg/125mg/125mg capsules", 120, 1, 20),  # filed with PPIs, holds none
    ("-", "0407020A0AAAFAF", "Fentanyl 50micrograms/hour transdermal patches", 5, 7, 11.67),
    ("-", "1001030U0AAACAC", "Methotrexate 10mg tablets", 100, 2, 0),
    ("P84998", "1001030U0AAACAC", "Methotrexate 10mg tablets", 100, 1, 0),
    ("Y00001", "1001030U0AAACAC", "Methotrexate 10mg tablets", 100, 1, 0),  # out-of-hours: not a GP practice
]
NAMES = {
    "K81001": "HEATH HILL SURGERY",
    "P84001": "OLDHAM ROAD PRACTICE",
    "P84002": "MOSS SIDE HEALTH CENTRE",
    "-": "UNIDENTIFIED DOCTORS",
    "P84998": "UNKNOWN SURGERY",
    "Y00001": "TOWN OUT OF HOURS SERVICE",
}


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _num(value: float) -> str:
    return _q(f"{value:g}." if float(value).is_integer() else f"{value:g}")


def epd_file(month: str, legacy: bool) -> bytes:
    lines = []
    for practice, code, name, quantity, items, adq in ROWS:
        org = ORGS.get((practice, month), ORGS["GM"])
        chem = code[:9]
        year_month = month.replace("-", "") if legacy else _q(month)
        fields = [
            year_month,
            *map(_q, org[:6]),
            _q(NAMES[practice]),
            _q(practice),
            _q(""),
            _q(""),
            _q(""),
            _q(""),
            _q(""),
            _q(chem),
            _q("Chemical " + chem),
            _q(code),
            _q(name),
            _q("XX: Chapter"),
            _num(quantity),
            str(items),
            _num(quantity * items),
            _num(adq),
            _num(1.5 * items),
            _num(1.4 * items),
            _q("Y" if practice == "-" else "N"),
            "123456789",
        ]
        lines.append(",".join(fields))
    header = SNOMED_LEGACY_HEADER if legacy else CURRENT_HEADER
    return header + ("\n".join(lines) + "\n").encode("latin-1")


# practice: (patients, {band: patients}); bands not listed are zero, and the bands add up to the total
# (40_44 takes the rest: no denominator reads it), as NHS Digital's files do and the expectations require.
QUIN = {
    "K81001": (
        4000,
        {
            "0_4": 200,
            "5_9": 200,
            "10_14": 200,
            "15_19": 250,
            "40_44": 2350,
            "65_69": 300,
            "70_74": 250,
            "75_79": 150,
            "80_84": 60,
            "85_89": 30,
            "90_94": 8,
            "95+": 2,
        },
    ),
    "P84001": (
        10000,
        {
            "0_4": 600,
            "5_9": 600,
            "10_14": 600,
            "15_19": 500,
            "40_44": 6200,
            "65_69": 600,
            "70_74": 500,
            "75_79": 250,
            "80_84": 100,
            "85_89": 40,
            "90_94": 8,
            "95+": 2,
        },
    ),
    "P84002": (2000, {"0_4": 400, "15_19": 100, "40_44": 1300, "65_69": 200}),
}
FEMALE = {
    "K81001": {"12": 25, "13": 20, "30": 1000, "54": 180, "55": 40},
    "P84001": {"20": 1000, "40": 2000},
    "P84002": {"25": 500},
}


def list_size_folder(root, month: str):
    folder = root / month
    folder.mkdir(parents=True)
    d = f"01{['MAR', 'APR'][month == '2026-04']}2026" if month < "2026-04" else "2026-04-01"
    quin = ["PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS"]
    for practice, (total, bands) in QUIN.items():
        quin.append(f"GP_PRAC_PAT_LIST,{d},GP,{practice},,AB1 2CD,ALL,ALL,{total}")
        quin += [f"GP_PRAC_PAT_LIST,{d},GP,{practice},,AB1 2CD,ALL,{band},{n}" for band, n in bands.items()]
    (folder / "gp-reg-pat-prac-quin-age.csv").write_text("\n".join(quin) + "\n")
    female = [
        "PUBLICATION,EXTRACT_DATE,ORG_TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,ORG_CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
    ]
    for practice, ages in FEMALE.items():
        female += [
            f"GP_PRAC_PAT_LIST,{d},GP,00Y,E38000135,{practice},AB1 2CD,FEMALE,{age},{n}" for age, n in ages.items()
        ]
    (folder / "gp-reg-pat-prac-sing-age-female.csv").write_text("\n".join(female) + "\n")
    frimley = (
        ("D4U1Y", "NHS FRIMLEY ICB - D4U1Y", "QNQ")
        if month < "2026-04"
        else ("U2G6B", "NHS THAMES VALLEY ICB - U2G6B", "S0E4D")
    )
    mapping = [
        "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
        "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,"
        "ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME",
        f"GP_PRAC_PAT_LIST,{d},K81001,HEATH HILL SURGERY,GU1 1AA,U,Unallocated,E38000001,{frimley[0]},{frimley[1]},E54000001,{frimley[2]},X,E40000005,Y59,South East,TPP",
        f"GP_PRAC_PAT_LIST,{d},P84001,OLDHAM ROAD PRACTICE,M1 1AA,U62051,OLDHAM CENTRAL PCN,E38000135,00Y,NHS GREATER MANCHESTER ICB - 00Y,E54000057,QOP,X,E40000010,Y62,North West,EMIS",
        f"GP_PRAC_PAT_LIST,{d},P84002,MOSS SIDE HEALTH CENTRE,M1 2AA,U62051,OLDHAM CENTRAL PCN,E38000135,00Y,NHS GREATER MANCHESTER ICB - 00Y,E54000057,QOP,X,E40000010,Y62,North West,EMIS",
    ]
    (folder / "gp-reg-pat-prac-map.csv").write_text("\n".join(mapping) + "\n")
    return folder


OME_RESULTS = {}
LAYOUT = {}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("golden")
    layout = Layout(root / "data")
    for month, legacy in (("2026-03", True), ("2026-04", False)):
        epd = root / f"EPD_SNOMED_{month.replace('-', '')}.csv"
        epd.write_bytes(epd_file(month, legacy))
        assert ingest_epd_month(epd, month, layout).flavour == ("snomed_legacy" if legacy else "snomed_2025")
        folder = list_size_folder(root / "lists", month)
        ingest_list_sizes(folder, month, layout)
        ingest_practice_geography(folder, month, layout)
        OME_RESULTS[month] = compute_practice_month(layout, month)
    build_warehouse(layout)
    LAYOUT["golden"] = layout
    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        rel = con.execute("SELECT * FROM indicator_values")
        cols = [c[0] for c in rel.description]
        rows = [dict(zip(cols, r)) for r in rel.fetchall()]
    return {(r["indicator_id"], r["month"], r["geography"], r["org_type"], r["org_code"]): r for r in rows}


def value(w, indicator, org_type, org_code, month="2026-04", geography="current"):
    row = w[(indicator, month, geography, org_type, org_code)]
    return row["numerator"], row["denominator"], row["value"]


A = pytest.approx

# Every expected (numerator, denominator, value) for April 2026, worked by hand from ROWS and the lists.
EXPECTED = {
    # High dose, 120 mg: K81001 fentanyl 50 = 2 items (MXL 60 is excluded as once daily); long-acting
    # = fentanyl 2 + buprenorphine 3 + MXL 1 = 6. P84001 oxycodone 40 = 2 (Onexila excluded); long-acting
    # = 2 + oxycodone 30 (1) + Onexila (1) = 4. P84002 has none: 0/0 -> NULL. England (2+2)/(6+4).
    "opioid_high_dose_pct_120": {
        ("practice", "K81001"): (2, 6, 100 * 2 / 6),
        ("practice", "P84001"): (2, 4, 50.0),
        ("practice", "P84002"): (0, 0, None),
        ("icb", "QOP"): (2, 4, 50.0),
        ("icb", "S0E4D"): (2, 6, 100 * 2 / 6),
        ("england", "ENG"): (4, 10, 40.0),
    },
    # 90 mg adds oxycodone 30 mg (twice daily = 90): P84001 3/4.
    "opioid_high_dose_pct_90": {
        ("practice", "K81001"): (2, 6, 100 * 2 / 6),
        ("practice", "P84001"): (3, 4, 75.0),
        ("icb", "QOP"): (3, 4, 75.0),
        ("england", "ENG"): (5, 10, 50.0),
    },
    # Per 1,000 patients: QOP pools P84001 and P84002 (12,000 patients); England 16,000.
    "opioid_high_dose_per_1000_120": {
        ("practice", "K81001"): (2, 4000, 0.5),
        ("practice", "P84001"): (2, 10000, 0.2),
        ("practice", "P84002"): (0, 2000, 0.0),
        ("icb", "QOP"): (2, 12000, 2 / 12),
        ("england", "ENG"): (4, 16000, 0.25),
    },
    "opioid_high_dose_per_1000_90": {
        ("practice", "P84001"): (3, 10000, 0.3),
        ("icb", "QOP"): (3, 12000, 0.25),
        ("england", "ENG"): (5, 16000, 0.3125),
    },
    # OME mg, strengths read from the names: K81001 fentanyl 10 patches x 0.05 mg/h x 72 h x 100 = 3,600;
    # buprenorphine 10 micrograms/hour (a seven-day strength) 12 x 0.01 x 168 x 100 = 2,016; MXL 60 mg
    # 28 x 60 x 1 = 1,680; total 7,296. P84001 oxycodone 40: 112 x 40 x 1.5 = 6,720; oxycodone 30: 56 x 30
    # x 1.5 = 2,520; Onexila XL 40 mg: 28 x 40 x 1.5 = 1,680; co-codamol 30/500: 1,000 x 30 x 0.1 = 3,000;
    # co-codamol 8/500: 100 x 8 x 0.1 = 80; buccal fentanyl is outside the scope (0); total 14,000.
    # Value = OME / patients x 1,000 / 30 days (April).
    "opioid_ome_per_1000_day": {
        ("practice", "K81001"): (7296, 4000, 7296 / 4000 * 1000 / 30),
        ("practice", "P84001"): (14000, 10000, 14000 / 300),
        ("practice", "P84002"): (0, 2000, 0.0),
        ("icb", "QOP"): (14000, 12000, 14000 / 12000 * 1000 / 30),
        ("england", "ENG"): (21296, 16000, 21296 / 16000 * 1000 / 30),
    },
    # Methotrexate: K81001 10 mg 1 item; 2.5 mg 2 + 1 items (split rows); the unidentified 2 items and
    # P84998's 1 item are not counted anywhere.
    "methotrexate_10mg_pct": {
        ("practice", "K81001"): (1, 4, 25.0),
        ("practice", "P84001"): (0, 4, 0.0),
        ("practice", "P84002"): (0, 0, None),
        ("icb", "QOP"): (0, 4, 0.0),
        ("icb", "S0E4D"): (1, 4, 25.0),
        ("england", "ENG"): (1, 8, 12.5),
    },
    "methotrexate_10mg_items": {
        ("practice", "K81001"): (1, None, 1.0),
        ("practice", "P84001"): (0, None, 0.0),
        ("icb", "QOP"): (0, None, 0.0),
        ("icb", "S0E4D"): (1, None, 1.0),
        ("england", "ENG"): (1, None, 1.0),
    },
    # NSAID items / 65+: K81001 naproxen 4 / 800; P84001 ibuprofen 5 + Vimovo 1 = 6 / 1,500; P84002 naproxen 2
    # + paracetamol/ibuprofen 1 (BNF 4.7.1, an NSAID by ingredient) = 3 / 200.
    "nsaid_per_1000_65plus": {
        ("practice", "K81001"): (4, 800, 5.0),
        ("practice", "P84001"): (6, 1500, 4.0),
        ("practice", "P84002"): (3, 200, 15.0),
        ("icb", "QOP"): (9, 1700, 9 / 1700 * 1000),
        ("england", "ENG"): (13, 2500, 5.2),
    },
    # Ulcer-healing ADQ / NSAID ADQ: K81001 omeprazole 140 / naproxen 112; P84001 Vimovo 60 (protected
    # combination) / (ibuprofen 40 + Vimovo 60); P84002 0 (Pylera holds no PPI: not gastroprotection) /
    # (naproxen 56 + paracetamol/ibuprofen 10).
    "nsaid_gastro_cover_ratio": {
        ("practice", "K81001"): (140, 112, 1.25),
        ("practice", "P84001"): (60, 100, 0.6),
        ("practice", "P84002"): (0, 66, 0.0),
        ("icb", "QOP"): (60, 166, 60 / 166),
        ("england", "ENG"): (200, 278, 200 / 278),
    },
    # Expected co-exposure = NSAID ADQ/day x min(RAAS ADQ/day, diuretic ADQ/day) / adults (30 days):
    # K81001 (112/30) x min(168/30, 84/30) / 3,250; P84001 (100/30) x min(280/30, 140/30) / 7,900;
    # P84002 (66/30) x min(60/30, 60/30) / 1,540: Coversyl Plus (perindopril with indapamide) is both its
    # RAAS inhibitor and its diuretic. Values per 1,000 adults.
    "triple_whammy_expected_per_1000_adults": {
        ("practice", "K81001"): ((112 / 30) * (84 / 30) / 3250, 3250, (112 / 30) * (84 / 30) / 3250 / 3250 * 1000),
        ("practice", "P84001"): ((100 / 30) * (140 / 30) / 7900, 7900, (100 / 30) * (140 / 30) / 7900 / 7900 * 1000),
        ("practice", "P84002"): ((66 / 30) * (60 / 30) / 1540, 1540, (66 / 30) * (60 / 30) / 1540 / 1540 * 1000),
        ("icb", "QOP"): (
            (100 / 30) * (140 / 30) / 7900 + (66 / 30) * (60 / 30) / 1540,
            9440,
            ((100 / 30) * (140 / 30) / 7900 + (66 / 30) * (60 / 30) / 1540) / 9440 * 1000,
        ),
        ("england", "ENG"): (
            (112 / 30) * (84 / 30) / 3250 + (100 / 30) * (140 / 30) / 7900 + (66 / 30) * (60 / 30) / 1540,
            12690,
            ((112 / 30) * (84 / 30) / 3250 + (100 / 30) * (140 / 30) / 7900 + (66 / 30) * (60 / 30) / 1540)
            / 12690
            * 1000,
        ),
    },
    # Valproate items / females 13-54: K81001 Epilim Chrono (a brand, by chemical prefix) 2 / 1,200
    # (ages 13, 30, 54; not 12 or 55); P84001 Depakote tablets (valproic acid, BNF 4.2.3) 1 / 3,000; P84002
    # Depakote sprinkle capsules (valproic acid, BNF 4.8.1) 3 / 500.
    "valproate_per_1000_female_13_54": {
        ("practice", "K81001"): (2, 1200, 2 / 1.2),
        ("practice", "P84001"): (1, 3000, 1 / 3),
        ("practice", "P84002"): (3, 500, 6.0),
        ("icb", "QOP"): (4, 3500, 4 / 3.5),
        ("england", "ENG"): (6, 4700, 6 / 4.7),
    },
    # Topiramate items / females 13-54: K81001 Topamax (a brand) 3 / 1,200; P84001 topiramate tablets 1 / 3,000;
    # P84002 topiramate oral solution 2 / 500. QOP (1 + 2) / 3,500; Thames Valley (K81001 from April) 3 / 1,200.
    "topiramate_per_1000_female_13_54": {
        ("practice", "K81001"): (3, 1200, 2.5),
        ("practice", "P84001"): (1, 3000, 1 / 3),
        ("practice", "P84002"): (2, 500, 4.0),
        ("icb", "QOP"): (3, 3500, 3 / 3.5),
        ("icb", "S0E4D"): (3, 1200, 2.5),
        ("england", "ENG"): (6, 4700, 6 / 4.7),
    },
    # Expected co-exposure = gabapentinoid ADQ/day x opioid ADQ/day / adults (30 days): K81001 pregabalin 42 x
    # (fentanyl 3.33 + buprenorphine 0 + MXL 16.8 = 20.13); P84001 gabapentin 30 x 0 (its opioid rows carry
    # no ADQ); P84002 has neither. QOP 0 / 9,440; Thames Valley and England K81001's alone.
    "gabapentinoid_opioid_expected_per_1000_adults": {
        ("practice", "K81001"): ((42 / 30) * (20.13 / 30) / 3250, 3250, (42 / 30) * (20.13 / 30) / 3250 / 3250 * 1000),
        ("practice", "P84001"): (0, 7900, 0.0),
        ("practice", "P84002"): (0, 1540, 0.0),
        ("icb", "QOP"): (0, 9440, 0.0),
        ("icb", "S0E4D"): ((42 / 30) * (20.13 / 30) / 3250, 3250, (42 / 30) * (20.13 / 30) / 3250 / 3250 * 1000),
        ("england", "ENG"): ((42 / 30) * (20.13 / 30) / 3250, 12690, (42 / 30) * (20.13 / 30) / 3250 / 12690 * 1000),
    },
    # Sedative items / 65+: K81001 zopiclone 4 / 800; P84001 diazepam 2 / 1,500; P84002 none / 200.
    "sedative_per_1000_65plus": {
        ("practice", "K81001"): (4, 800, 5.0),
        ("practice", "P84001"): (2, 1500, 2 / 1.5),
        ("practice", "P84002"): (0, 200, 0.0),
        ("icb", "QOP"): (2, 1700, 2 / 1.7),
        ("icb", "S0E4D"): (4, 800, 5.0),
        ("england", "ENG"): (6, 2500, 2.4),
    },
    # Antipsychotic items / 65+: P84002 quetiapine 1 / 200; P84001's prochlorperazine is an antiemetic: 0.
    "antipsychotic_per_1000_65plus": {
        ("practice", "K81001"): (0, 800, 0.0),
        ("practice", "P84001"): (0, 1500, 0.0),
        ("practice", "P84002"): (1, 200, 5.0),
        ("icb", "QOP"): (1, 1700, 1 / 1.7),
        ("england", "ENG"): (1, 2500, 0.4),
    },
    # Antipsychotic items / every registered patient (STOMP, not specific to a learning disability): P84002
    # quetiapine 1 / 2,000; the prochlorperazine at P84001 is not counted. QOP 1 / 12,000; England 1 / 16,000.
    "antipsychotic_per_1000_patients": {
        ("practice", "K81001"): (0, 4000, 0.0),
        ("practice", "P84001"): (0, 10000, 0.0),
        ("practice", "P84002"): (1, 2000, 0.5),
        ("icb", "QOP"): (1, 12000, 1 / 12),
        ("icb", "S0E4D"): (0, 4000, 0.0),
        ("england", "ENG"): (1, 16000, 0.0625),
    },
}


@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_golden_values_april_2026(warehouse, indicator):
    for (org_type, org_code), (num, den, val) in EXPECTED[indicator].items():
        got = value(warehouse, indicator, org_type, org_code)
        assert got[0] == A(num) and (got[1] == A(den) if den is not None else got[1] is None), (org_type, org_code, got)
        assert (got[2] == A(val)) if val is not None else got[2] is None, (org_type, org_code, got)


def test_every_indicator_is_covered():
    from pipelines.indicators.engine import public_indicators

    assert set(EXPECTED) == set(public_indicators())


def test_march_uses_31_days_and_the_legacy_header(warehouse):
    assert value(warehouse, "opioid_ome_per_1000_day", "practice", "K81001", "2026-03")[2] == A(7296 / 4000 * 1000 / 31)


def test_practice_that_moved_icb(warehouse):
    # As published, March's row says Frimley; re-based on today's map, March belongs to Thames Valley.
    assert value(warehouse, "methotrexate_10mg_pct", "icb", "QNQ", "2026-03", "as_published") == (1, 4, A(25.0))
    assert ("methotrexate_10mg_pct", "2026-03", "current", "icb", "QNQ") not in warehouse
    assert value(warehouse, "methotrexate_10mg_pct", "icb", "S0E4D", "2026-03", "current") == (1, 4, A(25.0))
    row = warehouse[("methotrexate_10mg_pct", "2026-03", "current", "practice", "K81001")]
    assert (row["icb_code"], row["sub_icb_code"], row["region_code"]) == ("S0E4D", "U2G6B", "Y59")
    published = warehouse[("methotrexate_10mg_pct", "2026-03", "as_published", "practice", "K81001")]
    assert (published["icb_code"], published["sub_icb_code"]) == ("QNQ", "D4U1Y")


def test_unidentified_998_and_non_gp_cost_centres_never_appear(warehouse):
    assert not any(key[4] in ("-", "P84998", "Y00001") for key in warehouse)
    assert all(row["includes_unidentified"] is False for row in warehouse.values())


def test_names_percentiles_and_low_numbers(warehouse):
    icb = warehouse[("opioid_high_dose_pct_120", "2026-04", "current", "icb", "QOP")]
    assert icb["org_name"] == "NHS GREATER MANCHESTER INTEGRATED CARE BOARD"
    assert icb["low_numbers"] is True  # 4 items < 20
    practices = {
        k[4]: r for k, r in warehouse.items() if k[:4] == ("opioid_high_dose_pct_120", "2026-04", "current", "practice")
    }
    # Values 33.3 (K81001), 50 (P84001), NULL (P84002): percent_rank 0 and 100; NULL has none.
    assert (practices["K81001"]["percentile"], practices["P84001"]["percentile"]) == (0.0, 100.0)
    assert practices["P84002"]["percentile"] is None
    assert practices["P84001"]["org_name"] == "OLDHAM ROAD PRACTICE"
    assert practices["P84002"]["sub_icb_code"] == "00Y"  # EPD's PCO code 00Y00 normalised to the ODS code
    ome = warehouse[("opioid_ome_per_1000_day", "2026-04", "current", "practice", "P84001")]
    assert ome["low_numbers"] is False and ome["definition_version"] == "2026.2" and ome["unit"] == "per_1000_per_day"


def test_opioid_presentations_and_their_ome_are_recorded(warehouse):
    # Every in-scope opioid presentation of the month is recorded with what its name gave: the buccal
    # fentanyl (2 items) as outside the scope with its reason, none unread.
    import polars as pl

    for result in OME_RESULTS.values():
        assert (result.opioid_items_in_scope, result.opioid_items_without_ome) == (2 + 3 + 1 + 2 + 1 + 1 + 10 + 1, 0)
        table = {r["bnf_code"]: r for r in pl.read_parquet(result.opioid_ome_path).to_dicts()}
        assert table["0407020A0AABDBD"]["status"] == "excluded" and "buccal" in table["0407020A0AABDBD"]["reason"]
        assert table["0407010F0AAAAAA"]["ome_mg_per_unit"] == A(0.8) and table["0407010F0AAAHAH"][
            "ome_mg_per_unit"
        ] == A(3.0)
        assert table["0407020B0AAAIAI"]["patch_hours"] == 168 and table["0407020Q0BIABEH"]["ome_mg_per_unit"] == A(60)


def test_fixture_rows_are_real():
    from pipelines.bnf.lists import names

    assert all(names("2024").get(code) == name for _, code, name, *_ in ROWS)


def test_change_since_a_baseline_period(warehouse):
    """March 2026 as the baseline (current geography). Prescribing is the same both months, so rates per
    patient per day change only by the days: QOP's OME March 14,000 / (12,000 x 31) x 1,000 = 37.634;
    April 14,000 / (12,000 x 30) x 1,000 = 38.889. Percentages do not change: Thames Valley's
    methotrexate 10 mg share is 1 of 4 items (25 %) both months."""
    from pipelines.outputs.analysis import load_analysis

    analysis = load_analysis(LAYOUT["golden"], "2026-04", baseline="2026-03:2026-03")
    assert analysis.baseline_label == "2026-03 to 2026-03"
    ome = analysis.change_since_baseline("opioid_ome_per_1000_day", "icb", "QOP", 14000 / 12000 * 1000 / 30)
    march, april = 14000 / 12000 / 31 * 1000, 14000 / 12000 / 30 * 1000
    assert (ome["baseline"], ome["change"], ome["relative"]) == (
        A(march),
        A(april - march),
        A((april / march - 1) * 100),
    )
    mtx = analysis.change_since_baseline("methotrexate_10mg_pct", "icb", "S0E4D", 25.0)
    assert (mtx["baseline"], mtx["change"], mtx["months"]) == (A(25.0), A(0.0), 1)
    count = analysis.change_since_baseline("methotrexate_10mg_items", "england", "ENG", 1.0)
    assert count["baseline"] == A(1.0)  # counts: the monthly mean over the baseline
    none = load_analysis(LAYOUT["golden"], "2026-04").change_since_baseline(
        "methotrexate_10mg_pct", "icb", "S0E4D", 25.0
    )
    assert none["baseline"] is None and none["change"] is None  # no 2021 data in this lake


def test_pcn_rows(warehouse):
    """PCN U62051 pools P84001 and P84002 (worked from EXPECTED's practice rows): its rows equal QOP's,
    whose only practices they are; P84002's 0/0 stays out of the pooled percentage. K81001 ('U') is in no PCN."""
    for geography in ("current", "as_published"):
        for month in ("2026-03", "2026-04"):
            assert value(warehouse, "opioid_high_dose_pct_120", "pcn", "U62051", month, geography) == (2, 4, A(50.0))
    assert value(warehouse, "nsaid_per_1000_65plus", "pcn", "U62051") == (9, 1700, A(9 / 1700 * 1000))
    assert value(warehouse, "opioid_ome_per_1000_day", "pcn", "U62051") == (14000, 12000, A(14000 / 12000 * 1000 / 30))
    row = warehouse[("opioid_high_dose_pct_120", "2026-04", "current", "pcn", "U62051")]
    assert (row["org_name"], row["sub_icb_code"], row["icb_code"], row["region_code"], row["practices"]) == (
        "OLDHAM CENTRAL PCN",
        "00Y",
        "QOP",
        "Y62",
        1,
    )
    assert warehouse[("nsaid_per_1000_65plus", "2026-04", "current", "pcn", "U62051")]["practices"] == 2
    assert warehouse[("nsaid_per_1000_65plus", "2026-04", "current", "practice", "P84002")]["pcn_code"] == "U62051"
    assert warehouse[("nsaid_per_1000_65plus", "2026-04", "current", "practice", "K81001")]["pcn_code"] is None
    assert not any(k[3] == "pcn" and k[4] != "U62051" for k in warehouse)  # no PCN called 'U'
    assert any(k[3] == "pcn" for k in warehouse if k[1] == "2026-04" and k[2] == "current")


def test_practices_without_a_pcn_are_counted(tmp_path):
    import shutil

    layout = LAYOUT["golden"]
    copy = Layout(tmp_path / "data")
    shutil.copytree(layout.root, copy.root)
    info = build_warehouse(copy)
    assert info["practices_without_pcn"] == {"2026-03": 1, "2026-04": 1}  # K81001


def _pcn_parents_with(tmp_path, moved: dict[str, tuple[str, str, str, str]]) -> dict:
    """The golden lake (the `warehouse` fixture's) with its newest practice map rewritten, each practice in
    `moved` put in (pcn, sub-ICB, ICB, region), and every org level rebuilt: the current PCN U62051's rows."""
    import shutil

    import polars as pl

    copy = Layout(tmp_path / "data")
    shutil.copytree(LAYOUT["golden"].root, copy.root)
    newest = copy.lake / "practice_geography" / "month=2026-04" / "data.parquet"
    frame = pl.read_parquet(newest)
    for practice, (pcn, sub_icb, icb, region) in moved.items():
        here = pl.col("practice_code") == practice
        frame = frame.with_columns(
            pl.when(here).then(pl.lit(pcn)).otherwise("pcn_code").alias("pcn_code"),
            pl.when(here).then(pl.lit(sub_icb)).otherwise("sub_icb_code").alias("sub_icb_code"),
            pl.when(here).then(pl.lit(icb)).otherwise("icb_code").alias("icb_code"),
            pl.when(here).then(pl.lit(region)).otherwise("region_code").alias("region_code"),
        )
    frame.write_parquet(newest)
    build_warehouse(copy)
    with duckdb.connect(str(copy.warehouse / "msi.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT indicator_id, sub_icb_code, icb_code, region_code, practices FROM indicator_values "
            "WHERE org_type = 'pcn' AND org_code = 'U62051' AND geography = 'current' AND month = '2026-04'"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_a_pcn_spanning_two_sub_icbs_takes_the_parents_of_most_of_its_practices(warehouse, tmp_path):
    """Worked from the golden map: U62051 holds P84001 (00Y, QOP, Y62). With P84002 and K81001 both moved into
    it under Frimley's new sub-ICB (U2G6B, S0E4D, Y59), two of its three practices are there: the PCN's
    parents are U2G6B's, although 00Y sorts first. Counts pool practices whatever their parents."""
    frimley = ("U2G6B", "S0E4D", "Y59")
    rows = _pcn_parents_with(tmp_path, {"P84002": ("U62051", *frimley), "K81001": ("U62051", *frimley)})
    assert rows["nsaid_per_1000_65plus"] == (*frimley, 3)
    assert {r[:3] for r in rows.values()} == {frimley}


def test_a_pcn_split_evenly_takes_the_first_sub_icb_by_code(warehouse, tmp_path):
    """U62051 with P84001 in 00Y and P84002 moved to U2G6B: one practice each, so the tie goes to the sub-ICB
    code that sorts first (00Y, with its ICB and region)."""
    rows = _pcn_parents_with(tmp_path, {"P84002": ("U62051", "U2G6B", "S0E4D", "Y59")})
    assert rows["nsaid_per_1000_65plus"] == ("00Y", "QOP", "Y62", 2)
    assert {r[:3] for r in rows.values()} == {("00Y", "QOP", "Y62")}
