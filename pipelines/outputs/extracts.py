"""Per-ICB Excel extracts for ICB pharmacists, and one long CSV of every ICB for analysts.

<data-dir>/extracts/<YYYY-MM>/<ICB code>.xlsx (current geography):
  Summary       each indicator: ICB, England and region values, 12-month trend, SPC signal, what better means;
                how many practices are in no PCN
  PCNs          each of the ICB's Primary Care Networks on every indicator (value, percentile, funnel, SPC)
  <indicator>   every practice (with its PCN): numerator, denominator, value, percentile, funnel flag, SPC signal,
                low numbers
  Signals       this month's new special-cause signals and funnel outliers, and every practice with any
                methotrexate 10 mg tablet items
  Definitions   exact codes, thresholds, definition version, data months, caveats of each proxy
  Presentations every presentation each indicator's code lists match in this data, one per row (a list
                too long for one Excel cell is cut there with a marker pointing here)
<data-dir>/extracts/<YYYY-MM>/all_icbs.csv: every org row of the month with the same assessments.
Real Excel types (numbers as numbers, months as dates), frozen headers, widths and filters.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter

from indicators.model import Indicator
from pipelines.atomic import publish_dir, scratch_name
from pipelines.indicators.describe import cited_text, group_text, matched, rule_text, used_groups
from pipelines.months import month_label
from pipelines.outputs.analysis import Analysis
from pipelines.outputs.parallel import Steps, finish, started
from pipelines.outputs.signals import (
    HISTORY,
    NEW_AFTER,
    PRIORITY_RULE,
    SIGNALS_FILE,
    act_on_first,
    count_words,
    signals_by_icb,
    signals_document,
)
from pipelines.outputs.wording import (
    FUNNEL,
    SPC,
    SUPPRESSED,
    SYNTHETIC,
    act_first_entry,
    no_prescribing,
    related,
    rules_in_words,
    safe_code,
    worst_first,
)
from pipelines.outputs.xlsx_rows import EXCEL_CELL_LIMIT, Cell, RowsSheet

# xlsxwriter cuts a string longer than Excel's cell limit silently (write_string returns -2), so every long
# text goes through fit_cell.


def fit_cell(text: str, where: str) -> str:
    """`text` whole if it fits one Excel cell; else cut after its last whole item ('; ' or a line end) with
    a marker saying how much was left out and where all of it is."""
    if len(text) <= EXCEL_CELL_LIMIT:
        return text
    total = len(text)
    marker = f"\n[… cut at Excel's 32,767-character cell limit ({total:,} characters): {where}]"
    head = text[: EXCEL_CELL_LIMIT - len(marker)]
    cut = max(head.rfind("; "), head.rfind("\n"))
    return (head[:cut] if cut > 0 else head) + marker


def sheet_name(ind: Indicator) -> str:
    """An indicator's sheet: its short title (at most 30 characters, unique: tested) without the characters
    Excel forbids in a sheet name."""
    return "".join({":": " -"}.get(ch, " " if ch in "[]*?/\\" else ch) for ch in ind.short_title)[:31]


def month_date(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def write_extracts(analysis: Analysis) -> dict:
    """Write every ICB's workbook and the all-ICB CSV for the analysis month; returns counts and paths."""
    return finish(extracts_in_steps(analysis))


def extracts_in_steps(analysis: Analysis) -> Steps:
    """write_extracts in steps (pipelines/outputs/parallel.py): prepared; the workbooks written by forked
    workers while this process writes the CSV (and then prepares the next output); published."""
    layout, month = analysis.layout, analysis.month
    final = layout.extracts(month)
    work = layout.tmp / scratch_name(f"extracts-{month}")
    work.mkdir(parents=True, exist_ok=True)
    assessed = analysis.assessed
    icbs = assessed.filter(pl.col("org_type") == "icb").select("org_code", "org_name", "region_code").unique("org_code")
    # File names are made only from validated codes.
    wanted = [icb for icb in icbs.sort("org_code").iter_rows(named=True) if safe_code(icb["org_code"])]
    rows = WorkbookRows(analysis)
    _ = analysis.baseline, analysis.opioids_without_ome  # read through DuckDB/polars: before the writers fork

    def write(icbs: list[dict]) -> int:
        for icb in icbs:
            write_icb_workbook(work / f"{icb['org_code']}.xlsx", analysis, rows, icb)
        return len(icbs)

    yield  # prepared
    workers = started(write, wanted)
    try:
        written = _write_the_rest(analysis, work, [f"{icb['org_code']}.xlsx" for icb in wanted])
        yield  # the workers are writing
        workers.wait()
    finally:
        workers.close()
    publish_dir(work, final, layout.tmp)
    return {"folder": final, "workbooks": len(written), "csv": final / "all_icbs.csv"}


def _write_the_rest(analysis: Analysis, work: Path, written: list[str]) -> list[str]:
    """The workbooks of ICBs the month's EPD lacks, the all-ICB CSV and the signals file: every workbook's name."""
    month, assessed = analysis.month, analysis.assessed
    for code, absent in sorted(analysis.absent_icbs.items()):  # said in a workbook of its own, not left out
        if safe_code(code) and f"{code}.xlsx" not in written:
            write_absent_workbook(work / f"{code}.xlsx", absent, month_label(month))
            written.append(f"{code}.xlsx")
    csv_columns = [
        "indicator_id",
        "org_type",
        "org_code",
        "org_name",
        "pcn_code",
        "sub_icb_code",
        "icb_code",
        "region_code",
        "numerator",
        "denominator",
        "value",
        "suppressed",
        "percentile",
        "low_numbers",
        "spc",
        "spc_rules",
        "new_signal",
        "funnel",
        "funnel_before",
        "trend",
    ]
    grains = pl.DataFrame(
        {"indicator_id": list(analysis.indicators), "grain": [i.grain for i in analysis.indicators.values()]}
    )
    table = (
        assessed.join(grains, on="indicator_id", how="left", maintain_order="left")
        .select(csv_columns[:1] + ["grain"] + csv_columns[1:])
        .with_columns(month=pl.lit(month))
        .sort("indicator_id", "org_type", "org_code")
    )
    csv_safe(table).write_csv(work / "all_icbs.csv")
    (work / SIGNALS_FILE).write_text(json.dumps(signals_document(analysis), separators=(",", ":")), encoding="utf-8")
    return written


def write_absent_workbook(path: Path, absent, label: str) -> None:
    """The workbook of an ICB the month's EPD lacks: one sheet that says so."""
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("Summary")
        ws.set_column(0, 0, 120)
        ws.write_string(
            0,
            0,
            f"{absent.name} ({absent.code}) — medication safety indicators, {label}",
            wb.add_format({"bold": True, "font_size": 14}),
        )
        ws.write_string(
            2,
            0,
            no_prescribing(absent, label),
            wb.add_format({"bold": True, "font_color": "#d5281b", "text_wrap": True}),
        )
        ws.set_row(2, 45)


# OWASP, CSV injection: a cell beginning with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with a single quote (OWASP)."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    pattern = "^[" + "".join("\\" + ch if ch in "-+" else ch for ch in FORMULA_STARTS) + "]"
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.contains(pattern)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
            for c in text
        ]
    )


class WorkbookRows:
    """The assessed rows as plain dicts, grouped the way the workbooks read them."""

    def __init__(self, analysis: Analysis):
        # The Definitions sheet's code lists are the same in every ICB's workbook: expanded once.
        self.definitions = {i: definition_codes(ind, analysis.codes_seen) for i, ind in analysis.indicators.items()}
        self.signals = signals_by_icb(analysis)  # the one signal model: the report and the e-mail count the same
        # Grouped once here, not filtered per sheet: an ICB's indicator sheets read its practices by indicator.
        self.practices: dict[str, dict[str, list[dict]]] = {}  # ICB -> indicator -> its practices
        self.pcns: dict[str, list[dict]] = {}  # by the ICB most of each PCN's practices are in
        self.orgs: dict[tuple[str, str], dict[str, dict]] = {}
        self.pcn_names: dict[str, str] = {}
        for row in analysis.assessed.iter_rows(named=True):
            if row["org_type"] == "practice":
                self.practices.setdefault(row["icb_code"], {}).setdefault(row["indicator_id"], []).append(row)
            else:
                if row["org_type"] == "pcn":
                    self.pcns.setdefault(row["icb_code"], []).append(row)
                    self.pcn_names.setdefault(row["org_code"], row["org_name"] or "")
                self.orgs.setdefault((row["org_type"], row["org_code"]), {})[row["indicator_id"]] = row

    def pcn_name(self, code: str | None) -> str:
        return self.pcn_names.get(code or "", "")


def write_icb_workbook(path: Path, analysis: Analysis, data: WorkbookRows, icb: dict) -> None:
    # Text is written as text, never turned into a formula, array formula, URL or number (a practice
    # named '=HYPERLINK(...)' stays a name); every text cell also goes through write_string.
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    f = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}),
        "num": wb.add_format({"num_format": "#,##0.00"}),
        "int": wb.add_format({"num_format": "#,##0"}),
        "small": wb.add_format({"num_format": "0.000##"}),  # rates below 0.1: as the report shows them (0.0512)
        "pct": wb.add_format({"num_format": "0.0"}),
        "month": wb.add_format({"num_format": "mmm yyyy"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "concern": wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        "improve": wb.add_format({"font_color": "#006100", "bg_color": "#C6EFCE"}),
        "synthetic": wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#D5281B"}),
    }
    month, code = analysis.month, icb["org_code"]
    practices = data.practices.get(code, {})  # indicator -> the ICB's practices
    data_month = month_date(month)
    icb_rows = data.orgs.get(("icb", code), {})
    region_rows = data.orgs.get(("region", icb["region_code"]), {})
    england = data.orgs.get(("england", "ENG"), {})

    # Act on first: the short list (pipelines/outputs/signals.py), the same as the ICB page and the e-mail
    _act_on_first_sheet(wb, f, analysis, data, icb)

    # Summary
    ws = wb.add_worksheet("Summary")
    ws.write_string(0, 0, f"{icb['org_name']} ({code}) — medication safety indicators", f["title"])
    ws.write_string(1, 0, "Data month")
    ws.write_datetime(1, 1, data_month, f["month"])
    ws.write_string(
        1,
        3,
        "Geography: each practice in its current ICB. Ecological proxies describe prescribing volumes, not "
        "patients. Patient-level indicators count patients; their published counts are rounded to 5 and "
        "counts of 1-7 suppressed ('*'), with secondary suppression.",
    )
    ws.write_string(
        2,
        0,
        f"{count_words(data.signals.get(code, []))} this month: listed on the Signals sheet (rows marked "
        "'new this month'), the same count as the ICB's report page and the monthly e-mail.",
    )
    headers = [
        "Indicator",
        "Title",
        "Unit",
        "ICB value",
        "England value",
        "Region value",
        "Better when",
        "12-month trend (ICB)",
        "SPC signal (ICB, this month)",
        "Practices above 99.8% funnel limit",
        "Basis",
        "Definition version",
        "Related indicators",
        f"ICB baseline ({analysis.baseline_label})",
        "ICB change since baseline",
        "ICB change since baseline (%)",
        f"England baseline ({analysis.baseline_label})",
        "England change since baseline (%)",
        "Indicator id",
    ]
    ws.write_row(4, 0, headers, f["head"])
    for r, (ind_id, ind) in enumerate(analysis.indicators.items(), start=5):
        mine_row, eng, reg = icb_rows.get(ind_id, {}), england.get(ind_id, {}), region_rows.get(ind_id, {})
        flagged = sum(1 for p in practices.get(ind_id, []) if p["funnel"] == "above")
        ws.write_string(r, 0, ind.short_title)
        ws.write_string(r, 1, ind.title, f["wrap"])
        ws.write_string(r, 2, ind.unit_label, f["wrap"])
        for c, value in ((3, mine_row.get("value")), (4, eng.get("value")), (5, reg.get("value"))):
            _number(ws, r, c, value, f)
        ws.write_string(r, 6, ind.direction)
        ws.write_string(r, 7, mine_row.get("trend", ""))
        ws.write_string(r, 8, SPC.get(mine_row.get("spc", "none"), ""), _spc_format(f, mine_row.get("spc")))
        ws.write_number(r, 9, flagged, f["int"])
        ws.write_string(r, 10, ind.basis, f["wrap"])
        ws.write_string(r, 11, ind.definition_version)
        ws.write_string(r, 12, related(ind, analysis.indicators), f["wrap"])
        mine_change = analysis.change_since_baseline(ind_id, "icb", code, mine_row.get("value"))
        eng_change = analysis.change_since_baseline(ind_id, "england", "ENG", eng.get("value"))
        for c, value in (
            (13, mine_change["baseline"]),
            (14, mine_change["change"]),
            (15, mine_change["relative"]),
            (16, eng_change["baseline"]),
            (17, eng_change["relative"]),
        ):
            if value is not None:
                _number(ws, r, c, value, f)
            elif c in (13, 16):
                ws.write_string(r, c, "no baseline data" if ind.grain != "patient" else "not for patient-level counts")
        ws.write_string(r, 18, ind_id)
    no_pcn = len({p["org_code"] for rows in practices.values() for p in rows if not p.get("pcn_code")})
    ws.write_string(
        3,
        0,
        f"Practices in no PCN: {no_pcn} (NHS Digital's map gives them PCN 'U', Unallocated, or does "
        "not list them); the indicator sheets show them with an empty PCN.",
    )
    _finish(
        ws, 4, len(analysis.indicators), [28, 48, 22, 12, 12, 12, 20, 14, 24, 14, 40, 10, 40, 14, 14, 14, 14, 14, 34]
    )

    # PCNs: each of the ICB's Primary Care Networks on every indicator
    ws = wb.add_worksheet("PCNs", worksheet_class=RowsSheet)
    headers = [
        "Indicator",
        "PCN code",
        "PCN name",
        "Practices counted",
        "Month",
        "Numerator",
        "Denominator",
        "Value",
        "Unit",
        "Percentile among PCNs",
        "Funnel (99.8%)",
        "SPC signal",
        "SPC rules",
        "Low numbers",
        "Indicator id",
    ]
    ws.write_row(0, 0, headers, f["head"])
    order = {ind_id: k for k, ind_id in enumerate(analysis.indicators)}
    pcns = sorted(data.pcns.get(code, []), key=lambda p: (order.get(p["indicator_id"], 99), p["org_code"]))
    serial = (ws._convert_date_time(data_month), f["month"])  # the month as Excel's date, as write_datetime
    cells: list[list[Cell]] = []
    for row in pcns:
        ind = analysis.indicators[row["indicator_id"]]
        cells.append(
            [
                (ind.short_title, None),
                (row["org_code"], None),
                (row["org_name"] or "", None),
                None if row["practices"] is None else (row["practices"], f["int"]),
                serial,
                *_counts(row, f),
                (ind.unit_label, None),
                *_assessment(row, f),
                (row["indicator_id"], None),
            ]
        )
    ws.put_rows(1, cells, len(headers))
    _finish(ws, 0, len(pcns), [28, 10, 36, 10, 10, 12, 12, 12, 30, 12, 18, 24, 30, 10, 34])

    # One sheet per indicator
    for ind_id, ind in analysis.indicators.items():
        ws = wb.add_worksheet(sheet_name(ind), worksheet_class=RowsSheet)
        headers = [
            "Practice code",
            "Practice name",
            "PCN code",
            "PCN name",
            "Sub-ICB",
            "Month",
            "Numerator",
            "Denominator",
            f"Value ({ind.unit_label})",
            "National percentile",
            "Funnel (99.8%)",
            "SPC signal",
            "SPC rules",
            "Low numbers",
        ]
        ws.write_row(0, 0, headers, f["head"])
        rows = worst_first(ind, practices.get(ind_id, []))
        ws.put_rows(
            1,
            [
                [
                    (row["org_code"], None),
                    (row["org_name"] or "", None),
                    (row["pcn_code"] or "", None),
                    (data.pcn_name(row["pcn_code"]), None),
                    (row["sub_icb_code"] or "", None),
                    serial,
                    *_counts(row, f),
                    *_assessment(row, f),
                ]
                for row in rows
            ],
            len(headers),
        )
        _finish(ws, 0, len(rows), [12, 36, 10, 30, 10, 10, 12, 12, 16, 12, 18, 24, 30, 10])

    # Signals: the one signal model (pipelines/outputs/signals.py), harm first
    ws = wb.add_worksheet("Signals")
    signals = data.signals.get(code, [])
    ws.write_string(
        0,
        0,
        f"Every signal this month, highest priority first: {count_words(signals)} (status 'new this "
        f"month': none in the {NEW_AFTER} months before), the rest continuing. The first sheet lists the "
        "ones to act on first.",
        f["title"],
    )
    ws.write_row(
        1,
        0,
        [
            "Status",
            "Harm",
            "Indicator",
            "Org",
            "Code",
            "Name",
            "PCN",
            "Value",
            "England",
            "Numerator",
            "Excess over England's rate",
            "Excess counts",
            f"Months a signal (last {HISTORY})",
            "Priority",
            "Why",
            "Indicator id",
        ],
        f["head"],
    )
    for r, s in enumerate(signals, start=2):
        ws.write_string(r, 0, s.status, f["concern"] if s.new else None)
        ws.write_string(r, 1, s.indicator.severity)
        ws.write_string(r, 2, s.indicator.short_title)
        ws.write_string(r, 3, "ICB" if s.org_type == "icb" else "practice")
        ws.write_string(r, 4, s.org_code)
        ws.write_string(r, 5, s.org_name or "")
        ws.write_string(r, 6, data.pcn_name(s.pcn_code) if s.org_type == "practice" else "")
        _number(ws, r, 7, s.value, f)
        if not s.indicator.signal_on_any_item:
            _number(ws, r, 8, s.england_value, f)
        _number(ws, r, 9, s.numerator, f)
        _number(ws, r, 10, None if s.excess is None else round(s.excess), f)
        ws.write_string(r, 11, s.excess_unit or "")
        ws.write_number(r, 12, s.months_on, f["int"])
        if s.priority > 0:
            ws.write_number(r, 13, round(s.priority), f["int"])
        ws.write_string(r, 14, "; ".join(s.reasons), f["wrap"])
        ws.write_string(r, 15, s.indicator.id)
    _finish(ws, 1, len(signals), [16, 8, 28, 9, 10, 36, 30, 12, 12, 10, 12, 12, 10, 10, 60, 34])

    # Definitions
    ws = wb.add_worksheet("Definitions")
    ws.write_row(
        0,
        0,
        [
            "Indicator",
            "Title",
            "Numerator",
            "Denominator",
            "Unit",
            "Better when",
            "Code filters",
            "Presentations matched (this data)",
            "Drug groups: ingredients, and what is left out and why",
            "Against the sources cited: each difference and why",
            "Thresholds",
            "Definition version",
            "Data months",
            "Basis",
            "Limitations",
            "Sources",
            "Opioid presentations without an OME (data month)",
            "Harm tier",
            "Why this tier",
            "What to do about a signal",
            "Indicator id",
        ],
        f["head"],
    )
    for r, (ind_id, ind) in enumerate(analysis.indicators.items(), start=1):
        filters, matched_text, groups, presentations, cited = data.definitions[ind_id]
        everything = f"all {len(presentations):,} presentations are on the Presentations sheet"
        values = [
            ind.short_title,
            ind.title,
            ind.numerator.description,
            ind.denominator.description if ind.denominator else "(none: a count)",
            ind.unit_label,
            ind.direction,
            filters,
            matched_text,
            groups,
            cited or _no_scope(ind),
            ", ".join(f"{k} = {v:g}" for k, v in ind.thresholds.items()),
            ind.definition_version,
            f"{analysis.months[0]} to {analysis.months[-1]}",
            ind.basis,
            "\n".join(ind.limitations),
            "\n".join(s.name for s in ind.sources),
            analysis.without_ome_text(ind),
            ind.severity,
            ind.harm_reason,
            ind.action,
            ind_id,
        ]
        for c, v in enumerate(values):
            ws.write_string(
                r, c, fit_cell(v, everything if c == 7 else "see the indicator's YAML in indicators/"), f["wrap"]
            )
    _finish(
        ws,
        0,
        len(analysis.indicators),
        [28, 36, 40, 30, 22, 20, 40, 60, 70, 60, 16, 10, 18, 24, 60, 50, 60, 10, 50, 50, 34],
    )

    # Presentations: every matched presentation, one per row (no cell limit to meet)
    ws = wb.add_worksheet("Presentations", worksheet_class=RowsSheet)
    headers = ["Indicator", "Code list", "BNF code", "Presentation (name as in this data)", "Indicator id"]
    ws.write_row(0, 0, headers, f["head"])
    listed = [
        [None if v is None else (v, None) for v in (analysis.indicators[ind_id].short_title, label, code, name, ind_id)]
        for ind_id in analysis.indicators
        for label, code, name in data.definitions[ind_id][3]
    ]
    ws.put_rows(1, listed, len(headers))
    _finish(ws, 0, len(listed), [28, 24, 17, 70, 34])
    wb.close()


def _act_on_first_sheet(wb, f: dict, analysis: Analysis, data: WorkbookRows, icb: dict) -> None:
    """The first sheet: what the ICB's report page and the e-mail open with, the same lines in the same order."""
    ws = wb.add_worksheet("Act on first")
    r = 0
    if analysis.synthetic:
        ws.write_string(r, 0, SYNTHETIC, f["synthetic"])
        r += 1
    signals = data.signals.get(icb["org_code"], [])
    first = act_on_first(signals)
    ws.write_string(
        r,
        0,
        f"{icb['org_name']} ({icb['org_code']}) — act on first, {month_label(analysis.month)}: "
        f"{len(first)} of {len(signals)} signals",
        f["title"],
    )
    ws.write_string(
        r + 1,
        0,
        PRIORITY_RULE + " The same list as the ICB's report page and the e-mail; every signal is on the Signals sheet.",
        f["wrap"],
    )
    ws.set_row(r + 1, 30)
    headers = [
        "#",
        "Practice",
        "Code",
        "PCN",
        "Indicator",
        "Harm",
        "Value against England",
        "Excess",
        "For how long",
        "What to do",
        "Why this harm tier",
        "Priority",
        "Indicator id",
    ]
    ws.write_row(r + 3, 0, headers, f["head"])
    for n, s in enumerate(first, start=1):
        e = act_first_entry(s, data.pcn_name(s.pcn_code))
        row = r + 3 + n
        ws.write_number(row, 0, n, f["int"])
        for c, key in enumerate(
            ("practice", "code", "pcn", "indicator", "harm", "against", "excess", "how_long", "action", "why"), start=1
        ):
            ws.write_string(row, c, e[key], f["wrap"])
        ws.write_number(row, 11, round(s.priority), f["int"])
        ws.write_string(row, 12, s.indicator.id)
    if not first:
        ws.write_string(
            r + 4, 1, "Nothing to act on first this month: no practice signal counted in items or patients."
        )
    ws.freeze_panes(r + 4, 0)
    for c, width in enumerate([4, 30, 9, 26, 34, 11, 30, 30, 18, 50, 50, 9, 30]):
        ws.set_column(c, c, width)


def definition_codes(
    ind: Indicator, codes_seen: dict[str, str]
) -> tuple[str, str, str, list[tuple[str, str, str]], str]:
    """The definition's code filters and rules, the presentations they match in this data (as text and as
    (code list, BNF code, name) rows), each drug group it uses (its ingredients, chemicals, what it leaves
    out and why, and its differences from the sources it follows), and its own code lists against the
    sources it cites."""
    parts, matched_lines, presentations = [], [], []
    rules = [f"{role} rule: {rule_text(ind, role)}" for role in ("numerator", "denominator") if rule_text(ind, role)]
    for label, _, filters, codes in matched(ind, codes_seen):
        parts.append(f"{label}: {' '.join(x.split('#')[0].strip() for x in filters)}")
        matched_lines.append(f"{label}: " + "; ".join(f"{c} {codes_seen[c]}" for c in codes))
        presentations += [(label, c, codes_seen[c]) for c in codes]
    groups = "\n".join(group_text(name) for name in used_groups(ind))
    return "\n".join(rules + parts), "\n".join(matched_lines), groups, presentations, cited_text(ind)


def _no_scope(ind: Indicator) -> str:
    """What the cited-sources cell says when the definition compares no list of its own."""
    from indicators.catalogue import drug_groups

    if any(drug_groups()[g].cites for g in used_groups(ind)):
        return (
            "Compared through its drug groups: each group's differences from the source it follows are in the "
            "column before."
        )
    return (
        "Its sources publish no code list to compare with (MHRA, NHS England, Opioids Aware); its drug groups are "
        "checked against every presentation of NHSBSA's BNF lists, and by BNF class where the BNF has one "
        "(the column before)."
    )


def number_format(value, f: dict):
    """A number's format as a reader expects it: a whole number without decimals (46, not '46.'), else two, and
    rates below 0.1 with three significant figures."""
    return f["int"] if float(value).is_integer() else f["small"] if abs(value) < 0.1 else f["num"]


def _number(ws, r: int, c: int, value, f: dict) -> None:
    if value is not None:
        ws.write_number(r, c, value, number_format(value, f))


def _counts(row: dict, f: dict) -> list[Cell]:
    """Numerator, denominator and value cells; '*' where disclosure control hid them."""
    return [
        (row[key], number_format(row[key], f))
        if row[key] is not None
        else ((SUPPRESSED, None) if row["suppressed"] else None)
        for key in ("numerator", "denominator", "value")
    ]


def _assessment(row: dict, f: dict) -> list[Cell]:
    """Percentile, funnel position, SPC signal and rules, and the low-numbers flag."""
    return [
        None if row["percentile"] is None else (row["percentile"], f["pct"]),
        (FUNNEL[row["funnel"]], None),
        (SPC.get(row["spc"], ""), _spc_format(f, row["spc"])),
        (rules_in_words(row["spc_rules"]), None),
        (bool(row["low_numbers"]), None),
    ]


def _spc_format(f: dict, spc: str | None):
    return f["concern"] if spc == "concern" else (f["improve"] if spc == "improvement" else None)


def _finish(ws, header_row: int, rows: int, widths: list[int]) -> None:
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, header_row + max(rows, 1), len(widths) - 1)
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
