"""Extracts and the report site, produced by the same run a user gets, checked against indicator_values
and in headless Chromium."""

import os
import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest

from pipelines.outputs.analysis import load_analysis
from pipelines.report.site import SiteBuilder, page_json
from pipelines.resources import MsiSettings
from pipelines.runner import run_months
from pipelines.sample.generate import write_sample_month

MONTHS = ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Six months of a 3% sample through the whole pipeline, extracts and report included."""
    src = tmp_path_factory.mktemp("published")
    for month in MONTHS:
        write_sample_month(month, src, practice_fraction=0.03)
    settings = MsiSettings(data_dir=str(tmp_path_factory.mktemp("data")), source="local", epd_dir=str(src),
                           list_size_dir=str(src))
    run_months(settings, MONTHS, instance=dg.DagsterInstance.ephemeral())
    return settings.layout


def values(layout, where: str, params: dict):
    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        rel = con.execute(f"SELECT * FROM indicator_values WHERE geography = 'current' AND month = '2026-07' AND {where}", params)
        cols = [c[0] for c in rel.description]
        return [dict(zip(cols, r)) for r in rel.fetchall()]


def test_extract_workbook_matches_indicator_values(run):
    folder = run.root / "extracts" / "2026-07"
    icb = "QOP"
    wb = openpyxl.load_workbook(folder / f"{icb}.xlsx")
    assert wb.sheetnames[0] == "Summary" and wb.sheetnames[-2:] == ["Signals", "Definitions"]
    summary = wb["Summary"]
    assert isinstance(summary["B2"].value, datetime) and summary["B2"].value.strftime("%Y-%m") == "2026-07"
    header = [c.value for c in summary[5]]
    rows = {r[0]: dict(zip(header, r)) for r in summary.iter_rows(min_row=6, values_only=True) if r[0]}
    icb_values = {r["indicator_id"]: r for r in values(run, "org_type = 'icb' AND org_code = $c", {"c": icb})}
    england = {r["indicator_id"]: r for r in values(run, "org_type = 'england'", {})}
    assert set(rows) == set(icb_values)
    for ind, row in rows.items():
        assert row["ICB value"] == pytest.approx(icb_values[ind]["value"])
        assert row["England value"] == pytest.approx(england[ind]["value"])
        assert row["Better when"] in ("lower is better", "higher is better")
    sheet = wb["methotrexate_10mg_pct"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:L")
    head = [c.value for c in sheet[1]]
    got = {r[0]: dict(zip(head, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    expected = {r["org_code"]: r for r in values(run, "indicator_id = 'methotrexate_10mg_pct' AND org_type = 'practice' "
                                                      "AND icb_code = $c", {"c": icb})}
    assert set(got) == set(expected) and len(got) > 5
    for code, row in got.items():
        assert row["Numerator"] == pytest.approx(expected[code]["numerator"])
        assert row["Denominator"] == pytest.approx(expected[code]["denominator"])
        assert (row["Value (%)"] is None) == (expected[code]["value"] is None)
        assert isinstance(row["Month"], datetime) and isinstance(row["Low numbers"], bool)
    mtx = {r["org_code"] for r in values(run, "indicator_id = 'methotrexate_10mg_items' AND org_type = 'practice' "
                                               "AND icb_code = $c AND value > 0", {"c": icb})}
    signals = {(r[0], r[1]) for r in wb["Signals"].iter_rows(min_row=2, values_only=True)}
    assert {("methotrexate_10mg_items", code) for code in mtx} <= signals
    definitions = {r[0]: r for r in wb["Definitions"].iter_rows(min_row=2, values_only=True)}
    assert "1001030U0AAACAC" in definitions["methotrexate_10mg_pct"][7]  # codes matched in this data
    assert "2026-02 to 2026-07" == definitions["methotrexate_10mg_pct"][10]


def test_all_icbs_csv(run):
    frame = pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv")
    assert {"indicator_id", "org_type", "org_code", "value", "spc", "funnel", "month"} <= set(frame.columns)
    assert set(frame["org_type"]) == {"practice", "sub_icb", "icb", "region", "england"}
    assert frame["icb_code"].drop_nulls().n_unique() == len(list((run.root / "extracts" / "2026-07").glob("*.xlsx")))


def test_names_are_escaped(run):
    analysis = load_analysis(run)
    evil = '<script>alert("x")</script> & SONS'
    analysis.assessed = analysis.assessed.with_columns(
        org_name=pl.when(pl.col("org_code") == pl.col("org_code").first()).then(pl.lit(evil)).otherwise(pl.col("org_name")))
    builder = SiteBuilder(analysis)
    code = analysis.assessed["org_code"][0]
    rows = {r["indicator_id"]: r for r in analysis.assessed.filter(pl.col("org_code") == code).iter_rows(named=True)}
    page = builder.practice(code, rows, {})
    assert '<script>alert' not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; SONS" in page
    assert "</script>" not in page_json({"name": evil}) and "\\u003c/script>" in page_json({"name": evil})


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def open_page(browser, url: str, shot: str):
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_function("document.querySelectorAll('[data-chart]').length > 0 && Array.from("
                           "document.querySelectorAll('[data-chart]')).every(e => e.dataset.rendered)", timeout=60_000)
    charts = page.eval_on_selector_all("[data-chart]", "els => els.map(e => [e.dataset.rendered, !!e.querySelector('svg')])")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / shot), full_page=False)
    return page, errors, charts, requests


def test_report_pages_render_offline_and_link(run, browser):
    site = run.root / "reports" / "2026-07"
    index, errors, charts, requests = open_page(browser, (site / "index.html").as_uri(), "index.png")
    assert errors == [] and charts and all(c == ["true", True] for c in charts)
    assert all(r.startswith("file://") for r in requests)  # no CDN, no network
    assert len(list(site.rglob("vega.js"))) == 1  # the Vega bundle ships once
    index.click("text=NHS GREATER MANCHESTER INTEGRATED CARE BOARD >> nth=0")
    index.wait_for_url("**/icb/QOP.html")
    icb, errors, charts, _ = open_page(browser, index.url, "icb.png")
    assert errors == [] and len(charts) >= 30 and all(c == ["true", True] for c in charts)
    assert "Needs attention this month" in icb.inner_text(".digest")
    link = icb.locator("#methotrexate_10mg_pct table a").first
    target = link.get_attribute("href")
    link.click()
    icb.wait_for_url("**" + target.lstrip("."))
    practice, errors, charts, _ = open_page(browser, icb.url, "practice.png")
    assert errors == [] and len(charts) == 11 and all(c == ["true", True] for c in charts)
    assert "lower is better" in practice.inner_text("body")
    assert "Data month July 2026" in practice.inner_text("footer") and "2026.1" in practice.inner_text("footer")


def test_sortable_tables(run, browser):
    page, _, _, _ = open_page(browser, (run.root / "reports" / "2026-07" / "icb" / "QOP.html").as_uri(), "sorted.png")
    table = page.locator("#opioid_high_dose_pct_120 table")
    table.locator("th", has_text="Value").click()
    cells = [c for c in table.locator("tbody tr td:nth-child(3)").all_inner_texts() if c != "–"]
    numbers = [float(c.replace(",", "")) for c in cells]
    assert numbers == sorted(numbers)
