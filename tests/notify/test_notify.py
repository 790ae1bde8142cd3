"""The monthly signals e-mail: the signal model's rules on hand-made rows, the messages written from a real
run (.eml, dry run), and delivery to a local SMTP server (aiosmtpd, STARTTLS, login) started by the test,
including a refused connection retried and then reported without touching the run's outputs."""

import datetime as dt
import email
import hashlib
import ipaddress
import json
import os
import re
import ssl
from email import policy
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from indicators.catalogue import catalogue
from pipelines.notify.channels.smtp import NotifyError, SmtpChannel, SmtpSettings
from pipelines.notify.outbox import notify_month
from pipelines.notify.subscriptions import SubscriptionError, load_subscriptions
from pipelines.outputs.signals import concerning
from tests.smtp_server import Inbox, free_port

SENT = SmtpChannel.record  # the e-mail channel's record of what it sent

MONTH = "2026-07"
USER, PASSWORD = "msi-sender", "s3cret-Pa55word"


# --- the alert rules, on rows written by hand ---------------------------------------------------------


def row(**kw):
    base = {
        "value": 12.0,
        "numerator": 20.0,
        "low_numbers": False,
        "suppressed": False,
        "spc": "common",
        "spc_rules": "",
        "funnel": "within",
    }
    return {**base, **kw}


def signal(r, ind) -> bool:
    return bool(concerning(r, ind))


LOWER_BETTER = catalogue()["opioid_high_dose_pct_120"]
HIGHER_BETTER = next(i for i in catalogue().values() if i.low_is_good is False)
NO_JUDGEMENT = [i for i in catalogue().values() if i.low_is_good is None]
VALPROATE = catalogue()["valproate_per_1000_female_13_54"]
MTX_ITEMS = catalogue()["methotrexate_10mg_items"]


# Which rows are signals (in any month; whether one is new, and its priority, are tests/outputs/test_priority.py).
@pytest.mark.parametrize(
    "ind, r, alerts",
    [
        (LOWER_BETTER, row(spc="concern", spc_rules="outside"), True),  # special cause, concerning
        (LOWER_BETTER, row(spc="improvement"), False),  # better, not worse
        (LOWER_BETTER, row(funnel="above"), True),  # above England's limit
        (LOWER_BETTER, row(funnel="below"), False),  # below is better here
        (HIGHER_BETTER, row(funnel="below"), True),  # below is worse here
        (HIGHER_BETTER, row(funnel="above"), False),
        (LOWER_BETTER, row(funnel="above", low_numbers=True), False),  # low numbers
        (LOWER_BETTER, row(funnel="above", numerator=4.0), False),  # numerator < 5
        (LOWER_BETTER, row(funnel="above", numerator=5.0), True),
        (LOWER_BETTER, row(funnel="above", suppressed=True, value=None), False),
        # High harm: small numbers do not hide a signal (valproate, one patient is enough to matter).
        (VALPROATE, row(funnel="above", numerator=2.0, low_numbers=True), True),
        # Any item: a practice issuing methotrexate 10 mg tablets, however few.
        (MTX_ITEMS, row(value=1.0, numerator=1.0, funnel="none"), True),
        (MTX_ITEMS, row(value=0.0, numerator=0.0, funnel="none"), False),
    ],
)
def test_alert_rules(ind, r, alerts):
    assert signal(r, ind) is alerts


def test_words_say_the_rule_not_its_code_name():
    assert concerning(row(spc="concern", spc_rules="outside, two_of_three"), LOWER_BETTER) == (
        "special-cause variation of concern (a point outside the limits; 2 of 3 points close to a limit)",
    )
    assert "_" not in " ".join(concerning(row(funnel="above"), LOWER_BETTER))


def test_indicators_without_a_direction_never_alert():
    for ind in NO_JUDGEMENT:
        assert concerning(row(spc="special", funnel="above"), ind) == ()


# --- subscriptions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, says",
    [
        (
            "subscriptions:\n  - icb: QOP\n    to: [not-an-address]\n",
            "subscriptions.0.to: not an e-mail address: 'not-an-address'",
        ),
        (
            "subscriptions:\n  - icb: QOP\n    to: [a@b.nhs.uk]\n    indicators: [no_such]\n",
            "unknown indicator(s) no_such",
        ),
        ("subscriptions:\n  - icb: qop!\n    to: [a@b.nhs.uk]\n", "is not an ICB code"),
        (
            "subscriptions:\n  - icb: QOP\n    to: [a@b.nhs.uk]\n    cc: [c@d.nhs.uk]\n",
            "subscriptions.0.cc: Extra inputs",
        ),
        ("subscriptions: [\n", "line 2, column 1: not valid YAML"),
    ],
)
def test_a_bad_subscriptions_file_is_one_clear_line(tmp_path, text, says):
    path = tmp_path / "subscriptions.yaml"
    path.write_text(text)
    with pytest.raises(SubscriptionError) as err:
        load_subscriptions(path)
    assert says in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_the_example_file_is_valid():
    path = Path(__file__).resolve().parents[2] / "pipelines" / "notify" / "subscriptions.example.yaml"
    assert [s.icb for s in load_subscriptions(path).subscriptions] == ["QOP", "QWE", "QE1"]


# --- messages from a real run -------------------------------------------------------------------------


def subscribe(layout, text: str) -> Path:
    path = layout.root / "subscriptions.yaml"
    path.write_text(text)
    return path


SUBSCRIPTIONS = """report_url: https://intranet.example.nhs.uk/msi/reports
subscriptions:
  - icb: QOP
    to: [gm.safety@example.nhs.uk, gm.pharmacy@example.nhs.uk]
  - icb: QWE
    to: [swl@example.nhs.uk]
    indicators: [opioid_high_dose_pct_120, nsaid_per_1000_65plus]
"""


def signals_by_the_tests_reading(layout, icb: str) -> set[tuple[str, str]]:
    """(indicator, org code) of every signal this month for the ICB's practices, from all_icbs.csv by the
    test's own reading of the rules: a worse-side SPC concern, or beyond the funnel on the worse side, or
    (any-item indicators) a practice issuing it; no low numbers, suppressed cells or numerators under 5
    unless the indicator is high harm or any-item."""
    rows = pl.read_csv(layout.extracts(MONTH) / "all_icbs.csv", infer_schema_length=None).filter(
        (pl.col("org_type") == "practice") & (pl.col("icb_code") == icb)
    )
    out = set()
    for r in rows.iter_rows(named=True):
        ind = catalogue()[r["indicator_id"]]
        if ind.low_is_good is None or r["value"] is None:
            continue
        small = r["low_numbers"] or r["suppressed"] or (r["numerator"] or 0) < 5
        if small and not (ind.severity == "high" or ind.signal_on_any_item):
            continue
        worse = "above" if ind.low_is_good else "below"
        if r["spc"] == "concern" or r["funnel"] == worse or (ind.signal_on_any_item and (r["numerator"] or 0) > 0):
            out.add((ind.id, r["org_code"]))
    return out


ENTRY = re.compile(r"^(\d+)\. (.+) \(([A-Z0-9]{3,6}); ([^)]+)\)$")


def entries(text: str) -> list[tuple[str, str]]:
    """(indicator id, practice code) of each numbered line of a message body, in order."""
    titles = {i.title: i.id for i in catalogue().values()}
    lines, out = text.splitlines(), []
    for k, line in enumerate(lines):
        m = ENTRY.match(line)
        if m:
            title = lines[k + 1].strip().rsplit(" — ", 1)[0]
            out.append((titles[title], m.group(3)))
    return out


def test_dry_run_writes_one_message_per_subscribed_icb(run):
    import openpyxl

    path = subscribe(run, SUBSCRIPTIONS)
    result = notify_month(run, MONTH, path, dry_run=True)
    assert sorted(result["files"]) == ["QOP", "QWE"] and result["sent"] == []
    assert not (run.outbox(MONTH) / SENT).exists()
    for icb, to, only in (
        ("QOP", "gm.safety@example.nhs.uk, gm.pharmacy@example.nhs.uk", None),
        ("QWE", "swl@example.nhs.uk", ["opioid_high_dose_pct_120", "nsaid_per_1000_65plus"]),
    ):
        message = email.message_from_bytes((run.outbox(MONTH) / f"{icb}.eml").read_bytes(), policy=policy.default)
        assert message["To"] == to and "July 2026" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        listed = entries(text)
        # The subject counts what the body lists; every line is a signal by the test's own reading.
        assert result["signals"][icb] == len(listed) and 0 < len(listed) <= 12
        assert f": {len(listed)} to act on first - " in message["Subject"]
        assert set(listed) <= signals_by_the_tests_reading(run, icb)
        assert len(set(listed)) == len(listed)
        if only:  # only the subscribed indicators, named by title, never by id
            assert {ind for ind, _ in listed} <= set(only) and "opioid_high_dose_pct_120" not in text
        assert f"https://intranet.example.nhs.uk/msi/reports/icb.html?code={icb}&month={MONTH}" in text
        attachment = next(message.iter_attachments())
        assert attachment.get_filename() == f"{icb}.xlsx"
        assert attachment.get_content() == (run.extracts(MONTH) / f"{icb}.xlsx").read_bytes()
        # Each line says what to do, and names the practice with its PCN by name, never a bare code.
        for line in text.splitlines():
            if ENTRY.match(line):
                assert ENTRY.match(line).group(4) and not re.fullmatch(r"U\d{5}", ENTRY.match(line).group(4))
        assert text.count("What to do: ") == len(listed)
    # The whole-ICB message is the ICB's list: the same lines, in the same order, as its workbook's first sheet.
    qop = email.message_from_bytes((run.outbox(MONTH) / "QOP.eml").read_bytes(), policy=policy.default)
    sheet = openpyxl.load_workbook(run.extracts(MONTH) / "QOP.xlsx")["Act on first"]
    head_row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "#")
    rows = [dict(zip(head_row, r)) for r in sheet.iter_rows(values_only=True) if isinstance(r[0], (int, float))]
    assert [(r["Indicator id"], r["Code"]) for r in rows] == entries(qop.get_body(("plain",)).get_content())


def test_an_icb_in_neither_reference_list_stops_before_any_work(run):
    path = subscribe(run, "subscriptions:\n  - icb: QZZ\n    to: [x@example.nhs.uk]\n")
    with pytest.raises(SubscriptionError, match="'QZZ' is not an ICB in reference/"):
        notify_month(run, MONTH, path, dry_run=True)


def test_an_icb_abolished_in_april_2026_is_reported_with_its_successor(run):
    # QHG (Bedfordshire, Luton and Milton Keynes) is in the 2022 list; the 2026 list names S1Y5D as its successor.
    path = subscribe(run, "subscriptions:\n  - icb: QHG\n    to: [x@example.nhs.uk]\n")
    result = notify_month(run, MONTH, path, dry_run=True)
    assert result["files"] == {}
    assert result["problems"] == [
        f"QHG: no rows for this ICB in {MONTH} (it was replaced on 2026-04-01 by S1Y5D: "
        "change the subscription); nothing written"
    ]


def test_sending_without_smtp_settings_stops_before_any_work(run, monkeypatch):
    import pipelines.notify.outbox as outbox

    path = subscribe(run, "subscriptions:\n  - icb: QOP\n    to: [x@example.nhs.uk]\n")
    monkeypatch.setattr(outbox, "load_analysis", lambda *a: pytest.fail("loaded the outputs before failing"))
    with pytest.raises(NotifyError, match="no channel to send through: for e-mail set MSI_SMTP_HOST"):
        notify_month(run, MONTH, path, channels=[])


# --- delivery to a local SMTP server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, so that STARTTLS is real and verified against it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


def start_server(certificate, port: int):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    return controller, inbox


def smtp_settings(certificate, port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender="msi@example.nhs.uk",
        user=USER,
        password=PASSWORD,
        ca_file=str(certificate[0]),
        timeout=10,
    )


def outputs_digest(layout) -> str:
    h = hashlib.sha256()
    for folder in (layout.extracts(MONTH), layout.report(MONTH)):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(str(path.relative_to(layout.root)).encode() + path.read_bytes())
    return h.hexdigest()


def fresh_outbox(layout):
    import shutil

    shutil.rmtree(layout.outbox(MONTH), ignore_errors=True)


def test_messages_arrive_over_starttls_with_login(run, certificate):
    fresh_outbox(run)
    path = subscribe(run, SUBSCRIPTIONS)
    port = free_port()
    controller, inbox = start_server(certificate, port)
    logged = []
    try:
        result = notify_month(
            run, MONTH, path, channels=[SmtpChannel(smtp_settings(certificate, port))], log=logged.append
        )
        assert sorted(result["sent"]) == ["QOP", "QWE"]
        assert len(inbox.envelopes) == 2
        by_to = {tuple(sorted(e.rcpt_tos)): e for e in inbox.envelopes}
        qop = by_to[("gm.pharmacy@example.nhs.uk", "gm.safety@example.nhs.uk")]
        assert qop.mail_from == "msi@example.nhs.uk"
        message = email.message_from_bytes(qop.original_content, policy=policy.default)
        assert (
            message.get_body(("plain",)).get_content()
            == email.message_from_bytes((run.outbox(MONTH) / "QOP.eml").read_bytes(), policy=policy.default)
            .get_body(("plain",))
            .get_content()
        )
        assert next(message.iter_attachments()).get_content() == (run.extracts(MONTH) / "QOP.xlsx").read_bytes()
        # Sent once: a second evaluation (the sensor ticking again) sends nothing more.
        again = notify_month(run, MONTH, path, channels=[SmtpChannel(smtp_settings(certificate, port))])
        assert again["sent"] == [] and again["already_sent"] == ["QOP", "QWE"] and len(inbox.envelopes) == 2
    finally:
        controller.stop()
    assert PASSWORD not in "".join(logged) + (run.outbox(MONTH) / SENT).read_text()
    assert not any(PASSWORD.encode() in p.read_bytes() for p in run.outbox(MONTH).iterdir())


def test_a_refused_connection_is_retried_then_reported_and_the_run_is_untouched(run, certificate):
    fresh_outbox(run)
    path = subscribe(run, SUBSCRIPTIONS)
    before = outputs_digest(run)
    logged, port = [], free_port()  # nothing listens there
    with pytest.raises(NotifyError) as err:
        notify_month(
            run,
            MONTH,
            path,
            channels=[SmtpChannel(smtp_settings(certificate, port))],
            log=logged.append,
            wait=lambda k: 0,
        )
    assert f"could not reach the SMTP server 127.0.0.1:{port} after 3 attempts (Connection refused)" in str(err.value)
    assert len(logged) == 3 and all("Connection refused" in line for line in logged)
    assert PASSWORD not in str(err.value) + "".join(logged)
    assert sorted(p.name for p in run.outbox(MONTH).glob("*.eml")) == ["QOP.eml", "QWE.eml"]  # kept to resend
    assert outputs_digest(run) == before


def test_a_server_that_comes_back_gets_the_messages_on_a_retry(run, certificate):
    fresh_outbox(run)
    path = subscribe(run, SUBSCRIPTIONS)
    port, started = free_port(), {}

    def come_up(attempt: int) -> float:  # the server starts between the first and second attempt
        if not started:
            started["server"] = start_server(certificate, port)
        return 0

    logged = []
    try:
        result = notify_month(
            run, MONTH, path, channels=[SmtpChannel(smtp_settings(certificate, port))], log=logged.append, wait=come_up
        )
        assert sorted(result["sent"]) == ["QOP", "QWE"] and len(started["server"][1].envelopes) == 2
        assert len(logged) == 1  # one failed attempt, then delivered
    finally:
        started["server"][0].stop()


def test_no_starttls_no_send(run, certificate):
    """A server without STARTTLS gets nothing, credentials least of all."""
    from aiosmtpd.controller import Controller

    fresh_outbox(run)
    path = subscribe(run, SUBSCRIPTIONS)
    port, inbox = free_port(), Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(NotifyError, match="offers no STARTTLS"):
            notify_month(run, MONTH, path, channels=[SmtpChannel(smtp_settings(certificate, port))], wait=lambda k: 0)
        assert inbox.envelopes == []
    finally:
        controller.stop()


def test_the_e_mail_is_a_run_that_fails_visibly_and_is_retried_until_sent(run, monkeypatch):
    """Issue 28: with nothing listening, the send is a failed run of email_job naming why; msi notify and the
    sensor say so; the sensor asks again once the wait has passed; then a plain relay on 127.0.0.1 (no
    STARTTLS, no MSI_SMTP_STARTTLS set: allowed on this machine) receives both messages, and the sensor
    has nothing left to do."""
    from aiosmtpd.controller import Controller
    from click.testing import CliRunner

    from pipelines.cli import main
    from pipelines.notify.outbox import last_failure
    from pipelines.wiring import sensors
    from pipelines.wiring.definitions import build_definitions
    from pipelines.wiring.resources import MsiSettings
    from pipelines.wiring.runner import QUIET

    fresh_outbox(run)
    subscribe(run, SUBSCRIPTIONS)
    port = free_port()
    env = {
        "MSI_DATA_DIR": str(run.root),
        "MSI_SMTP_HOST": "127.0.0.1",
        "MSI_SMTP_PORT": str(port),
        "MSI_SMTP_FROM": "msi@example.nhs.uk",
        "MSI_SMTP_DEADLINE": "2",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("MSI_SMTP_STARTTLS", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    job = build_definitions(MsiSettings.from_env()).resolve_job_def("email_job")

    def tick():
        return sensors.signals_email_sensor(dg.build_sensor_context(instance=instance))

    def send(request):
        return job.execute_in_process(
            instance=instance,
            partition_key=request.partition_key,
            tags=request.tags,
            run_config=QUIET,
            raise_on_error=False,
        )

    first = tick()
    assert first.partition_key == "2026-07-01" and first.run_key == "email-2026-07-1", first
    failed = send(first)
    assert not failed.success  # a failed run, which the UI lists as failed
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    assert "timed out sending to the SMTP server 127.0.0.1" in failure.step_failure_data.error.cause.message
    assert "0 of 2 messages sent" in last_failure(run, MONTH)["error"]
    notified = CliRunner().invoke(main, ["notify", "--data-dir", str(run.root)], env=env)
    assert notified.exit_code == 1
    assert f"the last send for {MONTH} failed at " in " ".join(notified.output.split()), notified.output
    assert "the next try in" in tick().skip_message  # not at once: 5 minutes, doubling
    monkeypatch.setattr(sensors, "RETRY_SECONDS", 0)
    retry = tick()
    assert retry.run_key == "email-2026-07-2" and retry.tags["msi/attempt"] == "2", retry
    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=port)  # plain: it offers no STARTTLS
    relay.start()
    try:
        assert send(retry).success
    finally:
        relay.stop()
    assert len(inbox.envelopes) == 2 and last_failure(run, MONTH) is None
    assert tick().skip_message == "2026-07: every subscribed message is sent"
    monkeypatch.delenv("MSI_SMTP_HOST")
    assert "MSI_SMTP_HOST is not set" in tick().skip_message


def test_clear_text_is_refused_unless_the_relay_is_local():
    base = {"MSI_SMTP_HOST": "smtp.example.nhs.uk", "MSI_SMTP_FROM": "msi@example.nhs.uk", "MSI_SMTP_STARTTLS": "false"}
    with pytest.raises(NotifyError, match="only allowed for a relay on this machine"):
        SmtpSettings.from_env(base)
    assert SmtpSettings.from_env({**base, "MSI_SMTP_HOST": "127.0.0.1"}).starttls == "off"
    unset = {k: v for k, v in base.items() if k != "MSI_SMTP_STARTTLS"}
    assert SmtpSettings.from_env(unset).starttls == "required"  # another machine: always
    assert SmtpSettings.from_env({**unset, "MSI_SMTP_HOST": "localhost"}).starttls == "if offered"
    assert (
        SmtpSettings.from_env({**unset, "MSI_SMTP_HOST": "127.0.0.1", "MSI_SMTP_STARTTLS": "true"}).starttls
        == "required"
    )
    assert SmtpSettings.from_env({}) is None
    assert PASSWORD not in repr(
        SmtpSettings.from_env({**base, "MSI_SMTP_HOST": "localhost", "MSI_SMTP_PASSWORD": PASSWORD})
    )


def test_one_icb_gives_the_same_list_on_its_page_in_its_workbook_and_in_its_e_mail(run):
    """The one signal model: the report's ICB page, the workbook's first sheet and the e-mail open with the same
    short list in the same order; the page, the Signals sheet and the Summary give the same count of new
    signals."""
    import openpyxl

    from pipelines.outputs.analysis import load_analysis
    from pipelines.outputs.report.site import read_data_module
    from pipelines.outputs.signals import count_words, icb_signals

    words = count_words(icb_signals(load_analysis(run, MONTH), "QOP"))
    _, page = read_data_module(run.report(MONTH) / "icb" / "QOP.js")  # what the ICB's page shows (site.js)
    assert page["icb"]["digest"]["count"] == words
    wb = openpyxl.load_workbook(run.extracts(MONTH) / "QOP.xlsx", read_only=True)
    assert f": {words}" in wb["Signals"]["A1"].value and wb["Summary"]["A3"].value.startswith(words)
    path = subscribe(run, "subscriptions:\n  - icb: QOP\n    to: [gm@example.nhs.uk]\n")
    notify_month(run, MONTH, path, dry_run=True)
    message = email.message_from_bytes((run.outbox(MONTH) / "QOP.eml").read_bytes(), policy=policy.default)
    mailed = entries(message.get_body(("plain",)).get_content())
    on_page = [(e["indicator_id"], e["code"]) for e in page["icb"]["first"]]
    assert mailed and on_page == mailed


def test_a_third_channel_is_one_file(run, tmp_path, monkeypatch):
    # The channel module is copied into the channels package's path and nothing else is changed: `msi
    # notify` finds it, sends through it (no SMTP configured) and, run again, sends nothing twice.
    import shutil
    import sys

    from click.testing import CliRunner

    import pipelines.notify.channels as channels
    from pipelines.cli import main

    folder = tmp_path / "channels"
    folder.mkdir()
    shutil.copy(Path(__file__).with_name("record_channel.py"), folder / "record.py")
    monkeypatch.setattr(channels, "__path__", [*channels.__path__, str(folder)])
    monkeypatch.delitem(sys.modules, "pipelines.notify.channels.record", raising=False)
    for name in [k for k in os.environ if k.startswith("MSI_SMTP_")]:
        monkeypatch.delenv(name)
    delivered = tmp_path / "delivered.jsonl"
    monkeypatch.setenv("MSI_RECORD_CHANNEL_FILE", str(delivered))
    path = subscribe(run, SUBSCRIPTIONS)
    assert "record" in channels.available() and [c.name for c in channels.configured()] == ["record"]
    first = CliRunner().invoke(
        main, ["notify", "--data-dir", str(run.root), "--month", MONTH, "--subscriptions", str(path)]
    )
    assert first.exit_code == 0, first.output
    lines = [json.loads(x) for x in delivered.read_text().splitlines()]
    assert sorted(x["key"] for x in lines) == ["QOP", "QWE"] and all("July 2026" in x["subject"] for x in lines)
    assert "QOP: " in first.output and ", sent ->" in first.output
    again = CliRunner().invoke(
        main, ["notify", "--data-dir", str(run.root), "--month", MONTH, "--subscriptions", str(path)]
    )
    assert again.exit_code == 0 and "already sent" in again.output
    assert len(delivered.read_text().splitlines()) == 2  # nothing sent twice
    (run.outbox(MONTH) / "sent-record.json").unlink()  # leave the shared run's outbox as the other tests expect


def test_a_damaged_failure_record_is_said_not_a_traceback(run):
    from pipelines.cli import email_failure_line

    fresh_outbox(run)
    run.outbox(MONTH).mkdir(parents=True)
    (run.outbox(MONTH) / "failed.json").write_text('{"at": "2026-')  # cut short
    line = email_failure_line(run, MONTH, "sending again")
    assert "failed.json, cannot be read (delete it; the next send writes a new one)" in line
    fresh_outbox(run)
    assert email_failure_line(run, MONTH, "sending again") is None


def test_the_month_signals_are_read_as_the_outputs_wrote_them(run, tmp_path):
    """msi notify reads extracts/<month>/signals.json (what the workbooks and pages show) instead of assessing
    every series again: the same signals, field for field, as assessing them now; a damaged file, or one older
    than the indicator values, is not trusted and the month is assessed instead."""
    import os
    import shutil

    from pipelines.layout import Layout
    from pipelines.notify import outbox
    from pipelines.outputs.analysis import load_analysis
    from pipelines.outputs.signals import SIGNALS_FILE, signals_by_icb

    analysis = load_analysis(run, MONTH)
    assessed = signals_by_icb(analysis)
    read = outbox.month_signals(run, MONTH)
    assert read.signals == assessed and sum(map(len, assessed.values())) > 10
    assert set(read.icbs) >= set(assessed) and read.synthetic == analysis.synthetic

    copy = Layout(tmp_path / "data")
    shutil.copytree(run.root, copy.root, ignore=shutil.ignore_patterns("dagster_home"))
    calls = []
    real = outbox.load_analysis
    outbox_load = lambda *a, **k: calls.append(a) or real(*a, **k)  # noqa: E731
    try:
        outbox.load_analysis = outbox_load
        assert outbox.month_signals(copy, MONTH).signals == assessed and calls == []  # read, not assessed
        (copy.extracts(MONTH) / SIGNALS_FILE).write_text('{"month": "2026-07", "signals": {"QOP": [{"indic')
        said = []
        assert outbox.month_signals(copy, MONTH, said.append).signals == assessed and len(calls) == 1  # assessed
        assert said == [
            f"{copy.extracts(MONTH) / SIGNALS_FILE} could not be read (JSONDecodeError: Unterminated "
            "string starting at: line 1 column 43 (char 42)); the month's signals are assessed again "
            "from the indicator values (the next msi run writes the file anew)"
        ]
        shutil.copy(run.extracts(MONTH) / SIGNALS_FILE, copy.extracts(MONTH) / SIGNALS_FILE)
        old = (copy.extracts(MONTH) / SIGNALS_FILE).stat().st_mtime - 3600
        os.utime(copy.extracts(MONTH) / SIGNALS_FILE, (old, old))  # written before the values it came from
        assert outbox.month_signals(copy, MONTH).signals == assessed and len(calls) == 2
    finally:
        outbox.load_analysis = real
