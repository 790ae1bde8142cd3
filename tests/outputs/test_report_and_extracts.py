"""Extracts and the report site, produced by the same run a user gets, checked against indicator_values
and in headless Chromium."""

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from indicators.catalogue import catalogue
from pipelines.outputs.analysis import load_analysis
from pipelines.outputs.disclosure import round_count
from pipelines.outputs.report.site import SiteBuilder, data_module, read_data_module
from pipelines.tables import lake_file
from tests.conftest import MONTHS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MONTH = "2026-07"


def site(layout) -> Path:
    return layout.root / "reports"


def url(layout, page: str) -> str:
    """A page of the run's report site, as a browser opens it from disk: 'icb.html?code=QOP'."""
    return (site(layout) / page.split("?")[0]).as_uri() + ("?" + page.split("?", 1)[1] if "?" in page else "")


def month_data(layout) -> dict:
    return read_data_module(layout.report(MONTH) / "month.js")[1]


def icb_data(layout, icb: str) -> dict:
    return read_data_module(layout.report(MONTH) / "icb" / f"{icb}.js")[1]


def values(layout, where: str, params: dict):
    with duckdb.connect(str(layout.warehouse / "msi.duckdb"), read_only=True) as con:
        rel = con.execute(
            f"SELECT * FROM indicator_values WHERE geography = 'current' AND month = '2026-07' AND {where}", params
        )
        cols = [c[0] for c in rel.description]
        return [dict(zip(cols, r)) for r in rel.fetchall()]


def published_value(row):
    """What the outputs may show for an indicator_values row, worked out independently of disclosure.py:
    public rows as they are; patient counts suppressed at 1-7, else to the nearest 5, and the rate
    recomputed. (Secondary suppression can also hide an ICB or England row: the test checks those against
    the published CSV.)"""
    if row["grain"] != "patient":
        return row["value"]
    num, den = row["numerator"], row["denominator"]
    if 1 <= num <= 7 or 1 <= den <= 7:
        return None
    num, den = 5 * round(num / 5 + 1e-9), 5 * round(den / 5 + 1e-9)
    return num / den * (1000 if row["unit"] == "per_1000" else 100) if den else None


def suppressed_in_csv(layout, indicator: str, org_type: str, org_code: str) -> bool:
    frame = pl.read_csv(layout.root / "extracts" / "2026-07" / "all_icbs.csv", infer_schema_length=None).filter(
        (pl.col("indicator_id") == indicator) & (pl.col("org_type") == org_type) & (pl.col("org_code") == org_code)
    )
    return frame.height == 1 and bool(frame["suppressed"][0]) and frame["value"][0] is None


def test_extract_workbook_matches_indicator_values(run):
    folder = run.root / "extracts" / "2026-07"
    icb = "QOP"
    wb = openpyxl.load_workbook(folder / f"{icb}.xlsx")
    assert wb.sheetnames[:2] == ["Act on first", "Summary"]
    assert wb.sheetnames[-3:] == ["Signals", "Definitions", "Presentations"]
    summary = wb["Summary"]
    assert isinstance(summary["B2"].value, datetime) and summary["B2"].value.strftime("%Y-%m") == "2026-07"
    header = [c.value for c in summary[5]]
    assert header[0] == "Indicator" and header[-1] == "Indicator id"  # titles to read, the id in its own column
    rows = {r[-1]: dict(zip(header, r)) for r in summary.iter_rows(min_row=6, values_only=True) if r[0]}
    titles = {ind.id: ind.short_title for ind in catalogue().values()}
    assert all(row["Indicator"] == titles[ind] for ind, row in rows.items())
    icb_values = {r["indicator_id"]: r for r in values(run, "org_type = 'icb' AND org_code = $c", {"c": icb})}
    england = {r["indicator_id"]: r for r in values(run, "org_type = 'england'", {})}
    assert set(rows) == set(icb_values)
    assert any(i.startswith("pl_") for i in rows) and any(not i.startswith("pl_") for i in rows)
    for ind, row in rows.items():
        for got, want in ((row["ICB value"], icb_values[ind]), (row["England value"], england[ind])):
            if got is None and want["grain"] == "patient" and published_value(want) is not None:
                # Secondary suppression: a patient count hidden so that a suppressed sibling cannot be worked
                # out from it; the published CSV must hide it too.
                assert suppressed_in_csv(run, ind, want["org_type"], want["org_code"]), (ind, want["org_code"])
            else:
                assert got == pytest.approx(published_value(want)), ind
        # Change since the programme's 2021 baseline: this sample has no 2021 data, and says so.
        assert row["ICB baseline (calendar 2021)"] == (
            "not for patient-level counts" if ind.startswith("pl_") else "no baseline data"
        )
        assert row["Better when"] in ("lower is better", "higher is better")
        assert row["Basis"].startswith("patient-level extract" if ind.startswith("pl_") else "public EPD data")
    assert rows["pl_triple_whammy"]["Related indicators"] == "public-data proxy: triple_whammy_expected_per_1000_adults"
    sheet = wb["Methotrexate 10 mg share"]  # sheets are named by short title
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:N")
    head = [c.value for c in sheet[1]]
    got = {r[0]: dict(zip(head, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    expected = {
        r["org_code"]: r
        for r in values(
            run, "indicator_id = 'methotrexate_10mg_pct' AND org_type = 'practice' AND icb_code = $c", {"c": icb}
        )
    }
    assert set(got) == set(expected) and len(got) > 5
    for code, row in got.items():
        assert row["Numerator"] == pytest.approx(expected[code]["numerator"])
        assert row["Denominator"] == pytest.approx(expected[code]["denominator"])
        assert (row["Value (% of items)"] is None) == (expected[code]["value"] is None)
        assert isinstance(row["Month"], datetime) and isinstance(row["Low numbers"], bool)
    mtx = {
        r["org_code"]
        for r in values(
            run,
            "indicator_id = 'methotrexate_10mg_items' AND org_type = 'practice' AND icb_code = $c AND value > 0",
            {"c": icb},
        )
    }
    head = [c.value for c in wb["Signals"][2]]
    signals = [dict(zip(head, r)) for r in wb["Signals"].iter_rows(min_row=3, values_only=True)]
    # Every practice issuing methotrexate 10 mg tablets is a signal (any item), whatever the small numbers.
    assert {("methotrexate_10mg_items", code) for code in mtx} <= {(r["Indicator id"], r["Code"]) for r in signals}
    assert all(r["Status"] in ("new this month", "continuing") and r["Why"] for r in signals)
    new = sum(1 for r in signals if r["Status"] == "new this month")
    assert f": {new} new concerning signal" in wb["Signals"]["A1"].value
    assert wb["Summary"]["A3"].value.startswith(f"{new} new concerning signal")
    # whole numbers are shown whole: a count's cells carry no decimal format ('46', never '46.')
    counts = [c for row in wb["Methotrexate 10 mg items"].iter_rows(min_row=2, min_col=7, max_col=7) for c in row]
    assert counts and all(c.number_format == "#,##0" for c in counts if isinstance(c.value, (int, float)))
    head = [c.value for c in wb["Definitions"][1]]
    definitions = {r[-1]: dict(zip(head, r)) for r in wb["Definitions"].iter_rows(min_row=2, values_only=True)}
    assert "1001030U0AAACAC" in definitions["methotrexate_10mg_pct"]["Presentations matched (this data)"]
    assert "2026-02 to 2026-07" == definitions["methotrexate_10mg_pct"]["Data months"]
    # No cell is cut silently at Excel's 32,767-character limit: a cut cell says so and where the rest is,
    # and the Presentations sheet lists every matched presentation, one per row.
    listed = {}
    for _, _, code, name, ind in wb["Presentations"].iter_rows(min_row=2, values_only=True):
        listed.setdefault(ind, []).append(f"{code} {name}")
    for ind, row in definitions.items():
        text = row["Presentations matched (this data)"] or ""
        assert len(text) < 32_767
        if "cut at Excel's 32,767-character cell limit" in text:
            assert text.endswith(f"all {len(listed[ind]):,} presentations are on the Presentations sheet]")
        else:
            assert sorted(listed.get(ind, [])) == sorted(
                x for line in text.splitlines() for x in line.split(": ", 1)[1].split("; ") if x
            )
    assert len(listed["opioid_ome_per_1000_day"]) > 20  # every matched presentation, one row each
    # Each drug group an indicator uses, with every exclusion and its reason (drug_groups.yaml).
    groups = definitions["valproate_per_1000_female_13_54"]["Drug groups: ingredients, and what is left out and why"]
    assert (
        groups.startswith("@valproate: every valproate")
        and "Left out, 2 presentations (Lamictal_Tab 25mg (Valpr)" in groups
    )
    nsaid = definitions["nsaid_per_1000_65plus"]["Drug groups: ingredients, and what is left out and why"]
    assert "eye drops (BNF 11.4.2, 11.8.2)" in nsaid and "applied to the skin" in nsaid
    # Each group's chemicals and its differences from the source it follows; each definition's own lists
    # against the sources it cites, with every difference's reason.
    assert "Chemicals in (" in nsaid and "Against OpenSAFELY PINCER list pincer/nsaid/" in nsaid
    assert "NSAID suppositories and injections" in nsaid
    cited = definitions["opioid_high_dose_per_1000_120"]["Against the sources cited: each difference and why"]
    assert "OpenPrescribing measure opioidper1000 (ebmdatalab/openprescribing @ 2500a221b^" in cited
    assert "only in the source, 1 (Onexila XL_Tab 40mg)" in cited or "only in the source, 1 (Onexila XL 40mg" in cited
    sedatives = definitions["sedative_per_1000_65plus"]["Against the sources cited: each difference and why"]
    assert sedatives.startswith("Compared through its drug groups")
    # The OME indicator lists the month's opioid presentations that add no OME, with items and reason.
    without = definitions["opioid_ome_per_1000_day"]["Opioid presentations without an OME (data month)"]
    assert "buccal" in without and "injection" in without and "unread" not in without
    assert definitions["methotrexate_10mg_pct"]["Opioid presentations without an OME (data month)"] in (None, "")


def test_report_pages_state_the_baseline(run, browser):
    assert (
        "no data for the baseline (calendar 2021)" in month_data(run)["england"]["baseline"]["opioid_ome_per_1000_day"]
    )
    page, errors, _, _ = open_page(browser, url(run, "index.html"), "baseline.png")
    assert errors == [] and "no data for the baseline (calendar 2021)" in page.inner_text("#opioid_ome_per_1000_day")


def test_all_icbs_csv(run):
    frame = pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv")
    assert {"indicator_id", "org_type", "org_code", "value", "spc", "funnel", "month"} <= set(frame.columns)
    assert set(frame["org_type"]) == {"practice", "pcn", "sub_icb", "icb", "region", "england"}
    assert frame["icb_code"].drop_nulls().n_unique() == len(list((run.root / "extracts" / "2026-07").glob("*.xlsx")))


def test_the_national_block_does_not_depend_on_the_warehouse_row_order(run):
    """DuckDB writes the warehouse in no fixed row order: the month's national series read the same however
    their rows come (two fresh runs once listed the indicators in different orders)."""
    analysis = load_analysis(run)
    first = data_module("national", SiteBuilder(analysis).national())
    analysis.values, analysis.deciles = analysis.values.reverse(), analysis.deciles.reverse()
    assert data_module("national", SiteBuilder(analysis).national()) == first


def test_names_are_escaped(run, browser, tmp_path):
    """A name is data, never markup: the data file cannot close a <script> and the page shows the name as text."""
    analysis = load_analysis(run)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> & SONS'
    practice = analysis.assessed.filter((pl.col("org_type") == "practice") & (pl.col("icb_code") == "QOP"))["org_code"][
        0
    ]
    analysis.assessed = analysis.assessed.with_columns(
        org_name=pl.when(pl.col("org_code") == practice).then(pl.lit(evil)).otherwise(pl.col("org_name"))
    )
    builder = SiteBuilder(analysis)
    by_ind: dict = {}
    pcns: dict = {}
    for r in analysis.assessed.filter(pl.col("icb_code") == "QOP").iter_rows(named=True):
        if r["org_type"] in ("practice", "pcn"):
            (by_ind if r["org_type"] == "practice" else pcns).setdefault(r["indicator_id"], []).append(r)
    text = data_module(f"icb:{MONTH}:QOP", builder.icb_data("QOP", by_ind, pcns))
    assert "<" not in text and "\\u003cscript>" in text
    copy = tmp_path / "reports"
    shutil.copytree(site(run), copy)
    (copy / "data" / MONTH / "icb" / "QOP.js").write_text(text, encoding="utf-8")
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((copy / "practice.html").as_uri() + f"?code={practice}&month={MONTH}")
    page.wait_for_selector("section.indicator")
    assert page.inner_text("h1") == f"{evil} ({practice})" and dialogs == []
    assert page.locator("main img, main script").count() == 0


EVIL_NAMES = [
    '=HYPERLINK("http://x.example/?"&A1,"click me")',
    "{=1+1}",
    "http://x.example",
    "@SUM(1+1)",
    "+1",
    "-1+2",
    "\t=1",
]


def test_names_never_become_formulas_or_links(run, tmp_path):
    """A practice name is text in every workbook cell and CSV-escaped (OWASP) in all_icbs.csv: one practice
    of the ICB per name, all written in one pass."""
    from pipelines.outputs.extracts import write_extracts

    analysis = load_analysis(run)
    icb = analysis.assessed.filter(pl.col("org_type") == "practice")["icb_code"][0]
    practices = analysis.assessed.filter((pl.col("org_type") == "practice") & (pl.col("icb_code") == icb))
    chosen = dict(zip(practices["org_code"].unique(maintain_order=True).to_list(), EVIL_NAMES))
    assert len(chosen) == len(EVIL_NAMES)
    analysis.assessed = analysis.assessed.with_columns(
        org_name=pl.col("org_code").replace_strict(chosen, default=pl.col("org_name"), return_dtype=pl.Utf8)
    )
    analysis.layout = type(analysis.layout)(tmp_path / "out")
    info = write_extracts(analysis)
    wb = openpyxl.load_workbook(info["folder"] / f"{icb}.xlsx")
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    text = info["csv"].read_text()
    for evil in EVIL_NAMES:
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == evil]
        assert cells and all(c.data_type == "s" and c.hyperlink is None for c in cells), evil
        assert ("'" + evil.replace('"', '""')) in text or evil.startswith(("{", "h")), evil


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def read_data_module_text(data: bytes) -> dict:
    """A data file's document from its bytes (read_data_module reads a path)."""
    return json.loads(data.decode("utf-8").split(", ", 1)[1].rstrip().removesuffix(");"))


def open_page(browser, url: str, shot: str):
    page = browser.new_page(viewport={"width": 1280, "height": 1600})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_function(
        "document.querySelectorAll('[data-chart]').length > 0 && Array.from("
        "document.querySelectorAll('[data-chart]')).every(e => e.dataset.rendered)",
        timeout=60_000,
    )
    charts = page.eval_on_selector_all(
        "[data-chart]", "els => els.map(e => [e.dataset.rendered, !!e.querySelector('svg')])"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / shot), full_page=False)
    return page, errors, charts, requests


def test_report_pages_render_offline_and_link(run, browser):
    index, errors, charts, requests = open_page(browser, url(run, "index.html"), "index.png")
    assert errors == [] and charts and all(c == ["true", True] for c in charts)
    assert all(r.startswith("file://") for r in requests)  # no CDN, no network
    assert len(list(site(run).rglob("vega.js"))) == 1  # the Vega bundle ships once
    # One site for every month: the four pages once, a data folder per month (the latest is the default).
    # `msi run` builds the last month's; the monthly job builds each month's in turn, as here.
    from pipelines.outputs.report.site import build_site

    before = {p.relative_to(site(run)): p.read_bytes() for p in site(run).rglob("*") if p.is_file()}
    build_site(load_analysis(run, MONTHS[-2]))
    after = {p.relative_to(site(run)): p.read_bytes() for p in site(run).rglob("*") if p.is_file()}
    changed = {str(p) for p in after if before.get(p) != after[p]}
    # The earlier month adds its folder and its series' values to the year's history (those of practices it
    # holds and the later month does not); the later month's own folder is untouched.
    assert {p for p in changed if not p.startswith("data/history/")} == {"data/months.js"} | {
        str(p) for p in after if str(p).startswith(f"data/{MONTHS[-2]}/")
    }
    for path in (p for p in changed if p.startswith("data/history/")):
        old, new = (read_data_module_text(x[Path(path)]) for x in (before, after))
        for level in ("icb", "pcn", "practice"):
            for ind, orgs in old[level].items():
                for org, values in orgs.items():  # what the later month wrote for July stays
                    assert new[level][ind][org][6:7] == values[6:7], (path, level, ind, org)
    assert sorted(p.name for p in site(run).glob("*.html")) == ["icb.html", "index.html", "pcn.html", "practice.html"]
    assert sorted(p.name for p in (site(run) / "data").iterdir()) == sorted(["months.js", "history", MONTH, MONTHS[-2]])
    index.reload()
    assert index.input_value("#month-picker") == MONTH
    index.click("table.matrix >> text=GREATER MANCHESTER >> nth=0")
    index.wait_for_url(f"**/icb.html?code=QOP&month={MONTH}")
    icb, errors, charts, _ = open_page(browser, index.url, "icb.png")
    assert errors == [] and len(charts) >= 30 and all(c == ["true", True] for c in charts)
    assert icb.inner_text(".digest.first").startswith("Act on first:")
    link = icb.locator("#methotrexate_10mg_pct table.practices a").first
    target = link.get_attribute("href")
    assert target.startswith("practice.html?code=")
    link.click()
    icb.wait_for_url("**/" + target)
    practice, errors, charts, _ = open_page(browser, icb.url, "practice.png")
    # 16 public-data indicators and, with the extract supplied, the 19 patient-level ones beside them.
    assert errors == [] and len(charts) == 35 and all(c == ["true", True] for c in charts)
    assert "patients counted" in practice.inner_text("#pl_triple_whammy .basis.patient")
    assert "ecological proxy" in practice.inner_text("#triple_whammy_expected_per_1000_adults .basis")
    order = practice.eval_on_selector_all("section.indicator", "els => els.map(e => e.id)")
    assert order.index("pl_triple_whammy") == order.index("triple_whammy_expected_per_1000_adults") + 1
    assert "lower is better" in practice.inner_text("body")
    assert "Data month July 2026" in practice.inner_text("footer") and "2026.1" in practice.inner_text("footer")
    # The month picker shows the same practice in another month (every month of the run was published).
    practice.select_option("#month-picker", MONTHS[-2])
    practice.wait_for_url(f"**/{target.replace(MONTH, MONTHS[-2])}")
    practice.wait_for_selector("section.indicator")
    assert "Data month June 2026" in practice.inner_text("footer")


def test_sortable_tables(run, browser):
    page, _, _, _ = open_page(browser, url(run, "icb.html?code=QOP"), "sorted.png")
    table = page.locator("#opioid_high_dose_pct_120 table.practices")
    table.locator("th", has_text="Value").click()
    cells = [c for c in table.locator("tbody tr td:nth-child(3)").all_inner_texts() if c != "–"]
    numbers = [float(c.replace(",", "")) for c in cells]
    assert numbers == sorted(numbers)


def test_patient_level_rows_are_internal_exact_and_published_controlled(run):
    # indicator_values (internal) holds exact counts, with the grain stated; ICB = sum of its practices.
    icb = values(run, "indicator_id = 'pl_opioid_high_dose_90' AND org_type = 'icb' AND org_code = 'QOP'", {})[0]
    practices = values(
        run, "indicator_id = 'pl_opioid_high_dose_90' AND org_type = 'practice' AND icb_code = 'QOP'", {}
    )
    assert icb["grain"] == "patient" and icb["denominator"] > 0
    assert icb["numerator"] == sum(p["numerator"] for p in practices)
    assert any(1 <= p["numerator"] <= 7 for p in practices), "the sample must have small counts to control"
    # Every published patient count is 0, a multiple of 5 above 7, or suppressed ('*').
    wb = openpyxl.load_workbook(run.root / "extracts" / "2026-07" / "QOP.xlsx")
    cells = [
        c
        for row in wb["Opioids ≥90 mg (patients)"].iter_rows(min_row=2, min_col=7, max_col=8, values_only=True)
        for c in row
    ]
    assert "*" in cells
    assert all(c == "*" or c == 0 or (c % 5 == 0 and c > 7) for c in cells)
    published = pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv")
    patient = published.filter(pl.col("grain") == "patient")
    assert patient.height > 0 and patient.filter(pl.col("numerator").is_between(1, 7)).is_empty()
    assert (
        round_count(icb["numerator"])
        == patient.filter((pl.col("indicator_id") == "pl_opioid_high_dose_90") & (pl.col("org_code") == "QOP"))[
            "numerator"
        ][0]
        or 1 <= icb["numerator"] <= 7
    )


def _expected_standing(low_is_good, funnel: str, spc: str) -> str:
    """The matrix's rule in the test's own words: the worse side is 'above' where lower is better; a
    special cause of concern, or a funnel outlier on the worse side, is worse; on the other side better."""
    if low_is_good is None:
        return "neutral" if funnel in ("above", "below") or spc == "special" else "expected"
    worse = "above" if low_is_good else "below"
    if spc == "concern" or funnel == worse:
        return "worse"
    if spc == "improvement" or funnel in ("above", "below"):
        return "better"
    return "expected"


def test_overview_matrix_says_where_each_icb_stands_and_links_to_it(run, browser):
    from indicators.catalogue import catalogue

    page, errors, _, _ = open_page(browser, url(run, "index.html"), "matrix.png")
    assert errors == []
    icbs = pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv", infer_schema_length=None).filter(
        pl.col("org_type") == "icb"
    )
    cells = page.eval_on_selector_all(
        "table.matrix td.cell a",
        "els => els.map(a => [a.getAttribute('href'), a.parentElement.className, a.innerText])",
    )
    assert len(cells) == icbs.height and icbs["org_code"].n_unique() >= 30  # every ICB x indicator
    ind = catalogue()
    # Two marks, worked out here with the test's own rules: the cell's class is the position against England
    # (the funnel in the indicator's direction), the circle the SPC variation - never one for both.
    positions, variations = {}, {}
    for row in icbs.iter_rows(named=True):
        href = f"icb.html?code={row['org_code']}&month={MONTH}#{row['indicator_id']}"
        low_is_good = ind[row["indicator_id"]].low_is_good
        if row["funnel"] in ("above", "below"):
            worse = None if low_is_good is None else ("above" if low_is_good else "below")
            positions[href] = "neutral" if worse is None else ("worse" if row["funnel"] == worse else "better")
        else:
            positions[href] = "within" if row["funnel"] == "within" else "none"
        variations[href] = row["spc"] or "none"
    got = {href: cls.split()[-1].removeprefix("pos-") for href, cls, _ in cells}
    assert got == positions
    assert {"worse", "better", "within"} <= set(got.values())  # the sample has all three
    marks = dict(
        page.eval_on_selector_all(
            "table.matrix td.cell a",
            """els => els.map(a => [a.getAttribute('href'),
        (a.querySelector('.var') || {className: 'var var-none'}).className.split(' ').pop().slice(4)])""",
        )
    )
    assert marks == variations
    titles = page.eval_on_selector_all(
        "table.matrix td.cell:not(.none)", "tds => tds.map(td => td.getAttribute('title'))"
    )
    assert all(titles) and not any("better than England" in t and "worse" in t for t in titles)
    legend = page.inner_text(".legend")
    assert "Position against England" in legend and "Variation over time" in legend
    # ICBs in priority order (the sum of their act-on-first list's priorities, shown); columns by harm tier.
    rows = page.eval_on_selector_all(
        "table.matrix tbody tr:not(.england)",
        "trs => trs.map(tr => Number(tr.querySelector('td.count').innerText.replace(/,/g, '')))",
    )
    assert rows == sorted(rows, reverse=True) and rows[0] > rows[-1]
    tiers = page.eval_on_selector_all("table.matrix tr.tiers th.tier", "ths => ths.map(th => th.innerText)")
    assert tiers == ["High harm", "Medium harm", "Low harm"]
    page.set_viewport_size({"width": 1400, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    box = page.eval_on_selector("table.matrix", "t => t.getBoundingClientRect().right")
    assert box <= 1400
    # Counts (methotrexate 10 mg items) are whole numbers; rates keep their decimals.
    mtx = page.eval_on_selector_all(
        "table.matrix td.cell a[href$='#methotrexate_10mg_items'] .v", "els => els.map(e => e.innerText)"
    )
    assert mtx and all(v.replace(",", "").isdigit() for v in mtx), mtx
    worse = next(h for h, s in got.items() if s == "worse")
    page.click(f"table.matrix a[href='{worse}']")
    page.wait_for_url("**/" + worse)
    page.wait_for_selector("section.indicator")
    assert page.locator(f"section#{worse.split('#')[1]}").count() == 1


def test_search_finds_practices_and_pcns_offline(run, browser):
    practices = pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv", infer_schema_length=None).filter(
        (pl.col("org_type") == "practice") & (pl.col("icb_code") == "QOP")
    )
    practice = practices.sort("org_code").row(0, named=True)
    page, errors, _, requests = open_page(browser, url(run, "icb.html?code=QOP"), "search-start.png")
    href = f"practice.html?code={practice['org_code']}&month={MONTH}"
    page.fill("#search", practice["org_name"].lower())
    page.wait_for_selector("#search-results a")
    hrefs = page.eval_on_selector_all("#search-results a", "els => els.map(a => a.getAttribute('href'))")
    assert href in hrefs
    # From an ICB's page its own ICB's matches come first, before same-named ones elsewhere in England.
    in_gm = [
        "GREATER MANCHESTER" in t
        for t in page.eval_on_selector_all("#search-results a", "els => els.map(a => a.innerText)")
    ]
    assert in_gm[0] and in_gm == sorted(in_gm, reverse=True)
    # Each result says where it is (PCN by name, ICB, postcode), so same-named practices can be told apart.
    shown = page.inner_text(f"#search-results a[href='{href}']")
    pcn_row = (
        pl.read_csv(run.root / "extracts" / "2026-07" / "all_icbs.csv", infer_schema_length=None)
        .filter((pl.col("org_type") == "pcn") & (pl.col("org_code") == practice["pcn_code"]))
        .row(0, named=True)
    )
    postcode = pl.read_parquet(lake_file(run, "practice_geography", "2026-07")).filter(
        pl.col("practice_code") == practice["org_code"]
    )["practice_postcode"][0]
    assert f"practice · {pcn_row['org_name']} · GREATER MANCHESTER · " in shown
    assert shown.endswith(postcode) and len(postcode) >= 6
    page.fill("#search", postcode.lower())  # found by postcode too
    page.wait_for_selector(f"#search-results a[href='{href}']")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search.png"))
    page.click(f"#search-results a[href='{href}']")
    page.wait_for_url(f"**/{href}")
    page.wait_for_selector("section.indicator")
    # The practice page's breadcrumbs name its ICB and PCN and link to them; the PCN is found by its code as
    # well, from any page depth.
    pcn = practice["pcn_code"]
    crumbs = page.inner_text("nav.crumbs")
    assert crumbs == f"England › GREATER MANCHESTER › {pcn_row['org_name']} › {practice['org_name']}", crumbs
    assert page.locator(f"nav.crumbs a[href='pcn.html?code={pcn}&month={MONTH}']").count() == 1
    assert page.locator(f"nav.crumbs a[href='icb.html?code=QOP&month={MONTH}']").count() == 1
    # The top of the page sums up its flags: each indicator where it stands apart (worked out here from
    # all_icbs.csv with the test's own rule), and its new signals, the same rows as the workbook's Signals sheet.
    from indicators.catalogue import catalogue

    ind = catalogue()
    mine = practices.filter(pl.col("org_code") == practice["org_code"])
    apart = sorted(
        r["indicator_id"]
        for r in mine.iter_rows(named=True)
        if _expected_standing(ind[r["indicator_id"]].low_is_good, r["funnel"], r["spc"]) != "expected"
    )
    listed = page.eval_on_selector_all(
        ".flags ul.standing li a", "els => els.map(a => a.getAttribute('href').slice(1))"
    )
    assert sorted(listed) == apart
    sheet = openpyxl.load_workbook(run.root / "extracts" / "2026-07" / "QOP.xlsx")["Signals"]
    head = [c.value for c in sheet[2]]
    own = [
        r
        for r in (dict(zip(head, v)) for v in sheet.iter_rows(min_row=3, values_only=True))
        if r["Code"] == practice["org_code"] and r["Org"] == "practice"
    ]
    # The page opens with the practice's own signals, continuing ones too: each either a line of its table
    # or named among its other signals.
    lines = page.locator(".flags table.actfirst tbody tr").count()
    others = page.locator(".flags p.other a").count()
    assert lines + others == len(own)
    if not own:
        assert "Nothing to act on first this month" in page.inner_text(".flags")
    index, _, _, _ = open_page(browser, url(run, "index.html"), "search-index.png")
    index.fill("#search", pcn.lower())
    pcn_href = f"pcn.html?code={pcn}&month={MONTH}"
    index.wait_for_selector(f"#search-results a[href='{pcn_href}']")
    index.click(f"#search-results a[href='{pcn_href}']")
    index.wait_for_url(f"**/{pcn_href}")
    pcn_page, errors, charts, requests = open_page(browser, index.url, "pcn.png")
    assert errors == [] and charts and all(c == ["true", True] for c in charts)
    assert all(r.startswith("file://") for r in requests)
    index.fill("#search", "zzzz no such practice")
    assert index.inner_text("#search-results") == "nothing matches"


def test_every_pcn_has_a_page_and_practices_without_one_are_counted(run):
    pcns = {r["org_code"]: r["icb_code"] for r in values(run, "org_type = 'pcn'", {})}
    search = {o[1]: o[4] for o in month_data(run)["search"] if o[0] == "pcn"}
    assert pcns and search == pcns  # found by the search box, in the data of the ICB its row names
    for pcn, icb in pcns.items():
        assert pcn in icb_data(run, icb)["pcn_pages"]
    wb = openpyxl.load_workbook(run.root / "extracts" / "2026-07" / "QOP.xlsx")
    rows = list(wb["PCNs"].iter_rows(min_row=2, values_only=True))
    expected = {(r["indicator_id"], r["org_code"]): r for r in values(run, "org_type = 'pcn' AND icb_code = 'QOP'", {})}
    assert {(r[14], r[1]) for r in rows} == set(expected)  # the id in its own column, the title first
    for r in rows:
        if not r[14].startswith("pl_"):
            assert r[7] == pytest.approx(expected[(r[14], r[1])]["value"])
    no_pcn = {r["org_code"] for r in values(run, "org_type = 'practice' AND icb_code = 'QOP' AND pcn_code IS NULL", {})}
    assert wb["Summary"]["A4"].value.startswith(f"Practices in no PCN: {len(no_pcn)} ")


def test_charts_fill_the_page_and_ranked_charts_stay_readable(run, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url(run, "index.html"))
    page.wait_for_function(
        "document.querySelectorAll('[data-chart]').length > 0 && Array.from("
        "document.querySelectorAll('[data-chart]')).every(e => e.dataset.rendered)",
        timeout=60_000,
    )
    widths = page.eval_on_selector_all("[data-chart] svg", "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and min(widths) > 550  # two to a row on a 1,400 px page (they were ~300 px)
    # The OME chart of 42 ICBs is ranked (no funnel): at most 30 bars, labels one per bar, none overlapping.
    labels = page.eval_on_selector_all(
        "[data-chart='opioid_ome_per_1000_day-icbs'] g.role-axis-label text",
        "els => els.map(e => { const b = e.getBoundingClientRect(); return [e.textContent, b.top, b.bottom]; })",
    )
    names = [t for t, _, _ in labels if t[:1].isdigit() and ". " in t]
    assert len(names) == 30 and names[0].startswith("1. ")
    boxes = sorted((top, bottom) for t, top, bottom in labels if t in names)
    assert all(b[0] >= a[1] - 0.5 for a, b in zip(boxes, boxes[1:]))
    page.screenshot(path=str(SCREENSHOTS / "ranked.png"), full_page=False)


def test_funnel_axes_cover_the_data_not_whole_decades_from_zero(run, browser):
    """England's ICB funnel: the denominator axis spans the ICBs' list sizes (not rounded out to whole
    decades) and the value axis the points and limits (not from zero)."""
    page, errors, _, _ = open_page(browser, url(run, "index.html"), "funnel.png")
    box = "document.querySelector(\"[data-chart='nsaid_per_1000_65plus-icbs']\").vegaView"
    points, band = page.evaluate(f"[{box}.data('points'), {box}.data('band')]")
    icbs = [r for r in month_data(run)["england"]["rows"]["nsaid_per_1000_65plus"] if r[2] is not None]
    assert len(points) == len(icbs) >= 30 and band  # every ICB with a value, and the limits
    assert min(b["denominator"] for b in band) == pytest.approx(min(r[9] for r in icbs) / 2, rel=1e-3)
    denominators = [p["denominator"] for p in points] + [b["denominator"] for b in band]
    low, high = min(denominators), max(denominators)
    values = [p["value"] for p in points] + [b[k] for b in band for k in ("lo95", "hi95", "lo998", "hi998", "centre")]
    x = page.evaluate(f"{box}.scale('x').domain()")
    y = page.evaluate(f"{box}.scale('y').domain()")
    assert x == pytest.approx([low, high], rel=1e-3)  # not rounded out to whole decades (100 to 100,000)
    assert y == pytest.approx([min(values), max(values)], rel=1e-3) and min(values) > 0


def test_ranked_chart_of_hundreds_of_practices_shows_the_worst_thirty(run, browser):
    """OME per 1,000 (lower is better, no funnel) on an ICB page: its practices ranked, the 30 highest shown."""
    page, errors, _, _ = open_page(browser, url(run, "icb.html?code=QOP"), "ranked-practices.png")
    box = "document.querySelector(\"[data-chart='opioid_ome_per_1000_day-practices']\")"
    points = page.evaluate(f"{box}.vegaView.data('points')")
    rows = [r for r in icb_data(run, "QOP")["rows"]["opioid_ome_per_1000_day"]["practice"] if r[2] is not None]
    expected = sorted((r[2] for r in rows), reverse=True)[:30]
    assert errors == [] and len(points) == min(30, len(rows)) and [p["value"] for p in points] == expected
    assert points[0]["label"].startswith("1. ") and points[0]["label"].endswith(f"({points[0]['code']})")
    if len(rows) > 30:
        assert f"of {len(rows)}" in page.inner_text("[data-chart='opioid_ome_per_1000_day-practices']")


def test_no_spc_limit_is_drawn_below_zero(run):
    lowers = []
    for path in sorted((run.report(MONTH) / "icb").glob("*.js")):
        for by_kind in read_data_module(path)[1]["trends"].values():
            found = (
                [by_kind.get("icb")]
                + list(by_kind.get("pcn", {}).values())
                + list(by_kind.get("practice", {}).values())
            )
            lowers += [t[6] for t in found if t and len(t) > 6 and t[6] is not None]
    assert lowers and min(lowers) >= 0 and 0 in lowers  # small counts' limits are clipped at zero


def test_charts_draw_every_month_and_the_whole_funnel_band(run, browser):
    """A trend is the month's SPC reading (its ICB's file) over the values of the history files (one per calendar
    year, shared by the months): every month with a value in either is a point on the chart. The practice funnel
    band is England's, drawn over the practices the chart shows."""
    import re

    data = icb_data(run, "QOP")
    code = sorted(data["practice_pages"])[0]
    page, errors, _, _ = open_page(browser, url(run, f"practice.html?code={code}"), "practice-points.png")
    trends = {ind: t["practice"][code] for ind, t in data["trends"].items() if code in t.get("practice", {})}
    assert errors == [] and trends
    history = {
        year: read_data_module(run.reports / "data" / "history" / year / "QOP.js")[1] for year in ("2026",)
    }  # the run's six months, February to July 2026
    shown = []
    for chart_id, series in trends.items():
        row = history["2026"]["practice"].get(chart_id, {}).get(code, [])
        earlier = [row[m - 1] if m - 1 < len(row) else None for m in range(2, 7)]  # February to June
        months = sum(v is not None for v in earlier) + (series[0] is not None)
        drawn = page.locator(f'[data-chart="{chart_id}"] g.mark-symbol.role-mark path').count()
        assert drawn == months, chart_id
        shown.append(months)
    assert max(shown) == 6  # the run's six months, all on the chart
    icb, errors, _, _ = open_page(browser, url(run, "icb.html?code=QOP"), "icb-funnel.png")
    chart = '[data-chart="methotrexate_10mg_pct-practices"]'
    lines = icb.locator(f"{chart} g.mark-line.role-mark path")
    shapes = [lines.nth(i).get_attribute("d") for i in range(lines.count())]
    assert errors == [] and len(shapes) == 5  # 95 % and 99.8 % limits either side, and England's line
    assert all(len(re.findall(r"L", d)) >= 10 for d in shapes)
    points, band = icb.evaluate(
        f"[document.querySelector('{chart}').vegaView.data('points'), "
        f"document.querySelector('{chart}').vegaView.data('band')]"
    )
    sizes = [p["denominator"] for p in points]
    assert min(b["denominator"] for b in band) <= min(sizes) / 2 and max(b["denominator"] for b in band) >= max(sizes)


def test_every_table_the_run_wrote_has_its_declared_columns(run):
    # The shared run writes every table of the registry (patient-level ones too); each file's columns and
    # types are those pipelines/tables.py declares, and each table's months are the run's months.
    from pipelines.tables import TABLES
    from tests.conftest import MONTHS

    with duckdb.connect() as con:
        for table in TABLES.values():
            files = table.files(run)
            assert files, table.name
            for path in files:
                got = tuple(
                    (c[0], c[1])
                    for c in con.execute(
                        "DESCRIBE SELECT * FROM read_parquet($p, hive_partitioning = false)", {"p": str(path)}
                    ).fetchall()
                )
                assert got == table.columns, (table.name, path)
            if table.by_month and table.zone == "warehouse":
                assert table.months(run) == MONTHS, table.name


def test_practice_page_lists_the_products_behind_each_numerator(run, browser):
    """The products table of a practice page: the presentations of the indicator's breakdown over the last three
    months, summed by the test from the warehouse files, most items first (an indicator without OME)."""
    from pipelines.tables import TABLES

    files = [str(f) for f in TABLES["indicator_practice_breakdown"].files(run, MONTHS[-3:])]
    with duckdb.connect() as con:
        rows = con.execute(
            "SELECT practice_code, bnf_code, sum(items) AS n FROM read_parquet($f) WHERE indicator_id = "
            "'nsaid_per_1000_65plus' GROUP BY ALL",
            {"f": files},
        ).fetchall()
    by_practice: dict = {}
    for practice, bnf, n in rows:
        by_practice.setdefault(practice, {})[bnf] = n
    data = icb_data(run, "QOP")
    code = max((p for p in data["practice_pages"] if p in by_practice), key=lambda p: len(by_practice[p]))
    expected = sorted(by_practice[code].items(), key=lambda kv: (-kv[1], kv[0]))[:8]
    page, errors, _, _ = open_page(browser, url(run, f"practice.html?code={code}"), "products.png")
    table = page.locator("#nsaid_per_1000_65plus details.products table")
    cells = table.locator("tbody tr").evaluate_all("trs => trs.map(tr => Array.from(tr.cells).map(c => c.textContent))")
    shown = [(r[0], float(r[2].replace(",", ""))) for r in cells]
    assert errors == [] and shown == [(b, float(n)) for b, n in expected]
    with duckdb.connect() as con:  # each code beside its own name, as the month's presentations list has it
        names = dict(
            con.execute(
                "SELECT bnf_code, any_value(bnf_name) FROM read_parquet($f) GROUP BY ALL",
                {"f": [str(f) for f in TABLES["presentations"].files(run, MONTHS[-3:])]},
            ).fetchall()
        )
    assert [r[1] for r in cells] == [names[r[0]] for r in cells]
    assert page.inner_text("#nsaid_per_1000_65plus details.products summary").endswith(f"({len(expected)})")


def test_a_pcn_across_two_icbs_lists_all_its_practices(run, browser, tmp_path):
    """A PCN whose practices are in two ICBs (real ones are): its page, in the ICB of most of its practices,
    lists every one of them, and each practice's own page is in its own ICB."""
    from pipelines.outputs.report.site import build_site

    analysis = load_analysis(run)
    practices = analysis.assessed.filter(pl.col("org_type") == "practice")
    pcn, home = practices.filter(pl.col("pcn_code").is_not_null()).select("pcn_code", "icb_code").row(0)
    members = sorted(set(practices.filter(pl.col("pcn_code") == pcn)["org_code"]))
    other = next(c for c in practices["icb_code"].unique().sort() if c != home)
    moved = members[0]  # this practice now in another ICB, still in the PCN
    assert len(members) >= 2
    analysis.assessed = analysis.assessed.with_columns(
        icb_code=pl.when((pl.col("org_type") == "practice") & (pl.col("org_code") == moved))
        .then(pl.lit(other))
        .otherwise(pl.col("icb_code"))
    )
    analysis.layout = type(analysis.layout)(tmp_path / "out")
    build_site(analysis)
    home_data = read_data_module(analysis.layout.report(MONTH) / "icb" / f"{home}.js")[1]
    other_data = read_data_module(analysis.layout.report(MONTH) / "icb" / f"{other}.js")[1]
    assert moved in other_data["practice_pages"] and moved not in home_data["practice_pages"]
    assert moved not in [r[0] for r in home_data["rows"]["nsaid_per_1000_65plus"]["practice"]]  # not the ICB's own
    page, errors, _, _ = open_page(
        browser, (analysis.layout.reports / "pcn.html").as_uri() + f"?code={pcn}&month={MONTH}", "pcn-two-icbs.png"
    )
    listed = page.eval_on_selector_all(
        "#nsaid_per_1000_65plus table.practices tbody tr td:first-child", "tds => tds.map(td => td.textContent)"
    )
    assert errors == [] and sorted(listed) == members
    assert page.inner_text("main p.meta").startswith("Sub-ICB") and f"· {len(members)} practices" in page.inner_text(
        "main p.meta"
    )


def test_history_files_take_each_build_s_values_by_calendar_month():
    """merge_history, worked by hand: a build's window (November 2025 to February 2026) written over the
    published years; what the build does not hold is kept, what it holds empty is emptied (a republished
    month), trailing empty months are not written."""
    from pipelines.outputs.report.site import merge_history

    published = {
        "2025": None,
        "2026": {"format": 1, "icb": {}, "pcn": {}, "practice": {"x": {"P1": [1.0, 2.0, 3.0], "P9": [5.0]}}},
    }
    built = {"icb": {}, "pcn": {}, "practice": {"x": {"P1": [10.0, None, 30.0, None]}}}
    out = merge_history(published, ["2025-11", "2025-12", "2026-01", "2026-02"], built)
    assert out["2025"]["practice"] == {"x": {"P1": [None] * 10 + [10.0]}}  # December empty: not written
    assert out["2026"]["practice"] == {"x": {"P1": [30.0, None, 3.0], "P9": [5.0]}}  # March kept, P9 kept
