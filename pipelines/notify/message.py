"""The signals e-mail for one ICB: plain text grouped by indicator then practice, a link to the ICB's
report page, and the ICB's workbook attached."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipelines.notify.signals import MAX_LINES, MIN_NUMERATOR, Signal
from pipelines.organisations.names import short_icb_name

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _value(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"


def body_text(icb: str, icb_name: str, month_label: str, signals: list[Signal], report_link: str,
              workbook: str | None, filtered: list[str] | None) -> str:
    shown = signals[:MAX_LINES]
    lines = [f"Medication safety indicators — {icb_name} ({icb})", f"Data month: {month_label}", ""]
    if signals:
        lines.append(f"{len(signals)} new signal{'s' if len(signals) != 1 else ''} this month: new special-cause "
                     "variation of concern, or newly beyond England's 99.8% funnel limit on the worse side.")
    else:
        lines.append("No new signals this month: nothing newly concerning in this ICB or its practices.")
    lines.append(f"Left out: improvements, signals already there last month, low numbers and numerators under "
                 f"{MIN_NUMERATOR}.")
    if filtered:
        lines.append(f"Indicators you subscribed to: {', '.join(filtered)}.")
    current = None
    for s in shown:
        if s.indicator.id != current:
            current = s.indicator.id
            count = sum(1 for x in signals if x.indicator.id == current)
            lines += ["", f"{s.indicator.title} ({s.indicator.direction}, {s.indicator.unit_label}) — {count}"]
        who = "the ICB as a whole" if s.org_type == "icb" else f"{s.org_name} ({s.org_code}" + (
            f", PCN {s.pcn_code})" if s.pcn_code else ")")
        lines.append(f"  - {who}: {_value(s.value)}; {'; '.join(s.reasons)}")
    if len(signals) > len(shown):
        rest: dict[str, int] = {}
        for s in signals[len(shown):]:
            rest[s.indicator.title] = rest.get(s.indicator.title, 0) + 1
        lines += ["", f"…and {len(signals) - len(shown)} more ({'; '.join(f'{t}: {n}' for t, n in rest.items())}): "
                  "see the Signals sheet of the attached workbook."]
    lines += ["", f"The ICB's report page: {report_link}"]
    lines.append(f"Workbook: {workbook} (attached)" if workbook else "Workbook: none was written for this month")
    lines += ["", "Ecological proxies describe prescribing volumes, not patients; patient-level counts are rounded "
              "to 5 with 1-7 suppressed.", "Sent by msi (Medication Safety Indicators) from NHSBSA's English "
              "Prescribing Dataset and NHS Digital's registered patients."]
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """A header value on one line: any line break or control character (a name from the data, an address
    written as a YAML block) becomes a space, so nothing can end the header block or add a header."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def compose(sender: str, to: list[str], subject: str, text: str, workbook: Path | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(sender)
    message["To"] = ", ".join(one_line(a) for a in to)
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message.set_content(text)
    if workbook is not None and workbook.is_file():
        message.add_attachment(workbook.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=one_line(workbook.name))
    return message


def subject_line(icb_name: str, month_label: str, signals: int) -> str:
    what = f"{signals} new signal{'s' if signals != 1 else ''}" if signals else "no new signals"
    return f"Medication safety, {month_label}: {what} — {short_icb_name(icb_name)}"
