"""Vega-Lite chart templates, built once per site with Altair over *named* datasets.

Pages carry only their data; the browser fills each template's `datasets` and renders it with the
Vega bundle shipped once in the site folder. Building an Altair chart per page would cost a few
milliseconds times tens of thousands of charts; this costs nothing per page.

Colours are Okabe-Ito (colour-blind safe): orange = special cause, concerning; blue = special cause,
improving; grey = common cause; black = the org; dashed = England.
"""

from __future__ import annotations

import altair as alt

CONCERN, IMPROVE, SPECIAL, COMMON, ORG, ENGLAND, BAND = (
    "#E69F00",
    "#0072B2",
    "#CC79A7",
    "#999999",
    "#222222",
    "#009E73",
    "#56B4E9",
)
VARIATION_SCALE = alt.Scale(
    domain=["concern", "improvement", "special", "common", "none"], range=[CONCERN, IMPROVE, SPECIAL, COMMON, "#DDDDDD"]
)
FUNNEL_SCALE = alt.Scale(domain=["above", "below", "within", "none"], range=[CONCERN, IMPROVE, COMMON, "#DDDDDD"])
# Charts take the width of their container (the page's grid cell), so they fill the page at any size.
WIDTH, HEIGHT = "container", 240


def _month():
    # One tick a month (a continuous time axis would otherwise tick at half-months and repeat labels).
    return alt.X(
        "month:T",
        title=None,
        axis=alt.Axis(format="%b %Y", labelAngle=-30, labelOverlap=True, tickCount={"interval": "month", "step": 1}),
    )


def trend_template(with_england: bool, with_deciles: bool) -> dict:
    """The org's monthly values with SPC centre line and process limits, points coloured by variation;
    optionally England's line and the national decile band (10th-90th percentile, median dashed)."""
    base = alt.Chart(alt.NamedData("series")).encode(x=_month())
    layers = []
    if with_deciles:
        layers += [
            base.mark_area(opacity=0.18, color=BAND).encode(y=alt.Y("p10:Q"), y2="p90:Q"),
            base.mark_line(color=BAND, strokeDash=[2, 2]).encode(y="p50:Q"),
        ]
    layers += [
        base.mark_line(color=COMMON, strokeDash=[6, 3]).encode(y="upper:Q"),
        base.mark_line(color=COMMON, strokeDash=[6, 3]).encode(y="lower:Q"),
        base.mark_line(color=COMMON).encode(y="mean:Q"),
    ]
    if with_england:
        layers.append(base.mark_line(color=ENGLAND, strokeDash=[4, 2]).encode(y="england:Q"))
    tooltip = [
        alt.Tooltip("month:T", format="%B %Y"),
        alt.Tooltip("value:Q", format=",.3~f"),
        alt.Tooltip("variation:N", title="SPC"),
        alt.Tooltip("rules:N", title="rules"),
    ]
    layers += [
        base.mark_line(color=ORG).encode(y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False))),
        base.mark_point(filled=True, size=60).encode(
            y="value:Q",
            color=alt.Color("variation:N", scale=VARIATION_SCALE, legend=alt.Legend(title="SPC")),
            tooltip=tooltip,
        ),
    ]
    return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT).to_dict()


def funnel_template() -> dict:
    """Orgs by denominator and value, coloured by their funnel flag, inside 95 % and 99.8 % limits."""
    # Axes on the data's range: a log axis "nice"-rounded to whole decades was up to two decades wider than
    # the data (ICB list sizes span 0.5-3 million), and a value axis from zero squashed the points together.
    x_scale = alt.Scale(type="log", nice=False)
    y_scale = alt.Scale(zero=False, nice=False)
    band = alt.Chart(alt.NamedData("band")).encode(x=alt.X("denominator:Q", scale=x_scale, title="denominator"))
    points = (
        alt.Chart(alt.NamedData("points"))
        .mark_circle(size=40, opacity=0.8)
        .encode(
            x=alt.X("denominator:Q", scale=x_scale),
            y=alt.Y("value:Q", title=None, scale=y_scale),
            color=alt.Color("funnel:N", scale=FUNNEL_SCALE, legend=alt.Legend(title="99.8% limits")),
            href="href:N",
            tooltip=[
                alt.Tooltip("name:N"),
                alt.Tooltip("code:N"),
                alt.Tooltip("value:Q", format=",.3~f"),
                alt.Tooltip("denominator:Q", format=",.0f"),
                alt.Tooltip("funnel:N"),
            ],
        )
    )
    return (
        alt.layer(
            band.mark_line(color=COMMON, strokeDash=[2, 2]).encode(y=alt.Y("lo95:Q", scale=y_scale)),
            band.mark_line(color=COMMON, strokeDash=[2, 2]).encode(y="hi95:Q"),
            band.mark_line(color=COMMON).encode(y="lo998:Q"),
            band.mark_line(color=COMMON).encode(y="hi998:Q"),
            band.mark_line(color=ENGLAND).encode(y="centre:Q"),
            points,
        )
        .properties(width=WIDTH, height=HEIGHT)
        .to_dict()
    )


def ranked_template() -> dict:
    """Orgs ranked by value, worst first (for indicators without a funnel: OME, ratios, co-exposure, counts):
    horizontal bars labelled with rank, name and code, so that the labels stay readable; site.py sends at
    most RANKED_BARS of them and the table below the chart lists every org."""
    return (
        alt.Chart(alt.NamedData("points"))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("value:Q", title=None),
            color=alt.value(COMMON),
            href="href:N",
            tooltip=[alt.Tooltip("name:N"), alt.Tooltip("code:N"), alt.Tooltip("value:Q", format=",.3~f")],
        )
        .properties(width=WIDTH, height=alt.Step(16))
        .to_dict()
    )


def pareto_template() -> dict:
    """Practices with the largest excess over the England rate, and the cumulative share of the excess."""
    base = alt.Chart(alt.NamedData("pareto")).encode(
        x=alt.X("code:N", sort=None, title=None, axis=alt.Axis(labelAngle=-60))
    )
    bars = base.mark_bar(color=CONCERN).encode(
        y=alt.Y("excess:Q", title="excess over England rate"),
        href="href:N",
        tooltip=[
            alt.Tooltip("name:N"),
            alt.Tooltip("excess:Q", format=",.1f"),
            alt.Tooltip("cumulative:Q", format=".0%", title="cumulative share"),
        ],
    )
    line = base.mark_line(color=ORG, point=True).encode(
        y=alt.Y("cumulative:Q", axis=alt.Axis(format="%", title="cumulative share of excess"))
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(width=WIDTH, height=HEIGHT).to_dict()


def templates() -> dict[str, dict]:
    return {
        "trend": trend_template(with_england=False, with_deciles=False),
        "trend_england": trend_template(with_england=True, with_deciles=False),
        "trend_deciles": trend_template(with_england=False, with_deciles=True),
        "funnel": funnel_template(),
        "ranked": ranked_template(),
        "pareto": pareto_template(),
    }
