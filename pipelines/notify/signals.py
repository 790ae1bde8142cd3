"""Which of the month's results are worth an e-mail: the alert rules.

OpenPrescribing learnt that monthly alerts are read only while they stay short and new, so a line is
sent for an indicator x org (the ICB itself, or one of its practices) only when all of these hold:
1. **Concerning, in the indicator's direction.** A special-cause SPC signal of concern this month (a
   high point where lower is better, a low one where higher is better), or the value beyond England's
   99.8 % funnel limit on the worse side. Improvements, and indicators that make no judgement, never alert.
2. **New this month.** The SPC signal is new (last month's point was not special cause), or the org was
   not beyond the same funnel limit last month. A practice that stays an outlier is in the workbook and
   the report, not in every month's e-mail.
3. **Not low numbers.** Rows flagged low numbers (denominator under the indicator's threshold), patient
   counts suppressed by disclosure control, and numerators under MIN_NUMERATOR are left out.
4. **Only the subscriber's indicators**, when the subscription names some.
5. **At most MAX_LINES lines** per message, grouped by indicator (catalogue order), within each the ICB's
   own signal first and then its practices, the worst value first; the rest are counted and are on the
   workbook's Signals sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from indicators.model import Indicator
from pipelines.outputs.analysis import Analysis

MIN_NUMERATOR = 5  # OpenPrescribing drops numerators under 15 from its alerts; safety events are rarer
MAX_LINES = 20


@dataclass(frozen=True)
class Signal:
    indicator: Indicator
    org_type: str  # 'icb' | 'practice'
    org_code: str
    org_name: str
    pcn_code: str | None
    value: float
    reasons: tuple[str, ...]


def new_concerns(row: dict, ind: Indicator) -> tuple[str, ...]:
    """Rules 1-3 for one assessed row: why it alerts, or () if it does not."""
    worse = ind.worse_side
    if worse is None or row["low_numbers"] or row["suppressed"] or row["value"] is None:
        return ()
    if row["numerator"] is None or row["numerator"] < MIN_NUMERATOR:
        return ()
    reasons = []
    if row["spc"] == "concern" and row["new_signal"]:
        reasons.append(f"new special-cause variation of concern ({row['spc_rules']})")
    if row["funnel"] == worse and row.get("funnel_before") != worse:
        reasons.append(f"newly {worse} England's 99.8% funnel limit")
    return tuple(reasons)


def icb_signals(analysis: Analysis, icb: str, indicators: list[str] | None = None) -> list[Signal]:
    """Every signal of the ICB and its practices that passes rules 1-4, in the order rule 5 lists them."""
    wanted = [i for i in analysis.indicators if indicators is None or i in indicators]
    order = {ind_id: k for k, ind_id in enumerate(wanted)}
    rows = analysis.assessed.filter(
        ((analysis.assessed["org_type"] == "icb") & (analysis.assessed["org_code"] == icb))
        | ((analysis.assessed["org_type"] == "practice") & (analysis.assessed["icb_code"] == icb)))
    found = []
    for row in rows.iter_rows(named=True):
        ind = analysis.indicators.get(row["indicator_id"])
        if ind is None or ind.id not in order:
            continue
        reasons = new_concerns(row, ind)
        if reasons:
            found.append(Signal(ind, row["org_type"], row["org_code"], row["org_name"] or row["org_code"],
                                row.get("pcn_code"), row["value"], reasons))

    def key(s: Signal):
        worst_first = s.value if s.indicator.low_is_good is False else -s.value
        return (order[s.indicator.id], s.org_type != "icb", worst_first, s.org_code)

    return sorted(found, key=key)
