"""Reading the first line and the encoding of a published CSV: shared by the EPD and NHS Digital readers."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path


def parse_header_line(line: bytes | str) -> list[str]:
    """Split a raw header line (quoted or not) into column names."""
    if isinstance(line, bytes) and line.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark
        line = line[3:]
    text = line.decode("latin-1") if isinstance(line, bytes) else line
    row = next(csv.reader(io.StringIO(text.strip("\r\n"))), [])
    return [c.strip().lstrip("\ufeff") for c in row]


class NotText(ValueError):
    """A file that is not UTF-8 or Latin-1 text as published; the message names the file and what it is."""


# Longest first: a UTF-32 little-endian mark begins with the UTF-16 one.
BYTE_ORDER_MARKS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
PUBLISHED = "NHSBSA and NHS Digital publish UTF-8 or Latin-1 CSV"


def check_text(block: bytes, name: str, offset_lines: int = 0) -> None:
    """Refuse text in an encoding no publisher uses (a UTF-16 or UTF-32 byte-order mark), or with NUL bytes
    (UTF-16 without a mark, or not text at all), naming the file and the line: otherwise the CSV reader
    fails later with a message that names neither. `block` is the start of the file (or a later block,
    `offset_lines` lines in)."""
    if offset_lines == 0:
        for mark, encoding in BYTE_ORDER_MARKS:
            if block.startswith(mark):
                raise NotText(
                    f"{name}: the file is {encoding} text (it starts with a {encoding} byte-order mark); "
                    f"{PUBLISHED}: save it as UTF-8 CSV, or take the published file again"
                )
    if b"\0" in block:
        line = offset_lines + block[: block.index(b"\0")].count(b"\n") + 1
        raise NotText(
            f"{name}: NUL bytes at line {line:,} (UTF-16 text without a byte-order mark, or not text at "
            f"all); {PUBLISHED}: take the published file again"
        )


def text_encoding(csv_path: Path) -> str:
    """'utf-8' for a file with a byte-order mark or whose bytes all read as UTF-8, else 'latin-1'. NHS
    Digital's files are mostly ASCII; a practice name with an accent has come both ways. Reading every
    byte anyway, it refuses what is not text (check_text) wherever it stands in the file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, lines = True, 0
    with open(csv_path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            check_text(block, csv_path.name, lines)
            lines += block.count(b"\n")
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return "utf-8" if utf8 else "latin-1"
