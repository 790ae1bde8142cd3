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
