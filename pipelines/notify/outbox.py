"""One month's signals messages: signals (the one signal model) -> a message per subscription entry ->
channels. Every message is written to <data-dir>/outbox/<month>/<key>.eml (the eml channel); unless a dry
run, each configured sending channel then delivers those it has not delivered before, recording them in
its own outbox file (sent.json for SMTP), so that a message already sent is not sent twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.atomic import publish_file, scratch_name
from pipelines.layout import Layout
from pipelines.lock import data_lock
from pipelines.months import month_label
from pipelines.notify.channels import Channel, NotifyError
from pipelines.notify.channels.eml import EmlChannel
from pipelines.notify.message import body_text, new_message, one_line, subject_line
from pipelines.notify.subscriptions import load_subscriptions
from pipelines.organisations.names import short_icb_name
from pipelines.outputs.analysis import load_analysis
from pipelines.outputs.report.links import page_link
from pipelines.outputs.signals import SIGNALS_FILE, Signal, act_on_first, signals_by_icb, signals_from_document
from pipelines.outputs.wording import SYNTHETIC_TAG, no_prescribing
from pipelines.reference import REORGANISATION_MONTH, icb_successors

FAILED = "failed.json"  # the month's last failed send, removed by the next that succeeds
NO_CHANNEL = (
    "no channel to send through: for e-mail set MSI_SMTP_HOST and MSI_SMTP_FROM (README: 'The monthly "
    "signals e-mail'), or use --dry-run to write the messages without sending"
)


def notify_month(
    layout: Layout,
    month: str | None = None,
    subscriptions: Path | None = None,
    dry_run: bool = False,
    resend: bool = False,
    log=lambda _: None,
    channels: list[Channel] | None = None,
    **send_options,
) -> dict:
    """Write the month's messages (one per subscription entry) and, unless `dry_run`, send those not yet sent through
    `channels` (pipelines/notify/channels: each configured one, `configured()`). Returns what was written and
    sent; raises NotifyError when sending fails (the .eml files stay). Holds the data directory's lock: the
    outbox and its records have one writer, and the outputs read are whole."""
    subs = load_subscriptions(subscriptions or layout.subscriptions)
    sending = list(channels or [])
    if not dry_run and not sending:  # before any work: nothing could be sent
        raise NotifyError(NO_CHANNEL)
    with data_lock(layout.root, "msi notify", on_wait=log):
        return _notify_month(layout, subs, month, dry_run, [] if dry_run else sending, resend, log, **send_options)


@dataclass(frozen=True)
class MonthSignals:
    """What the month's messages are made of."""

    month: str
    synthetic: bool
    icbs: dict[str, str]  # code -> name, every ICB with results
    pcns: dict[str, str]
    signals: dict[str, list[Signal]]  # by ICB, highest priority first
    absent_icbs: dict  # code -> coverage.Absent: ICBs the month's EPD lacks


def month_signals(layout: Layout, month: str | None = None, log=lambda _: None) -> MonthSignals:
    """The month's signals as its outputs wrote them (extracts/<month>/signals.json, the list the workbook and
    the report page show), read in a moment; assessed from the indicator values when the outputs have not
    been written since those values were (or could not be read)."""
    from indicators.catalogue import catalogue
    from pipelines.outputs.analysis import available_months
    from pipelines.tables import TABLES
    from pipelines.verdicts.coverage import month_coverage

    months = available_months(layout)
    chosen = month or (months[-1] if months else None)
    path = layout.extracts(chosen) / SIGNALS_FILE if chosen in months else None
    values = TABLES["indicator_values"].files(layout)
    if path is not None and path.is_file() and path.stat().st_mtime >= max(f.stat().st_mtime for f in values):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            signals = signals_from_document(document, catalogue())
        except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged or from another catalogue
            log(
                f"{path} could not be read ({type(exc).__name__}: {exc}); the month's signals are assessed again "
                "from the indicator values (the next msi run writes the file anew)"
            )
            document = None
        if chosen is not None and document is not None and document.get("month") == chosen:
            absent = {a.code: a for a in month_coverage(layout, chosen).absent_icbs}
            return MonthSignals(
                chosen, bool(document["synthetic"]), document["icbs"], document["pcns"], signals, absent
            )
    analysis = load_analysis(layout, month)
    return MonthSignals(
        analysis.month,
        analysis.synthetic,
        {r["org_code"]: r["org_name"] for r in analysis.latest("icb").iter_rows(named=True)},
        {r["org_code"]: r["org_name"] for r in analysis.latest("pcn").iter_rows(named=True)},
        signals_by_icb(analysis),
        analysis.absent_icbs,
    )


def _notify_month(layout: Layout, subs, month, dry_run, sending, resend, log, **send_options) -> dict:
    view = month_signals(layout, month, log)
    month = view.month
    outbox = layout.outbox(month)
    names, pcn_names = view.icbs, view.pcns
    sender = next((c.sender for c in sending if getattr(c, "sender", None)), "msi@localhost")
    messages, counts, problems = {}, {}, []
    for icb, entries in subs.by_icb().items():
        if icb not in names and icb in view.absent_icbs:  # the EPD lacks it this month: said, not skipped
            absent = view.absent_icbs[icb]
            for n, entry in enumerate(entries, start=1):
                key = message_key(icb, n)
                messages[key] = new_message(
                    key,
                    icb,
                    sender,
                    entry.to,
                    f"{SYNTHETIC_TAG if view.synthetic else ''}Medication safety, {month_label(month)}: no "
                    f"prescribing data - {short_icb_name(absent.name)}",
                    f"Medication safety indicators — {absent.name} ({icb})\nData month: {month_label(month)}\n\n"
                    f"{no_prescribing(absent, month_label(month))}\n",
                    None,
                )
                counts[key] = 0
            continue
        if icb not in names:
            successors = icb_successors(icb)
            hint = (
                f"it was replaced on 2026-04-01 by {', '.join(successors)}: change the subscription"
                if successors and month >= REORGANISATION_MONTH
                else "is it one of this month's ICBs?"
            )
            problems.append(f"{icb}: no rows for this ICB in {month} ({hint}); nothing written")
            continue
        signals = view.signals.get(icb, [])  # the ICB's count, as its page and workbook give it
        for n, entry in enumerate(entries, start=1):
            key = message_key(icb, n)
            page = page_link("icb", month, icb)
            link = f"{(subs.report_url or layout.reports.as_uri()).rstrip('/')}/{page}"
            workbook = layout.extracts(month) / f"{icb}.xlsx"
            text = body_text(
                icb,
                names[icb] or icb,
                month_label(month),
                signals,
                link,
                workbook.name if workbook.is_file() else None,
                entry.indicators,
                pcn_names,
                synthetic=view.synthetic,
            )
            first = act_on_first([s for s in signals if not entry.indicators or s.indicator.id in entry.indicators])
            messages[key] = new_message(
                key,
                icb,
                sender,
                entry.to,
                subject_line(names[icb] or icb, month_label(month), first, view.synthetic),
                text,
                workbook,
            )
            counts[key] = len(first)
    archive = EmlChannel(layout, outbox)
    archive.send(messages, [])
    result = {
        "month": month,
        "folder": outbox,
        "files": {k: archive.path(k) for k in messages},
        "signals": counts,
        "problems": problems,
        "sent": [],
    }
    sent_any, pending_any = set(), set()
    for channel in sending:
        record = _read_record(outbox, channel.record)
        pending = {k: m for k, m in messages.items() if resend or k not in record}
        sent: list[str] = []
        try:
            channel.send(pending, sent, log=log, **send_options)
        except NotifyError as exc:  # said again by the next msi run and msi notify, until a send succeeds
            _write_record(layout, outbox, FAILED, {"at": _now(), "channel": channel.name, "error": str(exc)})
            raise
        finally:  # what went out is recorded even when the rest could not be sent
            now = _now()
            for key in sent:
                record[key] = {
                    "to": ", ".join(one_line(a) for a in messages[key].to),
                    "message_id": messages[key].message_id,
                    "sent_at": now,
                }
            _write_record(layout, outbox, channel.record, record)
        sent_any |= set(sent)
        pending_any |= set(pending)
    result["sent"] = [k for k in messages if k in sent_any]
    result["already_sent"] = sorted(k for k in messages if k not in pending_any) if sending else []
    if sending and problems:
        _write_record(layout, outbox, FAILED, {"at": _now(), "channel": "subscriptions", "error": "; ".join(problems)})
    elif sending:
        (outbox / FAILED).unlink(missing_ok=True)
    return result


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def message_key(icb: str, n: int) -> str:
    """The key of an ICB's n-th subscription's message: the .eml's name and each record's entry."""
    return icb if n == 1 else f"{icb}-{n}"


def message_keys(subs) -> list[str]:
    return [message_key(icb, n) for icb, entries in subs.by_icb().items() for n in range(1, len(entries) + 1)]


def unsent(layout: Layout, month: str, channels: list[Channel]) -> list[str]:
    """The month's messages some sending channel has not recorded as delivered (none: every one went out).
    Read from the subscriptions and the records alone: cheap enough for a sensor's every tick."""
    keys = message_keys(load_subscriptions(layout.subscriptions))
    outbox = layout.outbox(month)
    records = [_read_record(outbox, c.record) for c in channels]
    return [k for k in keys if any(k not in r for r in records)]


def last_failure(layout: Layout, month: str) -> dict | None:
    """The month's last failed send ({at, channel, error}), until a send succeeds. The record is an earlier
    run's file: one that cannot be read is said as such, never a traceback after a good run."""
    path = layout.outbox(month) / FAILED
    try:
        record = _read_record(layout.outbox(month), FAILED)
    except (OSError, ValueError):
        return {
            "at": "an unknown time",
            "channel": "unknown",
            "error": f"the record of it, {path}, cannot be read (delete it; the next send writes a new one)",
        }
    return record if isinstance(record, dict) and record else None


def _read_record(outbox: Path, name: str) -> dict:
    path = outbox / name
    return json.loads(path.read_text()) if path.is_file() else {}


def _write_record(layout: Layout, outbox: Path, name: str, record: dict) -> None:
    built = layout.tmp / scratch_name("sent", ".json")
    built.parent.mkdir(parents=True, exist_ok=True)
    built.write_text(json.dumps(record, indent=2, sort_keys=True))
    publish_file(built, outbox / name)
