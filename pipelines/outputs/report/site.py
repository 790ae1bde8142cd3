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
Pages are rendered from Jinja2 templates (templates/, autoescaped): a name such as "<script>" stays text;
page data is JSON with '<' escaped; file names and links are made only from validated codes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jinja2
import polars as pl
from markupsafe import Markup

from indicators.model import Indicator
from pipelines.atomic import publish_dir, publish_file, scratch_name
from pipelines.months import month_label
from pipelines.organisations.names import short_icb_name
from pipelines.outputs.parallel import in_parallel
from pipelines.outputs.analysis import PRODUCT_MONTHS, Analysis, funnel_band, funnel_kind
from pipelines.outputs.report.charts import templates
from pipelines.outputs.signals import (PRIORITY_RULE, SEVERITY_RANK, act_on_first, count_words, new_only,
                                      signals_by_icb)
from pipelines.outputs.wording import (FUNNEL, HARM_WORDS, SPC, SYNTHETIC, VARIATION, act_first_entry, amount, fmt,
                                       fmt_value, no_prescribing, position, related, rules_in_words, safe_code,
                                       standing, variation, worst_first)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
RANKED_BARS = 30  # a ranked bar chart shows at most this many orgs (worst first); the table has them all
SIGNALS_SHOWN = 12  # per indicator on an ICB page; the rest are counted and are in the tables


class _Environment(jinja2.Environment):
    """Jinja2 looks `row.value` up as an attribute first and, for a dict, catches the AttributeError
    before trying the key; every row, section and product here is a dict, and that exception was one of
    the largest costs of rendering ~7,400 pages. Keys first for plain dicts, else Jinja2's own rule."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def environment() -> jinja2.Environment:
    env = _Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                       undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters.update(fmt=fmt, spc_words=lambda v: SPC.get(v, ""), funnel_words=lambda v: FUNNEL.get(v, ""),
                       value=fmt_value, amount=amount, rules=rules_in_words)
    env.tests["safe_code"] = safe_code
    return env


def page_json(data: dict) -> str:
    # '<' escaped so that no name can close the <script> element holding the data
    return json.dumps(_compact(data), separators=(",", ":"), default=str).replace("<", "\\u003c")


def _compact(value):
    """Chart data to 4 significant figures (what a chart can show; the extracts keep full precision),
    without empty fields in objects: a practice page is ~20 KB instead of ~55 KB. (Exact types first:
    this runs over every page's data, ~7,400 pages a national month.)"""
    kind = type(value)
    if kind is float:
        return float(f"{value:.4g}")
    if kind is dict:
        return {k: _compact(v) for k, v in value.items() if v is not None and v != ""}
    if kind is list:  # trend series are lists of floats: rounded here without a call each
        return [float(f"{v:.4g}") if type(v) is float else _compact(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


def columns(rows: list[dict]) -> dict[str, list]:
    """A dataset of numbers as a list per field (site.js makes the rows again): ~60 funnel points on each of
    ~12,500 charts a national month were ~750,000 small dicts to round and encode."""
    return {k: [r[k] for r in rows] for k in rows[0]} if rows else {}


def iso(month: str) -> str:
    return f"{month}-01"


class SiteBuilder:
    """The data of every page (sections, tables, charts); the templates make the markup."""

    def __init__(self, analysis: Analysis):
        self.a = analysis
        self.month = analysis.month
        self.env = environment()
        self.macros = self.env.get_template("macros.html").make_module()
        self.intros: dict[tuple[str, bool], Markup] = {}
        self.site = {"month_label": month_label(analysis.month),
                     "versions": ", ".join(sorted({i.definition_version for i in analysis.indicators.values()})),
                     "synthetic": SYNTHETIC if analysis.synthetic else "", "priority_rule": PRIORITY_RULE}
        self.deciles = {(r["indicator_id"], r["month"]): r for r in analysis.deciles.iter_rows(named=True)}
        england = analysis.values.filter(pl.col("org_type") == "england")
        self.england_series = {(r["indicator_id"], r["month"]): r["value"] for r in england.iter_rows(named=True)}
        self.assessed = {}
        self.signals = signals_by_icb(analysis)  # the one signal model: the workbook and the e-mail count the same
        self.org_signals: dict[tuple[str, str], list] = {}  # (org type, code) -> its signals, highest priority first
        for found in self.signals.values():
            for sig in found:
                self.org_signals.setdefault((sig.org_type, sig.org_code), []).append(sig)
        self.names: dict[tuple[str, str], str] = {}  # (org type, code) -> name, for headings and links
        for row in analysis.assessed.iter_rows(named=True):
            self.assessed[(row["indicator_id"], row["org_type"], row["org_code"])] = row
            self.names[(row["org_type"], row["org_code"])] = row["org_name"] or row["org_code"]

    def prepare(self) -> None:
        """Compute now, in this process, everything pages read lazily through DuckDB or polars (the page
        writers may be forked children): England's rows, the baselines, every indicator's introduction."""
        _ = self.a.england, self.a.baseline
        for ind in self.a.indicators.values():
            self.section(ind)
            self.section(ind, england=True)

    # --- shared pieces ---------------------------------------------------------------------------

    def render(self, template: str, title: str, heading: str, charts: dict, depth: int, **context) -> str:
        context.setdefault("notices", [])
        # the search box ranks the page's own ICB first (its PCNs' and practices' pages say which)
        context.setdefault("search_icb", context.get("icb_code") or context.get("icb") or "")
        return self.env.get_template(template).render(
            title=title, heading=heading, up="../" * depth, site=self.site,
            page_data=Markup(page_json({"charts": charts})), **context)

    def subtitle(self, ind: Indicator, extra: str = "") -> str:
        bits = [ind.direction, ind.unit_label]
        if ind.proxy:
            bits.append("ecological proxy: not a count of patients")
        if ind.grain == "patient":
            bits.append("patient-level: counts rounded to 5, 1-7 suppressed")
        return " · ".join(bits + ([extra] if extra else []))

    def baseline(self, ind: Indicator, org_type: str, org_code: str, value) -> dict | None:
        """The baseline value and the change since, for the templates' baseline() (None: not shown)."""
        if ind.grain == "patient":
            return None
        c = self.a.change_since_baseline(ind.id, org_type, org_code, value)
        return {"label": self.a.baseline_label, "value": c["baseline"], "change": c["change"], "relative": c["relative"]}

    def section(self, ind: Indicator, england: bool = False, **extra) -> dict:
        """What every indicator section starts with: its introduction (templates/macros.html: intro), the same
        on every page, so rendered once per indicator, not once per page. The month's opioid presentations
        without an OME are a national list (~26 KB for a national month): listed on the England page only,
        linked from the others (on all ~7,400 pages it was half of the site's 476 MB)."""
        key = (ind.id, england)
        if key not in self.intros:
            self.intros[key] = self.macros.intro({
                "ind": ind, "related": related(ind, self.a.indicators), "without_ome": self.a.without_ome_text(ind),
                "ome_list_here": england})
        return {"ind": ind, "intro": self.intros[key], **extra}

    def trend(self, key, title: str, subtitle: str, template: str) -> dict:
        """A trend chart: the org's points, its SPC lines, and (added in the browser from
        assets/national.js) England's series or the national practice deciles."""
        found = self.a.series.get(key)
        fields, stats = {}, {}
        if found:
            chart = found["chart"]
            stats = {"mean": chart.mean, "upper": chart.upper, "lower": chart.lower}
            # One list per field, a value for each of assets/national.js's months (site.js makes the rows):
            # a page's data is then a few flat lists, not a dict per month.
            fields = {"value": list(found["values"]), "variation": list(chart.variation),
                       "rules": [rules_in_words(", ".join(sorted(r))) for r in chart.rules]}
        return {"template": template, "title": title, "subtitle": subtitle, "indicator": key[0],
                "series": fields, "stats": stats}

    def org_trend(self, ind: Indicator, org_type: str, code: str, name: str) -> dict:
        # A count is not comparable with England's count; rates and shares are.
        with_england = ind.unit != "count"
        return self.trend((ind.id, org_type, code), f"{name}" + (" against England (dashed)" if with_england else ""),
                          self.subtitle(ind, "SPC centre line and process limits"),
                          "trend_england" if with_england else "trend")

    def national(self) -> dict:
        """England's value and the practice deciles by indicator and month, shipped once per site."""
        out: dict = {"months": [iso(m) for m in self.a.months], "england": {}, "deciles": {}}
        for (ind, m), v in self.england_series.items():
            out["england"].setdefault(ind, {})[iso(m)] = v
        for (ind, m), d in self.deciles.items():
            out["deciles"].setdefault(ind, {})[iso(m)] = [d["p10"], d["p50"], d["p90"]]
        return _compact(out)

    def spread_chart(self, ind: Indicator, rows: list[dict], eng: dict, href: str, what: str) -> dict:
        points = [{"code": r["org_code"], "name": r["org_name"], "value": r["value"], "denominator": r["denominator"],
                   "funnel": r["funnel"], "href": href.format(code=r["org_code"])}
                  for r in rows if r["value"] is not None and safe_code(r["org_code"])]
        if funnel_kind(ind) and eng:
            biggest = max((p["denominator"] or 0 for p in points), default=1)
            smallest = min((p["denominator"] for p in points if p["denominator"]), default=1)
            return {"template": "funnel", "title": f"{what} against England's value (funnel plot)",
                    "subtitle": self.subtitle(ind, "95% and 99.8% limits"),
                    "datasets": {"points": [p for p in points if p["denominator"]],
                                 "band": columns(funnel_band(ind, eng, biggest, min_denominator=smallest))}}
        # Ranked bars stay readable: the RANKED_BARS worst (highest where lower is better), labelled by name.
        ordered = worst_first(ind, points)
        shown = ordered[:RANKED_BARS]
        for rank, p in enumerate(shown, start=1):
            p["label"] = f"{rank}. {p['name'] or p['code']} ({p['code']})"
        title = (f"{what} ranked" if len(ordered) <= RANKED_BARS
                 else f"The {RANKED_BARS} {what.lower()} with the {'highest' if ind.low_is_good is not False else 'lowest'}"
                      f" values, of {len(ordered)} (all are in the table)")
        return {"template": "ranked", "title": title, "subtitle": self.subtitle(ind), "datasets": {"points": shown}}

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

    # --- pages -----------------------------------------------------------------------------------

    def index(self) -> str:
        icbs = sorted((r for (i, t, c), r in self.assessed.items() if t == "icb"), key=lambda r: r["org_code"])
        sections, charts = [], {}
        for ind_id, ind in self.a.indicators.items():
            rows = [r for r in icbs if r["indicator_id"] == ind_id]
            eng = self.a.england.get(ind_id, {})
            charts[f"{ind_id}-icbs"] = self.spread_chart(ind, rows, eng, "icb/{code}.html", "ICBs")
            charts[f"{ind_id}-england"] = self.trend((ind_id, "england", "ENG"), "England", self.subtitle(ind), "trend")
            sections.append(self.section(ind, england=True, england_value=eng.get("value"), rows=worst_first(ind, rows),
                                         baseline=self.baseline(ind, "england", "ENG", eng.get("value"))))
        notices = [f"{a.name} ({code}): {no_prescribing(a, self.site['month_label'])}"
                   for code, a in sorted(self.a.absent_icbs.items())]
        tiers = [{"label": HARM_WORDS[tier].capitalize(), "span": sum(1 for i in self.tiered if i.severity == tier)}
                 for tier in SEVERITY_RANK if any(i.severity == tier for i in self.tiered)]
        order = {ind.id: k for k, ind in enumerate(self.tiered)}
        return self.render("index.html", "Medication safety indicators — England", "England overview", charts, 0,
                           sections=sorted(sections, key=lambda s: order[s["ind"].id]), matrix=self.matrix(icbs),
                           tiers=tiers, notices=notices, variations=VARIATION)

    def absent_icb(self, absent) -> str:
        """The page of an ICB the month's EPD lacks: says so, rather than the ICB vanishing from the site."""
        return self.render("icb_absent.html", f"{absent.name} — medication safety", f"{absent.name} ({absent.code})",
                           {}, 1, notices=[no_prescribing(absent, self.site["month_label"])],
                           crumbs=[{"name": "England", "href": "../index.html"}, {"name": absent.name}])

    def matrix(self, icbs: list[dict]) -> list[dict]:
        """ICBs x indicators (in self.tiered order): each cell the ICB's value and two separate marks, Making
        Data Count's way - its position against England (the 99.8 % funnel: the cell's colour and an arrow) and
        its own variation over time (SPC: a lettered circle) - linking to the ICB page's section. ICBs in the
        order of the priority model: the sum of their act-on-first list's priorities, highest first."""
        by_icb: dict[str, dict[str, dict]] = {}
        for r in icbs:
            by_icb.setdefault(r["org_code"], {})[r["indicator_id"]] = r
        out = []
        for code, rows in by_icb.items():
            if not safe_code(code):
                continue
            name = next(iter(rows.values()))["org_name"] or code
            cells = []
            for ind in self.tiered:
                r = rows.get(ind.id)
                if r is None:
                    cells.append(None)
                    continue
                where, where_words = position(ind, r)
                how, letter, how_words = variation(ind, r)
                shown = fmt_value(ind, r["value"], r["suppressed"])
                cells.append({"indicator": ind.id, "position": where, "variation": how, "letter": letter,
                              "arrow": {"above": "▲", "below": "▼"}.get(r["funnel"], ""), "shown": shown,
                              "label": "; ".join(w for w in (where_words, how_words) if w)})
            priority = sum(s.priority for s in act_on_first(self.signals.get(code, [])))
            out.append({"code": code, "name": name, "short_name": short_icb_name(name), "cells": cells,
                        "priority": priority, "worse": sum(1 for c in cells if c and c["position"] == "worse")})
        return sorted(out, key=lambda icb: (-icb["priority"], icb["short_name"], icb["code"]))

    @property
    def tiered(self) -> list[Indicator]:
        """The indicators grouped by harm tier (high, medium, low), each tier in the catalogue's order."""
        return sorted(self.a.indicators.values(), key=lambda i: SEVERITY_RANK[i.severity])

    def flags(self, org_type: str, code: str, rows: dict[str, dict], practices: set[str] | None = None) -> dict:
        """The top of a PCN or practice page: its items in the order of the ICB's short list (the one signal model:
        a PCN's are its `practices`', a practice's its own, continuing ones included), then each indicator where it
        stands apart this month, worse first, high harm first."""
        standing_apart = []
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            state, label = standing(ind, r)
            if state != "expected":
                standing_apart.append({"ind": ind, "state": state, "label": label,
                                       "shown": fmt_value(ind, r["value"], r["suppressed"])})
        rank = {"worse": 0, "concern": 1, "neutral": 2, "better": 3, "improving": 4}
        standing_apart.sort(key=lambda f: (rank[f["state"]], SEVERITY_RANK[f["ind"].severity]))
        if org_type == "pcn":  # a PCN's items are its practices', in the ICB list's order
            icb = next(iter(rows.values()))["icb_code"]
            mine = [s for s in self.signals.get(icb, []) if s.org_type == "practice" and s.org_code in (practices or ())]
            items = act_on_first(mine, size=None)
        else:  # a practice's own signals, continuing ones too
            mine = self.org_signals.get((org_type, code), [])
            items = act_on_first(mine, size=None)
        uncounted = [s for s in mine if s not in items and s.org_type == "practice"]
        return {"first": [act_first_entry(s, self.names.get(("pcn", s.pcn_code or ""))) for s in items],
                "uncounted": uncounted, "signals": mine, "standing": standing_apart,
                "worse": sum(1 for f in standing_apart if f["state"] == "worse"), "indicators": len(rows)}

    def icb(self, code: str, practices: dict[str, list[dict]], pcns: dict[str, list[dict]]) -> str:
        name = self.names.get(("icb", code), code)
        pcn_names = sorted({(r["org_name"] or r["org_code"], r["org_code"]) for rows in pcns.values() for r in rows
                            if safe_code(r["org_code"])})
        no_pcn = len({r["org_code"] for rows in practices.values() for r in rows if not r.get("pcn_code")})
        sections, charts = [], {}
        for ind_id, ind in self.a.indicators.items():
            rows = practices.get(ind_id, [])
            eng = self.a.england.get(ind_id, {})
            charts[f"{ind_id}-trend"] = self.org_trend(ind, "icb", code, name)
            charts[f"{ind_id}-practices"] = self.spread_chart(ind, rows, eng, "../practice/{code}.html", "Practices")
            behind = self.pareto(ind, rows, eng)
            share = behind[-1]["cumulative"] if behind else 0
            charts[f"{ind_id}-pareto"] = {
                "template": "pareto", "subtitle": self.subtitle(ind), "datasets": {"pareto": behind},
                "title": (f"The {len(behind)} practice{'s' if len(behind) != 1 else ''} with the most excess over "
                          f"England's rate: {share:.0%} of the ICB's practices' excess") if behind
                else "No practice above England's rate"}
            now = self.assessed.get((ind_id, "icb", code), {}).get("value")
            sections.append(self.section(ind, value=now, baseline=self.baseline(ind, "icb", code, now),
                                         pcns=worst_first(ind, pcns.get(ind_id, [])), rows=worst_first(ind, rows)))
        first = [act_first_entry(s, self.names.get(("pcn", s.pcn_code or ""))) for s in act_on_first(self.signals.get(code, []))]
        return self.render("icb.html", f"{name} — medication safety", f"{name} ({code})", charts, 1, name=name,
                           sections=sections, digest=self.digest(code), pcns=pcn_names, no_pcn=no_pcn, first=first,
                           icb_code=code,
                           pcn_name=lambda c: self.names.get(("pcn", c), c) if c else "in no PCN",
                           crumbs=self.crumbs(icb=code))

    def digest(self, icb: str) -> dict:
        """What needs attention first: the ICB's new concerning signals (the one signal model: the same count
        as its workbook and e-mail), grouped by indicator, high harm first, at most SIGNALS_SHOWN per
        indicator with the rest counted; then how many signals continue from last month."""
        signals = self.signals.get(icb, [])
        groups: dict[str, dict] = {}
        for s in new_only(signals):
            groups.setdefault(s.indicator.id, {"ind": s.indicator, "signals": []})["signals"].append(s)
        return {"groups": list(groups.values()), "count": count_words(signals), "shown": SIGNALS_SHOWN,
                "continuing": sum(1 for s in signals if not s.new)}

    def pcn(self, code: str, rows: dict[str, dict], practices: dict[str, list[dict]]) -> str:
        any_row = next(iter(rows.values()))
        name = any_row["org_name"] or code
        sections, charts = [], {}
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            mine = practices.get(ind_id, [])
            charts[f"{ind_id}-trend"] = self.org_trend(ind, "pcn", code, name)
            charts[f"{ind_id}-practices"] = self.spread_chart(ind, mine, self.a.england.get(ind_id, {}),
                                                              "../practice/{code}.html", "Practices")
            sections.append(self.section(ind, row=r, rows=worst_first(ind, mine),
                                         baseline=self.baseline(ind, "pcn", code, r["value"])))
        return self.render("pcn.html", f"{name} — medication safety", f"{name} ({code})", charts, 1, name=name,
                           sections=sections, icb=any_row["icb_code"], sub_icb=any_row["sub_icb_code"],
                           practices=len({r["org_code"] for rs in practices.values() for r in rs}),
                           summary=self.flags("pcn", code, rows, {r["org_code"] for rs in practices.values() for r in rs}),
                           crumbs=self.crumbs(icb=any_row["icb_code"], pcn=code))

    def practice(self, code: str, rows: dict[str, dict], products: dict) -> str:
        any_row = next(iter(rows.values()))
        name = any_row["org_name"]
        sections, charts = [], {}
        for ind_id, ind in self.a.indicators.items():
            r = rows.get(ind_id)
            if r is None:
                continue
            charts[ind_id] = self.trend((ind_id, "practice", code), f"{name}: monthly value with SPC limits",
                                        self.subtitle(ind, "band = national 10th-90th percentile of practices"),
                                        "trend_deciles")
            sections.append(self.section(ind, row=r, products=products.get(ind_id, [])))
        pcn = any_row.get("pcn_code")
        return self.render("practice.html", f"{name} — medication safety", f"{name} ({code})", charts, 1,
                           sections=sections, icb=any_row["icb_code"], sub_icb=any_row["sub_icb_code"], pcn=pcn,
                           pcn_name=self.names.get(("pcn", pcn), pcn), product_months=PRODUCT_MONTHS,
                           summary=self.flags("practice", code, rows),
                           crumbs=self.crumbs(icb=any_row["icb_code"], pcn=pcn, practice=code))

    def crumbs(self, icb: str | None, pcn: str | None = None, practice: str | None = None) -> list[dict]:
        """England > ICB > PCN > practice, by name, each but the page's own a link (pages are one folder down)."""
        out = [{"name": "England", "href": "../index.html"}]
        for kind, code in (("icb", icb), ("pcn", pcn), ("practice", practice)):
            if safe_code(code):
                name = self.names.get((kind, code), code)
                out.append({"name": short_icb_name(name) if kind == "icb" else name, "code": code,
                            "href": f"../{kind}/{code}.html"})
        if practice is not None and not safe_code(pcn):
            out.insert(2, {"name": "in no PCN"})
        out[-1].pop("href", None)
        return out


def build_site(analysis: Analysis) -> dict:
    layout, month = analysis.layout, analysis.month
    final = layout.report(month)
    work = layout.tmp / scratch_name(f"report-{month}")
    (work / "assets").mkdir(parents=True)
    (work / "icb").mkdir()
    (work / "practice").mkdir()
    shutil.copyfile(vega_bundle(layout), work / "assets" / "vega.js")
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

    def write_pages(keys: list[tuple[str, str]]) -> int:
        for kind, code in keys:
            if kind == "icb":
                text = builder.icb(code, by_icb[code], pcns_by_icb.get(code, {}))
            elif kind == "pcn":
                text = builder.pcn(code, by_pcn[code], pcn_practices.get(code, {}))
            else:
                text = builder.practice(code, by_practice[code], products.get(code, {}))
            (work / kind / f"{code}.html").write_text(text, encoding="utf-8")
        return len(keys)

    icb_keys = [("icb", c) for c in sorted(c for c in by_icb if c and safe_code(c))]
    for code, absent in analysis.absent_icbs.items():
        if code not in by_icb and safe_code(code):
            (work / "icb" / f"{code}.html").write_text(builder.absent_icb(absent), encoding="utf-8")
    pcn_keys = [("pcn", c) for c in sorted(by_pcn) if safe_code(c)]
    practice_keys = [("practice", c) for c in sorted(by_practice) if safe_code(c)]
    builder.prepare()  # what pages read through DuckDB or polars, computed before any worker is forked
    in_parallel(write_pages, icb_keys + pcn_keys + practice_keys)
    publish_dir(work, final, layout.tmp)
    return {"index": final / "index.html", "icb_pages": len(icb_keys), "pcn_pages": len(pcn_keys),
            "practice_pages": len(practice_keys)}


def vega_bundle(layout) -> Path:
    """Vega, Vega-Lite and vega-embed in one file, from vl-convert; built once per vl-convert version and
    kept under <data-dir>/cache/."""
    import vl_convert

    path = layout.cache / f"vega-{vl_convert.__version__}.js"
    if not path.is_file():
        built = layout.tmp / scratch_name("vega", ".js")
        built.parent.mkdir(parents=True, exist_ok=True)
        built.write_text(vl_convert.javascript_bundle(), encoding="utf-8")
        publish_file(built, path)
    return path


def search_index(analysis: Analysis) -> list[list[str]]:
    """[kind, code, name, where] for every ICB, PCN and practice with a page: what the search box looks in and
    shows. `where` tells same-named orgs apart: a practice's PCN, ICB and postcode, a PCN's ICB, an ICB's region."""
    orgs = (analysis.assessed.filter(pl.col("org_type").is_in(["icb", "pcn", "practice", "region"]))
            .unique(["org_type", "org_code"]).sort("org_type", "org_code"))
    names = {(r["org_type"], r["org_code"]): r["org_name"] or r["org_code"] for r in orgs.iter_rows(named=True)}
    postcodes = analysis.practice_postcodes

    def icb(code):
        return short_icb_name(names.get(("icb", code), code or ""))

    out = []
    for r in orgs.iter_rows(named=True):
        kind, code = r["org_type"], r["org_code"]
        if kind == "region" or not safe_code(code):
            continue
        if kind == "practice":
            pcn = names.get(("pcn", r["pcn_code"]), "in no PCN") if r["pcn_code"] else "in no PCN"
            where = " · ".join(x for x in (pcn, icb(r["icb_code"]), postcodes.get(code, "")) if x)
        elif kind == "pcn":
            where = icb(r["icb_code"])
        else:
            where = names.get(("region", r["region_code"]), "")
        out.append([kind, code, names[(kind, code)], where, r["icb_code"] or ""])
    return out

