"""The signals message for one ICB, whatever channel carries it: plain text, the new signals of the one
signal model (pipelines/outputs/signals.py) harm first, grouped by indicator then practice, a link to the
ICB's report page, and the ICB's workbook attached. `as_email` makes it an e-mail (the .eml archive and
the SMTP channel carry the same one, Message-ID included)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from pipelines.organisations.names import short_icb_name
from pipelines.outputs.signals import PRIORITY_RULE, Signal, act_on_first, count_words
from pipelines.outputs.wording import SYNTHETIC, SYNTHETIC_TAG, act_first_entry

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


def new_message(
    key: str, icb: str, sender: str, to: list[str], subject: str, text: str, attachment: Path | None
) -> Message:
    return Message(
        key,
        icb,
        sender,
        tuple(to),
        subject,
        text,
        attachment if attachment is not None and attachment.is_file() else None,
        make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None),
        formatdate(localtime=False),
    )


def as_email(message: Message) -> EmailMessage:
    return compose(
        message.sender,
        list(message.to),
        message.subject,
        message.text,
        message.attachment,
        message_id=message.message_id,
        date=message.date,
    )


def body_text(
    icb: str,
    icb_name: str,
    month_label: str,
    signals: list[Signal],
    report_link: str,
    workbook: str | None,
    filtered: list[str] | None,
    pcn_names: dict[str, str] | None = None,
    synthetic: bool = False,
) -> str:
    """The message: the ICB's short list to act on first (the one signal model: the same list, in the same
    order, as the top of its report page and its workbook's first sheet; of the subscribed indicators, when
    the subscription names some), each line in words; then how many signals there are in all."""
    pcn_names = pcn_names or {}
    mine = [s for s in signals if not filtered or s.indicator.id in filtered]
    first = act_on_first(mine)
    lines = [f"Medication safety indicators — {icb_name} ({icb})", f"Data month: {month_label}"]
    if synthetic:
        lines.append(SYNTHETIC)
    lines += [
        "",
        f"Act on first: {len(first)} signal{'s' if len(first) != 1 else ''}, highest priority first — the "
        "same list, in the same order, as the top of the ICB's report page and the workbook's first sheet.",
    ]
    if filtered:
        titles = [s.indicator.title for s in mine] or filtered
        lines.append(f"Only the indicators you subscribed to: {'; '.join(dict.fromkeys(titles))}.")
    lines.append(PRIORITY_RULE)
    if not first:
        lines += ["", "Nothing to act on first this month" + (" in those indicators" if filtered else "") + "."]
    for n, s in enumerate(first, start=1):
        e = act_first_entry(s, pcn_names.get(s.pcn_code or ""))
        lines += [
            "",
            f"{n}. {e['who']}",
            f"   {e['indicator']} — {e['harm']}",
            f"   {e['against']}; {e['excess']}; {e['how_long']}.",
            f"   What to do: {e['action']}",
        ]
    lines += [
        "",
        f"In all: {count_words(mine)}, {sum(1 for s in mine if not s.new)} continuing — every one on the "
        "Signals sheet of the workbook.",
        "",
        f"The ICB's report page: {report_link}",
    ]
    lines.append(f"Workbook: {workbook} (attached)" if workbook else "Workbook: none was written for this month")
    lines += [
        "",
        "Ecological proxies describe prescribing volumes, not patients; patient-level counts are rounded "
        "to 5 with 1-7 suppressed.",
        "Sent by msi (Medication Safety Indicators) from NHSBSA's English "
        "Prescribing Dataset and NHS Digital's registered patients.",
    ]
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """A header value on one line: any line break or control character (a name from the data, an address
    written as a YAML block) becomes a space, so nothing can end the header block or add a header."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def compose(
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    workbook: Path | None,
    message_id: str | None = None,
    date: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = one_line(sender)
    message["To"] = ", ".join(one_line(a) for a in to)
    message["Subject"] = one_line(subject)
    message["Date"] = date or formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message.set_content(text)
    if workbook is not None and workbook.is_file():
        message.add_attachment(
            workbook.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=one_line(workbook.name)
        )
    return message


def subject_line(icb_name: str, month_label: str, first: list[Signal], synthetic: bool = False) -> str:
    """The subject counts what the body lists: the short list to act on first. ASCII around the name: a
    non-ASCII dash becomes an encoded word that mail clients show after a doubled space."""
    what = f"{len(first)} to act on first" if first else "nothing to act on first"
    return f"{SYNTHETIC_TAG if synthetic else ''}Medication safety, {month_label}: {what} - {short_icb_name(icb_name)}"
