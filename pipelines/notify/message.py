"""The signals message for one ICB, whatever channel carries it: plain text, the new signals of the one
signal model (pipelines/outputs/signals.py) harm first, grouped by indicator then practice, a link to the
ICB's report page, and the ICB's workbook attached. `as_email` makes it an e-mail (the .eml archive and
the SMTP channel carry the same one, Message-ID included)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipelines.outputs.signals import MIN_NUMERATOR, Signal, count_words, new_only
from pipelines.outputs.wording import fmt_value
from pipelines.organisations.names import short_icb_name

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Message:
    key: str  # the ICB's code (and -2, -3 ... for its further subscription entries): the outbox's file names
    icb: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    attachment: Path | None  # the ICB's workbook, when one was written
    message_id: str  # one identity whichever channel carries it
    date: str


def new_message(key: str, icb: str, sender: str, to: list[str], subject: str, text: str,
                attachment: Path | None) -> Message:
    return Message(key, icb, sender, tuple(to), subject, text,
                   attachment if attachment is not None and attachment.is_file() else None,
                   make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None), formatdate(localtime=False))


def as_email(message: Message) -> EmailMessage:
    return compose(message.sender, list(message.to), message.subject, message.text, message.attachment,
                   message_id=message.message_id, date=message.date)


MAX_LINES = 20  # a message is read while it stays short; the rest are counted and on the Signals sheet


def body_text(icb: str, icb_name: str, month_label: str, signals: list[Signal], report_link: str,
              workbook: str | None, filtered: list[str] | None, pcn_names: dict[str, str] | None = None) -> str:
    """The message: the ICB's count of new concerning signals (the same as its report page and workbook),
    then the new signals of the subscribed indicators, harm first, each practice named with its PCN."""
    pcn_names = pcn_names or {}
    mine = new_only([s for s in signals if not filtered or s.indicator.id in filtered])
    shown = mine[:MAX_LINES]
    lines = [f"Medication safety indicators — {icb_name} ({icb})", f"Data month: {month_label}", "",
             f"{count_words(signals)} in {icb_name} this month: the same count as the ICB's report page and the "
             "rows marked 'new this month' on the workbook's Signals sheet."]
    if filtered:
        lines.append(f"{len(mine)} of them in the indicators you subscribed to ({', '.join(filtered)}), below.")
    if not mine:
        lines.append("No new concerning signal" + (" in those indicators" if filtered else "") + " this month.")
    lines.append("A signal is new special-cause variation of concern, or a value newly beyond England's 99.8% "
                 "funnel limit on the worse side, or (methotrexate 10 mg) any practice newly issuing it. Low numbers "
                 f"and numerators under {MIN_NUMERATOR} are left out, except for high-harm indicators. High harm first.")
    current = None
    for s in shown:
        if s.indicator.id != current:
            current = s.indicator.id
            count = sum(1 for x in mine if x.indicator.id == current)
            harm = " — HIGH HARM" if s.indicator.severity == "high" else ""
            lines += ["", f"{s.indicator.title} ({s.indicator.direction}, {s.indicator.unit_label}){harm}: {count}"]
        if s.org_type == "icb":
            who = "the ICB as a whole"
        else:
            pcn = pcn_names.get(s.pcn_code or "") or s.pcn_code
            who = f"{s.org_name} ({s.org_code}" + (f"; {pcn}" if pcn else "; in no PCN") + ")"
        lines.append(f"  - {who}: {fmt_value(s.indicator, s.value)}; {'; '.join(s.reasons)}")
    if len(mine) > len(shown):
        rest: dict[str, int] = {}
        for s in mine[len(shown):]:
            rest[s.indicator.title] = rest.get(s.indicator.title, 0) + 1
        lines += ["", f"…and {len(mine) - len(shown)} more ({'; '.join(f'{t}: {n}' for t, n in rest.items())}): "
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


def compose(sender: str, to: list[str], subject: str, text: str, workbook: Path | None,
            message_id: str | None = None, date: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(sender)
    message["To"] = ", ".join(one_line(a) for a in to)
    message["Subject"] = one_line(subject)
    message["Date"] = date or formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message.set_content(text)
    if workbook is not None and workbook.is_file():
        message.add_attachment(workbook.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=one_line(workbook.name))
    return message


def subject_line(icb_name: str, month_label: str, signals: list[Signal]) -> str:
    what = count_words(signals) if new_only(signals) else "no new concerning signals"
    return f"Medication safety, {month_label}: {what} — {short_icb_name(icb_name)}"
