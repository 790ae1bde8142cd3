"""One streaming pass over a published EPD CSV with polars, and exact Latin-1 text from the raw bytes.

Why polars and not DuckDB's `encoding='latin-1'`: on a national month DuckDB's Latin-1 transcoding
costs 2.4 x its plain UTF-8 scan (BENCHMARKS.md), more than the whole ingest budget. The EPD is ASCII
except for a few practice names and addresses (`BRONTË`), so the fact is read as UTF-8 *lossily*: codes
and numbers are ASCII and come through exactly. Text that may not be ASCII is never taken from the
lossy read: practice names and addresses are decoded as Latin-1 from the first raw line of each
practice, and presentation names that came through non-ASCII are re-read the same way (`raw_rows`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.datasets.epd.flavours import Flavour

# Text columns that can carry Latin-1 bytes; codes, dates and numbers are ASCII by specification.
PRACTICE_TEXT = (
    "practice_name",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "postcode",
    "sub_icb_name",
    "icb_name",
    "region_name",
)
PRESENTATION_TEXT = ("chem_name", "bnf_name")
UNIDENTIFIED = pl.Enum(["N", "Y"])


def _text(name: str) -> pl.Expr:
    """Trimmed text; a blank field (`""` or nothing) is NULL, as DuckDB's CSV reader makes it."""
    text = pl.col(name).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def _number(name: str, dtype=pl.Float64, empty_is_null: bool = False) -> pl.Expr:
    text = pl.col(name)
    if empty_is_null:
        text = pl.when(text == "").then(None).otherwise(text)
    return text.cast(dtype, strict=True).alias(name)


OVERFLOW = "_overflow"  # a field beyond the header's last: its row has more fields than the header


def epd_frame(csv_path: Path, flavour: Flavour) -> pl.LazyFrame:
    """The CSV as text columns named canonically (the header was matched to `flavour` already), plus one
    column that catches a field beyond the header's count (the streaming reader would drop it silently)."""
    schema = pl.Schema({**{c: pl.String for c in flavour.canonical}, OVERFLOW: pl.String})
    return pl.scan_csv(
        csv_path,
        has_header=False,
        skip_rows=1,
        schema=schema,
        truncate_ragged_lines=True,
        missing_columns="insert",
        encoding="utf8-lossy",
        quote_char='"',
        glob=False,  # a path, even with [ ] * ? in it
    )


def fact_plan(frame: pl.LazyFrame, flavour: Flavour, month: str) -> pl.LazyFrame:
    """The columns of lake/prescribing, typed strictly: a value that will not cast raises.

    Fields are taken as published, untrimmed: NHSBSA never pads them, and trimming 18 million rows of
    ten columns costs more than the rest of the read (the GE suite checks every code's format).
    YEAR_MONTH must be `month` in either published form (202601 or 2026-01), or the cast raises."""
    compact = month.replace("-", "")
    year_month = pl.col("year_month").cast(pl.Enum(sorted({compact, month})), strict=True)
    # A row with more fields than the header makes this strict cast raise (the diagnosis then names the line).
    fields_ok = (
        pl.when(pl.col(OVERFLOW).is_null())
        .then(pl.lit("1"))
        .otherwise(pl.lit("extra field"))
        .cast(pl.Int8, strict=True)
        == 1
    )
    snomed = _text("snomed_code") if flavour.has_snomed else pl.lit(None, pl.String)
    return frame.select(
        pl.when(year_month.is_not_null() & fields_ok).then(pl.lit(month)).alias("month"),
        "region_code",
        "icb_code",
        "sub_icb_code",
        "practice_code",
        "chem_code",
        "chem_name",
        "bnf_code",
        "bnf_name",
        snomed.alias("snomed_code"),
        _number("quantity"),
        _number("items", pl.Int32),
        _number("total_quantity"),
        _number("adq_usage", empty_is_null=True),
        _number("nic"),
        _number("actual_cost"),
        # A strict cast to an enum is cheaper than replace_strict on a national month, and still refuses
        # anything but Y or N.
        (pl.col("unidentified").cast(UNIDENTIFIED, strict=True) == "Y").alias("unidentified"),
    )


def write_fact(csv_path: Path, flavour: Flavour, month: str, fact_path: Path) -> None:
    """The fact in one streaming scan of the CSV; its row order is the file's (file_row_number = data row)."""
    plan = fact_plan(epd_frame(csv_path, flavour), flavour, month)
    # maintain_order: row i of the fact is data row i of the file, which the name decoding relies on.
    plan.sink_parquet(fact_path, compression="zstd", row_group_size=122_880, maintain_order=True)


UTF8_BOM = b"\xef\xbb\xbf"


def line_offsets(path: Path, rows: list[int], window: int = 8 << 20) -> tuple[dict[int, int], int]:
    """Byte offset of each 0-based data row (header = line 0) by counting newlines with numpy, and the
    file's total count of line ends (to tell whether a quoted field holds a newline: see `raw_rows`).

    Maps one `window` of bytes (8 MB) at a time, so resident memory stays small and the comparison's
    temporary array stays in the processor's cache: a national month's 8 GB in 3.7-3.9 s, against 7.0-8.1 s
    with 256 MB windows (BENCHMARKS.md, issue 31)."""
    wanted = sorted(set(rows))
    found: dict[int, int] = {}
    size = path.stat().st_size
    seen, i = 0, 0  # seen = newlines before this window
    for start in range(0, size, window):
        part = np.memmap(path, dtype=np.uint8, mode="r", offset=start, shape=(min(window, size - start),))
        newlines = np.flatnonzero(part == 10)
        del part
        # data row r starts just after newline number r (0-based): the header ends with newline 0.
        while i < len(wanted) and wanted[i] < seen + newlines.size:
            found[wanted[i]] = start + int(newlines[wanted[i] - seen]) + 1
            i += 1
        seen += newlines.size
    return found, seen


def parsed_rows(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    """(0-based data row, line number where it ends, fields) for every data row, parsing the CSV itself
    (quoted newlines included; Latin-1 maps bytes 1:1, so fields re-encode to their exact bytes). Slow on
    a national month: for the rare paths that need it."""
    with open(path, "rb") as fh:
        reader = csv.reader(io.TextIOWrapper(fh, encoding="latin-1", newline=""))
        next(reader, None)
        for index, fields in enumerate(reader):
            yield index, reader.line_num, fields


def _exact_rows(path: Path, rows: list[int]) -> dict[int, list[bytes]]:
    """The wanted data rows' fields as raw bytes, by parsing the CSV: right when a quoted field holds a
    newline (legal CSV), which shifts every later line."""
    wanted, out = set(rows), {}
    for index, _, fields in parsed_rows(path):
        if index in wanted:
            out[index] = [f.encode("latin-1") for f in fields]
            if len(out) == len(wanted):
                break
    return out


def _split(line: bytes) -> list[bytes]:
    return [f.encode("latin-1") for f in next(csv.reader(io.StringIO(line.decode("latin-1"))))]


def detect_encoding(path: Path, samples: list[bytes]) -> str:
    """'utf-8' for a file with a byte-order mark, or whose non-ASCII text (in `samples`: the fields whose
    names are decoded) all reads as UTF-8; else 'latin-1', NHSBSA's usual encoding. One stray byte that is
    not UTF-8 (BRONTË's 0xCB) settles it as Latin-1."""
    with open(path, "rb") as fh:
        if fh.read(3) == UTF8_BOM:
            return "utf-8"
    non_ascii = [b for b in samples if any(byte > 127 for byte in b)]
    if not non_ascii:
        return "latin-1"
    try:
        for b in non_ascii:
            b.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def raw_rows(
    path: Path, rows: list[int], flavour: Flavour, data_rows: int | None = None
) -> tuple[dict[int, dict[str, str]], str]:
    """The named data rows decoded exactly as published, keyed by row number, and the encoding used.
    `data_rows` (the rows the streaming read found) tells whether line ends can be counted: if the file
    has more line ends than rows, some quoted field holds a newline and the CSV itself is parsed."""
    offsets, line_ends = line_offsets(path, rows)
    if data_rows is not None and line_ends > data_rows + 1:
        fields = _exact_rows(path, rows)
    else:
        fields = {}
        with open(path, "rb") as fh:
            for row, offset in offsets.items():
                fh.seek(offset)
                fields[row] = _split(fh.readline().rstrip(b"\r\n"))
    encoding = detect_encoding(path, [f for values in fields.values() for f in values])
    out = {
        row: {name: value.decode(encoding).strip() for name, value in zip(flavour.canonical, values)}
        for row, values in fields.items()
    }
    return out, encoding


def practice_names(
    keys: list[tuple[str, str, int]], csv_path: Path, flavour: Flavour, data_rows: int | None = None
) -> tuple[pl.DataFrame, str]:
    """Names and addresses of each (practice, sub-ICB), decoded exactly from its first row; and the
    file's encoding."""
    originals, encoding = raw_rows(csv_path, [row for _, _, row in keys], flavour, data_rows)
    text = ("icb_code", "region_code", *PRACTICE_TEXT)
    return pl.DataFrame(
        [{"practice_code": p, "sub_icb_code": s, **{c: originals[r][c] or None for c in text}} for p, s, r in keys],
        schema={"practice_code": pl.String, "sub_icb_code": pl.String, **{c: pl.String for c in text}},
    ), encoding


def presentation_repairs(
    rows: dict[str, int], csv_path: Path, flavour: Flavour, data_rows: int | None = None
) -> pl.DataFrame:
    """Exact originals of chem_name/bnf_name for presentations whose lossy names were not ASCII."""
    originals, _ = raw_rows(csv_path, list(rows.values()), flavour, data_rows)
    return pl.DataFrame(
        [{"bnf_code": code, **{c: originals[r][c] for c in PRESENTATION_TEXT}} for code, r in rows.items()],
        schema={"bnf_code": pl.String, **{c: pl.String for c in PRESENTATION_TEXT}},
    )
