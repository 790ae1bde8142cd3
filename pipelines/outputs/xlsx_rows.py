"""A worksheet whose many data rows are written as XML text, one Python call per row instead of xlsxwriter's
several per cell.

An ICB workbook's indicator and PCN sheets are ~70 % of the 2.5 M cells of a national month's workbooks, and
xlsxwriter spends ~8 µs on a cell (storing it, checking its place, then writing its XML: BENCHMARKS.md). Here
a sheet's header, widths, panes and filter stay xlsxwriter's; the rows below the header are given at once
(`put_rows`) and written when the workbook is saved as xlsxwriter writes a cell: text through the workbook's
shared strings (escaped there by xlsxwriter, cut at Excel's limit as write_string cuts it; never a formula, a
number or a link), numbers with 16 significant digits, booleans as booleans, each cell with its format's
index. A cell is None (nothing written) or (value, format or None).
"""

from __future__ import annotations

import math
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet, _utf16_len, _utf16_truncate

Cell = tuple[Any, Any] | None  # (value, xlsxwriter Format or None)

# Excel's specifications and limits: "Total number of characters that a cell can contain: 32,767".
EXCEL_CELL_LIMIT = 32_767


class RowsSheet(Worksheet):
    """A worksheet (Workbook.add_worksheet(name, worksheet_class=RowsSheet)) that takes its data rows whole."""

    def __init__(self) -> None:
        super().__init__()
        self._first_row = 0
        self._rows: list[list[Cell]] = []

    def put_rows(self, first_row: int, rows: list[list[Cell]], columns: int) -> None:
        """The sheet's rows from `first_row` (0-based, below everything written through xlsxwriter), each a
        list of at most `columns` cells. Text goes into the shared strings now (they are sorted before the
        sheets are saved); each text cell keeps its string's index."""
        strings = self.str_table
        kept: list[list[Cell]] = []
        for cells in rows:
            if len(cells) > columns:
                raise ValueError(f"a row has more than {columns} cells")
            out: list[Cell] = []
            for cell in cells:
                if cell is not None:
                    value, cell_format = cell
                    kind = type(value)
                    if kind is str:
                        if len(value) > self.xls_strmax // 2 and _utf16_len(value) > self.xls_strmax:
                            value = _utf16_truncate(value, self.xls_strmax)  # as write_string
                        cell = (_Text(strings._get_shared_string_index(value)), cell_format)
                    elif kind is float and not math.isfinite(value):
                        # as write_number: Excel has no NaN or infinity
                        raise TypeError("NAN/INF not supported in an Excel number cell")
                out.append(cell)
            kept.append(out)
        self._first_row, self._rows = first_row, kept
        if rows:
            self._check_dimensions(first_row + len(rows) - 1, columns - 1)  # the sheet's <dimension> and filter

    def _write_rows(self) -> None:
        super()._write_rows()  # the header, through xlsxwriter
        if not self._rows:
            return
        letters = [xl_col_to_name(c) for c in range(max(len(cells) for cells in self._rows))]
        styles: dict[int, str] = {}
        write = self.fh.write
        for number, cells in enumerate(self._rows, start=self._first_row + 1):  # XML rows count from 1
            parts = [f'<row r="{number}">']
            for letter, cell in zip(letters, cells):
                if cell is None:
                    continue
                value, cell_format = cell
                if cell_format is None:
                    style = ""
                elif id(cell_format) in styles:
                    style = styles[id(cell_format)]
                else:
                    style = styles[id(cell_format)] = f' s="{cell_format._get_xf_index()}"'
                kind = type(value)
                if kind is _Text:
                    parts.append(f'<c r="{letter}{number}"{style} t="s"><v>{value}</v></c>')
                elif kind is bool:
                    parts.append(f'<c r="{letter}{number}"{style} t="b"><v>{int(value)}</v></c>')
                else:
                    parts.append(f'<c r="{letter}{number}"{style}><v>{value:.16G}</v></c>')
            parts.append("</row>")
            write("".join(parts))


class _Text(int):
    """A text cell's index in the shared strings (told apart from a number cell by its type)."""
