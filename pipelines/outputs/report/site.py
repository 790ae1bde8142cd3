"""The report site for Medication Safety Officers: one site for every month, a few shared pages filled in the
browser from small data files. Opens offline, from disk (`file://`), with no server and no network.

<data-dir>/reports/
  index.html, icb.html, pcn.html, practice.html
                             the four pages, the same for every month and organisation:
                             `icb.html?code=QOP&month=2026-07`
                             (the month picker and the search box on every page; no month: the latest)
  assets/                    site.js (renders a page from its data), site.css, templates.js (the Vega-Lite chart
                             templates, pipelines/outputs/report/charts.py), vega.js (Vega, Vega-Lite and vega-embed,
                             from vl-convert; no CDN)
  data/months.js             the months published, for the month picker
  data/<YYYY-MM>/month.js    the month's indicators and their words, England's page (the ICB matrix, ICB funnels and
                             tables), England's series and the practice deciles, the search index, ICBs without data
  data/<YYYY-MM>/icb/<code>.js  everything the ICB's, its PCNs' and its practices' pages show: rows, trends'
                             SPC readings (letters, rules, limits; the month's own value), signals, products (a
                             practice page reads its ICB's file)
  data/history/<YYYY>/<code>.js  the monthly values of the ICB's, its PCNs' and its practices' series in one calendar
                             year, shared by every month whose two-year trend window reaches into it: the
                             latest values published (a republished or re-attributed month overwrites its own)
A month adds its data folder, not a copy of every page (issue 31: ~400 MB of pages a national month before), and
its values into the year's history file: the trends' earlier months are not copied into every month.
Data files are JavaScript modules (`MSI.put(key, {...})`) because a browser will not fetch() a JSON file from
disk but will run a <script>. What the pages say is decided here and in pipelines/outputs/wording.py (numbers
formatted, words for SPC and funnel readings, signals, baselines); site.js only lays it out, always as text
(never as HTML), and makes links only from codes matching SAFE_CODE.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from indicators.model import Indicator
from pipelines.atomic import publish_dir, publish_file, scratch_name
from pipelines.months import month_label
from pipelines.organisations.names import short_icb_name
from pipelines.outputs.analysis import PRODUCT_MONTHS, Analysis, funnel_band, funnel_kind
from pipelines.outputs.parallel import Steps, finish, started
from pipelines.outputs.report.charts import templates
from pipelines.outputs.report.links import PAGES
from pipelines.outputs.signals import PRIORITY_RULE, SEVERITY_RANK, act_on_first, count_words, new_only, signals_by_icb
from pipelines.outputs.wording import (
    FUNNEL,
    HARM_WORDS,
    SPC,
    SYNTHETIC,
    VARIATION,
    Shown,
    act_first_entry,
    amount,
    fmt,
    fmt_value,
    no_prescribing,
    position,
    related,
    rules_in_words,
    safe_code,
    standing,
    variation,
    worst_first,
)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
FORMAT = 1  # the data files' shape; site.js refuses a month written in another (run the month again)
RANKED_BARS = 30  # a ranked bar chart shows at most this many orgs (worst first); the table has them all
SIGNALS_SHOWN = 12  # per indicator in an ICB page's digest; the rest are counted and are in the tables
BAND_POINTS = 240  # the national practice funnel band: a page draws the part its practices span
# A trend's SPC reading per month as one letter (site.js: VARIATION_CODES), '-' where the org had no value.
VARIATION_LETTERS = {"concern": "C", "improvement": "I", "special": "S", "common": "c", "none": "n"}
FOOTER = (
    "geography: practices in their current ICB · source: NHSBSA English Prescribing Dataset and NHS Digital "
    "registered patients (OGL). Ecological proxies describe prescribing volumes, never numbers of patients. SPC: "
    "XmR charts (Making Data Count); limits below zero are drawn at zero, as no indicator can be negative."
)


def data_module(key: str, data) -> str:
    """A data file's text: `MSI.put("<key>", {...});` ('<' escaped, so that no name can close a <script>)."""
    return (
        f"MSI.put({json.dumps(key)}, "
        + json.dumps(_compact(data), separators=(",", ":"), default=str, ensure_ascii=False).replace("<", "\\u003c")
        + ");\n"
    )


def read_data_module(path: Path) -> tuple[str, object]:
    """The key and data of a file data_module wrote (for tests and `msi` itself, never for a browser)."""
    text = path.read_text(encoding="utf-8")
    head, body = text.split(", ", 1)
    return json.loads(head.removeprefix("MSI.put(")), json.loads(body.rstrip().removesuffix(");"))


def _compact(value):
    """Numbers to 4 significant figures (what a chart can show; the extracts keep full precision), without
    empty fields in objects. (Exact types first: this runs over every number of a national month.)"""
    kind = type(value)
    if kind is float:
        return float(f"{value:.4g}")
    # Text and whole numbers, most of the leaves, are taken as they are without a call each.
    if kind is dict:
        return {
            k: v if type(v) in _KEPT else float(f"{v:.4g}") if type(v) is float else _compact(v)
            for k, v in value.items()
            if v is not None and v != ""
        }
    if kind is list or kind is tuple:
        return [v if type(v) in _KEPT else float(f"{v:.4g}") if type(v) is float else _compact(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


class Verbatim(list):
    """A list that holds only text, whole numbers and lists of them, as written: _compact passes it whole
    (the product lines of a national month are ~0.5 M such lists)."""


_KEPT = frozenset({str, int, bool, type(None), Verbatim})


def columns(rows: list[dict]) -> dict[str, list]:
    """A dataset of numbers as a list per field (site.js makes the rows again)."""
    return {k: [r[k] for r in rows] for k in rows[0]} if rows else {}


def iso(month: str) -> str:
    return f"{month}-01"


def subtitle(ind: Indicator) -> str:
    bits = [ind.direction, ind.unit_label]
    if ind.proxy:
        bits.append("ecological proxy: not a count of patients")
    if ind.grain == "patient":
        bits.append("patient-level: counts rounded to 5, 1-7 suppressed")
    return " · ".join(bits)


def row_cells(ind: Indicator, r: dict) -> list:
    """One org's row of an indicator as the tables show it, and what the charts and sorting need:
    [code, value shown, value, numerator shown, denominator shown, percentile shown, funnel, spc, low numbers,
    denominator]. site.js: ROW."""
    suppressed = r["suppressed"]
    return [
        r["org_code"],
        fmt_value(ind, r["value"], suppressed),
        r["value"],
        amount(r["numerator"], suppressed),
        amount(r["denominator"], suppressed),
        fmt(r["percentile"], 0),
        r["funnel"] or "none",
        r["spc"] or "none",
        1 if r["low_numbers"] else 0,
        r["denominator"],
    ]


class SiteBuilder:
    """The data of every page: what the pages say, decided here; site.js lays it out."""

    def __init__(self, analysis: Analysis):
        self.a = analysis
        self.month = analysis.month
        self.whole = Shown(0)  # the product lines' amounts (fmt(x, 0), remembered: they repeat)
        # Sorted: the warehouse is written in no fixed row order, and the month's national block should read
        # the same from run to run.
        deciles = analysis.deciles.sort("indicator_id", "month")
        self.deciles = {(r["indicator_id"], r["month"]): r for r in deciles.iter_rows(named=True)}
        england = analysis.values.filter(pl.col("org_type") == "england").sort("indicator_id", "month")
        self.england_series = {(r["indicator_id"], r["month"]): r["value"] for r in england.iter_rows(named=True)}
        self.signals = signals_by_icb(analysis)  # the one signal model: the workbook and the e-mail count the same
        self.org_signals: dict[tuple[str, str], list] = {}  # (org type, code) -> its signals, highest priority first
        for found in self.signals.values():
            for sig in found:
                self.org_signals.setdefault((sig.org_type, sig.org_code), []).append(sig)
        self.assessed: dict[tuple[str, str, str], dict] = {}
        self.names: dict[tuple[str, str], str] = {}  # (org type, code) -> name
        for row in analysis.assessed.iter_rows(named=True):
            self.assessed[(row["indicator_id"], row["org_type"], row["org_code"])] = row
            self.names[(row["org_type"], row["org_code"])] = row["org_name"] or row["org_code"]

    @property
    def tiered(self) -> list[Indicator]:
        """The indicators grouped by harm tier (high, medium, low), each tier in the catalogue's order."""
        return sorted(self.a.indicators.values(), key=lambda i: SEVERITY_RANK[i.severity])

    # --- pieces ----------------------------------------------------------------------------------

    def trend(self, key) -> list | None:
        """An org's SPC reading of its series, aligned to the month's national months: [the month's own value,
        the usual letter, {month index: another letter}, {month index: rules in words}, mean, upper, lower];
        None without a series. The earlier months' values are in the history files (history_values)."""
        found = self.a.series.get(key)
        if not found:
            return None
        chart, values = found["chart"], found["values"]
        letters = [VARIATION_LETTERS.get(state, "n") for state in chart.variation]
        present = [letter for v, letter in zip(values, letters) if v is not None]
        usual = max(sorted(set(present)), key=present.count) if present else "n"  # sorted: the same on a tie
        others = {
            str(i): letter for i, (v, letter) in enumerate(zip(values, letters)) if v is not None and letter != usual
        }
        rules = {str(i): rules_in_words(", ".join(sorted(r))) for i, r in enumerate(chart.rules) if r}
        return [values[-1], usual, others, rules, chart.mean, chart.upper, chart.lower]

    def whole_trend(self, key) -> list | None:
        """England's series with its values, as site.js draws a trend: [values, SPC letter per month ('-': no
        value), {month index: rules in words}, mean, upper, lower] (one series a month: no history file)."""
        found = self.a.series.get(key)
        if not found:
            return None
        chart = found["chart"]
        letters = "".join(
            "-" if v is None else VARIATION_LETTERS.get(state, "n")
            for v, state in zip(found["values"], chart.variation)
        )
        rules = {str(i): rules_in_words(", ".join(sorted(r))) for i, r in enumerate(chart.rules) if r}
        return [list(found["values"]), letters, rules, chart.mean, chart.upper, chart.lower]

    def history_values(self, code: str, practices: dict[str, list[dict]], pcns: dict[str, list[dict]]) -> dict:
        """The values of every series the ICB's file holds a trend for, by level, indicator and org, aligned to
        the month's national months (merge_history files them by calendar year)."""
        series = self.a.series
        out: dict[str, dict[str, dict[str, list]]] = {"icb": {}, "pcn": {}, "practice": {}}
        for ind_id in self.a.indicators:
            wanted = [("icb", code)] + [("pcn", r["org_code"]) for r in pcns.get(ind_id, [])]
            wanted += [("practice", r["org_code"]) for r in practices.get(ind_id, [])]
            for level, org in wanted:
                found = series.get((ind_id, level, org))
                if found:
                    out[level].setdefault(ind_id, {})[org] = list(found["values"])
        return out

    def baseline_words(self, ind: Indicator, org_type: str, org_code: str, value) -> str:
        """' · baseline (calendar 2021): 12.34; change +1.20 (+11 %)', or '' (patient-level: not pooled)."""
        if ind.grain == "patient":
            return ""
        c = self.a.change_since_baseline(ind.id, org_type, org_code, value)
        label = self.a.baseline_label
        if c["baseline"] is None:
            return f" · no data for the baseline ({label})"
        text = f" · baseline ({label}): {fmt(c['baseline'])}"
        if c["change"] is not None:
            text += f"; change {c['change']:+.2f}"
            if c["relative"] is not None:
                text += f" ({c['relative']:+.0f} %)"
        return text

    def national(self) -> dict:
        """England's value and the practice deciles by indicator and month, once per month."""
        out: dict = {"months": [iso(m) for m in self.a.months], "england": {}, "deciles": {}}
        for (ind, m), v in self.england_series.items():
            out["england"].setdefault(ind, {})[iso(m)] = v
        for (ind, m), d in self.deciles.items():
            out["deciles"].setdefault(ind, {})[iso(m)] = [d["p10"], d["p50"], d["p90"]]
        return out

    def band(self, ind: Indicator, rows: list[dict], points: int = 60) -> dict:
        """The funnel's limits over the denominators of `rows` (site.js draws the part a chart's orgs span)."""
        eng = self.a.england.get(ind.id, {})
        sizes = [r["denominator"] for r in rows if r["denominator"] and r["value"] is not None]
        if not (funnel_kind(ind) and eng and sizes):
            return {}
        return columns(funnel_band(ind, eng, max(sizes), points=points, min_denominator=min(sizes)))

    def pareto(self, ind: Indicator, rows: list[dict]) -> list[list]:
        """The practices behind most of the ICB's excess over England's rate: [[code, excess, cumulative share]]."""
        eng = self.a.england.get(ind.id, {})
        rows = [r for r in rows if r["numerator"] is not None]  # suppressed patient counts are not shown
        if ind.unit == "count":
            excess = [(r, r["numerator"] or 0) for r in rows]
        elif eng and eng.get("denominator") and eng.get("numerator") is not None:
            rate = eng["numerator"] / eng["denominator"]
            excess = [(r, (r["numerator"] or 0) - (r["denominator"] or 0) * rate) for r in rows]
        else:
            return []
        if ind.low_is_good is False:  # where higher is better, the shortfall is what matters
            excess = [(r, -e) for r, e in excess]
        positive = sorted([(r, e) for r, e in excess if e > 0], key=lambda x: -x[1])
        total = sum(e for _, e in positive)
        out, running = [], 0.0
        for r, e in positive:
            running += e
            out.append([r["org_code"], e, running / total])
            if running / total >= 0.8 or len(out) >= 15:
                break
        return out

    @staticmethod
    def entry(s, pcn_name: str | None) -> dict:
        """A line of an act-on-first table (wording.act_first_entry: the workbook's and e-mail's words)."""
        e = act_first_entry(s, pcn_name)  # its indicator's title, harm and action are the indicator's (month.js)
        return {k: e[k] for k in ("code", "practice", "pcn", "indicator_id", "against", "excess", "how_long")}

    def flags(self, org_type: str, code: str, rows: dict[str, dict], practices: set[str] | None = None) -> dict:
        """The top of a PCN or practice page: its items in the order of the ICB's short list (a PCN's are its
        practices', a practice's its own, continuing ones included), then each indicator where it stands apart
        this month, worse first, high harm first."""
        standing_apart = []
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            state, label = standing(ind, r)
            if state != "expected":
                standing_apart.append((ind, state, label, fmt_value(ind, r["value"], r["suppressed"])))
        rank = {"worse": 0, "concern": 1, "neutral": 2, "better": 3, "improving": 4}
        standing_apart.sort(key=lambda f: (rank[f[1]], SEVERITY_RANK[f[0].severity]))
        if org_type == "pcn":
            icb = next(iter(rows.values()))["icb_code"]
            mine = [
                s for s in self.signals.get(icb, []) if s.org_type == "practice" and s.org_code in (practices or ())
            ]
        else:
            mine = self.org_signals.get((org_type, code), [])
        items = act_on_first(mine, size=None)
        listed = {id(s) for s in items}  # the same objects: `in` on the list compared every field, indicator included
        uncounted = [
            [s.indicator.id, s.org_name, s.status] for s in mine if id(s) not in listed and s.org_type == "practice"
        ]
        return {
            "first": [self.entry(s, self.names.get(("pcn", s.pcn_code or ""))) for s in items],
            "uncounted": uncounted,
            "standing": [[ind.id, state, label, shown] for ind, state, label, shown in standing_apart],
            "worse": sum(1 for f in standing_apart if f[1] == "worse"),
            "indicators": len(rows),
        }

    def digest(self, icb: str) -> dict:
        """What needs attention first: the ICB's new concerning signals (the one signal model: the same count as
        its workbook and e-mail), grouped by indicator, high harm first, at most SIGNALS_SHOWN per indicator with
        the rest counted; then how many continue from last month."""
        signals = self.signals.get(icb, [])
        groups: dict[str, dict] = {}
        for s in new_only(signals):
            g = groups.setdefault(s.indicator.id, {"indicator": s.indicator.id, "count": 0, "signals": []})
            g["count"] += 1
            if len(g["signals"]) < SIGNALS_SHOWN:
                g["signals"].append(
                    [
                        s.org_type,
                        s.org_code,
                        s.org_name,
                        self.names.get(("pcn", s.pcn_code), s.pcn_code) if s.pcn_code else "in no PCN",
                        fmt_value(s.indicator, s.value),
                        "; ".join(s.reasons),
                    ]
                )
        return {
            "groups": list(groups.values()),
            "count": count_words(signals),
            "shown": SIGNALS_SHOWN,
            "continuing": sum(1 for s in signals if not s.new),
        }

    def matrix(self) -> list[dict]:
        """ICBs x indicators (in tiered order): each cell the ICB's value and two separate marks, Making Data
        Count's way - its position against England (the 99.8 % funnel: the cell's colour and an arrow) and its
        own variation over time (SPC: a lettered circle). ICBs in the order of the priority model: the sum of
        their act-on-first list's priorities, highest first. A cell: [indicator, position, variation, letter,
        arrow, value shown, both marks in words]."""
        by_icb: dict[str, dict[str, dict]] = {}
        for (ind_id, kind, code), assessed in self.assessed.items():
            if kind == "icb" and safe_code(code):
                by_icb.setdefault(code, {})[ind_id] = assessed
        out: list[dict] = []
        for code, rows in by_icb.items():
            name = self.names.get(("icb", code), code)
            cells: list = []
            for ind in self.tiered:
                r = rows.get(ind.id)
                if r is None:
                    cells.append(None)
                    continue
                where, where_words = position(ind, r)
                how, letter, how_words = variation(ind, r)
                cells.append(
                    [
                        ind.id,
                        where,
                        how,
                        letter,
                        {"above": "▲", "below": "▼"}.get(r["funnel"], ""),
                        fmt_value(ind, r["value"], r["suppressed"]),
                        "; ".join(w for w in (where_words, how_words) if w),
                    ]
                )
            priority = sum(s.priority for s in act_on_first(self.signals.get(code, [])))
            out.append(
                {
                    "code": code,
                    "priority": f"{priority:,.0f}",
                    "_p": priority,
                    "cells": cells,
                    "_short": short_icb_name(name),
                }
            )
        out.sort(key=lambda icb: (-icb["_p"], icb["_short"], icb["code"]))
        return [{k: v for k, v in icb.items() if not k.startswith("_")} for icb in out]

    # --- the month's file --------------------------------------------------------------------------

    def month_data(self) -> dict:
        a = self.a
        label = month_label(self.month)
        icbs = sorted(
            (r for (i, t, c), r in self.assessed.items() if t == "icb" and safe_code(c)), key=lambda r: r["org_code"]
        )
        practices = [r for (i, t, c), r in self.assessed.items() if t == "practice"]
        england: dict = {"value": {}, "baseline": {}, "rows": {}, "trends": {}, "bands": {}}
        bands = {}
        for ind_id, ind in a.indicators.items():
            eng = a.england.get(ind_id, {})
            rows = worst_first(ind, [r for r in icbs if r["indicator_id"] == ind_id])
            england["value"][ind_id] = fmt_value(ind, eng.get("value"))
            england["baseline"][ind_id] = self.baseline_words(ind, "england", "ENG", eng.get("value"))
            england["rows"][ind_id] = [row_cells(ind, r) for r in rows]
            england["trends"][ind_id] = self.whole_trend((ind_id, "england", "ENG"))
            england["bands"][ind_id] = self.band(ind, rows)
            bands[ind_id] = self.band(ind, [r for r in practices if r["indicator_id"] == ind_id], BAND_POINTS)
        england["notices"] = [
            f"{x.name} ({code}): {no_prescribing(x, label)}" for code, x in sorted(a.absent_icbs.items())
        ]
        england["tiers"] = [
            [HARM_WORDS[t].capitalize(), sum(1 for i in self.tiered if i.severity == t)]
            for t in SEVERITY_RANK
            if any(i.severity == t for i in self.tiered)
        ]
        england["matrix"] = self.matrix()
        icb_names = {}
        for r in icbs:
            name = r["org_name"] or r["org_code"]
            icb_names[r["org_code"]] = [name, short_icb_name(name), self.names.get(("region", r["region_code"]), "")]
        return {
            "format": FORMAT,
            "month": self.month,
            "label": label,
            "versions": ", ".join(sorted({i.definition_version for i in a.indicators.values()})),
            "synthetic": SYNTHETIC if a.synthetic else "",
            "priority_rule": PRIORITY_RULE,
            "footer": FOOTER,
            "product_months": PRODUCT_MONTHS,
            "ranked_bars": RANKED_BARS,
            "words": {"spc": SPC, "funnel": FUNNEL, "variation": VARIATION},
            "indicators": [self.indicator(ind) for ind in a.indicators.values()],
            "tiered": [ind.id for ind in self.tiered],
            "national": self.national(),
            "bands": bands,
            "icbs": icb_names,
            "england": england,
            "search": search_index(a),
            "absent": {
                code: [x.name, no_prescribing(x, label)] for code, x in a.absent_icbs.items() if safe_code(code)
            },
        }

    def indicator(self, ind: Indicator) -> dict:
        return {
            "id": ind.id,
            "title": ind.title,
            "short_title": ind.short_title,
            "severity": ind.severity,
            "harm": HARM_WORDS[ind.severity],
            "action": ind.action,
            "unit": ind.unit,
            "unit_label": ind.unit_label,
            "direction": ind.direction,
            "low_is_good": ind.low_is_good,
            "grain": ind.grain,
            "denominator": bool(ind.denominator),
            "funnel": bool(funnel_kind(ind)),
            "subtitle": subtitle(ind),
            "description": ind.short_description,
            "basis": ind.basis,
            "related": related(ind, self.a.indicators),
            "proxy": ind.limitations[0] if ind.proxy else "",
            "without_ome": self.a.without_ome_text(ind),
        }

    # --- an ICB's file -----------------------------------------------------------------------------

    def icb_data(
        self,
        code: str,
        practices: dict[str, list[dict]],
        pcns: dict[str, list[dict]],
        guests: dict[str, list[dict]] | None = None,
    ) -> dict:
        """Everything the ICB's page, its PCNs' and its practices' pages show. `guests`: practices of other ICBs
        in this ICB's PCNs (a PCN's page is in the ICB of most of its practices, and lists all of them)."""
        a = self.a
        guests = guests or {}
        orgs, pcn_orgs = {}, {}
        for rows in guests.values():
            for r in rows:  # a fourth field marks a guest: not one of the ICB's own practices
                orgs[r["org_code"]] = [r["org_name"] or r["org_code"], r["pcn_code"], r["sub_icb_code"], 1]
        for rows in practices.values():
            for r in rows:
                orgs[r["org_code"]] = [r["org_name"] or r["org_code"], r["pcn_code"], r["sub_icb_code"]]
        for rows in pcns.values():
            for r in rows:
                pcn_orgs[r["org_code"]] = [r["org_name"] or r["org_code"], r["sub_icb_code"]]
        rows_out: dict[str, dict] = {}
        trends: dict = {}
        pareto: dict = {}
        baseline: dict = {}
        by_org: dict[str, dict[str, dict]] = {}  # practice or PCN -> indicator -> row
        for ind_id, ind in a.indicators.items():
            mine, its_pcns = practices.get(ind_id, []), pcns.get(ind_id, [])
            own = self.assessed.get((ind_id, "icb", code))
            rows_out[ind_id] = {
                "icb": row_cells(ind, own) if own else None,
                "pcn": [row_cells(ind, r) for r in worst_first(ind, its_pcns)],
                "practice": [row_cells(ind, r) for r in worst_first(ind, mine)],
            }
            visiting = guests.get(ind_id, [])
            if visiting:  # the PCNs with practices elsewhere: all their practices, worst first
                shared = {r["pcn_code"] for r in visiting}
                rows_out[ind_id]["members"] = {
                    pcn: [
                        row_cells(ind, r)
                        for r in worst_first(ind, [r for r in mine + visiting if r["pcn_code"] == pcn])
                    ]
                    for pcn in sorted(shared)
                }
            trends[ind_id] = {
                "icb": self.trend((ind_id, "icb", code)),
                "pcn": {r["org_code"]: self.trend((ind_id, "pcn", r["org_code"])) for r in its_pcns},
                "practice": {r["org_code"]: self.trend((ind_id, "practice", r["org_code"])) for r in mine},
            }
            pareto[ind_id] = self.pareto(ind, mine)
            value = own["value"] if own else None
            baseline[ind_id] = {
                "icb": self.baseline_words(ind, "icb", code, value),
                **{r["org_code"]: self.baseline_words(ind, "pcn", r["org_code"], r["value"]) for r in its_pcns},
            }
            for r in mine + its_pcns:
                by_org.setdefault(r["org_code"], {})[ind_id] = r
        members: dict[str, set[str]] = {}
        for p, org in orgs.items():
            if org[1]:  # its PCN
                members.setdefault(org[1], set()).add(p)
        products, whole = a.recent_products, self.whole
        bnf: dict[str, tuple[int, str]] = {}  # BNF code -> (its place in the file's list, its name)
        practice_pages = {}
        for p in (p for p, v in orgs.items() if len(v) == 3):
            # Indicators of one concern share their products (the four high-dose opioid ones, ...): each line
            # once per practice, each indicator its lines' places.
            lines: dict[tuple, int] = {}
            found: dict = {}
            for ind_id, items in products.get(p, {}).items():
                found[ind_id] = Verbatim()
                for bnf_code, bnf_name, n, quantity, ome_mg in items:
                    place = bnf.setdefault(bnf_code, (len(bnf), bnf_name or ""))[0]
                    line = (place, whole(n), whole(quantity), whole(ome_mg))
                    found[ind_id].append(lines.setdefault(line, len(lines)))
            practice_pages[p] = {
                "flags": self.flags("practice", p, by_org.get(p, {})),
                "products": found,
                "lines": Verbatim(list(line) for line in lines),
            }
        first = [
            self.entry(s, self.names.get(("pcn", s.pcn_code or ""))) for s in act_on_first(self.signals.get(code, []))
        ]
        return {
            "format": FORMAT,
            "code": code,
            "name": self.names.get(("icb", code), code),
            "practices": orgs,
            "pcns": pcn_orgs,
            "rows": rows_out,
            "trends": trends,
            "baseline": baseline,
            "icb": {
                "first": first,
                "digest": self.digest(code),
                "pareto": pareto,
                "no_pcn": sum(1 for v in orgs.values() if not v[1] and len(v) == 3),
            },
            "pcn_pages": {
                c: {"flags": self.flags("pcn", c, by_org.get(c, {}), members.get(c, set()))}
                for c in pcn_orgs
                if c in by_org
            },
            "practice_pages": practice_pages,
            # Each presentation once, [BNF code, name]; a product line names it by its place in this list.
            "bnf": Verbatim([code, name] for code, (_, name) in bnf.items()),
        }


LEVELS = ("icb", "pcn", "practice")  # the levels a history file holds series for


def merge_history(years: dict[str, dict | None], months: list[str], values: dict) -> dict[str, dict]:
    """Each calendar year's history document (`years`: the published one, or None) with `values` (by level,
    indicator and org, aligned to `months`) written over its months: 12 values a series, January first,
    without trailing empty months. Series the build does not hold keep their published values."""
    out = {}
    for year, published in years.items():
        doc = published or {"format": FORMAT, "icb": {}, "pcn": {}, "practice": {}}
        for level, by_ind in values.items():
            level_doc = doc.setdefault(level, {})
            for ind_id, by_org in by_ind.items():
                ind_doc = level_doc.setdefault(ind_id, {})
                for org, series in by_org.items():
                    row = list(ind_doc.get(org) or []) + [None] * 12
                    row = row[:12]
                    for month, value in zip(months, series):
                        if month[:4] == year:
                            row[int(month[5:7]) - 1] = value
                    while row and row[-1] is None:
                        row.pop()
                    ind_doc[org] = row
        # Sorted, so that building a month again with the same values writes the same bytes.
        out[year] = {
            key: {ind: dict(sorted(orgs.items())) for ind, orgs in sorted(part.items())} if key in LEVELS else part
            for key, part in doc.items()
        }
    return out


def build_site(analysis: Analysis) -> dict:
    """Stage the month's data folder, publish it in one rename, then the shared pages and the months list."""
    return finish(site_in_steps(analysis))


def site_in_steps(analysis: Analysis) -> Steps:
    """build_site in steps (pipelines/outputs/parallel.py): prepared (the month's groupings, products and the
    shared pages made); the ICBs' data files written by forked workers; published."""
    layout, month = analysis.layout, analysis.month
    work = layout.tmp / scratch_name(f"report-{month}")
    (work / "icb").mkdir(parents=True)
    builder = SiteBuilder(analysis)
    by_icb: dict[str, dict[str, list[dict]]] = {}  # ICB -> indicator -> its practices
    pcns_by_icb: dict[str, dict[str, list[dict]]] = {}  # ICB (most of the PCN's practices) -> indicator -> PCNs
    for row in analysis.assessed.filter(pl.col("org_type").is_in(["practice", "pcn"])).iter_rows(named=True):
        if not safe_code(row["org_code"]) or not safe_code(row["icb_code"]):
            continue
        target = pcns_by_icb if row["org_type"] == "pcn" else by_icb
        target.setdefault(row["icb_code"], {}).setdefault(row["indicator_id"], []).append(row)
    pcn_home = {r["org_code"]: icb for icb, by_ind in pcns_by_icb.items() for rows in by_ind.values() for r in rows}
    guests: dict[str, dict[str, list[dict]]] = {}  # ICB -> indicator -> other ICBs' practices in its PCNs
    for icb, by_ind in by_icb.items():
        for ind_id, rows in by_ind.items():
            for r in rows:
                home = pcn_home.get(r["pcn_code"])
                if home and home != icb:
                    guests.setdefault(home, {}).setdefault(ind_id, []).append(r)
    (work / "month.js").write_text(data_module(f"month:{month}", builder.month_data()), encoding="utf-8")
    _ = analysis.recent_products  # read through DuckDB here, before any worker is forked

    years = sorted({m[:4] for m in analysis.months})
    history = layout.reports / "data" / "history"
    for year in years:
        (work / "history" / year).mkdir(parents=True)

    def write_icbs(codes: list[str]) -> int:
        for code in codes:
            data = builder.icb_data(code, by_icb[code], pcns_by_icb.get(code, {}), guests.get(code))
            (work / "icb" / f"{code}.js").write_text(data_module(f"icb:{month}:{code}", data), encoding="utf-8")
            published = {y: _published_history(history / y / f"{code}.js") for y in years}
            values = builder.history_values(code, by_icb[code], pcns_by_icb.get(code, {}))
            for year, doc in merge_history(published, analysis.months, values).items():
                text = data_module(f"history:{year}:{code}", doc)
                (work / "history" / year / f"{code}.js").write_text(text, encoding="utf-8")
        return len(codes)

    icbs = sorted(by_icb)
    shared = shared_files(layout)
    yield  # prepared
    workers = started(write_icbs, icbs)
    try:
        yield  # the workers are writing
        workers.wait()
    finally:
        workers.close()
    # The history first, file by file (the month's pages need this month's values in it), then the month.
    for year in years:
        for built in sorted((work / "history" / year).iterdir()):
            publish_file(built, history / year / built.name)
        (work / "history" / year).rmdir()
    (work / "history").rmdir()
    final = layout.report(month)
    publish_dir(work, final, layout.tmp)
    write_shared(layout, shared)
    pcns = sum(len({r["org_code"] for rows in p.values() for r in rows}) for p in pcns_by_icb.values())
    practices = sum(len({r["org_code"] for rows in p.values() for r in rows}) for p in by_icb.values())
    return {
        "index": layout.reports / "index.html",
        "data": final,
        "icb_pages": len(icbs),
        "pcn_pages": pcns,
        "practice_pages": practices,
    }


def _published_history(path: Path) -> dict | None:
    """A published history file's document; None when there is none yet (or it cannot be read: the month
    being built writes every value its own pages need, so a damaged file only loses other months' values)."""
    if not path.is_file():
        return None
    try:
        _, doc = read_data_module(path)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def shared_files(layout) -> dict[str, bytes | Path]:
    """The four pages and the assets, by their path under reports/ (the months list is added when published)."""
    files: dict[str, bytes | Path] = {}
    files.update({f"assets/{name}": (STATIC / name).read_bytes() for name in ("site.js", "site.css")})
    files["assets/templates.js"] = (
        "window.MSI_TEMPLATES = " + json.dumps(templates(), separators=(",", ":")) + ";\n"
    ).encode()
    files["assets/vega.js"] = vega_bundle(layout)
    shell = (STATIC / "page.html").read_text(encoding="utf-8")
    for kind in PAGES:
        files[f"{kind}.html"] = shell.replace("{{page}}", kind).encode()
    return files


def write_shared(layout, shared: dict[str, bytes | Path]) -> None:
    """The shared pages and assets, and the months list: each written only when its bytes change, in one rename."""
    root = layout.reports
    files = {**shared, "data/months.js": months_module(layout).encode()}
    for name, data in files.items():
        final = root / name
        if isinstance(data, Path):
            if (
                final.is_file()
                and final.stat().st_size == data.stat().st_size
                and final.read_bytes() == data.read_bytes()
            ):
                continue
            data = data.read_bytes()
        elif final.is_file() and final.read_bytes() == data:
            continue
        built = layout.tmp / scratch_name("site", final.suffix)
        built.parent.mkdir(parents=True, exist_ok=True)
        built.write_bytes(data)
        publish_file(built, final)


def published_months(layout) -> list[str]:
    """The months whose data folder is complete (its month.js is written last, inside the published folder)."""
    folder = layout.reports / "data"
    return (
        sorted(p.name for p in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]") if (p / "month.js").is_file())
        if folder.is_dir()
        else []
    )


def months_module(layout) -> str:
    months = [[m, month_label(m)] for m in published_months(layout)]
    return "window.MSI_MONTHS = " + json.dumps(months, separators=(",", ":")) + ";\n"


def vega_bundle(layout) -> Path:
    """Vega, Vega-Lite and vega-embed in one file, from vl-convert; built once per vl-convert version and
    kept under <data-dir>/cache/."""
    import vl_convert

    path = layout.cache / f"vega-{vl_convert.__version__}.js"  # type: ignore[attr-defined]  # not in its stubs
    if not path.is_file():
        built = layout.tmp / scratch_name("vega", ".js")
        built.parent.mkdir(parents=True, exist_ok=True)
        built.write_text(vl_convert.javascript_bundle(), encoding="utf-8")  # type: ignore[call-arg]  # optional
        publish_file(built, path)
    return path


def search_index(analysis: Analysis) -> list[list[str]]:
    """[kind, code, name, where, ICB] for every ICB, PCN and practice with a page: what the search box looks in
    and shows, and which ICB's data file a PCN's or practice's page reads. `where` tells same-named orgs apart:
    a practice's PCN, ICB and postcode, a PCN's ICB, an ICB's region."""
    orgs = (
        analysis.assessed.filter(pl.col("org_type").is_in(["icb", "pcn", "practice", "region"]))
        .unique(["org_type", "org_code"])
        .sort("org_type", "org_code")
    )
    names = {(r["org_type"], r["org_code"]): r["org_name"] or r["org_code"] for r in orgs.iter_rows(named=True)}
    postcodes = analysis.practice_postcodes

    def icb(code):
        return short_icb_name(names.get(("icb", code), code or ""))

    out = []
    for r in orgs.iter_rows(named=True):
        kind, code = r["org_type"], r["org_code"]
        if kind == "region" or not safe_code(code):
            continue
        if kind == "icb":
            where, home = names.get(("region", r["region_code"]), ""), code
        else:
            home = r["icb_code"] or ""
            if not safe_code(home):
                continue  # its page's data is its ICB's file
            if kind == "practice":
                pcn = names.get(("pcn", r["pcn_code"]), "in no PCN") if r["pcn_code"] else "in no PCN"
                where = " · ".join(x for x in (pcn, icb(home), postcodes.get(code, "")) if x)
            else:
                where = icb(home)
        out.append([kind, code, names[(kind, code)], where, home])
    return out
