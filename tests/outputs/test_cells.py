"""Excel's cell limit (32,767 characters, from Excel's specifications and limits): a long text is cut after
a whole item with a marker, never mid-word and silently."""

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
