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


def text_encoding(csv_path: Path) -> str:
    """'utf-8' for a file with a byte-order mark or whose bytes all read as UTF-8, else 'latin-1'. NHS
    Digital's files are mostly ASCII; a practice name with an accent has come both ways."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(csv_path, "rb") as fh:
        try:
            for block in iter(lambda: fh.read(1 << 24), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"
