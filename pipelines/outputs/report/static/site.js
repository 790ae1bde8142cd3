// Renders every chart on a page from the shared templates (assets/templates.js) and the page's own
// data (<script id="page-data">), with the Vega bundle shipped once in assets/vega.js; makes tables
// sortable. No network: everything loads by relative path.
(function () {
  "use strict";
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const options = { actions: false, renderer: "svg", tooltip: true };

  // A trend's page data is a list per field (value, variation, rules), one entry per month of
  // assets/national.js; SPC lines come from the chart's stats and England's series or the national
  // deciles from assets/national.js (shipped once, not on every page).
  function trendRows(chart) {
    const national = window.MSI_NATIONAL;
    const england = (national.england[chart.indicator] || {});
    const deciles = (national.deciles[chart.indicator] || {});
    const columns = chart.series;
    if (!columns.value) return [];
    return national.months.map(function (month, i) {
      const out = Object.assign({ month: month }, chart.stats);
      ["value", "variation", "rules"].forEach(function (field) {  // an empty field is left out, as before
        const v = columns[field][i];
        if (v !== null && v !== undefined && v !== "") out[field] = v;
      });
      if (chart.template === "trend_england") out.england = england[month];
      if (chart.template === "trend_deciles" && deciles[month]) {
        out.p10 = deciles[month][0]; out.p50 = deciles[month][1]; out.p90 = deciles[month][2];
      }
      return out;
    });
  }

  // A dataset sent as a list per field (the funnel band: site.py columns()) back into rows.
  function rowsOf(datasets) {
    const out = {};
    Object.keys(datasets).forEach(function (name) {
      const data = datasets[name];
      if (Array.isArray(data)) { out[name] = data; return; }
      const fields = Object.keys(data);
      const n = fields.length ? data[fields[0]].length : 0;
      out[name] = [];
      for (let i = 0; i < n; i++) {
        const row = {};
        fields.forEach(function (f) { row[f] = data[f][i]; });
        out[name].push(row);
      }
    });
    return out;
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    const chart = page.charts[el.dataset.chart];
    const spec = JSON.parse(JSON.stringify(window.MSI_TEMPLATES[chart.template]));
    spec.datasets = chart.datasets ? rowsOf(chart.datasets) : { series: trendRows(chart) };
    spec.title = { text: chart.title, subtitle: chart.subtitle, anchor: "start", fontSize: 13, subtitleFontSize: 11 };
    window.vegaEmbed(el, spec, options)
      .then(function (result) { el.vegaView = result.view; el.dataset.rendered = "true"; })  // the view: for tests
      .catch(function (err) { el.dataset.rendered = "error"; el.textContent = "Chart failed to render: " + err; console.error(err); });
  });

  // Offline search over the site's index (assets/search.js): ICBs, PCNs and practices by name, code, PCN,
  // ICB or postcode; each result says where it is.
  const input = document.getElementById("search");
  const results = document.getElementById("search-results");
  const KINDS = { icb: "ICB", pcn: "PCN", practice: "practice" };
  const LIMIT = 20;
  if (input && results && window.MSI_SEARCH) {
    const orgs = window.MSI_SEARCH.orgs.map(function (o) {
      // o[3] tells same-named orgs apart: a practice's PCN, ICB and postcode; a PCN's ICB; an ICB's region.
      return { kind: o[0], code: o[1], name: o[2], where: o[3] || "", icb: o[4] || "",
               text: (o[1] + " " + o[2] + " " + (o[3] || "")).toLowerCase() };
    });
    // The page's own ICB first (an ICB, PCN or practice page names it), then names that begin with what was
    // typed, then ICBs, PCNs and practices in that order: a practice of the ICB being read is never
    // crowded out by same-named practices elsewhere.
    const home = results.dataset.icb || "";
    const ORDER = { icb: 0, pcn: 1, practice: 2 };
    function rank(o, first) {
      return [o.icb === home && home ? 0 : 1, o.name.toLowerCase().indexOf(first) === 0 ? 0 : 1, ORDER[o.kind]];
    }
    input.addEventListener("input", function () {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      results.textContent = "";
      if (!words.length) return;
      const found = orgs.filter(function (o) { return words.every(function (w) { return o.text.indexOf(w) >= 0; }); });
      found.sort(function (a, b) {
        const x = rank(a, words[0]), y = rank(b, words[0]);
        for (let i = 0; i < x.length; i++) { if (x[i] !== y[i]) return x[i] - y[i]; }
        return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      });
      found.slice(0, LIMIT).forEach(function (o) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = results.dataset.root + o.kind + "/" + o.code + ".html";
        a.textContent = o.name + " (" + o.code + ")";
        const kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = KINDS[o.kind] + (o.where ? " · " + o.where : "");
        a.appendChild(kind);
        li.appendChild(a);
        results.appendChild(li);
      });
      if (found.length > LIMIT) {
        const li = document.createElement("li");
        li.textContent = (found.length - LIMIT) + " more: type more of the name";
        results.appendChild(li);
      }
      if (!found.length) {
        const li = document.createElement("li");
        li.textContent = "nothing matches";
        results.appendChild(li);
      }
    });
  }

  function cellValue(row, index) {
    const cell = row.cells[index];
    const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const number = parseFloat(raw);
    return raw !== "" && !isNaN(number) && isFinite(raw) ? number : raw.toLowerCase();
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        const body = table.tBodies[0];
        const ascending = th.dataset.order !== "asc";
        table.querySelectorAll("th").forEach(function (h) { delete h.dataset.order; });
        th.dataset.order = ascending ? "asc" : "desc";
        Array.from(body.rows)
          .sort(function (a, b) {
            const x = cellValue(a, index), y = cellValue(b, index);
            if (x === y) return 0;
            if (x === "") return 1;
            if (y === "") return -1;
            return (x < y ? -1 : 1) * (ascending ? 1 : -1);
          })
          .forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
