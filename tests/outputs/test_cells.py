"""What one value becomes in an output: in a workbook, Excel's cell limit (32,767 characters, from Excel's
specifications and limits: a long text is cut after a whole item with a marker, never mid-word and silently);
in the site's data files, numbers to four significant figures."""

from pipelines.outputs.extracts import EXCEL_CELL_LIMIT, fit_cell


def test_a_text_that_fits_is_kept_whole():
    text = "x" * 32_767
    assert EXCEL_CELL_LIMIT == 32_767 and fit_cell(text, "elsewhere") == text


def test_a_long_list_is_cut_after_a_whole_item_with_a_marker():
    # 3,000 items of 13 characters, joined by "; ", after a 9-character label: 45,007 characters.
    items = [f"{n:04d}020A0AAAA" for n in range(3_000)]
    text = "opioids: " + "; ".join(items)
    assert len(text) == 9 + 3_000 * 15 - 2
    cell = fit_cell(text, "all 3,000 presentations are on the Presentations sheet")
    kept, marker = cell.split("\n[", 1)
    assert len(cell) <= 32_767
    assert marker == (
        "… cut at Excel's 32,767-character cell limit (45,007 characters): "
        "all 3,000 presentations are on the Presentations sheet]"
    )
    assert kept.removeprefix("opioids: ").split("; ") == items[: len(kept.removeprefix("opioids: ").split("; "))]
    assert kept.endswith("020A0AAAA")  # a whole item, not a cut one
    assert len(kept) > 32_767 - 200  # as much as fits


def test_site_data_keeps_four_significant_figures_and_drops_empty_fields():
    """The site's data files (report/site.py: data_module): every float at any depth to 4 significant figures,
    empty fields left out of objects (not out of lists, where a place means something); text, whole numbers
    and booleans as they are."""
    from pipelines.outputs.report.site import _compact

    data = {
        "v": 12.345678,
        "none": None,
        "empty": "",
        "zero": 0,
        "no": False,
        "name": "A & B",
        "rows": [[1, 0.000123456, None, "", True, (2.71828, {"x": 1234567.0, "y": None})]],
        "nested": {"deeper": [3.14159265, -0.00098765]},
    }
    assert _compact(data) == {
        "v": 12.35,
        "zero": 0,
        "no": False,
        "name": "A & B",
        "rows": [[1, 0.0001235, None, "", True, [2.718, {"x": 1235000.0}]]],
        "nested": {"deeper": [3.142, -0.0009877]},
    }


def test_a_remembered_format_shows_every_value_as_fmt_does_in_any_order():
    """The product lines' amounts are formatted once per distinct value (wording.Shown): whatever came before,
    each value reads as fmt gives it, equal keys of different look included (0.0 and -0.0; 1, 1.0 and
    Decimal 1; None)."""
    from decimal import Decimal

    from pipelines.outputs.wording import Shown, fmt

    values = [0.0, -0.0, 0, None, 1, 1.0, Decimal("1"), Decimal("2.5"), 2.5, 3.5, 999.5, 1234.5, -1234.5, 0.05, 1e12]
    for digits in (0, 1, 2):
        for order in (values, values[::-1]):
            shown = Shown(digits)
            assert [shown(v) for v in order + order] == [fmt(v, digits) for v in order + order]
    assert (fmt(-0.0, 0), fmt(0.0, 0), fmt(2.5, 0), fmt(3.5, 0)) == ("-0", "0", "2", "4")  # the cases above differ


def test_site_data_passes_verbatim_lists_whole():
    """A Verbatim list (text and whole numbers, as the product lines are) is written as it is, as a plain
    list with the same content would be; it is not walked again."""
    import json

    from pipelines.outputs.report.site import Verbatim, _compact, data_module

    lines = [[0, "1,234", "56", "–"], [1, "", "0", "7"]]
    plain = {"lines": lines, "empty": [], "x": 1.23456}
    marked = {"lines": Verbatim(list(line) for line in lines), "empty": Verbatim(), "x": 1.23456}
    assert data_module("k", marked) == data_module("k", plain)
    assert _compact(marked)["lines"] is marked["lines"] and _compact(plain)["lines"] is not plain["lines"]
    assert json.loads(data_module("k", marked).split(", ", 1)[1].removesuffix(");\n")) == {
        "lines": lines,
        "empty": [],
        "x": 1.235,
    }
