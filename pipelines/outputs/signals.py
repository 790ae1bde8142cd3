"""The one signal model: which of the month's results are signals, which of them are new, why (in words),
and in what order. The report's ICB page, the workbook's Signals sheet and the e-mail all take their
signals from here, so the same ICB and month give the same count everywhere.

A signal is an indicator x org (the ICB itself, or one of its practices) this month that is
* **concerning in the indicator's direction**: a special-cause SPC signal of concern (a high point where
  lower is better), or the value beyond England's 99.8 % funnel limit on the worse side; or, for an
  indicator where any item is worth a review (`signal_on_any_item`: methotrexate 10 mg tablets), any item.
  Improvements, and indicators that make no judgement, are never signals;
* **not low numbers**: rows flagged low numbers, patient counts suppressed by disclosure control and
  numerators under MIN_NUMERATOR are left out - except for high-harm indicators (`severity: high`) and
  any-item ones, where one patient is enough to matter.

It is **new** when it was not there last month: the SPC signal is new, or the org was not beyond the same
funnel limit, or (any item) the practice issued none last month. A new signal is what the e-mail sends
and counts; continuing ones stay on the Signals sheet and the report page.

Order, harm first: severity (high, medium, low), then the catalogue's order, the ICB's own line before its
practices, the worst value first.
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators.model import Indicator
from pipelines.outputs.analysis import Analysis
from pipelines.outputs.wording import rules_in_words

MIN_NUMERATOR = 5  # OpenPrescribing drops numerators under 15 from its alerts; safety events are rarer
NEW, CONTINUING = "new this month", "continuing"
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


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

    @property
    def new(self) -> bool:
        return self.status == NEW


def small_numbers(row: dict) -> bool:
    return bool(row["low_numbers"] or row["suppressed"] or row["numerator"] is None or row["numerator"] < MIN_NUMERATOR)


def assess(row: dict, ind: Indicator) -> tuple[str, tuple[str, ...]] | None:
    """(status, reasons) for one assessed row, or None when it is no signal."""
    worse = ind.worse_side
    if worse is None or row["value"] is None:
        return None
    if small_numbers(row) and not (ind.severity == "high" or ind.signal_on_any_item):
        return None
    reasons, new = [], False
    if row["spc"] == "concern":
        words = rules_in_words(row["spc_rules"])
        reasons.append(("new " if row["new_signal"] else "") + "special-cause variation of concern"
                       + (f" ({words})" if words else ""))
        new = new or bool(row["new_signal"])
    if row["funnel"] == worse:
        before = row.get("funnel_before") != worse
        reasons.append(("newly " if before else "") + f"{worse} England's 99.8% funnel limit")
        new = new or before
    if ind.signal_on_any_item and (row["numerator"] or 0) > 0:
        first = not row.get("numerator_before")
        reasons.append(("issued this month, none last month" if first else "issued again this month")
                       + ": review each patient")
        new = new or first
    if not reasons:
        return None
    return (NEW if new else CONTINUING), tuple(reasons)


def signals_by_icb(analysis: Analysis, indicators: list[str] | None = None) -> dict[str, list[Signal]]:
    """Every ICB's signals (its own and its practices', of `indicators` if given), harm first: one pass over
    the assessed rows, so the outputs compute them once before their writers fork."""
    wanted = [i for i in analysis.indicators if indicators is None or i in indicators]
    order = {ind_id: k for k, ind_id in enumerate(wanted)}
    out: dict[str, list[Signal]] = {}
    for row in analysis.assessed.filter(analysis.assessed["org_type"].is_in(["icb", "practice"])).iter_rows(named=True):
        ind = analysis.indicators.get(row["indicator_id"])
        icb = row["org_code"] if row["org_type"] == "icb" else row["icb_code"]
        if ind is None or ind.id not in order or not icb:
            continue
        verdict = assess(row, ind)
        if verdict:
            out.setdefault(icb, []).append(Signal(ind, row["org_type"], row["org_code"], row["org_name"] or row["org_code"],
                                                  row.get("pcn_code"), row["value"], row["numerator"], *verdict))

    def key(s: Signal):
        worst_first = s.value if s.indicator.low_is_good is False else -s.value
        return (SEVERITY_RANK[s.indicator.severity], order[s.indicator.id], s.org_type != "icb", worst_first, s.org_code)

    return {icb: sorted(found, key=key) for icb, found in out.items()}


def icb_signals(analysis: Analysis, icb: str, indicators: list[str] | None = None) -> list[Signal]:
    """Every signal of the ICB and its practices (of `indicators`, if given), harm first."""
    return signals_by_icb(analysis, indicators).get(icb, [])


def new_only(signals: list[Signal]) -> list[Signal]:
    return [s for s in signals if s.new]


def count_words(signals: list[Signal]) -> str:
    """'3 new concerning signals (1 high harm)' - the count every place shows for an ICB and month."""
    new = new_only(signals)
    high = sum(1 for s in new if s.indicator.severity == "high")
    return (f"{len(new)} new concerning signal{'s' if len(new) != 1 else ''}"
            + (f" ({high} high harm)" if high else ""))
