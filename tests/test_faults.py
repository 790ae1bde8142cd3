"""Fault injection, the EPD file: one damaged or unusual input at a time, through `msi run`, against a data
directory that already holds a good month. For every case: the exit status, the line the user sees, and —
when the input is refused — that every lake and warehouse file is byte-identical afterwards (sha256).

The good month is the 17 real rows of NHSBSA's January 2026 EPD with SNOMED code (byte for byte), with
no NHS Digital files (the month degrades, loudly). Each case changes those bytes one way. The files beside
the EPD: tests/test_faults_side_files.py; runs, locks and damaged data: tests/test_faults_runs.py; the
e-mail: tests/test_faults_notify.py."""

import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.outputs.report.site import read_data_module
from tests.epd_fixtures import REAL_ROWS
from tests.fault_runs import digests, one_line, run

GOOD = REAL_ROWS.read_bytes()
LINES = GOOD.splitlines(keepends=True)


def _replace_line(index: int, change) -> bytes:
    return b"".join(LINES[:index] + [change(LINES[index])] + LINES[index + 1 :])


# (case, the published bytes, exit status, what the user must read)
CASES = [
    (
        "negative quantity and cost",
        GOOD.replace(b'"4.",4,"16.","0.","6.56","5.96231"', b'"-4.",4,"-16.","0.","-6.56","-5.96231"'),
        1,
        "measures are not negative: quantity, items, total_quantity, adq_usage, nic, actual_cost: 1 unexpected, "
        "e.g. ['practice_code P85002; bnf_code 20030100183; quantity -4.0",
    ),  # refused, the row named
    ("cut inside the last field", GOOD[:-20], 1, "the file ends part-way through a line"),
    (
        "cut cleanly at a line end (85 %)",
        b"".join(LINES[:15]),
        1,
        "has 14 rows where 2026-01 already holds 17: a republished month only gains rows",
    ),
    (
        "a row with an extra field",
        _replace_line(5, lambda row: row.replace(b"\n", b',"x"\n')),
        1,
        "line 6 has 28 fields where the header has 27",
    ),
    (
        "a number that is not one",
        _replace_line(3, lambda row: row.replace(b',"30.",1,', b',"30.",x3,')),
        1,
        "column ITEMS",
    ),
    (
        "a SNOMED code cut short",
        GOOD.replace(b",729011000001103\n", b",72901100000110\n"),
        1,
        "SNOMED CT codes end in a valid Verhoeff check digit",
    ),
    ("a geography code of another era", GOOD.replace(b'"QOP"', b'"Q52"'), 1, "icb_code in the 42 ICB codes"),
    ("the header repeated as a row", b"".join(LINES[:4] + [LINES[0]] + LINES[4:]), 1, "EPD_SNOMED_202601.csv"),
    ("a UTF-8 byte-order mark", b"\xef\xbb\xbf" + GOOD, 0, "all passed"),
    (
        "a UTF-8 file with an accented name",
        GOOD.replace(b'"THE CHOWDHURY PRACTICE"', '"BRONTË PRACTICE"'.encode()),
        0,
        "all passed",
    ),
    (
        "a row missing its last field (SNOMED_CODE)",
        _replace_line(5, lambda row: row.rsplit(b",", 1)[0] + b"\n"),
        0,
        "all passed",
    ),
    (
        "a newline inside a quoted address",
        GOOD.replace(b'"INTEGRATED CARE CENTRE"', b'"INTEGRATED\nCARE CENTRE"'),
        0,
        "all passed",
    ),
    (
        "a practice name that is a formula",
        GOOD.replace(b'"THE CHOWDHURY PRACTICE"', b'"=HYPERLINK(""http://x.example"",""go"")"'),
        0,
        "all passed",
    ),
    # Repeated rows would be summed: the month counted twice (methotrexate 10 mg items 4 -> 8).
    (
        "a block of rows published twice",
        b"".join(LINES[:6] + LINES[3:6] + LINES[6:]),
        1,
        "no key repeats: 6 unexpected, e.g. ['practice_code M83038; bnf_code 0307000C0BUAAAR",
    ),
    ("the whole file twice", GOOD + b"".join(LINES[1:]), 1, "no key repeats: 34 unexpected"),
    (
        "ADQ_USAGE that is NaN",
        _replace_line(11, lambda row: row.replace(b',"75.",', b',"NaN",')),
        1,
        "measures are finite numbers (no NaN or infinity): quantity, total_quantity, adq_usage, nic, actual_cost: 1 "
        "unexpected, e.g. ['practice_code G85034; bnf_code 0408010W0BBALA2; quantity 180.0; items 1; total_quantity "
        "180.0; adq_usage nan",
    ),
    (
        "NIC that is infinite",
        _replace_line(11, lambda row: row.replace(b',"52.38",', b',"inf",')),
        1,
        "measures are finite numbers",
    ),
    # Encodings no publisher uses: named for what they are, with the file (was Python's "new-line character
    # seen in unquoted field - do you need to open the file in universal-newline mode?", naming no file).
    (
        "UTF-16 with its byte-order mark",
        GOOD.decode("latin-1").encode("utf-16"),
        1,
        "EPD_SNOMED_202601.csv: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); NHSBSA and NHS "
        "Digital publish UTF-8 or Latin-1 CSV",
    ),
    (
        "UTF-16 without a byte-order mark",
        GOOD.decode("latin-1").encode("utf-16-le"),
        1,
        "EPD_SNOMED_202601.csv: NUL bytes at line 1 (UTF-16 text without a byte-order mark, or not text at all)",
    ),
    ("UTF-32", GOOD.decode("latin-1").encode("utf-32"), 1, "the file is UTF-32 text"),
    (
        "a NUL byte in a row",
        _replace_line(7, lambda row: row.replace(b'"NHS NORTHAMPTONSHIRE', b'"NHS\0NORTHAMPTONSHIRE')),
        1,
        "EPD_SNOMED_202601.csv: NUL bytes at line 8",
    ),
    (
        "a QUANTITY of 1e300",
        _replace_line(11, lambda row: row.replace(b'"180.",1,"180."', b'"1e300",1,"1e300"')),
        1,
        "measures are within what a real row can have: items <= 1,000,000, quantity <= 1,000,000",
    ),
]


@pytest.fixture(scope="module")
def good_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    (root / "epd").mkdir()
    (root / "lists" / "2026-01").mkdir(parents=True)
    (root / "epd" / "EPD_SNOMED_202601.csv").write_bytes(GOOD)
    result = run(root / "epd", root / "lists", root / "data")
    assert result.exit_code == 0, result.output
    return root / "data"


def _copy_and_run(good_data: Path, tmp_path: Path, name: str, content: bytes):
    """A copy of the good data directory, the month's EPD file replaced by `content`, and `msi run`."""
    data = tmp_path / "data"
    shutil.copytree(good_data, data)
    before = digests(data)
    epd, lists = tmp_path / "epd", tmp_path / "lists"
    epd.mkdir()
    (lists / "2026-01").mkdir(parents=True)
    (epd / name).write_bytes(content)
    return data, before, run(epd, lists, data)


@pytest.mark.parametrize("case, content, status, said", CASES, ids=[c[0] for c in CASES])
def test_fault(good_data, tmp_path, case, content, status, said):
    data, before, result = _copy_and_run(good_data, tmp_path, "EPD_SNOMED_202601.csv", content)
    output = one_line(result)
    assert result.exit_code == status, output
    assert said in output, output
    assert "Traceback" not in result.output
    if status:
        assert digests(data) == before  # the good month, lake and warehouse, byte for byte
        assert "Earlier months' data is untouched" in output and str(data / "logs" / "msi.log") in output
    if case == "a UTF-8 file with an accented name":  # decoded as UTF-8, not as Latin-1 mojibake
        import duckdb

        with duckdb.connect() as con:
            name = con.execute(
                "SELECT practice_name FROM read_parquet($p) WHERE practice_code = 'P85003'",
                {"p": str(data / "lake" / "practices" / "month=2026-01" / "data.parquet")},
            ).fetchone()[0]
        assert name == "BRONTË PRACTICE"
    if case == "a practice name that is a formula":  # stays text in the workbook
        import openpyxl

        wb = openpyxl.load_workbook(data / "extracts" / "2026-01" / "QOP.xlsx")
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if str(c.value).startswith("=HYPER")]
        assert cells and all(c.data_type == "s" for c in cells)


def _lying_zip(path: Path) -> bytes:
    """A ZIP of the month whose member declares 7,000 bytes and inflates to 256 MiB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("EPD_SNOMED_202601.csv", "w") as dst:
            dst.write(GOOD)
            for _ in range(4):
                dst.write(b"\0" * (64 << 20))
    data = bytearray(path.read_bytes())
    member = zipfile.ZipFile(path).infolist()[0]
    data[member.header_offset + 22 : member.header_offset + 26] = (7000).to_bytes(4, "little")
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (7000).to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize(
    "case, content, said",
    [
        (
            "a member that lies about its size",
            "lying",
            "EPD_SNOMED_202601.zip: EPD_SNOMED_202601.csv inflates beyond the 7,000 bytes its header declares "
            "(stopped at",
        ),
        (
            "an encrypted member",
            "encrypted",
            "EPD_SNOMED_202601.zip: EPD_SNOMED_202601.csv is encrypted "
            "(password-protected): msi cannot read it, and downloading it again will not help",
        ),
    ],
)
def test_a_zip_that_cannot_be_read_as_published_is_named(good_data, tmp_path, case, content, said):
    bytes_ = (
        _lying_zip(tmp_path / "lying.zip")
        if content == "lying"
        else (Path(__file__).parent / "fixtures" / "encrypted_EPD_SNOMED_202601.zip").read_bytes()
    )
    data, before, result = _copy_and_run(good_data, tmp_path / "run", "EPD_SNOMED_202601.zip", bytes_)
    output = one_line(result)
    assert result.exit_code == 1 and said in output, output
    assert "Traceback" not in result.output
    assert digests(data) == before
    assert not any((data / "tmp").rglob("*.csv"))  # nothing of it left on disk


def test_a_truncated_zip_is_refused_and_the_month_kept(good_data, tmp_path):
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_SNOMED_202601.csv", GOOD * 50)
    data, before, result = _copy_and_run(
        good_data, tmp_path / "run", "EPD_SNOMED_202601.zip", whole.read_bytes()[: whole.stat().st_size // 2]
    )
    assert result.exit_code == 1 and "ZIP" in result.output, result.output
    assert digests(data) == before


def _zip_of(path: Path, content: bytes) -> bytes:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EPD_SNOMED_202601.csv", content)
    return path.read_bytes()


def _run_with(good_data, tmp_path, files: dict[str, bytes]):
    data = tmp_path / "data"
    shutil.copytree(good_data, data)
    before = digests(data)
    epd, lists = tmp_path / "epd", tmp_path / "lists"
    (lists / "2026-01").mkdir(parents=True)
    for name, content in files.items():
        (epd / name).parent.mkdir(parents=True, exist_ok=True)
        (epd / name).write_bytes(content)
    return data, before, run(epd, lists, data)


REPUBLISHED = GOOD.replace(b'"28.",5,"140."', b'"28.",6,"168."')  # one row restated, as a republication does


@pytest.mark.parametrize(
    "case, files",
    [
        (
            "last month's CSV left beside the republished ZIP",
            lambda t: {"EPD_SNOMED_202601.csv": GOOD, "EPD_SNOMED_202601.zip": _zip_of(t / "new.zip", REPUBLISHED)},
        ),
        (
            "the month under both datasets' names",
            lambda t: {"EPD_SNOMED_202601.csv": REPUBLISHED, "EPD_202601.csv": GOOD},
        ),
        (
            "the folder and its month sub-folder",
            lambda t: {"EPD_SNOMED_202601.csv": REPUBLISHED, "2026-01/EPD_SNOMED_202601.csv": GOOD},
        ),
    ],
)
def test_two_different_files_for_a_month_are_refused_naming_both(good_data, tmp_path, case, files):
    chosen = files(tmp_path)
    data, before, result = _run_with(good_data, tmp_path, chosen)
    output = one_line(result)
    assert result.exit_code == 1, output
    assert "EPD for 2026-01: 2 different files" in output and "msi will not guess which is current" in output, output
    for name in chosen:
        assert name.split("/")[-1] in output
    assert digests(data) == before


def test_the_same_month_as_csv_and_zip_is_read_once_and_named(good_data, tmp_path):
    data, before, result = _run_with(
        good_data,
        tmp_path,
        {"EPD_SNOMED_202601.csv": REPUBLISHED, "EPD_SNOMED_202601.zip": _zip_of(tmp_path / "same.zip", REPUBLISHED)},
    )
    output = one_line(result)
    assert result.exit_code == 0, output
    assert (
        f"2026-01: EPD read from {tmp_path / 'epd' / 'EPD_SNOMED_202601.csv'} ({len(REPUBLISHED):,} bytes; "
        "file modified " in output
    ), output


def test_a_whole_icb_missing_from_the_month_is_said_everywhere(good_data, tmp_path):
    """The month's EPD without Greater Manchester's rows (QOP: its 2 practices are in NHS Digital's map): the
    month publishes, with a warning naming the ICB in the run summary and the asset check, and QOP's report
    page, workbook and e-mail say "no prescribing data" instead of lacking the month."""
    import openpyxl

    from tests.fault_runs import month_inputs

    without = b"".join(line for line in LINES if b'"QOP"' not in line)
    assert without.count(b"\n") == 16  # the header and 15 rows: the two Greater Manchester rows are gone
    epd, lists = month_inputs(tmp_path, epd=without)
    data = tmp_path / "data"
    result = run(epd, lists, data, report=True)
    output = one_line(result)
    assert result.exit_code == 0, output
    said = (
        "warning 2026-01: no prescribing for ICB QOP (NHS GREATER MANCHESTER INTEGRATED CARE BOARD: 0 of 2 "
        "practices in the month's practice map)"
    )
    assert said in output, output
    line = "No prescribing data for January 2026: NHSBSA's file for the month has no rows for this ICB's 2 practices"
    _, month = read_data_module(data / "reports" / "data" / "2026-01" / "month.js")
    assert month["absent"]["QOP"][1].startswith(line)  # the ICB's page says it
    assert any(
        n.startswith("NHS GREATER MANCHESTER INTEGRATED CARE BOARD (QOP): " + line) for n in month["england"]["notices"]
    )
    sheet = openpyxl.load_workbook(data / "extracts" / "2026-01" / "QOP.xlsx")["Summary"]
    assert sheet["A3"].value.startswith(line)
    (data / "subscriptions.yaml").write_text("subscriptions:\n  - icb: QOP\n    to: [gm@example.nhs.uk]\n")
    notified = CliRunner().invoke(main, ["notify", "--dry-run", "--data-dir", str(data)])
    assert notified.exit_code == 0, notified.output
    import email
    from email import policy

    message = email.message_from_bytes((data / "outbox" / "2026-01" / "QOP.eml").read_bytes(), policy=policy.default)
    assert message["Subject"].strip().startswith("Medication safety, January 2026: no prescribing data - ")
    assert line in " ".join(message.get_body(("plain",)).get_content().split())
