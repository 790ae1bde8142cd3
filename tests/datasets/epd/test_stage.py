"""EPD parsing: every header flavour, the real January 2026 rows, and every quirk of the published files."""

import hashlib
import zipfile

import duckdb
import pytest

from pipelines.datasets.epd.flavours import UnknownHeaderError, detect_flavour
from pipelines.datasets.epd.stage import IngestError, ingest_epd_month
from pipelines.layout import Layout
from pipelines.tables import lake_file
from pipelines.textfiles import parse_header_line
from tests.epd_fixtures import (
    LEGACY_AREA_TEAM_HEADER,
    LEGACY_ICB_HEADER,
    LEGACY_STP_HEADER,
    REAL_ROWS,
    SNOMED_LEGACY_HEADER,
    legacy_rows,
    snomed_legacy_rows,
    write,
)


def rows_of(path, order="bnf_code, practice_code, quantity"):
    with duckdb.connect() as con:
        rel = con.execute(f"SELECT * FROM read_parquet($p) ORDER BY {order}", {"p": str(path)})
        cols = [d[0] for d in rel.description]
        return [dict(zip(cols, r)) for r in rel.fetchall()]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "header, name, geography",
    [
        (LEGACY_ICB_HEADER, "epd_legacy", "ICB"),
        (LEGACY_STP_HEADER, "epd_legacy", "STP"),
        (LEGACY_AREA_TEAM_HEADER, "epd_legacy", "AREA_TEAM"),
        (SNOMED_LEGACY_HEADER, "snomed_legacy", "ICB"),
    ],
)
def test_detects_each_flavour(header, name, geography):
    flavour = detect_flavour(parse_header_line(header))
    assert (flavour.name, flavour.geography) == (name, geography)


def test_detects_the_real_2026_header():
    flavour = detect_flavour(parse_header_line(REAL_ROWS.read_bytes().splitlines()[0]))
    assert (flavour.name, flavour.geography) == ("snomed_2025", "ICB")
    # The March 2025 trap: BNF_CHEMICAL_SUBSTANCE is the *name* in this flavour.
    assert flavour.canonical[flavour.columns.index("BNF_CHEMICAL_SUBSTANCE")] == "chem_name"
    legacy = detect_flavour(parse_header_line(LEGACY_ICB_HEADER))
    assert legacy.canonical[legacy.columns.index("BNF_CHEMICAL_SUBSTANCE")] == "chem_code"


def test_unknown_header_names_unexpected_and_missing_columns():
    header = parse_header_line(LEGACY_ICB_HEADER.replace(b'"POSTCODE"', b'"POST_CODE"'))
    with pytest.raises(UnknownHeaderError) as err:
        detect_flavour(header, source="EPD_202401.csv")
    assert "EPD_202401.csv" in str(err.value)
    assert "unexpected columns ['POST_CODE']" in str(err.value)
    assert "missing columns ['POSTCODE']" in str(err.value)


def test_real_january_2026_rows_exact_values(tmp_path):
    result = ingest_epd_month(REAL_ROWS, "2026-01", Layout(tmp_path))
    # 17 rows; items summed by hand from the file: 4+3+1+3+2+5+5+3+42+11+1+1+2+1+40+1+2 = 127.
    assert (result.rows, result.items, result.practices, result.unidentified_rows) == (17, 127, 10, 0)
    rows = {r["bnf_code"]: r for r in rows_of(result.prescribing_path)}
    fex = rows["0304010E0AAABAB"]
    assert (fex["practice_code"], fex["sub_icb_code"], fex["icb_code"], fex["region_code"]) == (
        "G85034",
        "72Q00",
        "QKK",
        "Y56",
    )
    assert (fex["quantity"], fex["items"], fex["total_quantity"], fex["adq_usage"]) == (30.0, 42, 1260.0, 1890.0)
    assert (fex["nic"], fex["actual_cost"], fex["snomed_code"], fex["month"]) == (
        157.5,
        158.0208,
        "42189211000001108",
        "2026-01",
    )
    risp = rows["040201030AAAAAA"]
    assert risp["chem_code"] == "040201030"  # leading zero kept
    assert risp["chem_name"] == "Risperidone"
    tegaderm = rows["20030100183"]  # appliance: 11-character code, 4-character "chemical"
    assert (tegaderm["chem_code"], tegaderm["quantity"], tegaderm["total_quantity"], tegaderm["adq_usage"]) == (
        "2003",
        4.0,
        16.0,
        0.0,
    )
    assert tegaderm["actual_cost"] == 5.96231
    assert rows["0409010H0BIAEAM"]["adq_usage"] == 74.66667
    assert rows["0501050B0AAADAD"]["sub_icb_code"] == "D2P2L"  # a PCO code that is not <SICBL>00
    epipen = rows["0304030C0BEAAA2"]
    assert epipen["bnf_name"] == "EpiPen Jr. 150microg/0.3ml (1 in 2,000) inj auto-injectors"  # comma inside quotes
    practices = {r["practice_code"]: r for r in rows_of(result.practices_path, "practice_code")}
    assert practices["M88610"]["address_1"] == "SAREPHED MEDICAL CENTRE"
    assert practices["M88610"]["address_2"] == "ARDEN ROAD, SMETHWICK"
    assert practices["P85003"]["address_4"] is None  # published as "" : a blank field is NULL in the lake
    assert practices["P85002"]["practice_name"] == "ST MARY'S MEDICAL CENTRE"
    assert practices["G85034"]["icb_name"] == "NHS SOUTH EAST LONDON INTEGRATED CARE BOARD"
    assert practices["G85034"]["items"] == 42 + 11 + 1 + 1


@pytest.mark.parametrize(
    "header, rows, month, flavour",
    [
        (LEGACY_ICB_HEADER, legacy_rows(b"202401"), "2024-01", "epd_legacy"),
        (LEGACY_STP_HEADER, legacy_rows(b"202201"), "2022-01", "epd_legacy"),
        (SNOMED_LEGACY_HEADER, snomed_legacy_rows(b"202502"), "2025-02", "snomed_legacy"),
    ],
)
def test_legacy_flavours_exact_values(tmp_path, header, rows, month, flavour):
    source = write(tmp_path / "in" / "EPD_X.csv", header + rows)
    result = ingest_epd_month(source, month, Layout(tmp_path / "data"))
    assert result.flavour == flavour
    # Items by hand: 3 + 2 + 1 + 5 + 4 = 15; one unidentified row; practices P85002, M88999 and '-'.
    assert (result.rows, result.items, result.unidentified_rows, result.practices) == (5, 15, 1, 3)
    got = rows_of(result.prescribing_path)
    mtx25 = [r for r in got if r["bnf_code"] == "1001030U0AAABAB"]
    # Split-quantity rows stay separate rows; their totals are 24 x 3 = 72 and 28 x 2 = 56.
    assert [(r["quantity"], r["items"], r["total_quantity"]) for r in mtx25] == [(24.0, 3, 72.0), (28.0, 2, 56.0)]
    assert mtx25[0]["actual_cost"] == 4.51232 and mtx25[1]["nic"] == 3.73
    dressing = next(r for r in got if r["bnf_code"] == "20030100183")
    assert (dressing["practice_code"], dressing["unidentified"], dressing["sub_icb_code"]) == ("-", True, "00Y00")
    assert next(r for r in got if r["bnf_code"] == "040201030AAAAAA")["chem_code"] == "040201030"
    assert {r["month"] for r in got} == {month}
    if flavour == "snomed_legacy":
        assert next(r for r in got if r["bnf_code"] == "040201030AAAAAA")["snomed_code"] == "123456789012345678"
    else:
        assert all(r["snomed_code"] is None for r in got)
    names = {r["practice_code"]: r["practice_name"] for r in rows_of(result.practices_path, "practice_code")}
    assert names["M88999"] == "CAFÉ ROW SURGERY"  # decoded from the Latin-1 byte 0xC9
    assert names["-"] == "UNIDENTIFIED DOCTORS"


def test_zip64_input(tmp_path):
    csv = LEGACY_ICB_HEADER + legacy_rows()
    archive = tmp_path / "EPD_202401.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("EPD_202401.csv", "w", force_zip64=True) as member:  # as NHSBSA's >4 GB files are
            member.write(csv)
    result = ingest_epd_month(archive, "2024-01", Layout(tmp_path / "data"))
    assert (result.rows, result.items) == (5, 15)


def _good_month(tmp_path):
    layout = Layout(tmp_path / "data")
    good = write(tmp_path / "good.csv", LEGACY_ICB_HEADER + legacy_rows())
    ingest_epd_month(good, "2024-01", layout)
    return layout, lake_file(layout, "prescribing", "2024-01"), lake_file(layout, "practices", "2024-01")


def test_truncated_zip_fails_clearly_and_keeps_previous_partition(tmp_path):
    layout, rx, px = _good_month(tmp_path)
    before = (digest(rx), digest(px))
    archive = tmp_path / "EPD_202401.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_202401.csv", LEGACY_ICB_HEADER + legacy_rows() * 50)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="EPD_202401.zip: not a complete ZIP"):
        ingest_epd_month(archive, "2024-01", layout)
    assert (digest(rx), digest(px)) == before


def test_non_numeric_field_names_line_and_column_and_keeps_previous_partition(tmp_path):
    layout, rx, px = _good_month(tmp_path)
    before = (digest(rx), digest(px))
    rows = legacy_rows().replace(b'"7.",5,"35."', b'"7.",5,"3S."')  # line 5 of the file
    bad = write(tmp_path / "EPD_202401.csv", LEGACY_ICB_HEADER + rows)
    with pytest.raises(IngestError) as err:
        ingest_epd_month(bad, "2024-01", layout)
    assert "EPD_202401.csv" in str(err.value)
    assert "line 5, column TOTAL_QUANTITY: '3S.' is not a number" in str(err.value)
    assert (digest(rx), digest(px)) == before


def test_unknown_header_stops_ingest(tmp_path):
    layout, rx, _ = _good_month(tmp_path)
    before = digest(rx)
    bad = write(tmp_path / "EPD_202401.csv", LEGACY_ICB_HEADER.replace(b"NIC,", b"NET_COST,") + legacy_rows())
    with pytest.raises(UnknownHeaderError, match="unexpected columns \\['NET_COST'\\]"):
        ingest_epd_month(bad, "2024-01", layout)
    assert digest(rx) == before


def test_file_for_another_month_is_refused(tmp_path):
    source = write(tmp_path / "EPD_202402.csv", LEGACY_ICB_HEADER + legacy_rows(b"202401"))
    with pytest.raises(IngestError, match=r"YEAR_MONTH values \['202401'\] do not match the requested month 2024-02"):
        ingest_epd_month(source, "2024-02", Layout(tmp_path / "data"))
    assert not lake_file(Layout(tmp_path / "data"), "prescribing", "2024-02").exists()


def test_reingest_replaces_the_month_exactly(tmp_path):
    layout = Layout(tmp_path / "data")
    first = write(tmp_path / "a.csv", LEGACY_ICB_HEADER + legacy_rows())
    ingest_epd_month(first, "2024-01", layout)
    once = rows_of(lake_file(layout, "prescribing", "2024-01"))
    # A republished month (one row restated, one added) replaces the old content entirely.
    lines = legacy_rows().splitlines(keepends=True)
    restated = b"".join(lines[:3] + [lines[3].replace(b'"7.",5,"35."', b'"7.",6,"42."'), lines[4], lines[0]])
    ingest_epd_month(write(tmp_path / "b.csv", LEGACY_ICB_HEADER + restated), "2024-01", layout)
    twice = rows_of(lake_file(layout, "prescribing", "2024-01"))
    assert len(twice) == 6 and twice != once
    ingest_epd_month(tmp_path / "b.csv", "2024-01", layout)  # the same file again: the same content
    assert rows_of(lake_file(layout, "prescribing", "2024-01")) == twice
    assert not any(p.name.endswith(".tmp") for p in layout.lake.rglob("*"))


def test_prescribing_keeps_the_file_row_order(tmp_path):
    # The name repair finds a row's raw line by its position in the fact (file_row_number).
    result = ingest_epd_month(REAL_ROWS, "2026-01", Layout(tmp_path))
    published = [line.split(b'","')[16].decode() for line in REAL_ROWS.read_bytes().splitlines()[1:]]
    with duckdb.connect() as con:
        codes = [
            r[0]
            for r in con.execute(
                "SELECT bnf_code FROM read_parquet($p)", {"p": str(result.prescribing_path)}
            ).fetchall()
        ]
    assert codes == published


def test_latin1_text_is_exact_even_where_it_looks_like_utf8(tmp_path):
    # 0xC3 0xA9 is "Ã©" in Latin-1 but would pass as "é" in a UTF-8 read; 0xB5 is the micro sign.
    # Thousands of rows first, so the raw lines are found far into the file.
    rows = (legacy_rows().split(b"\n")[0] + b"\n") * 3000 + legacy_rows()
    rows = (
        rows.replace(b"ROCK STREET", b"\xc3\xa9TOILE STREET")
        .replace(b"Risperidone 1mg tablets", b"Risperidone 1mg tablets \xb5")
        .replace(b"Methotrexate 10mg tablets", b"Methotrexate 10mg tablets \xc3\xa9")  # a name that reads as UTF-8
    )
    source = write(tmp_path / "EPD_202401.csv", LEGACY_ICB_HEADER + rows)
    result = ingest_epd_month(source, "2024-01", Layout(tmp_path / "data"))
    practices = {r["practice_code"]: r for r in rows_of(result.practices_path, "practice_code")}
    assert practices["P85002"]["address_2"] == "Ã©TOILE STREET"
    assert practices["M88999"]["practice_name"] == "CAFÉ ROW SURGERY"
    risperidone = {r["bnf_name"] for r in rows_of(result.prescribing_path) if r["bnf_code"] == "040201030AAAAAA"}
    assert risperidone == {"Risperidone 1mg tablets µ"}
    methotrexate = {r["bnf_name"] for r in rows_of(result.prescribing_path) if r["bnf_code"] == "1001030U0AAACAC"}
    assert methotrexate == {"Methotrexate 10mg tablets Ã©"}


def test_the_suite_judges_the_bytes_that_are_published(tmp_path):
    """The suite runs beside the name decoding (pipelines/datasets/epd/stage.py: _stage); when a presentation
    name must be repaired the fact is rewritten, and the verdict must then be on the rewritten file."""
    rows = legacy_rows().replace(b"Risperidone 1mg tablets", b"Risperidone 1mg tablets \xb5")
    source = write(tmp_path / "EPD_202401.csv", LEGACY_ICB_HEADER + rows)
    judged = []

    def validate(staged, geography):
        judged.append(digest(staged))
        return {"success": True, "failed": []}

    result = ingest_epd_month(source, "2024-01", Layout(tmp_path / "data"), validate=validate)
    assert len(judged) == 2 and judged[-1] == digest(result.prescribing_path) != judged[0]
    plain = ingest_epd_month(
        write(tmp_path / "EPD_202402.csv", LEGACY_ICB_HEADER + legacy_rows().replace(b"202401", b"202402")),
        "2024-02",
        Layout(tmp_path / "data2"),
        validate=validate,
    )
    assert len(judged) == 3 and judged[-1] == digest(plain.prescribing_path)


def test_a_file_cut_short_is_refused_and_the_month_kept(tmp_path):
    import hashlib

    from pipelines.datasets.epd.stage import IngestError

    layout = Layout(tmp_path / "data")
    good = REAL_ROWS.read_bytes()
    ingest_epd_month(REAL_ROWS, "2026-01", layout)
    before = hashlib.sha256(lake_file(layout, "prescribing", "2026-01").read_bytes()).hexdigest()
    cut = write(tmp_path / "EPD_SNOMED_202601.csv", good[: len(good) - 40])  # inside the last field
    with pytest.raises(IngestError, match="EPD_SNOMED_202601.csv: the file ends part-way through a line"):
        ingest_epd_month(cut, "2026-01", layout)
    assert hashlib.sha256(lake_file(layout, "prescribing", "2026-01").read_bytes()).hexdigest() == before


def _names(result):
    import duckdb as _duckdb

    with _duckdb.connect() as con:
        return dict(
            con.execute(
                "SELECT practice_code, practice_name FROM read_parquet($p)", {"p": str(result.practices_path)}
            ).fetchall()
        )


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_utf8_file_is_detected_and_its_names_decoded(tmp_path, bom):
    text = REAL_ROWS.read_bytes().replace(b'"THE CHOWDHURY PRACTICE"', '"BRONTË PRACTICE"'.encode())
    result = ingest_epd_month(write(tmp_path / "EPD_SNOMED_202601.csv", bom + text), "2026-01", Layout(tmp_path))
    assert result.encoding == "utf-8"
    assert _names(result)["P85003"] == "BRONTË PRACTICE"


def test_latin1_stays_latin1(tmp_path):
    text = REAL_ROWS.read_bytes().replace(b'"THE CHOWDHURY PRACTICE"', '"BRONTË PRACTICE"'.encode("latin-1"))
    result = ingest_epd_month(write(tmp_path / "EPD_SNOMED_202601.csv", text), "2026-01", Layout(tmp_path))
    assert result.encoding == "latin-1" and _names(result)["P85003"] == "BRONTË PRACTICE"


def test_a_quoted_newline_does_not_shift_names(tmp_path):
    """Legal CSV: a newline inside a quoted address. Every practice keeps its own name."""
    expected = _names(ingest_epd_month(REAL_ROWS, "2026-01", Layout(tmp_path / "a")))
    text = REAL_ROWS.read_bytes().replace(b'"INTEGRATED CARE CENTRE"', b'"INTEGRATED\nCARE CENTRE"')
    assert text != REAL_ROWS.read_bytes()
    result = ingest_epd_month(write(tmp_path / "b" / "EPD_SNOMED_202601.csv", text), "2026-01", Layout(tmp_path / "b"))
    assert _names(result) == expected and result.rows == 17


@pytest.mark.parametrize(
    "fix, fields", [(lambda row: row.replace(b"\n", b',"x"\n'), 28), (lambda row: row.rsplit(b",", 1)[0] + b"\n", 26)]
)
def test_a_row_with_the_wrong_number_of_fields_is_named(tmp_path, fix, fields):
    from pipelines.datasets.epd.stage import IngestError

    lines = REAL_ROWS.read_bytes().splitlines(keepends=True)
    bad = write(tmp_path / "EPD_SNOMED_202601.csv", b"".join(lines[:5] + [fix(lines[5])] + lines[6:]))
    if fields == 28:  # an extra field would be dropped silently by a streaming read: refused, naming the line
        with pytest.raises(
            IngestError, match=f"EPD_SNOMED_202601.csv: line 6 has {fields} fields where the header has 27"
        ):
            ingest_epd_month(bad, "2026-01", Layout(tmp_path / "data"))
    else:  # a missing last field (SNOMED_CODE) reads as an empty one: accepted, the code NULL
        result = ingest_epd_month(bad, "2026-01", Layout(tmp_path / "data"))
        assert result.rows == 17


@pytest.mark.parametrize("window", [1, 7, 64, 8 << 20])
def test_line_offsets_find_each_row_across_window_edges(tmp_path, window):
    """Each data row's byte offset and the count of line ends, whatever the window the newlines are counted in
    (a row may start in the window after its newline's, or a window hold no newline at all): against the
    offsets found by reading the file line by line."""
    from pipelines.datasets.epd.scan import line_offsets

    lines = [b"HEADER,A,B\n"] + [b"row %d," % k + b"x" * (k * 13 % 29) + b"\r\n" for k in range(200)]
    path = tmp_path / "f.csv"
    path.write_bytes(b"".join(lines))
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line)
    rows = [0, 1, 2, 57, 58, 150, 199]
    found, ends = line_offsets(path, rows[::-1] + [57], window=window)
    assert found == {r: starts[r + 1] for r in rows} and ends == 201
