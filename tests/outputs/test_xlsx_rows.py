"""RowsSheet writes a sheet's data rows as xlsxwriter would: the same cells, read back by openpyxl, as the same
values cell by cell written through xlsxwriter's own write_string / write_number / write_boolean."""

from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter

from pipelines.outputs.xlsx_rows import EXCEL_CELL_LIMIT, RowsSheet

TEXTS = [
    "Plain practice",
    "A & B <surgery> \"quoted\" 'single'",
    '=HYPERLINK("http://example.org","x")',  # text, never a formula
    "+44 123",
    "00123",  # text, never a number
    "  leading and trailing  ",
    "tab\tand\nnew line",
    "control \x01\x07\x1f characters",
    "an escape's own text _x0041_ stays text",
    "BRONTË Ã© µ non-ASCII",
    "\ufffe non-character",
    "http://example.org",  # text, never a link
]


def _rows(fmts: dict) -> list[list]:
    rows = []
    for k, text in enumerate(TEXTS):
        rows.append(
            [
                (text, None),
                None,  # nothing written
                (k, fmts["int"]),
                (k + 0.123456789012345678, fmts["num"]),
                (1e-7 * (k + 1), None),
                (k % 2 == 0, None),
                ("", fmts["red"] if k % 2 else None),  # an empty text cell, with or without a format
                (text, fmts["red"]),
            ]
        )
    return rows


def _write(path, through_rows_sheet: bool) -> None:
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    fmts = {
        "int": wb.add_format({"num_format": "#,##0"}),
        "num": wb.add_format({"num_format": "#,##0.00"}),
        "red": wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        "month": wb.add_format({"num_format": "mmm yyyy"}),
        "head": wb.add_format({"bold": True}),
    }
    ws = wb.add_worksheet("Data", worksheet_class=RowsSheet if through_rows_sheet else None)
    ws.write_row(0, 0, ["text", "none", "int", "num", "small", "bool", "blank", "styled", "month"], fmts["head"])
    rows = _rows(fmts)
    for cells in rows:
        cells.append((ws._convert_date_time(date(2026, 1, 1)), fmts["month"]))
    if through_rows_sheet:
        ws.put_rows(1, rows, 9)
    else:
        for r, cells in enumerate(rows, start=1):
            for c, cell in enumerate(cells):
                if cell is None:
                    continue
                value, fmt = cell
                if isinstance(value, bool):
                    ws.write_boolean(r, c, value, fmt)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, fmt)
                else:
                    ws.write_number(r, c, value, fmt)
    ws.autofilter(0, 0, len(rows), 8)
    ws.freeze_panes(1, 0)
    wb.close()


def _cells(path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["Data"]
    return [
        (
            c.coordinate,
            c.value,
            c.data_type,
            c.number_format,
            c.font.b,
            c.font.color.rgb if c.font.color else None,
            c.fill.fgColor.rgb,
        )
        for row in sheet.iter_rows()
        for c in row
    ], (sheet.dimensions, sheet.auto_filter.ref, sheet.freeze_panes)


def test_rows_sheet_cells_read_back_as_xlsxwriters_own(tmp_path):
    _write(tmp_path / "cells.xlsx", through_rows_sheet=False)
    _write(tmp_path / "rows.xlsx", through_rows_sheet=True)
    expected, expected_sheet = _cells(tmp_path / "cells.xlsx")
    got, got_sheet = _cells(tmp_path / "rows.xlsx")
    assert got_sheet == expected_sheet == ("A1:I13", "A1:I13", "A2")
    assert got == expected
    by_place = {c[0]: c for c in got}
    # and what that means, spelled out: formulas, numbers and links stay text, control characters survive
    assert by_place["A4"][1:3] == ('=HYPERLINK("http://example.org","x")', "s")
    assert by_place["A6"][1] == "00123" and by_place["A7"][1] == "  leading and trailing  "
    # control characters as Excel's _xHHHH_ escapes (Excel shows the characters; openpyxl reads the escapes)
    assert by_place["A9"][1] == "control _x0001__x0007__x001F_ characters"
    assert by_place["A10"][1] == "an escape's own text _x0041_ stays text"
    assert by_place["F2"][1:3] == (True, "b") and by_place["C3"][1:4] == (1, "n", "#,##0")
    assert by_place["D2"][1] == 0.1234567890123457  # 16 significant digits, as xlsxwriter writes a number
    assert by_place["I2"][1:4] == (datetime(2026, 1, 1), "d", "mmm yyyy")  # a date, not a number
    assert by_place["B2"][1] is None and by_place["G2"][1:3] == ("", "s")


def test_rows_sheet_refuses_what_excel_cannot_hold(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("Data", worksheet_class=RowsSheet)
    with pytest.raises(TypeError, match="NAN/INF"):
        ws.put_rows(1, [[(float("nan"), None)]], 1)
    with pytest.raises(ValueError, match="more than 1 cells"):
        ws.put_rows(1, [[("a", None), ("b", None)]], 1)
    ws.put_rows(1, [[("x" * (EXCEL_CELL_LIMIT + 10), None)], [("😀" * EXCEL_CELL_LIMIT, None)]], 1)
    wb.close()
    cut = openpyxl.load_workbook(tmp_path / "x.xlsx")["Data"]  # at the limit, as write_string cuts: UTF-16 units
    assert cut["A2"].value == "x" * EXCEL_CELL_LIMIT and cut["A3"].value == "😀" * (EXCEL_CELL_LIMIT // 2)
