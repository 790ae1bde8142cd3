"""One month's signals e-mails: composed into <data-dir>/outbox/<month>/<ICB>.eml, then (unless a dry run)
sent through SMTP and recorded in sent.json, so that a message already sent is not sent twice."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email import policy
from pathlib import Path

from pipelines.atomic import publish_file, scratch_name
from pipelines.layout import Layout
from pipelines.lock import data_lock
from pipelines.months import month_label
from pipelines.notify.message import body_text, compose, subject_line
from pipelines.outputs.signals import icb_signals, new_only
from pipelines.notify.smtp import NotifyError, SmtpSettings, send_all
from pipelines.notify.subscriptions import load_subscriptions
from pipelines.outputs.analysis import load_analysis
from pipelines.reference import REORGANISATION_MONTH, icb_successors

SENT = "sent.json"


def notify_month(layout: Layout, month: str | None = None, subscriptions: Path | None = None, dry_run: bool = False,
                 smtp: SmtpSettings | None = None, resend: bool = False, log=lambda _: None, **send_options) -> dict:
    """Write the month's messages (one per subscription entry) and, unless `dry_run`, send those not yet sent.
    Returns what was written and sent; raises NotifyError when sending fails (the .eml files stay). Holds
    the data directory's lock: the outbox and sent.json have one writer, and the outputs read are whole."""
    subs = load_subscriptions(subscriptions or layout.subscriptions)
    if not dry_run and smtp is None:  # before any work: nothing could be sent
        raise NotifyError("no SMTP server: set MSI_SMTP_HOST and MSI_SMTP_FROM (README: 'The monthly signals "
                          "e-mail'), or use --dry-run to write the messages without sending")
    with data_lock(layout.root, "msi notify", on_wait=log):
        return _notify_month(layout, subs, month, dry_run, smtp, resend, log, **send_options)


def _notify_month(layout: Layout, subs, month, dry_run, smtp, resend, log, **send_options) -> dict:
    analysis = load_analysis(layout, month)
    month = analysis.month
    outbox = layout.outbox(month)
    names = {r["org_code"]: r["org_name"] for r in analysis.latest("icb").iter_rows(named=True)}
    pcn_names = {r["org_code"]: r["org_name"] for r in analysis.latest("pcn").iter_rows(named=True)}
    sender = smtp.sender if smtp else "msi@localhost"
    messages, files, counts, problems = {}, {}, {}, []
    for icb, entries in subs.by_icb().items():
        if icb not in names:
            successors = icb_successors(icb)
            hint = (f"it was replaced on 2026-04-01 by {', '.join(successors)}: change the subscription"
                    if successors and month >= REORGANISATION_MONTH else "is it one of this month's ICBs?")
            problems.append(f"{icb}: no rows for this ICB in {month} ({hint}); nothing written")
            continue
        signals = icb_signals(analysis, icb)  # the ICB's count, as its page and workbook give it
        for n, entry in enumerate(entries, start=1):
            key = icb if n == 1 else f"{icb}-{n}"
            page = f"{month}/icb/{icb}.html"
            link = (f"{subs.report_url.rstrip('/')}/{page}" if subs.report_url
                    else (layout.report(month) / "icb" / f"{icb}.html").as_uri())
            workbook = layout.extracts(month) / f"{icb}.xlsx"
            text = body_text(icb, names[icb] or icb, month_label(month), signals, link,
                             workbook.name if workbook.is_file() else None, entry.indicators, pcn_names)
            message = compose(sender, entry.to, subject_line(names[icb] or icb, month_label(month), signals),
                              text, workbook)
            messages[key], counts[key] = message, len(new_only(signals))
            files[key] = _write_eml(layout, outbox / f"{key}.eml", message)
    result = {"month": month, "folder": outbox, "files": files, "signals": counts, "problems": problems, "sent": []}
    if dry_run:
        return result
    record = _read_sent(outbox)
    pending = {k: m for k, m in messages.items() if resend or k not in record}
    sent: list[str] = []
    try:
        send_all(smtp, pending, sent, log=log, **send_options)
    finally:  # what went out is recorded even when the rest could not be sent
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for key in sent:
            record[key] = {"to": messages[key]["To"], "message_id": messages[key]["Message-ID"], "sent_at": now}
        _write_sent(layout, outbox, record)
    result["sent"] = sent
    result["already_sent"] = sorted(k for k in messages if k not in pending)
    return result


def _write_eml(layout: Layout, path: Path, message) -> Path:
    built = layout.tmp / scratch_name("eml", ".eml")
    built.parent.mkdir(parents=True, exist_ok=True)
    built.write_bytes(message.as_bytes(policy=policy.SMTP))
    publish_file(built, path)
    return path


def _read_sent(outbox: Path) -> dict:
    path = outbox / SENT
    return json.loads(path.read_text()) if path.is_file() else {}


def _write_sent(layout: Layout, outbox: Path, record: dict) -> None:
    built = layout.tmp / scratch_name("sent", ".json")
    built.parent.mkdir(parents=True, exist_ok=True)
    built.write_text(json.dumps(record, indent=2, sort_keys=True))
    publish_file(built, outbox / SENT)
