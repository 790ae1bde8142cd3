"""The words every output uses for the same thing (report, workbooks, CSV, e-mail), in one place: SPC and
funnel readings, number formats, which way is worse, and the link between a proxy and its patient-level
version. Directions come from the indicator model (`Indicator.direction`, `Indicator.worse_side`)."""

from __future__ import annotations

import re

from indicators.model import Indicator

# File names and links are made only from codes like these (the whole value: fullmatch, never `$`, which
# also matches before a trailing newline).
SAFE_CODE = re.compile(r"[A-Z0-9]{3,6}")
SUPPRESSED = "*"  # disclosure control: a patient count of 1-7, or suppressed so that one cannot be recovered
SPC = {"concern": "special cause: concerning", "improvement": "special cause: improving",
       "special": "special cause", "common": "common cause", "none": "no limits yet"}
FUNNEL = {"above": "above 99.8% limit", "below": "below 99.8% limit", "within": "within limits", "none": ""}
# The SPC rules (pipelines/stats/spc.py) in the words a reader knows them by, never their code names.
SPC_RULES = {"outside": "a point outside the limits", "shift": "7 points in a row on one side of the mean",
             "trend": "7 points in a row rising or falling", "two_of_three": "2 of 3 points close to a limit"}
SEVERITY = {"high": "high harm: severe harm is possible from one error or one exposure",
            "medium": "serious harm builds with continued exposure", "low": "a marker of risk across the population"}


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


# standing()'s state in one word, under a value in the England matrix (its full label is the cell's title).
STATE_WORDS = {"worse": "worse", "better": "better", "neutral": "differs", "expected": "", None: ""}


def safe_code(code) -> bool:
    return isinstance(code, str) and SAFE_CODE.fullmatch(code) is not None


def fmt(value, digits: int = 2, suppressed: bool = False) -> str:
    """A number as a reader sees it: thousands separated, `digits` decimals below 1,000; '*' if suppressed."""
    if value is None:
        return SUPPRESSED if suppressed else "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def related(ind: Indicator, indicators: dict[str, Indicator]) -> str:
    """The public-data proxies of a patient-level indicator, or the patient-level versions of a proxy."""
    if ind.grain == "patient":
        return ("public-data proxy: " + ", ".join(ind.proxy_of)) if ind.proxy_of else "no public-data proxy"
    versions = [i.id for i in indicators.values() if ind.id in i.proxy_of]
    return ("patient-level: " + ", ".join(versions)) if versions else ""


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


def no_prescribing(absent, month_label: str) -> str:
    """What every output says for an ICB the month's EPD lacks (pipelines/checks/coverage.py), instead of
    leaving it out: report page, workbook and e-mail alike."""
    return (f"No prescribing data for {month_label}: NHSBSA's file for the month has no rows for this ICB's "
            f"{absent.practices:,} practices (checked against {absent.against}). Its figures stop at the month "
            "before; check NHSBSA's publication, and run the month again when it is republished.")
