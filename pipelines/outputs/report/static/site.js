// Draws a page of the report from the month's data files (pipelines/outputs/report/site.py writes them; this
// file only lays out what they say). The same four pages serve every month and organisation:
// index.html?month=2026-07, icb.html?code=QOP&month=2026-07, pcn.html?..., practice.html?...
// Data files are scripts (MSI.put), loaded by relative path: the site opens from disk with no server and no
// network. Every name is set as text, never as HTML, and links are made only from codes matching SAFE.
(function () {
  "use strict";
  const FORMAT = 1;  // site.py FORMAT
  const SAFE = /^[A-Z0-9]{3,6}$/;  // wording.py SAFE_CODE
  const MONTH = /^[0-9]{4}-[0-9]{2}$/;
  const VARIATION_CODES = { C: "concern", I: "improvement", S: "special", c: "common", n: "none" };  // site.py
  const ROW = { code: 0, shown: 1, value: 2, numerator: 3, denominator: 4, percentile: 5, funnel: 6, spc: 7, low: 8,
                size: 9 };  // site.py row_cells
  const store = {};
  window.MSI = { put: function (key, data) { store[key] = data; } };

  const kind = document.body.dataset.page;
  const params = new URLSearchParams(location.search);
  const months = (window.MSI_MONTHS || []).filter(function (m) { return MONTH.test(m[0]); });
  const asked = params.get("month");
  const month = months.some(function (m) { return m[0] === asked; }) ? asked : (months.length ? months[months.length - 1][0] : null);
  const code = params.get("code") || "";
  const main = document.getElementById("main");
  const charts = {};  // chart id -> what to draw (drawn once the page is laid out)
  let M = null, D = null, IND = {}, H = {};  // H: the history files' documents by year (site.py merge_history)
  const timing = window.MSI_TIMING = {};  // ms from navigation: data read, page laid out, first chart drawn (tests)

  // --- small helpers --------------------------------------------------------------------------------
  function h(tag, attrs) {
    const el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else el.setAttribute(k, v);
    });
    for (let i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return; }
    el.append(kid instanceof Node ? kid : String(kid));  // a string becomes a text node: never parsed as HTML
  }
  function link(page, org, hash, inMonth) {
    const m = inMonth || month;
    if (page !== "index" && !SAFE.test(org)) return null;
    return page + ".html?" + (page !== "index" ? "code=" + org + "&" : "") + "month=" + m + (hash ? "#" + hash : "");
  }
  function a(href, text, attrs) {
    return href ? h("a", Object.assign({ href: href }, attrs || {}), text) : text;
  }
  function load(path, key) {
    return new Promise(function (resolve, reject) {
      if (store[key]) { resolve(store[key]); return; }
      const s = document.createElement("script");
      s.src = path;
      s.onload = function () { store[key] ? resolve(store[key]) : reject(new Error(path + " holds no " + key)); };
      s.onerror = function () { reject(new Error("cannot read " + path)); };
      document.head.appendChild(s);
    });
  }
  function capitalise(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // --- page frame -----------------------------------------------------------------------------------
  function frame(heading, crumbs, homeIcb, title) {
    document.title = (title || heading) + " — medication safety";
    const header = document.querySelector("header");
    header.textContent = "";
    if (M.synthetic) document.body.insertBefore(h("div", { class: "synthetic", role: "note" }, M.synthetic), header);
    add(header, h("a", { href: link("index") }, "Medication safety indicators — England"));
    if (crumbs) {
      const nav = h("nav", { class: "crumbs", "aria-label": "Where this page is" });
      crumbs.forEach(function (c, i) {
        add(nav, i === crumbs.length - 1 ? h("span", { "aria-current": "page" }, c[0]) : (c[1] ? h("a", { href: c[1] }, c[0]) : c[0]));
        if (i < crumbs.length - 1) add(nav, " › ");
      });
      add(header, nav);
    }
    add(header, h("h1", { id: "heading" }, heading));
    const picker = h("select", { id: "month-picker" });
    months.slice().reverse().forEach(function (m) {
      add(picker, h("option", { value: m[0], selected: m[0] === month ? "selected" : null }, m[1]));
    });
    picker.addEventListener("change", function () {
      location.href = kind === "index" ? link("index", null, null, picker.value) : link(kind, code, null, picker.value);
    });
    add(header, h("div", { class: "month" }, h("label", { for: "month-picker" }, "Data month: "), picker));
    add(header, h("div", { class: "search" }, h("label", { for: "search" }, "Find a practice, PCN or ICB"), " ",
                  h("input", { type: "search", id: "search", autocomplete: "off", placeholder: "name, code or postcode" }),
                  h("ul", { id: "search-results", "data-icb": homeIcb || "" })));
    document.getElementById("footer").textContent = "Data month " + M.label + " · indicator definition version " +
      M.versions + " · " + M.footer;
  }
  function notice(lines) {
    return h("div", { class: "notice", role: "alert" }, lines.map(function (l) { return h("p", null, l); }));
  }
  function fail(message) {
    main.textContent = "";
    add(main, notice([message]));
    document.getElementById("heading").textContent = "This page cannot be shown";
  }

  // --- pieces every page uses -------------------------------------------------------------------------
  function intro(ind, here) {
    const out = [h("h2", null, ind.title),
      h("p", { class: "meta" }, ind.description + " ", h("strong", null, capitalise(ind.direction) + ".")),
      h("p", { class: "basis " + (ind.grain === "patient" ? "patient" : "public") }, ind.basis + (ind.related ? " · " + ind.related : ""))];
    if (ind.proxy) out.push(h("p", { class: "proxy" }, ind.proxy));
    if (ind.without_ome && here) {
      out.push(h("details", { class: "ome", id: ind.id + "-ome" }, h("summary", null, "Opioid presentations without an OME this month"),
                 h("pre", null, ind.without_ome)));
    } else if (ind.without_ome) {
      out.push(h("p", { class: "ome" }, "Some opioid presentations have no OME this month: ",
                 h("a", { href: link("index", null, ind.id + "-ome") }, "the list is on the England page"), "."));
    }
    return out;
  }
  function chartBox(ids) {
    return h("div", { class: "charts" }, ids.map(function (id) { return h("div", { class: "chart", "data-chart": id }); }));
  }
  function orgTable(rows, page, label, nameOf) {
    const words = M.words;
    const head = ["Value", "Numerator", "Denominator", "Percentile", "Funnel", "SPC (this month)", "Low numbers"];
    return h("table", { class: "sortable " + label.toLowerCase() + "s" },
      h("thead", null, h("tr", null, h("th", null, label), h("th", null, "Name"), head.map(function (x) { return h("th", null, x); }))),
      h("tbody", null, rows.map(function (r) {
        return h("tr", null, h("td", null, a(link(page, r[ROW.code]), r[ROW.code])), h("td", null, nameOf(r[ROW.code])),
          h("td", { class: "num", "data-sort": r[ROW.value] === null || r[ROW.value] === undefined ? "" : r[ROW.value] }, r[ROW.shown]),
          h("td", { class: "num" }, r[ROW.numerator]), h("td", { class: "num" }, r[ROW.denominator]),
          h("td", { class: "num" }, r[ROW.percentile]), h("td", null, words.funnel[r[ROW.funnel]] || "–"),
          h("td", { class: r[ROW.spc] }, words.spc[r[ROW.spc]] || ""), h("td", null, r[ROW.low] ? "yes" : ""));
      })));
  }
  function actFirst(entries, caption, linkIndicator) {
    return [h("table", { class: "actfirst" }, h("caption", null, caption),
      h("thead", null, h("tr", null, ["#", "Practice (PCN)", "Indicator", "Value against England", "Excess", "For how long",
                                       "What to do"].map(function (x) { return h("th", null, x); }))),
      h("tbody", null, entries.map(function (e, i) {
        const ind = IND[e.indicator_id];  // its title, harm and action (wording.act_first_entry takes them from it)
        return h("tr", { class: ind.harm.replace(/ /g, "-") }, h("td", { class: "num" }, i + 1),
          h("td", null, a(link("practice", e.code), e.practice), " (" + e.code + ")", h("br"), h("span", { class: "meta" }, e.pcn)),
          h("td", null, linkIndicator === false ? ind.short_title : h("a", { href: "#" + ind.id }, ind.short_title), h("br"),
            h("span", { class: "harm" }, ind.harm)),
          h("td", null, e.against), h("td", null, e.excess), h("td", null, e.how_long), h("td", null, ind.action));
      }))), h("p", { class: "meta" }, M.priority_rule)];
  }
  function flags(f, what) {
    const box = h("div", { class: "digest flags" }, h("h2", null, what === "pcn" ? "Act on first in this PCN" : "This practice's signals"));
    if (f.first && f.first.length) {
      add(box, actFirst(f.first, plural(f.first.length, "item") + ", highest priority first, in the order of the ICB's list " +
                        "(its report page, workbook and e-mail)"));
    } else {
      add(box, h("p", null, "Nothing to act on first this month" + (what === "pcn" ? " in this PCN's practices" : "") + "."));
    }
    if (f.uncounted && f.uncounted.length) {
      const p = h("p", { class: "meta other" }, "Other signals (another indicator of a concern listed above, or a size not counted in items or patients): ");
      f.uncounted.forEach(function (u, i) {
        add(p, [h("a", { href: "#" + u[0] }, IND[u[0]].short_title), " (" + u[1] + "; " + u[2] + ")", i < f.uncounted.length - 1 ? "; " : "."]);
      });
      add(box, p);
    }
    if (f.standing && f.standing.length) {
      add(box, h("p", null, "Where " + (what === "practice" ? "this practice" : "this PCN") + " stands apart on " + f.standing.length +
                 " of " + f.indicators + " indicators (" + f.worse + " worse):"));
      add(box, h("ul", { class: "standing" }, f.standing.map(function (x) {
        const ind = IND[x[0]];
        return h("li", { class: x[1] }, h("a", { href: "#" + x[0] }, ind.short_title), ": " + x[3] + " " + ind.unit_label + " — " + x[2]);
      })));
    } else {
      add(box, h("p", null, "As expected on all " + f.indicators + " indicators: within England's funnel limits and no special-cause SPC signal."));
    }
    return box;
  }
  function spcWords(spc) { return h("span", { class: spc }, M.words.spc[spc] || ""); }

  // --- charts ---------------------------------------------------------------------------------------
  // An org's trend as the charts read it, [values, letters, rules, mean, upper, lower] over the month's national
  // months: its SPC reading from its ICB's file, the earlier months' values from the history files (site.py trend).
  function trendOf(level, indId, org) {
    const byLevel = (D.trends[indId] || {})[level];
    const t = level === "icb" ? byLevel : (byLevel || {})[org];
    if (!t) return null;
    const shown = M.national.months, last = shown.length - 1;
    const values = shown.map(function (m, i) {
      if (i === last) return t[0];
      const year = H[m.slice(0, 4)], row = year && ((year[level] || {})[indId] || {})[org];
      const v = row ? row[Number(m.slice(5, 7)) - 1] : null;
      return v === undefined ? null : v;
    });
    const letters = values.map(function (v, i) { return v === null ? "-" : (t[2][i] || t[1]); }).join("");
    return [values, letters, t[3], t[4], t[5], t[6]];
  }
  function trendChart(ind, series, template, title, extra) {
    return { template: template, title: title, subtitle: ind.subtitle + (extra ? " · " + extra : ""), indicator: ind.id, series: series };
  }
  function trendRows(chart) {
    const national = M.national, t = chart.series;
    if (!t) return [];
    const england = national.england[chart.indicator] || {}, deciles = national.deciles[chart.indicator] || {};
    const stats = {};
    [["mean", 3], ["upper", 4], ["lower", 5]].forEach(function (s) { if (t[s[1]] !== null && t[s[1]] !== undefined) stats[s[0]] = t[s[1]]; });
    return national.months.map(function (m, i) {
      const out = Object.assign({ month: m }, stats);
      const v = t[0][i];
      if (v !== null && v !== undefined) out.value = v;
      const state = VARIATION_CODES[t[1].charAt(i)];
      if (state) out.variation = state;
      if (t[2] && t[2][i]) out.rules = t[2][i];
      if (chart.template === "trend_england") out.england = england[m];
      if (chart.template === "trend_deciles" && deciles[m]) { out.p10 = deciles[m][0]; out.p50 = deciles[m][1]; out.p90 = deciles[m][2]; }
      return out;
    });
  }
  function rowsOf(data) {
    const fields = Object.keys(data || {});
    const n = fields.length ? data[fields[0]].length : 0;
    const out = [];
    for (let i = 0; i < n; i++) {
      const row = {};
      fields.forEach(function (f) { row[f] = data[f][i]; });
      out.push(row);
    }
    return out;
  }
  // The band's points over the denominators shown (from half the smallest to the largest), with one more either
  // side so that the limits reach the chart's edges.
  function clipBand(band, points) {
    const rows = rowsOf(band);
    if (!rows.length || !points.length) return rows;
    const sizes = points.map(function (p) { return p.denominator; });
    const lo = Math.min.apply(null, sizes) / 2, hi = Math.max.apply(null, sizes);
    let first = rows.findIndex(function (r) { return r.denominator >= lo * (1 - 1e-9); });
    let last = rows.length - 1 - rows.slice().reverse().findIndex(function (r) { return r.denominator <= hi * (1 + 1e-9); });
    if (first < 0) first = rows.length - 1;
    if (last >= rows.length) last = 0;
    return rows.slice(Math.max(0, first - 1), Math.min(rows.length, last + 2));
  }
  function spreadChart(ind, rows, page, what, nameOf, band) {
    const points = rows.filter(function (r) { return r[ROW.value] !== null && r[ROW.value] !== undefined && SAFE.test(r[ROW.code]); })
      .map(function (r) {
        return { code: r[ROW.code], name: nameOf(r[ROW.code]), value: r[ROW.value], denominator: r[ROW.size], funnel: r[ROW.funnel],
                 href: link(page, r[ROW.code]) };
      });
    if (ind.funnel && band && band.denominator) {
      const sized = points.filter(function (p) { return p.denominator; });
      return { template: "funnel", title: what + " against England's value (funnel plot)", subtitle: ind.subtitle + " · 95% and 99.8% limits",
               datasets: { points: sized, band: clipBand(band, sized) } };
    }
    const shown = points.slice(0, M.ranked_bars);  // the rows come worst first (site.py worst_first)
    shown.forEach(function (p, i) { p.label = (i + 1) + ". " + (p.name || p.code) + " (" + p.code + ")"; });
    const title = points.length <= M.ranked_bars ? what + " ranked"
      : "The " + M.ranked_bars + " " + what.toLowerCase() + " with the " + (ind.low_is_good !== false ? "highest" : "lowest") +
        " values, of " + points.length + " (all are in the table)";
    return { template: "ranked", title: title, subtitle: ind.subtitle, datasets: { points: shown } };
  }
  function paretoChart(ind, rows, nameOf) {
    const data = rows.map(function (r) { return { code: r[0], name: nameOf(r[0]), excess: r[1], cumulative: r[2], href: link("practice", r[0]) }; });
    const share = data.length ? Math.round(data[data.length - 1].cumulative * 100) : 0;
    return { template: "pareto", subtitle: ind.subtitle, datasets: { pareto: data },
             title: data.length ? "The " + plural(data.length, "practice") + " with the most excess over England's rate: " + share +
               "% of the ICB's practices' excess" : "No practice above England's rate" };
  }
  // One chart after another, each in its own task, in page order: the first is on screen as soon as it is drawn,
  // not once every chart of the page has been compiled (an ICB page has ~100).
  function drawCharts() {
    const options = { actions: false, renderer: "svg", tooltip: true };
    const boxes = Array.from(document.querySelectorAll("[data-chart]"));
    function draw(i) {
      if (i >= boxes.length) return;
      const el = boxes[i], chart = charts[el.dataset.chart];
      const spec = JSON.parse(JSON.stringify(window.MSI_TEMPLATES[chart.template]));
      spec.datasets = chart.datasets || { series: trendRows(chart) };
      spec.title = { text: chart.title, subtitle: chart.subtitle, anchor: "start", fontSize: 13, subtitleFontSize: 11 };
      window.vegaEmbed(el, spec, options)
        .then(function (result) {
          el.vegaView = result.view;  // the view: for tests
          el.dataset.rendered = "true";
          if (!timing.first_chart) timing.first_chart = performance.now();
        })
        .catch(function (err) { el.dataset.rendered = "error"; el.textContent = "Chart failed to render: " + err; console.error(err); })
        .then(function () { setTimeout(function () { draw(i + 1); }, 0); });
    }
    draw(0);
  }

  // --- the pages ------------------------------------------------------------------------------------
  function icbName(c) { return (M.icbs[c] || [c])[0]; }

  function indexPage() {
    const E = M.england;
    frame("England overview", null, "", "Medication safety indicators — England");
    if (E.notices.length) add(main, notice(E.notices));
    const V = M.words.variation;
    const legend = h("div", { class: "legend", "aria-label": "What the marks mean" },
      h("p", null, h("strong", null, "Two marks, never one word for both"), " (NHS England's Making Data Count):"),
      h("ul", null,
        h("li", null, h("strong", null, "Position against England"), " (the cell's colour and arrow; 99.8% funnel limits for the ICB's size): ",
          h("span", { class: "key pos-worse" }, "▲ worse"), " beyond the limit on the worse side · ", h("span", { class: "key pos-better" }, "▼ better"),
          " beyond the limit on the better side · ", h("span", { class: "key pos-neutral" }, "▲▼ differs"),
          " beyond a limit where the indicator makes no judgement · ", h("span", { class: "key pos-within" }, "within"), " England's limits."),
        h("li", null, h("strong", null, "Variation over time"), " (the circle; SPC on the ICB's own monthly series): ",
          h("span", { class: "var var-concern" }, "H"), h("span", { class: "var var-concern" }, "L"), " " + V.concern + " (high or low) · ",
          h("span", { class: "var var-improvement" }, "H"), h("span", { class: "var var-improvement" }, "L"), " " + V.improvement + " · ",
          h("span", { class: "var var-special" }, "H"), " " + V.special + " · ", h("span", { class: "var var-common" }), " " + V.common +
          " · no circle: " + V.none + ".")),
      h("p", { class: "meta" }, "An ICB can be improving (blue circle) while still worse than England (orange cell): the two are read separately."));
    const tiered = M.tiered.map(function (id) { return IND[id]; });
    const table = h("table", { class: "matrix" },
      h("colgroup", null, h("col", { class: "icb" }), h("col", { class: "count" }), tiered.map(function () { return h("col"); })),
      h("thead", null,
        h("tr", { class: "tiers" }, h("th", { scope: "col", colspan: "2" }),
          E.tiers.map(function (t) { return h("th", { scope: "colgroup", colspan: String(t[1]), class: "tier" }, t[0]); })),
        h("tr", null, h("th", { scope: "col" }, "ICB"),
          h("th", { scope: "col", class: "count", title: "The sum of the priorities of the ICB's act-on-first list" }, "Priority"),
          tiered.map(function (ind) { return h("th", { scope: "col", class: "ind" }, h("a", { class: "rot", href: "#" + ind.id, title: ind.title }, ind.short_title)); }))),
      h("tbody", null,
        h("tr", { class: "england" }, h("th", { scope: "row" }, "England"), h("td"),
          tiered.map(function (ind) { return h("td", { class: "num" }, E.value[ind.id]); })),
        E.matrix.map(function (icb) {
          return h("tr", null, h("th", { scope: "row" }, a(link("icb", icb.code), (M.icbs[icb.code] || ["", icb.code])[1], { title: icbName(icb.code) })),
            h("td", { class: "num count" }, icb.priority),
            icb.cells.map(function (c) {
              if (!c) return h("td", { class: "cell none" }, "–");
              const marks = h("span", { class: "marks" });
              if (c[4] && c[1] !== "within") add(marks, h("span", { class: "arrow" }, c[4]));
              if (c[2] !== "none") add(marks, h("span", { class: "var var-" + c[2] }, c[3]));
              return h("td", { class: "cell pos-" + c[1], title: c[6] },
                a(link("icb", icb.code, c[0]), [h("span", { class: "v" }, c[5]), marks], { "aria-label": c[5] + ": " + c[6] }));
            }));
        })));
    add(main, h("section", { class: "overview" }, h("h2", null, "Where to look first: every ICB on every indicator"),
      h("p", { class: "meta" }, "ICBs in priority order: the sum of the priorities of their “act on first” list (harm × excess items or patients " +
        "over England's rate × how long; each ICB's page lists them). Indicators grouped by harm tier. Select a cell for that ICB's detail; " +
        "hover over it for both marks in words."), legend, h("div", { class: "scroll wide" }, table)));
    tiered.forEach(function (ind) {
      const rows = E.rows[ind.id] || [];
      charts[ind.id + "-icbs"] = spreadChart(ind, rows, "icb", "ICBs", icbName, E.bands[ind.id]);
      charts[ind.id + "-england"] = trendChart(ind, E.trends[ind.id], "trend", "England");
      add(main, h("section", { class: "indicator", id: ind.id }, intro(ind, true),
        h("p", { class: "meta" }, "England: ", h("strong", null, E.value[ind.id]), " " + ind.unit_label + (E.baseline[ind.id] || "")),
        chartBox([ind.id + "-icbs", ind.id + "-england"]),
        h("div", { class: "scroll" }, orgTable(rows, "icb", "ICB", icbName))));
    });
  }

  function practiceName(c) { return (D.practices[c] || [c])[0]; }
  function pcnName(c) { return c ? (D.pcns[c] || [c])[0] : "in no PCN"; }
  function orgTrendChart(ind, series, name) {
    const withEngland = ind.unit !== "count";  // a count is not comparable with England's count; rates and shares are
    return trendChart(ind, series, withEngland ? "trend_england" : "trend", name + (withEngland ? " against England (dashed)" : ""),
                      "SPC centre line and process limits");
  }
  function crumbs(icb, pcn, practice, hasPcn) {
    const out = [["England", link("index")], [(M.icbs[icb] || ["", icb])[1], link("icb", icb)]];
    if (pcn) out.push([pcnName(pcn), link("pcn", pcn)]);
    else if (practice) out.push(["in no PCN", null]);
    if (practice) out.push([practiceName(practice), null]);
    return out;
  }

  function icbPage() {
    const name = D.name, P = D.icb;
    frame(name + " (" + D.code + ")", crumbs(D.code), D.code, name);
    const first = h("section", { class: "digest first" }, h("h2", null, "Act on first: " + P.first.length + " of this month's signals"));
    add(first, P.first.length ? actFirst(P.first, "Highest priority first: the same list, in the same order, as the workbook's first sheet and the monthly e-mail")
      : h("p", null, "Nothing to act on first this month: no practice signal counted in items or patients."));
    add(main, first);
    const digest = h("details", { class: "digest" }, h("summary", null, h("h2", null, "Every new signal this month: " + P.digest.count)),
      h("p", { class: "meta" }, "New concerning signals in this ICB and its practices, high harm first: new special-cause variation of concern, " +
        "a value newly beyond England's 99.8% funnel limit on the worse side, or (methotrexate 10 mg) a practice newly issuing it. The same " +
        "count as the workbook's Signals sheet and the monthly e-mail. " + P.digest.continuing + " signals continue from last month (on the Signals sheet)."));
    P.digest.groups.forEach(function (g) {
      const ind = IND[g.indicator];
      const list = h("ul", null, g.signals.map(function (s) {
        return h("li", null, s[0] === "icb" ? "the ICB as a whole" : [a(link("practice", s[1]), s[2]), " (" + s[1] + "; " + s[3] + ")"],
                 " — " + s[4] + ": " + s[5]);
      }));
      if (g.count > g.signals.length) {
        add(list, h("li", null, "…and " + (g.count - g.signals.length) + " more on the workbook's Signals sheet and in ",
                    h("a", { href: "#" + ind.id }, "the table"), "."));
      }
      add(digest, h("details", { class: "signals", open: ind.severity === "high" ? "open" : null },
        h("summary", null, h("a", { href: "#" + ind.id }, ind.title), (ind.severity === "high" ? " — high harm" : "") + ": ", h("strong", null, g.count)), list));
    });
    if (!P.digest.groups.length) add(digest, h("p", null, "No new concerning signal this month."));
    add(main, digest);
    const pcns = Object.keys(D.pcns).map(function (c) { return [D.pcns[c][0], c]; }).sort(function (x, y) { return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0; });
    const list = h("p", { class: "meta" }, "PCNs (" + pcns.length + "): ");
    pcns.forEach(function (p, i) { add(list, [a(link("pcn", p[1]), p[0]), i < pcns.length - 1 ? " · " : ""]); });
    add(list, ". Practices in no PCN: " + P.no_pcn + ".");
    add(main, list);
    M.indicators.forEach(function (ind) {
      const rows = D.rows[ind.id];
      charts[ind.id + "-trend"] = orgTrendChart(ind, trendOf("icb", ind.id, D.code), name);
      charts[ind.id + "-practices"] = spreadChart(ind, rows.practice, "practice", "Practices", practiceName, M.bands[ind.id]);
      charts[ind.id + "-pareto"] = paretoChart(ind, P.pareto[ind.id] || [], practiceName);
      add(main, h("section", { class: "indicator", id: ind.id }, intro(ind, false),
        h("p", { class: "meta" }, name + ": ", h("strong", null, rows.icb ? rows.icb[ROW.shown] : "–"), " " + ind.unit_label + (D.baseline[ind.id].icb || "")),
        chartBox([ind.id + "-trend", ind.id + "-practices", ind.id + "-pareto"]),
        h("details", { class: "pcns" }, h("summary", null, "PCNs (" + rows.pcn.length + ")"), h("div", { class: "scroll" }, orgTable(rows.pcn, "pcn", "PCN", pcnName))),
        h("div", { class: "scroll" }, orgTable(rows.practice, "practice", "Practice", practiceName))));
    });
  }

  function pcnPage() {
    const pcn = D.pcns[code], page = D.pcn_pages[code];
    const members = Object.keys(D.practices).filter(function (p) { return D.practices[p][1] === code; });
    frame(pcn[0] + " (" + code + ")", crumbs(D.code, code), D.code, pcn[0]);
    add(main, h("p", { class: "meta" }, "Sub-ICB " + (pcn[1] || "") + " · " + members.length + " practices"));
    add(main, flags(page.flags, "pcn"));
    M.indicators.forEach(function (ind) {
      const rows = D.rows[ind.id];
      const r = rows.pcn.find(function (x) { return x[ROW.code] === code; });
      if (!r) return;
      const mine = (rows.members || {})[code] || rows.practice.filter(function (x) { return D.practices[x[ROW.code]][1] === code; });
      charts[ind.id + "-trend"] = orgTrendChart(ind, trendOf("pcn", ind.id, code), pcn[0]);
      charts[ind.id + "-practices"] = spreadChart(ind, mine, "practice", "Practices", practiceName, M.bands[ind.id]);
      add(main, h("section", { class: "indicator", id: ind.id }, intro(ind, false),
        h("p", { class: "meta" }, pcn[0] + ": ", h("strong", null, r[ROW.shown]), " " + ind.unit_label + " · percentile among PCNs " + r[ROW.percentile] +
          " · funnel: " + (M.words.funnel[r[ROW.funnel]] || "–") + " · SPC: ", spcWords(r[ROW.spc]), D.baseline[ind.id][code] || ""),
        chartBox([ind.id + "-trend", ind.id + "-practices"]),
        h("div", { class: "scroll" }, orgTable(mine, "practice", "Practice", practiceName))));
    });
  }

  function practicePage() {
    const org = D.practices[code], page = D.practice_pages[code];
    frame(org[0] + " (" + code + ")", crumbs(D.code, org[1], code), D.code, org[0]);
    add(main, flags(page.flags, "practice"));
    M.indicators.forEach(function (ind) {
      const r = D.rows[ind.id].practice.find(function (x) { return x[ROW.code] === code; });
      if (!r) return;
      charts[ind.id] = trendChart(ind, trendOf("practice", ind.id, code), "trend_deciles", org[0] + ": monthly value with SPC limits",
                                  "band = national 10th-90th percentile of practices");
      const products = (page.products[ind.id] || []).map(function (i) { return page.lines[i]; });
      add(main, h("section", { class: "indicator", id: ind.id }, intro(ind, false),
        h("p", { class: "meta" }, "This month: ", h("strong", null, r[ROW.shown]), " " + ind.unit_label +
          (ind.denominator ? " (" + r[ROW.numerator] + " / " + r[ROW.denominator] + ")" : "") + " · national percentile " + r[ROW.percentile] + " · SPC: ",
          spcWords(r[ROW.spc]), r[ROW.low] ? " · low numbers" : ""),
        chartBox([ind.id]),
        h("details", { class: "products" }, h("summary", null, "Products in the numerator, last " + M.product_months + " months (" + products.length + ")"),
          h("table", { class: "sortable" }, h("thead", null, h("tr", null, ["BNF code", "Presentation", "Items", "Quantity", "OME mg"].map(function (x) { return h("th", null, x); }))),
            h("tbody", null, products.length ? products.map(function (p) {
              const presentation = D.bnf[p[0]] || ["", ""];  // site.py: a line names its presentation by place
              return h("tr", null, h("td", null, presentation[0]), h("td", null, presentation[1]), h("td", { class: "num" }, p[1]),
                       h("td", { class: "num" }, p[2]), h("td", { class: "num" }, p[3]));
            }) : h("tr", null, h("td", { colspan: "5" }, "none")))))));
    });
  }

  function absentPage(absent) {
    frame(absent[0] + " (" + code + ")", [["England", link("index")], [absent[0], null]], code, absent[0]);
    add(main, notice([absent[1]]));
    add(main, h("p", { class: "meta" }, "This ICB's practices are in NHS Digital's practice map for the month, but the month's English Prescribing " +
      "Dataset has no rows for any of them, so there are no indicator values to show. Earlier months' reports and workbooks are unchanged."));
  }

  // --- search, sorting --------------------------------------------------------------------------------
  function search() {
    const input = document.getElementById("search"), results = document.getElementById("search-results");
    const KINDS = { icb: "ICB", pcn: "PCN", practice: "practice" }, ORDER = { icb: 0, pcn: 1, practice: 2 }, LIMIT = 20;
    const orgs = M.search.map(function (o) {
      // o[3] tells same-named orgs apart: a practice's PCN, ICB and postcode; a PCN's ICB; an ICB's region.
      return { kind: o[0], code: o[1], name: o[2], where: o[3] || "", icb: o[4] || "", text: (o[1] + " " + o[2] + " " + (o[3] || "")).toLowerCase() };
    });
    // The page's own ICB first, then names that begin with what was typed, then ICBs, PCNs and practices.
    const home = results.dataset.icb || "";
    function rank(o, first) { return [o.icb === home && home ? 0 : 1, o.name.toLowerCase().indexOf(first) === 0 ? 0 : 1, ORDER[o.kind]]; }
    input.addEventListener("input", function () {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      results.textContent = "";
      if (!words.length) return;
      const found = orgs.filter(function (o) { return words.every(function (w) { return o.text.indexOf(w) >= 0; }); });
      found.sort(function (x, y) {
        const p = rank(x, words[0]), q = rank(y, words[0]);
        for (let i = 0; i < p.length; i++) { if (p[i] !== q[i]) return p[i] - q[i]; }
        return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
      });
      found.slice(0, LIMIT).forEach(function (o) {
        add(results, h("li", null, a(link(o.kind, o.code), [o.name + " (" + o.code + ")", h("span", { class: "kind" }, KINDS[o.kind] + (o.where ? " · " + o.where : ""))])));
      });
      if (found.length > LIMIT) add(results, h("li", null, (found.length - LIMIT) + " more: type more of the name"));
      if (!found.length) add(results, h("li", null, "nothing matches"));
    });
  }
  function cellValue(row, index) {
    const cell = row.cells[index];
    const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const plain = raw.replace(/,/g, "");
    const number = parseFloat(plain);
    return plain !== "" && !isNaN(number) && isFinite(plain) ? number : raw.toLowerCase();
  }
  function sortable() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th").forEach(function (th, index) {
        th.addEventListener("click", function () {
          const body = table.tBodies[0];
          const ascending = th.dataset.order !== "asc";
          table.querySelectorAll("th").forEach(function (x) { delete x.dataset.order; });
          th.dataset.order = ascending ? "asc" : "desc";
          Array.from(body.rows).sort(function (x, y) {
            const p = cellValue(x, index), q = cellValue(y, index);
            if (p === q) return 0;
            if (p === "" || p === "–") return 1;
            if (q === "" || q === "–") return -1;
            return (p < q ? -1 : 1) * (ascending ? 1 : -1);
          }).forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  // --- start -----------------------------------------------------------------------------------------
  function start() {
    if (!month) { fail("No month has been published in this report yet: run `msi run` first."); return; }
    load("data/" + month + "/month.js", "month:" + month).then(function (data) {
      M = data;
      if (M.format !== FORMAT) throw new Error(M.label + " was written by another version of msi: run the month again (msi run --months " + month + ")");
      M.indicators.forEach(function (ind) { IND[ind.id] = ind; });
      if (asked && asked !== month) main.appendChild(notice(["There is no report for " + asked + ": showing " + M.label + "."]));
      if (kind === "index") return null;
      if (!SAFE.test(code)) throw new Error("This page needs an organisation's code (code=...): choose one from the England page.");
      if (kind === "icb" && M.absent[code]) return "absent";
      const found = M.search.find(function (o) { return o[0] === kind && o[1] === code; });
      if (!found || !SAFE.test(found[4])) throw new Error(code + " has no " + (kind === "icb" ? "ICB" : kind === "pcn" ? "PCN" : "practice") + " page in " + M.label +
                                  "'s report: search for it, or choose another month.");
      const icb = found[4];
      const years = M.national.months.slice(0, -1).map(function (m) { return m.slice(0, 4); })
        .filter(function (y, i, all) { return all.indexOf(y) === i; });
      // A missing history file (a report written before there were any) leaves those months without a point.
      const history = years.map(function (y) {
        return load("data/history/" + y + "/" + icb + ".js", "history:" + y + ":" + icb)
          .then(function (doc) { H[y] = doc; }, function () { H[y] = null; });
      });
      return Promise.all([load("data/" + month + "/icb/" + icb + ".js", "icb:" + month + ":" + icb)].concat(history))
        .then(function (got) { D = got[0]; return "org"; });
    }).then(function (what) {
      timing.data = performance.now();
      if (what === "absent") absentPage(M.absent[code]);
      else if (kind === "index") indexPage();
      else if (kind === "icb") icbPage();
      else if (kind === "pcn") pcnPage();
      else practicePage();
      search();
      sortable();
      timing.laid_out = performance.now();
      drawCharts();
      if (location.hash) {
        const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
        if (target) target.scrollIntoView();
      }
    }).catch(function (err) {
      fail(String(err.message || err));
      console.error(err);
    });
  }
  start();
})();
