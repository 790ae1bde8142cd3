"""The words every output uses for the same thing (report, workbooks, CSV, e-mail), in one place: SPC and
funnel readings, number formats, which way is worse, and the link between a proxy and its patient-level
version. Directions come from the indicator model (`Indicator.direction`, `Indicator.worse_side`)."""

from __future__ import annotations

import re
from functools import cache

from indicators.model import Indicator

# File names and links are made only from codes like these (the whole value: fullmatch, never `$`, which
# also matches before a trailing newline).
SAFE_CODE = re.compile(r"[A-Z0-9]{3,6}")
SUPPRESSED = "*"  # disclosure control: a patient count of 1-7, or suppressed so that one cannot be recovered
SPC = {
    "concern": "special cause: concerning",
    "improvement": "special cause: improving",
    "special": "special cause",
    "common": "common cause",
    "none": "no limits yet",
}
FUNNEL = {"above": "above 99.8% limit", "below": "below 99.8% limit", "within": "within limits", "none": ""}
# The SPC rules (pipelines/stats/spc.py) in the words a reader knows them by, never their code names.
SPC_RULES = {
    "outside": "a point outside the limits",
    "shift": "7 points in a row on one side of the mean",
    "trend": "7 points in a row rising or falling",
    "two_of_three": "2 of 3 points close to a limit",
}
SEVERITY = {
    "high": "high harm: severe harm is possible from one error or one exposure",
    "medium": "serious harm builds with continued exposure",
    "low": "a marker of risk across the population",
}


@cache  # a handful of distinct rule lists, asked for on every row of every workbook
def rules_in_words(rules: str | None) -> str:
    """'outside, two_of_three' -> 'a point outside the limits; 2 of 3 points close to a limit'."""
    return "; ".join(SPC_RULES.get(r.strip(), r.strip()) for r in (rules or "").split(",") if r.strip())


def fmt_value(ind: Indicator, value, suppressed: bool = False) -> str:
    """An indicator's value as shown: a count as a whole number, a rate as fmt() gives it."""
    if value is not None and ind.unit == "count":
        return f"{value:,.0f}"
    return fmt(value, suppressed=suppressed)


def amount(value, suppressed: bool = False) -> str:
    """A numerator or denominator as shown: a whole number (items, patients) without decimals, else 1 decimal."""
    if value is not None and float(value).is_integer():
        return f"{value:,.0f}"
    return fmt(value, 1, suppressed=suppressed)


def safe_code(code) -> bool:
    return isinstance(code, str) and SAFE_CODE.fullmatch(code) is not None


def fmt(value, digits: int = 2, suppressed: bool = False) -> str:
    """A number as a reader sees it: thousands separated, `digits` decimals below 1,000, and below 0.1 three
    significant figures (0.0512, not 0.05: small rates must still tell orgs apart); '*' if suppressed."""
    if value is None:
        return SUPPRESSED if suppressed else "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if 0 < abs(value) < 0.1 and digits >= 2:
        return f"{value:.3g}"
    return f"{value:,.{digits}f}"


class Shown:
    """fmt(value, digits) remembered per value, for the many repeats of a national month (each practice's product
    lines: ~0.5 M lines with a few thousand distinct amounts). Zero is not remembered: 0.0 and -0.0 are equal
    keys but fmt shows them apart."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.seen: dict = {}

    def __call__(self, value) -> str:
        text = self.seen.get(value)
        if text is None:
            text = fmt(value, self.digits)
            if value is None or value != 0:
                self.seen[value] = text
        return text


def related(ind: Indicator, indicators: dict[str, Indicator]) -> str:
    """The public-data proxies of a patient-level indicator, or the patient-level versions of a proxy."""
    if ind.grain == "patient":
        return ("public-data proxy: " + ", ".join(ind.proxy_of)) if ind.proxy_of else "no public-data proxy"
    versions = [i.id for i in indicators.values() if ind.id in i.proxy_of]
    return ("patient-level: " + ", ".join(versions)) if versions else ""


def worst_first(ind: Indicator, rows: list[dict]) -> list[dict]:
    """Rows with the worst value first (highest where lower is better or no judgement is made), no value last."""
    sign = 1 if ind.low_is_good is False else -1
    return sorted(
        rows, key=lambda r: (r["value"] is None, sign * (r["value"] or 0), r.get("org_code") or r.get("code") or "")
    )


def position(ind: Indicator, row: dict) -> tuple[str, str]:
    """Where an org stands against England this month (the 99.8 % funnel), one mark of two: 'worse' or
    'better' (beyond the limit on that side of the indicator's direction), 'neutral' (beyond a limit where
    the indicator makes no judgement), 'within', or 'none' (no funnel). Never the SPC reading: see variation()."""
    funnel = row.get("funnel")
    if funnel not in ("above", "below"):
        return ("within", "within England's 99.8% limits") if funnel == "within" else ("none", "")
    words = f"{funnel} England's 99.8% limit"
    if ind.worse_side is None:
        return "neutral", f"{words} (the indicator makes no judgement)"
    return (
        ("worse", f"{words}: worse than England")
        if funnel == ind.worse_side
        else ("better", f"{words}: better than England")
    )


# NHS England's Making Data Count variation icons, in words: (class, words); the letter is H or L, the side of
# the mean the special cause is on.
VARIATION = {
    "concern": "special cause variation — concerning",
    "improvement": "special cause variation — improving",
    "special": "special cause variation — neither better nor worse",
    "common": "common cause variation",
    "none": "too few months for SPC limits",
}


def variation(ind: Indicator, row: dict) -> tuple[str, str, str]:
    """The org's own variation over time (SPC, Making Data Count), the other mark: (state, H/L letter, words).
    An improving trend is 'improving', whatever its level against England (that is position())."""
    state = row.get("spc") or "none"
    if state not in VARIATION:
        state = "none"
    letter = ""
    if (
        state in ("concern", "improvement", "special")
        and row.get("value") is not None
        and row.get("spc_mean") is not None
    ):
        letter = "H" if row["value"] >= row["spc_mean"] else "L"
    words = VARIATION[state] + (f" ({'high' if letter == 'H' else 'low'})" if letter else "")
    return state, letter, words


def standing(ind: Indicator, row: dict) -> tuple[str, str]:
    """(state, label) for a list of where an org stands apart: the position's state when it is beyond a limit,
    else 'concern' or 'improving' from the variation; the label gives both marks in their own words."""
    where, where_words = position(ind, row)
    how, _, how_words = variation(ind, row)
    if where in ("worse", "better", "neutral"):
        state = where
    elif how in ("concern", "improvement", "special"):
        state = {"concern": "concern", "improvement": "improving", "special": "neutral"}[how]
    else:
        return "expected", "as expected" if where != "none" or how != "none" else "no limits"
    label = "; ".join(
        w
        for w in (
            where_words if where in ("worse", "better", "neutral") else "",
            how_words if how in ("concern", "improvement", "special") else "",
        )
        if w
    )
    return state, label


def no_prescribing(absent, month_label: str) -> str:
    """What every output says for an ICB the month's EPD lacks (pipelines/verdicts/coverage.py), instead of
    leaving it out: report page, workbook and e-mail alike."""
    return (
        f"No prescribing data for {month_label}: NHSBSA's file for the month has no rows for this ICB's "
        f"{absent.practices:,} practices (checked against {absent.against}). Its figures stop at the month "
        "before; check NHSBSA's publication, and run the month again when it is republished."
    )


HARM_WORDS = {"high": "high harm", "medium": "medium harm", "low": "low harm"}


def act_first_entry(s, pcn_name: str | None) -> dict[str, str]:
    """One line of the short list ("act on first", pipelines/outputs/signals.py) in words, the same in the
    report, the workbook and the e-mail: who (with PCN), what, the value against England, the excess in items
    or patients, for how long, what to do and why it ranks where it does."""
    ind = s.indicator
    about = "about " if ind.grain == "patient" else ""  # published patient counts are rounded to 5
    excess = f"{s.excess:,.0f}"
    unit = s.excess_unit if excess != "1" else s.excess_unit.removesuffix("s")
    if ind.signal_on_any_item:
        shown = fmt_value(ind, s.value)
        against = (
            f"{shown} {ind.unit_label if shown != '1' else ind.unit_label.removesuffix('s')} (the right number is none)"
        )
        size = f"{excess} {unit}, every one to review" if excess != "1" else f"1 {unit}, to review"
    else:
        against = f"{fmt_value(ind, s.value)} {ind.unit_label}, England {fmt_value(ind, s.england_value)}"
        size = f"{about}{excess} {unit} more than England's rate would give"
    return {
        "practice": s.org_name,
        "code": s.org_code,
        "pcn": pcn_name or "in no PCN",
        "who": f"{s.org_name} ({s.org_code}; {pcn_name or 'in no PCN'})",
        "indicator": ind.title,
        "short_title": ind.short_title,
        "indicator_id": ind.id,
        "harm": HARM_WORDS[ind.severity],
        "against": against,
        "excess": size,
        "how_long": s.persistence_words,
        "action": ind.action,
        "why": ind.harm_reason,
        "priority": f"{s.priority:,.0f}",
    }


# Outputs made from the built-in sample say so on every page, workbook and e-mail (Analysis.synthetic).
SYNTHETIC_TAG = "[SYNTHETIC SAMPLE] "
SYNTHETIC = (
    "SYNTHETIC SAMPLE DATA — made by msi's built-in generator for trying the pipeline, not NHS "
    "prescribing: the organisations' names are real, the numbers are not."
)
