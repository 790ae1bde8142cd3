"""Static report site for Medication Safety Officers: opens offline, one folder per month.

<data-dir>/reports/<YYYY-MM>/
  index.html                 England overview: a matrix of ICBs x indicators (funnel position and SPC
                             signal in each indicator's good/bad direction, linking to the ICB), then per
                             indicator ICBs on a funnel plot and a ranked table
  icb/<ICB code>.html        signals grouped by indicator; per indicator the ICB's trend against England
                             with SPC, its practices' funnel, the practices behind most of the excess
                             (Pareto), and sortable PCN and practice tables
  pcn/<PCN code>.html        per indicator the PCN's trend against England and its practices
  practice/<code>.html       every indicator's trend with SPC and national decile bands, and the products
                             behind each numerator over the last three months
  assets/vega.js             Vega, Vega-Lite and vega-embed, once (from vl-convert; no CDN)
  assets/templates.js        the chart templates (pipelines/outputs/report/charts.py); pages carry only data
  assets/search.js           the offline search index (ICBs, PCNs, practices) for the search box on every page
Names are HTML-escaped and page data is JSON with '<' escaped, so a name such as "<script>" stays text;
file names are made only from validated codes.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl

from indicators.model import Indicator
from pipelines.atomic import publish_dir, scratch_name
from pipelines.months import month_label
from pipelines.organisations.names import short_icb_name
from pipelines.outputs.analysis import PRODUCT_MONTHS, Analysis, funnel_band, funnel_kind
from pipelines.outputs.extracts import SAFE_CODE, SUPPRESSED, better_when, related
from pipelines.outputs.report.charts import templates

STATIC = Path(__file__).resolve().parent / "static"
SPC_TEXT = {"concern": "special cause: concerning", "improvement": "special cause: improving",
            "special": "special cause", "common": "common cause", "none": "–"}
FUNNEL_TEXT = {"above": "above 99.8% limit", "below": "below 99.8% limit", "within": "within", "none": "–"}
RANKED_BARS = 30  # a ranked bar chart shows at most this many orgs (worst first); the table has them all
SIGNALS_SHOWN = 12  # per indicator on an ICB page; the rest are counted and are in the tables


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page_json(data: dict) -> str:
    # '<' escaped so that no name can close the <script> element holding the data
    return json.dumps(_compact(data), separators=(",", ":"), default=str).replace("<", "\\u003c")


def _compact(value):
    """Chart data to 4 significant figures (what a chart can show; the extracts keep full precision),
    without empty fields: a practice page is ~20 KB instead of ~55 KB."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def fmt(value, digits: int = 2, suppressed: bool = False) -> str:
    if value is None:
        return SUPPRESSED if suppressed else "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def iso(month: str) -> str:
    return f"{month}-01"


def worst_first(ind: Indicator, rows: list[dict]) -> list[dict]:
    """Rows with the worst value first (highest where lower is better or no judgement is made), no value last."""
    sign = 1 if ind.low_is_good is False else -1
    return sorted(rows, key=lambda r: (r["value"] is None, sign * (r["value"] or 0), r.get("org_code") or r.get("code") or ""))


def standing(ind: Indicator, row: dict) -> tuple[str, str]:
    """(state, label) of an org this month in the indicator's own direction: 'worse' or 'better' (beyond the
    99.8 % funnel limit on that side, or a special-cause SPC signal of concern/improvement), 'neutral' (beyond
    a limit, or special cause, where the indicator makes no judgement), else 'expected'."""
    worse = ind.worse_side
    flags, state = [], "expected"
    if row["funnel"] in ("above", "below"):
        flags.append(f"{row['funnel']} limit")
        state = "neutral" if worse is None else ("worse" if row["funnel"] == worse else "better")
    if row["spc"] == "concern":
        flags.append("SPC concern")
        state = "worse"
    elif row["spc"] == "improvement":
        flags.append("SPC improving")
        state = "better" if state == "expected" else state
    elif row["spc"] == "special":
        flags.append("SPC special cause")
        state = "neutral" if state == "expected" else state
    if state == "expected":
        return state, "as expected" if row["funnel"] != "none" or row["spc"] != "none" else "no limits"
    return state, f"{state}: {', '.join(flags)}" if state in ("worse", "better") else ", ".join(flags)


class SiteBuilder:
    def __init__(self, analysis: Analysis):
        self.a = analysis
        self.month = analysis.month
        self.versions = sorted({i.definition_version for i in analysis.indicators.values()})
        self.deciles = {(r["indicator_id"], r["month"]): r for r in analysis.deciles.iter_rows(named=True)}
        england = analysis.values.filter(pl.col("org_type") == "england")
        self.england_series = {(r["indicator_id"], r["month"]): r["value"] for r in england.iter_rows(named=True)}
        self.assessed = {}
        self.pcn_names: dict[str, str] = {}
        for row in analysis.assessed.iter_rows(named=True):
            self.assessed[(row["indicator_id"], row["org_type"], row["org_code"])] = row
            if row["org_type"] == "pcn":
                self.pcn_names[row["org_code"]] = row["org_name"] or row["org_code"]

    # --- shared pieces ---------------------------------------------------------------------------

    def page(self, title: str, heading: str, body: str, data: dict, depth: int) -> str:
        up = "../" * depth
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<link rel=\"stylesheet\" href=\"{up}assets/site.css\"></head><body>"
            f"<header><a href=\"{up}index.html\">Medication safety indicators — England</a>"
            f"<h1>{esc(heading)}</h1><div>Data month: {esc(month_label(self.month))}</div>"
            "<div class=\"search\"><label for=\"search\">Find a practice, PCN or ICB</label> "
            "<input type=\"search\" id=\"search\" autocomplete=\"off\" placeholder=\"name or code\">"
            f"<ul id=\"search-results\" data-root=\"{up}\"></ul></div></header>"
            f"<main>{body}</main>"
            f"<footer>Data month {esc(month_label(self.month))} · indicator definition version "
            f"{esc(', '.join(self.versions))} · geography: practices in their current ICB · source: NHSBSA "
            "English Prescribing Dataset and NHS Digital registered patients (OGL). Ecological proxies describe "
            "prescribing volumes, never numbers of patients. SPC: XmR charts (Making Data Count); limits below zero "
            "are drawn at zero, as no indicator can be negative.</footer>"
            f"<script id=\"page-data\" type=\"application/json\">{page_json(data)}</script>"
            f"<script src=\"{up}assets/vega.js\"></script><script src=\"{up}assets/templates.js\"></script>"
            f"<script src=\"{up}assets/national.js\"></script><script src=\"{up}assets/search.js\"></script>"
            f"<script src=\"{up}assets/site.js\"></script></body></html>"
        )

    def subtitle(self, ind: Indicator, extra: str = "") -> str:
        bits = [better_when(ind), ind.unit_label]
        if ind.proxy:
            bits.append("ecological proxy: not a count of patients")
        if ind.grain == "patient":
            bits.append("patient-level: counts rounded to 5, 1-7 suppressed")
        return " · ".join(bits + ([extra] if extra else []))

    def since_baseline(self, ind: Indicator, org_type: str, org_code: str, value) -> str:
        """' · baseline (calendar 2021): x; change +y (+z %)', or why there is none."""
        label = self.a.baseline_label
        if ind.grain == "patient":
            return ""
        c = self.a.change_since_baseline(ind.id, org_type, org_code, value)
        if c["baseline"] is None:
            return f" · no data for the baseline ({esc(label)})"
        change = "" if c["change"] is None else f"; change {c['change']:+.2f}" + (
            f" ({c['relative']:+.0f} %)" if c["relative"] is not None else "")
        return f" · baseline ({esc(label)}): {esc(fmt(c['baseline']))}{esc(change)}"

    def intro(self, ind: Indicator) -> str:
        proxy = f"<p class=\"proxy\">{esc(ind.limitations[0])}</p>" if ind.proxy else ""
        basis = (f"<p class=\"basis {'patient' if ind.grain == 'patient' else 'public'}\">{esc(ind.basis)}"
                 + (f" · {esc(related(ind, self.a.indicators))}" if related(ind, self.a.indicators) else "") + "</p>")
        missing = self.a.without_ome_text(ind)
        ome = (f"<details class=\"ome\"><summary>Opioid presentations without an OME this month</summary>"
               f"<pre>{esc(missing)}</pre></details>" if missing else "")
        return (f"<h2>{esc(ind.title)}</h2><p class=\"meta\">{esc(ind.short_description)} "
                f"<strong>{esc(better_when(ind).capitalize())}.</strong></p>{basis}{proxy}{ome}")

    def trend(self, key, title: str, subtitle: str, template: str) -> dict:
        """A trend chart: the org's points, its SPC lines, and (added in the browser from
        assets/national.js) England's series or the national practice deciles."""
        found = self.a.series.get(key)
        rows, stats = [], {}
        if found:
            chart, values = found["chart"], found["values"]
            stats = {"mean": chart.mean, "upper": chart.upper, "lower": chart.lower}
            rows = [{"month": iso(m), "value": values[i], "variation": chart.variation[i],
                     "rules": ", ".join(sorted(chart.rules[i]))} for i, m in enumerate(self.a.months)]
        return {"template": template, "title": title, "subtitle": subtitle, "indicator": key[0],
                "series": rows, "stats": stats}

    def national(self) -> dict:
        """England's value and the practice deciles by indicator and month, shipped once per site."""
        out: dict = {"england": {}, "deciles": {}}
        for (ind, m), v in self.england_series.items():
            out["england"].setdefault(ind, {})[iso(m)] = v
        for (ind, m), d in self.deciles.items():
            out["deciles"].setdefault(ind, {})[iso(m)] = [d["p10"], d["p50"], d["p90"]]
        return _compact(out)

    # --- pages -----------------------------------------------------------------------------------

    def index(self) -> str:
        icbs = sorted((r for (i, t, c), r in self.assessed.items() if t == "icb"), key=lambda r: r["org_code"])
        body, charts = [self.matrix(icbs)], {}
        for ind_id, ind in self.a.indicators.items():
            rows = [r for r in icbs if r["indicator_id"] == ind_id]
            eng = self.a.england.get(ind_id, {})
            chart_id = f"{ind_id}-icbs"
            charts[chart_id] = self.spread_chart(ind, rows, eng, "icb/{code}.html", "ICBs")
            charts[f"{ind_id}-england"] = self.trend((ind_id, "england", "ENG"), "England", self.subtitle(ind), "trend")
            table = self.table(ind, worst_first(ind, rows), "icb/{code}.html", "ICB")
            body.append(f"<section class=\"indicator\" id=\"{esc(ind_id)}\">{self.intro(ind)}"
                        f"<p class=\"meta\">England: <strong>{esc(fmt(eng.get('value')))}</strong> "
                        f"{esc(ind.unit_label)}{self.since_baseline(ind, 'england', 'ENG', eng.get('value'))}</p>"
                        f"<div class=\"charts\">"
                        f"<div class=\"chart\" data-chart=\"{esc(chart_id)}\"></div>"
                        f"<div class=\"chart\" data-chart=\"{esc(ind_id)}-england\"></div></div>"
                        f"<div class=\"scroll\">{table}</div></section>")
        return self.page("Medication safety indicators — England", "England overview", "".join(body),
                         {"charts": charts}, depth=0)

    def matrix(self, icbs: list[dict]) -> str:
        """ICBs x indicators: each cell the ICB's value, coloured and labelled by where it stands in the
        indicator's good/bad direction (99.8 % funnel position, this month's SPC signal), linking to the
        ICB page's section for the indicator."""
        by_icb: dict[str, dict[str, dict]] = {}
        for r in icbs:
            by_icb.setdefault(r["org_code"], {})[r["indicator_id"]] = r
        heads = "".join(f"<th scope=\"col\"><a href=\"#{esc(i)}\">{esc(ind.title)}</a></th>"
                        for i, ind in self.a.indicators.items())
        england = "".join(f"<td class=\"num\">{esc(fmt(self.a.england.get(i, {}).get('value')))}</td>"
                          for i in self.a.indicators)
        lines = []
        for code, rows in sorted(by_icb.items(), key=lambda kv: next(iter(kv[1].values()))["org_name"] or kv[0]):
            if not SAFE_CODE.match(code or ""):
                continue
            name = next(iter(rows.values()))["org_name"] or code
            cells = []
            for ind_id, ind in self.a.indicators.items():
                r = rows.get(ind_id)
                if r is None:
                    cells.append("<td class=\"cell none\">–</td>")
                    continue
                state, label = standing(ind, r)
                cells.append(f"<td class=\"cell {state}\" title=\"{esc(label)}\"><a href=\"icb/{esc(code)}.html#{esc(ind_id)}\">"
                             f"<span class=\"v\">{esc(fmt(r['value'], 2, r['suppressed']))}</span>"
                             f"<span class=\"l\">{esc(label)}</span></a></td>")
            lines.append(f"<tr><th scope=\"row\"><a href=\"icb/{esc(code)}.html\" title=\"{esc(name)}\">"
                         f"{esc(short_icb_name(name))}</a></th>{''.join(cells)}</tr>")
        return ("<section class=\"overview\"><h2>Where to look first: every ICB on every indicator</h2>"
                "<p class=\"meta\">Each cell: the ICB's value this month and where it stands — <span class=\"key worse\">"
                "worse</span> (beyond England's 99.8% funnel limit in the worse direction, or a special-cause SPC signal "
                "of concern), <span class=\"key better\">better</span> (the same in the better direction), <span "
                "class=\"key neutral\">differs</span> (beyond a limit where the indicator makes no judgement), or as "
                "expected. Select a cell for that ICB's detail.</p><div class=\"scroll wide\"><table class=\"matrix\">"
                f"<thead><tr><th scope=\"col\">ICB</th>{heads}</tr></thead><tbody>"
                f"<tr class=\"england\"><th scope=\"row\">England</th>{england}</tr>{''.join(lines)}</tbody></table>"
                "</div></section>")

    def spread_chart(self, ind: Indicator, rows: list[dict], eng: dict, href: str, what: str) -> dict:
        points = [{"code": r["org_code"], "name": r["org_name"], "value": r["value"], "denominator": r["denominator"],
                   "funnel": r["funnel"], "href": href.format(code=r["org_code"])}
                  for r in rows if r["value"] is not None and SAFE_CODE.match(r["org_code"] or "")]
        if funnel_kind(ind) and eng:
            biggest = max((p["denominator"] or 0 for p in points), default=1)
            smallest = min((p["denominator"] for p in points if p["denominator"]), default=1)
            return {"template": "funnel", "title": f"{what} against England's value (funnel plot)",
                    "subtitle": self.subtitle(ind, "95% and 99.8% limits"),
                    "datasets": {"points": [p for p in points if p["denominator"]],
                                 "band": funnel_band(ind, eng, biggest, min_denominator=smallest)}}
        # Ranked bars stay readable: the RANKED_BARS worst (highest where lower is better), labelled by name.
        ordered = worst_first(ind, [p for p in points])
        shown = ordered[:RANKED_BARS]
        for rank, p in enumerate(shown, start=1):
            p["label"] = f"{rank}. {p['name'] or p['code']} ({p['code']})"
        title = (f"{what} ranked" if len(ordered) <= RANKED_BARS
                 else f"The {RANKED_BARS} {what.lower()} with the {'highest' if ind.low_is_good is not False else 'lowest'}"
                      f" values, of {len(ordered)} (all are in the table)")
        return {"template": "ranked", "title": title, "subtitle": self.subtitle(ind), "datasets": {"points": shown}}

    def table(self, ind: Indicator, rows: list[dict], href: str, label: str) -> str:
        head = (f"<table class=\"sortable {esc(label.lower())}s\"><thead><tr><th>{label}</th><th>Name</th><th>Value</th><th>Numerator</th>"
                "<th>Denominator</th><th>Percentile</th><th>Funnel</th><th>SPC (this month)</th><th>Low numbers</th>"
                "</tr></thead><tbody>")
        out = [head]
        for r in rows:
            code = r["org_code"] or ""
            link = (f"<a href=\"{esc(href.format(code=code))}\">{esc(code)}</a>" if SAFE_CODE.match(code) else esc(code))
            out.append(
                f"<tr><td>{link}</td><td>{esc(r['org_name'])}</td>"
                f"<td class=\"num\" data-sort=\"{'' if r['value'] is None else r['value']}\">"
                f"{fmt(r['value'], 2, r['suppressed'])}</td>"
                f"<td class=\"num\">{fmt(r['numerator'], 1, r['suppressed'])}</td>"
                f"<td class=\"num\">{fmt(r['denominator'], 0, r['suppressed'])}</td>"
                f"<td class=\"num\">{fmt(r['percentile'], 0)}</td><td>{FUNNEL_TEXT[r['funnel']]}</td>"
                f"<td class=\"{esc(r['spc'])}\">{SPC_TEXT[r['spc']]}</td>"
                f"<td>{'yes' if r['low_numbers'] else ''}</td></tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def icb(self, code: str, practices: dict[str, list[dict]], pcns: dict[str, list[dict]]) -> str:
        mine = [r for (i, t, c), r in self.assessed.items() if t == "icb" and c == code]
        name = mine[0]["org_name"] if mine else code
        pcn_names = sorted({(r["org_name"] or r["org_code"], r["org_code"]) for rows in pcns.values() for r in rows
                            if SAFE_CODE.match(r["org_code"] or "")})
        no_pcn = len({r["org_code"] for rows in practices.values() for r in rows if not r.get("pcn_code")})
        pcn_links = (f"<p class=\"meta\">PCNs ({len(pcn_names)}): "
                     + " · ".join(f"<a href=\"../pcn/{esc(c)}.html\">{esc(n)}</a>" for n, c in pcn_names)
                     + f". Practices in no PCN: {no_pcn}.</p>")
        body, charts = [self.digest(practices), pcn_links], {}
        for ind_id, ind in self.a.indicators.items():
            rows = practices.get(ind_id, [])
            eng = self.a.england.get(ind_id, {})
            # A count is not comparable with England's count; rates and shares are.
            with_england = ind.unit != "count"
            charts[f"{ind_id}-trend"] = self.trend(
                (ind_id, "icb", code), f"{name}" + (" against England (dashed)" if with_england else ""),
                self.subtitle(ind, "SPC centre line and process limits"), "trend_england" if with_england else "trend")
            charts[f"{ind_id}-practices"] = self.spread_chart(ind, rows, eng, "../practice/{code}.html", "Practices")
            charts[f"{ind_id}-pareto"] = {
                "template": "pareto", "title": "Practices behind most of the excess over England's rate",
                "subtitle": self.subtitle(ind), "datasets": {"pareto": self.pareto(ind, rows, eng)}}
            now = self.assessed.get((ind_id, "icb", code), {}).get("value")
            headline = (f"<p class=\"meta\">{esc(name)}: <strong>{esc(fmt(now))}</strong> {esc(ind.unit_label)}"
                        f"{self.since_baseline(ind, 'icb', code, now)}</p>")
            pcn_rows = worst_first(ind, pcns.get(ind_id, []))
            body.append(f"<section class=\"indicator\" id=\"{esc(ind_id)}\">{self.intro(ind)}{headline}<div class=\"charts\">"
                        + "".join(f"<div class=\"chart\" data-chart=\"{esc(ind_id)}-{k}\"></div>"
                                  for k in ("trend", "practices", "pareto"))
                        + f"</div><details class=\"pcns\"><summary>PCNs ({len(pcn_rows)})</summary><div class=\"scroll\">"
                        + self.table(ind, pcn_rows, "../pcn/{code}.html", "PCN") + "</div></details>"
                        + f"<div class=\"scroll\">{self.table(ind, worst_first(ind, rows), '../practice/{code}.html', 'Practice')}"
                        "</div></section>")
        return self.page(f"{name} — medication safety", f"{name} ({code})", "".join(body), {"charts": charts}, depth=1)

    def digest(self, practices: dict[str, list[dict]]) -> str:
        """What needs attention first, grouped by indicator with counts: new concerning special causes and
        practices beyond the funnel in the worse direction (low numbers excluded), the worst first and at
        most SIGNALS_SHOWN per indicator; improvements and methotrexate 10 mg prescribers summarised with a
        link to their tables (a long undifferentiated list is what users call noise)."""
        groups, improvements, mtx, total = [], 0, 0, 0
        for ind_id, rows in practices.items():
            ind = self.a.indicators[ind_id]
            worse = ind.worse_side
            concerns = []
            for r in worst_first(ind, rows):
                reasons = []
                if r["new_signal"] and r["spc"] == "concern":
                    reasons.append(f"new special cause, concerning ({r['spc_rules']})")
                if worse and r["funnel"] == worse and not r["low_numbers"]:
                    reasons.append(FUNNEL_TEXT[r["funnel"]])
                if reasons:
                    concerns.append(f"<li><a href=\"../practice/{esc(r['org_code'])}.html\">{esc(r['org_name'])} "
                                    f"({esc(r['org_code'])})</a> — {esc(fmt(r['value']))}: {esc('; '.join(reasons))}</li>")
                elif r["new_signal"] and r["spc"] == "improvement":
                    improvements += 1
                if ind_id == "methotrexate_10mg_items" and (r["value"] or 0) > 0:
                    mtx += 1
            if not concerns:
                continue
            total += len(concerns)
            more = (f"<li>…and {len(concerns) - SIGNALS_SHOWN} more in <a href=\"#{esc(ind_id)}\">the table</a>.</li>"
                    if len(concerns) > SIGNALS_SHOWN else "")
            groups.append(f"<details class=\"signals\"><summary><a href=\"#{esc(ind_id)}\">{esc(ind.title)}</a>: "
                          f"<strong>{len(concerns)}</strong> practice{'s' if len(concerns) != 1 else ''}</summary>"
                          f"<ul>{''.join(concerns[:SIGNALS_SHOWN])}{more}</ul></details>")
        return (
            f"<div class=\"digest\"><h2>Needs attention this month ({total})</h2>"
            "<p class=\"meta\">By indicator: new special-cause signals in the worse direction (SPC rules) and practices "
            "beyond the 99.8% funnel limit in the worse direction, excluding low numbers; the worst first.</p>"
            f"{''.join(groups) or '<p>None.</p>'}"
            f"<p><a href=\"#methotrexate_10mg_items\">{mtx} practices</a> issued methotrexate 10 mg tablets "
            f"this month (each is worth a review); {improvements} new improving special-cause signals.</p></div>")

    def pcn(self, code: str, rows: dict[str, dict], practices: dict[str, list[dict]]) -> str:
        any_row = next(iter(rows.values()))
        name, icb = any_row["org_name"] or code, any_row["icb_code"]
        icb_link = (f"<a href=\"../icb/{esc(icb)}.html\">{esc(icb)}</a>" if SAFE_CODE.match(icb or "") else esc(icb))
        body, charts = [f"<p>ICB: {icb_link} · sub-ICB {esc(any_row['sub_icb_code'])} · "
                        f"{len({r['org_code'] for rs in practices.values() for r in rs})} practices</p>"], {}
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            with_england = ind.unit != "count"
            charts[f"{ind_id}-trend"] = self.trend(
                (ind_id, "pcn", code), f"{name}" + (" against England (dashed)" if with_england else ""),
                self.subtitle(ind, "SPC centre line and process limits"), "trend_england" if with_england else "trend")
            mine = practices.get(ind_id, [])
            charts[f"{ind_id}-practices"] = self.spread_chart(ind, mine, self.a.england.get(ind_id, {}),
                                                              "../practice/{code}.html", "Practices")
            body.append(
                f"<section class=\"indicator\" id=\"{esc(ind_id)}\">{self.intro(ind)}"
                f"<p class=\"meta\">{esc(name)}: <strong>{esc(fmt(r['value'], 2, r['suppressed']))}</strong> "
                f"{esc(ind.unit_label)} · percentile among PCNs {esc(fmt(r['percentile'], 0))} · funnel: "
                f"{FUNNEL_TEXT[r['funnel']]} · SPC: <span class=\"{esc(r['spc'])}\">{SPC_TEXT[r['spc']]}</span>"
                f"{self.since_baseline(ind, 'pcn', code, r['value'])}</p><div class=\"charts\">"
                + "".join(f"<div class=\"chart\" data-chart=\"{esc(ind_id)}-{k}\"></div>" for k in ("trend", "practices"))
                + f"</div><div class=\"scroll\">{self.table(ind, worst_first(ind, mine), '../practice/{code}.html', 'Practice')}"
                "</div></section>")
        return self.page(f"{name} — medication safety", f"{name} ({code})", "".join(body), {"charts": charts}, depth=1)

    def pareto(self, ind: Indicator, rows: list[dict], eng: dict) -> list[dict]:
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
            out.append({"code": r["org_code"], "name": r["org_name"], "excess": e, "cumulative": running / total,
                        "href": f"../practice/{r['org_code']}.html"})
            if running / total >= 0.8 or len(out) >= 15:
                break
        return out

    def practice(self, code: str, rows: dict[str, dict], products: dict) -> str:
        any_row = next(iter(rows.values()))
        name = any_row["org_name"]
        icb, pcn = any_row["icb_code"], any_row.get("pcn_code")
        pcn_link = (f"PCN <a href=\"../pcn/{esc(pcn)}.html\">{esc(self.pcn_names.get(pcn, pcn))}</a>"
                    if pcn and SAFE_CODE.match(pcn) else "in no PCN")
        body, charts = [f"<p>ICB: <a href=\"../icb/{esc(icb)}.html\">{esc(icb)}</a> · {pcn_link} · "
                        f"sub-ICB {esc(any_row['sub_icb_code'])}</p>"], {}
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            charts[ind_id] = self.trend((ind_id, "practice", code), f"{name}: monthly value with SPC limits",
                                        self.subtitle(ind, "band = national 10th-90th percentile of practices"),
                                        "trend_deciles")
            prods = products.get(ind_id, [])
            table = "".join(
                f"<tr><td>{esc(p['bnf_code'])}</td><td>{esc(p['bnf_name'])}</td><td class=\"num\">{fmt(p['items'], 0)}</td>"
                f"<td class=\"num\">{fmt(p['quantity'], 0)}</td><td class=\"num\">{fmt(p['ome_mg'], 0)}</td></tr>"
                for p in prods)
            body.append(
                f"<section class=\"indicator\" id=\"{esc(ind_id)}\">{self.intro(ind)}"
                f"<p class=\"meta\">This month: <strong>{esc(fmt(r['value'], 2, r['suppressed']))}</strong> "
                f"{esc(ind.unit_label)} ({esc(fmt(r['numerator'], 1, r['suppressed']))} / "
                f"{esc(fmt(r['denominator'], 0, r['suppressed']))}) · national percentile "
                f"{esc(fmt(r['percentile'], 0))} · SPC: <span class=\"{esc(r['spc'])}\">{SPC_TEXT[r['spc']]}</span>"
                f"{' · low numbers' if r['low_numbers'] else ''}</p>"
                f"<div class=\"charts\"><div class=\"chart\" data-chart=\"{esc(ind_id)}\"></div></div>"
                f"<h3 class=\"meta\">Products in the numerator, last {PRODUCT_MONTHS} months</h3>"
                "<table class=\"sortable\"><thead><tr><th>BNF code</th><th>Presentation</th><th>Items</th>"
                f"<th>Quantity</th><th>OME mg</th></tr></thead><tbody>{table or '<tr><td colspan=5>none</td></tr>'}"
                "</tbody></table></section>")
        return self.page(f"{name} — medication safety", f"{name} ({code})", "".join(body), {"charts": charts}, depth=1)


def build_site(analysis: Analysis) -> dict:
    layout, month = analysis.layout, analysis.month
    final = layout.report(month)
    work = layout.tmp / scratch_name(f"report-{month}")
    (work / "assets").mkdir(parents=True)
    (work / "icb").mkdir()
    (work / "practice").mkdir()
    import vl_convert

    (work / "assets" / "vega.js").write_text(vl_convert.javascript_bundle(), encoding="utf-8")
    (work / "assets" / "templates.js").write_text(
        "window.MSI_TEMPLATES = " + json.dumps(templates(), separators=(",", ":")) + ";\n", encoding="utf-8")
    for name in ("site.js", "site.css"):
        shutil.copyfile(STATIC / name, work / "assets" / name)
    builder = SiteBuilder(analysis)
    (work / "assets" / "national.js").write_text(
        "window.MSI_NATIONAL = " + page_json(builder.national()) + ";\n", encoding="utf-8")
    (work / "index.html").write_text(builder.index(), encoding="utf-8")
    by_icb: dict[str, dict[str, list[dict]]] = {}  # ICB -> indicator -> its practices
    by_practice: dict[str, dict[str, dict]] = {}
    pcns_by_icb: dict[str, dict[str, list[dict]]] = {}  # ICB (most of the PCN's practices) -> indicator -> PCNs
    by_pcn: dict[str, dict[str, dict]] = {}
    pcn_practices: dict[str, dict[str, list[dict]]] = {}  # PCN -> indicator -> its practices
    for row in analysis.assessed.filter(pl.col("org_type").is_in(["practice", "pcn"])).iter_rows(named=True):
        if row["org_type"] == "pcn":
            pcns_by_icb.setdefault(row["icb_code"], {}).setdefault(row["indicator_id"], []).append(row)
            by_pcn.setdefault(row["org_code"], {})[row["indicator_id"]] = row
            continue
        by_icb.setdefault(row["icb_code"], {}).setdefault(row["indicator_id"], []).append(row)
        by_practice.setdefault(row["org_code"], {})[row["indicator_id"]] = row
        if row["pcn_code"]:
            pcn_practices.setdefault(row["pcn_code"], {}).setdefault(row["indicator_id"], []).append(row)
    products = analysis.recent_products
    (work / "pcn").mkdir()
    (work / "assets" / "search.js").write_text(
        "window.MSI_SEARCH = " + page_json({"orgs": search_index(analysis)}) + ";\n", encoding="utf-8")

    def write_page(key: tuple[str, str]) -> None:
        kind, code = key
        if kind == "icb":
            text = builder.icb(code, by_icb[code], pcns_by_icb.get(code, {}))
        elif kind == "pcn":
            text = builder.pcn(code, by_pcn[code], pcn_practices.get(code, {}))
        else:
            text = builder.practice(code, by_practice[code], products.get(code, {}))
        (work / kind / f"{code}.html").write_text(text, encoding="utf-8")

    icb_keys = [("icb", c) for c in sorted(c for c in by_icb if c and SAFE_CODE.match(c))]
    pcn_keys = [("pcn", c) for c in sorted(by_pcn) if SAFE_CODE.match(c or "")]
    practice_keys = [("practice", c) for c in sorted(by_practice) if SAFE_CODE.match(c or "")]
    for key in icb_keys + pcn_keys + practice_keys:
        write_page(key)
    publish_dir(work, final)
    return {"index": final / "index.html", "icb_pages": len(icb_keys), "pcn_pages": len(pcn_keys),
            "practice_pages": len(practice_keys)}


def search_index(analysis: Analysis) -> list[list[str]]:
    """[kind, code, name, parent] for every ICB, PCN and practice with a page: what the search box looks in."""
    orgs = (analysis.assessed.filter(pl.col("org_type").is_in(["icb", "pcn", "practice"]))
            .unique(["org_type", "org_code"]).sort("org_type", "org_code"))
    return [[r["org_type"], r["org_code"], r["org_name"] or r["org_code"],
             (r["pcn_code"] or r["icb_code"] or "") if r["org_type"] == "practice" else (r["icb_code"] or "")]
            for r in orgs.iter_rows(named=True) if SAFE_CODE.match(r["org_code"] or "")]
