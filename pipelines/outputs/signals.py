"""The one signal model: which of the month's results are signals, which are new, how urgent each is, and the
short list to act on first. The report's pages, the workbook and the e-mail all take them from here, so the
same ICB and month give the same list, in the same order, everywhere.

A **signal** is an indicator x org (the ICB itself, or one of its practices) in a month that is
* **concerning in the indicator's direction**: a special-cause SPC signal of concern (a high point where
  lower is better), or the value beyond England's 99.8 % funnel limit on the worse side; or, for an
  indicator where any item is worth a review (`signal_on_any_item`: methotrexate 10 mg tablets), any item.
  Improvements, and indicators that make no judgement, are never signals;
* **not low numbers**: rows flagged low numbers, patient counts suppressed by disclosure control and
  numerators under MIN_NUMERATOR are left out - except for high-harm indicators (`severity: high`) and
  any-item ones, where one patient is enough to matter.
The same test is applied to each of the last HISTORY months (that month's SPC reading, England's funnel
limits of that month), which gives
* **persistence**: in how many of the last six months (this one included) it was a signal; and
* **new**: a signal this month that was none in any of the NEW_AFTER months before (a practice that issued
  methotrexate 10 mg three months ago and again now is not new; one that never did, or not for three
  months, is).

**Priority** (the order of every list, and the short list) = harm weight x size x persistence factor:
* harm weight: HARM_WEIGHT by the indicator's tier (high 9, medium 3, low 1), each tier's reason stated in the
  indicator's definition (`harm_reason`);
* size: the **excess** - items or patients over what England's rate this month would give at the org's own
  denominator (its list size, or its items of the wider group); for an any-item indicator every item is
  excess (the right number is none);
* persistence factor: 1 + (months a signal in the last six) / 6, from 1.17 (this month only) to 2 (all six).
A practice issuing 46 methotrexate 10 mg items in each of six months scores 9 x 46 x 2 = 828; one issuing 2
items this month only 9 x 2 x 1.17 = 21; a valproate practice 12 items over England's rate, beyond the
limit for 2 months, 9 x 12 x 1.33 = 144. Signals whose size is not counted in items or patients (total OME
in mg, the NSAID gastroprotection ratio of ADQs), or whose excess is under one item or patient, rank after
every counted one, by harm and persistence; they stay on the Signals sheet and the pages' tables.

The **short list** ("act on first"): an ICB's practices' signals with an excess of at least one, one line per
practice and concern, highest priority first, SHORT_LIST of them: the practice with the largest excess of
every high-harm concern first (its biggest methotrexate 10 mg prescriber is always on it), then the rest by
priority, at most PER_CONCERN from any one concern (so that one concern cannot fill the list). The ICB page, the
workbook's first sheet and the e-mail open with it; PCN pages with their practices' signals in the same order;
practice pages with their own, continuing ones included.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from indicators.model import Indicator
from pipelines.outputs.analysis import Analysis, _funnel
from pipelines.outputs.wording import rules_in_words

MIN_NUMERATOR = 5  # OpenPrescribing drops numerators under 15 from its alerts; safety events are rarer
NEW, CONTINUING = "new this month", "continuing"
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
HARM_WEIGHT = {"high": 27, "medium": 3, "low": 1}
HISTORY = 6  # months looked back for persistence, this one included
NEW_AFTER = 3  # months off the list before a signal counts as new again
SHORT_LIST = 12  # "act on first": the ICB page, the workbook's first sheet and the e-mail
PER_CONCERN = 4  # at most this many of the short list from any one concern (methotrexate, valproate ...)
# Said wherever a short list is shown (README: a worked example).
PRIORITY_RULE = (
    f"Priority = harm (high x{HARM_WEIGHT['high']}, medium x{HARM_WEIGHT['medium']}, low "
    f"x{HARM_WEIGHT['low']}) x the excess in items or patients over England's rate x (1 + months a "
    f"signal in the last {HISTORY} / {HISTORY}); each high-harm concern's practice with the largest excess is "
    f"always listed, and at most {PER_CONCERN} lines come from one concern."
)
COUNTED = {"items": "items", "patients": "patients", "expected_co_exposure": "expected co-exposed patients"}


@dataclass(frozen=True)
class Signal:
    indicator: Indicator
    org_type: str  # 'icb' | 'practice'
    org_code: str
    org_name: str
    pcn_code: str | None
    value: float
    numerator: float | None
    status: str  # NEW or CONTINUING
    reasons: tuple[str, ...]
    months_on: int = 1  # months a signal in the last HISTORY, this one included
    months_seen: int = 1  # of those, months the org had a value (a new practice has fewer)
    excess: float | None = None  # items or patients over England's rate at this denominator (None: not counted)
    expected: float | None = None  # what England's rate would give here
    england_value: float | None = None
    priority: float = 0.0

    @property
    def new(self) -> bool:
        return self.status == NEW

    @property
    def excess_unit(self) -> str | None:
        """What the excess counts ('items', 'patients', ...), or None where it is not items or patients."""
        measure = "patients" if self.indicator.grain == "patient" else self.indicator.numerator.measure
        return COUNTED.get(measure)

    @property
    def counted(self) -> bool:
        """A size in items or patients of at least one: eligible for the short list."""
        return self.excess_unit is not None and self.excess is not None and self.excess >= 1

    @property
    def persistence_words(self) -> str:
        if self.new:
            return f"new this month (none in the {NEW_AFTER} months before)"
        return f"{self.months_on} of the last {HISTORY} months"


def small_numbers(row: dict) -> bool:
    return bool(row["low_numbers"] or row["suppressed"] or row["numerator"] is None or row["numerator"] < MIN_NUMERATOR)


def concerning(row: dict, ind: Indicator) -> tuple[str, ...]:
    """Why a row (of any month: value, numerator, low numbers, suppressed, spc, spc_rules, funnel) is a signal,
    in words; empty when it is none."""
    worse = ind.worse_side
    if worse is None or row.get("value") is None:
        return ()
    if small_numbers(row) and not (ind.severity == "high" or ind.signal_on_any_item):
        return ()
    reasons = []
    if row.get("spc") == "concern":
        words = rules_in_words(row.get("spc_rules"))
        reasons.append("special-cause variation of concern" + (f" ({words})" if words else ""))
    if row.get("funnel") == worse:
        reasons.append(f"{worse} England's 99.8% funnel limit")
    if ind.signal_on_any_item and (row.get("numerator") or 0) > 0:
        reasons.append("issued this month: review each patient")
    return tuple(reasons)


def excess_over_england(ind: Indicator, row: dict, england: dict | None) -> tuple[float | None, float | None]:
    """(excess, expected): the org's numerator over (under, where higher is better) what England's rate
    would give at its denominator; every item of an any-item indicator is excess."""
    numerator = row.get("numerator")
    if numerator is None:
        return None, None
    if ind.signal_on_any_item:
        return float(numerator), 0.0
    if not (england and england.get("denominator") and england.get("numerator") is not None and row.get("denominator")):
        return None, None
    expected = england["numerator"] / england["denominator"] * row["denominator"]
    return (numerator - expected if ind.low_is_good else expected - numerator), expected


def priority(ind: Indicator, excess: float | None, months_on: int, counted: bool) -> float:
    """Harm weight x excess x (1 + months on / 6) for a counted size; otherwise harm x persistence only,
    below every counted signal (negative, so that it sorts after them)."""
    factor = 1 + months_on / HISTORY
    if counted and excess is not None:
        return HARM_WEIGHT[ind.severity] * excess * factor
    return -1.0 / (HARM_WEIGHT[ind.severity] * factor)


class _History:
    """Each candidate's last HISTORY months as the signal test needs them: its rows, England's rows of the
    same months, and its SPC reading of each month."""

    def __init__(self, analysis: Analysis, keys: list[tuple[str, str, str]]):
        self.a = analysis
        end = analysis.months.index(analysis.month) + 1
        self.months = analysis.months[max(0, end - HISTORY) : end]
        self.rows: dict[tuple, dict[str, dict]] = {}
        self.england: dict[tuple[str, str], dict] = {}
        if not keys:
            return
        wanted = pl.DataFrame(keys, schema=["indicator_id", "org_type", "org_code"], orient="row")
        recent = analysis.values.filter(pl.col("month").is_in(self.months))
        for r in recent.join(wanted, on=["indicator_id", "org_type", "org_code"], how="semi").iter_rows(named=True):
            self.rows.setdefault((r["indicator_id"], r["org_type"], r["org_code"]), {})[r["month"]] = r
        for r in recent.filter(pl.col("org_type") == "england").iter_rows(named=True):
            self.england[(r["indicator_id"], r["month"])] = r

    def flags(self, key: tuple, ind: Indicator) -> list[bool | None]:
        """For each of the months, oldest first: a signal then (True/False), or None with no value."""
        rows, series = self.rows.get(key, {}), self.a.series.get(key)
        out: list[bool | None] = []
        for month in self.months:
            row = rows.get(month)
            if row is None or row.get("value") is None:
                out.append(None)
                continue
            index = self.a.months.index(month)
            spc = series["chart"].variation[index] if series else "none"
            rules = ", ".join(sorted(series["chart"].rules[index])) if series else ""
            funnel = _funnel(
                ind,
                key[1],
                row,
                {ind.id: self.england.get((ind.id, month))} if self.england.get((ind.id, month)) else {},
            )
            out.append(bool(concerning({**row, "spc": spc, "spc_rules": rules, "funnel": funnel}, ind)))
        return out


def signals_by_icb(analysis: Analysis, indicators: list[str] | None = None) -> dict[str, list[Signal]]:
    """Every ICB's signals (its own and its practices', of `indicators` if given), highest priority first.
    Computed once per analysis (the workbooks, the site and the e-mail share it), before the writers fork."""
    every = analysis.__dict__.get("_signals")
    if every is None:
        every = analysis.__dict__["_signals"] = _signals_by_icb(analysis)
    if indicators is None:
        return every
    return {icb: kept for icb, found in every.items() if (kept := [s for s in found if s.indicator.id in indicators])}


def _signals_by_icb(analysis: Analysis) -> dict[str, list[Signal]]:
    order = {ind_id: k for k, ind_id in enumerate(analysis.indicators)}
    candidates = []
    for row in analysis.assessed.filter(pl.col("org_type").is_in(["icb", "practice"])).iter_rows(named=True):
        ind = analysis.indicators.get(row["indicator_id"])
        icb = row["org_code"] if row["org_type"] == "icb" else row["icb_code"]
        if ind is None or not icb:
            continue
        reasons = concerning(row, ind)
        if reasons:
            candidates.append((icb, ind, row, reasons))
    history = _History(analysis, [(ind.id, row["org_type"], row["org_code"]) for _, ind, row, _ in candidates])
    out: dict[str, list[Signal]] = {}
    for icb, ind, row, reasons in candidates:
        flags = history.flags((ind.id, row["org_type"], row["org_code"]), ind)
        flags[-1] = True  # this month, as assessed (the same test; its SPC reading is the chart's last)
        before = flags[-1 - NEW_AFTER : -1]
        england = analysis.england.get(ind.id)
        excess, expected = excess_over_england(ind, row, england)
        signal = Signal(
            ind,
            row["org_type"],
            row["org_code"],
            row["org_name"] or row["org_code"],
            row.get("pcn_code"),
            row["value"],
            row["numerator"],
            CONTINUING if any(before) else NEW,
            reasons,
            months_on=sum(1 for f in flags if f),
            months_seen=sum(1 for f in flags if f is not None),
            excess=excess,
            expected=expected,
            england_value=(england or {}).get("value"),
        )
        out.setdefault(icb, []).append(
            replace(signal, priority=priority(ind, excess, signal.months_on, signal.counted))
        )

    def key(s: Signal):
        worst_first = s.value if s.indicator.low_is_good is False else -s.value
        return (
            s.org_type != "icb",
            -s.priority,
            SEVERITY_RANK[s.indicator.severity],
            order[s.indicator.id],
            worst_first,
            s.org_code,
        )

    return {icb: sorted(found, key=key) for icb, found in out.items()}


def icb_signals(analysis: Analysis, icb: str, indicators: list[str] | None = None) -> list[Signal]:
    """Every signal of the ICB and its practices (of `indicators`, if given), highest priority first."""
    return signals_by_icb(analysis, indicators).get(icb, [])


def act_on_first(signals: list[Signal], size: int | None = SHORT_LIST) -> list[Signal]:
    """The short list: practices' signals counted in items or patients (excess at least one), one line per
    practice and concern (its highest-priority indicator). First, for every high-harm concern the ICB has a
    signal in, the practice with the largest excess (so its biggest methotrexate 10 mg prescriber is always
    there), then the rest by priority, at most PER_CONCERN from one concern; shown highest priority first.
    `size` None: every line, without the caps (a PCN's or a practice's page)."""
    lines, seen = [], set()
    for s in sorted((s for s in signals if s.org_type == "practice" and s.counted), key=lambda s: -s.priority):
        if (s.org_code, s.indicator.concern) not in seen:
            seen.add((s.org_code, s.indicator.concern))
            lines.append(s)
    if size is None:
        return lines
    chosen: list[Signal] = []
    per_concern: dict[str, int] = {}
    for s in sorted(lines, key=lambda s: (-(s.excess or 0.0), -s.priority)):  # each high-harm concern's biggest excess
        if s.indicator.severity == "high" and s.indicator.concern not in per_concern and len(chosen) < size:
            chosen.append(s)
            per_concern[s.indicator.concern] = 1
    for s in lines:
        if len(chosen) == size:
            break
        if s not in chosen and per_concern.get(s.indicator.concern, 0) < PER_CONCERN:
            chosen.append(s)
            per_concern[s.indicator.concern] = per_concern.get(s.indicator.concern, 0) + 1
    return sorted(chosen, key=lambda s: -s.priority)


def new_only(signals: list[Signal]) -> list[Signal]:
    return [s for s in signals if s.new]


def count_words(signals: list[Signal]) -> str:
    """'3 new concerning signals (1 high harm)' - the count every place shows for an ICB and month."""
    new = new_only(signals)
    high = sum(1 for s in new if s.indicator.severity == "high")
    return f"{len(new)} new concerning signal{'s' if len(new) != 1 else ''}" + (f" ({high} high harm)" if high else "")


# The month's signals as the outputs computed them, next to the workbooks (extracts/<month>/signals.json):
# `msi notify` and the e-mail asset read them instead of assessing every series again, and so send exactly
# the list the workbook and the report page show.
SIGNALS_FILE = "signals.json"
_FIELDS = (
    "org_type",
    "org_code",
    "org_name",
    "pcn_code",
    "value",
    "numerator",
    "status",
    "months_on",
    "months_seen",
    "excess",
    "expected",
    "england_value",
    "priority",
)


def signals_document(analysis: Analysis) -> dict:
    """What an e-mail needs of the month, as plain data: every ICB's signals in order, the ICBs' and PCNs' names,
    and whether the month is synthetic."""
    return {
        "month": analysis.month,
        "synthetic": analysis.synthetic,
        "icbs": {r["org_code"]: r["org_name"] for r in analysis.latest("icb").iter_rows(named=True)},
        "pcns": {r["org_code"]: r["org_name"] for r in analysis.latest("pcn").iter_rows(named=True)},
        "signals": {
            icb: [
                {"indicator_id": s.indicator.id, "reasons": list(s.reasons), **{f: getattr(s, f) for f in _FIELDS}}
                for s in found
            ]
            for icb, found in signals_by_icb(analysis).items()
        },
    }


def signals_from_document(document: dict, indicators: dict[str, Indicator]) -> dict[str, list[Signal]]:
    """The Signal objects back from signals_document's data (indicators by id from the catalogue)."""
    return {
        icb: [
            Signal(indicator=indicators[s["indicator_id"]], reasons=tuple(s["reasons"]), **{f: s[f] for f in _FIELDS})
            for s in found
        ]
        for icb, found in document["signals"].items()
    }
