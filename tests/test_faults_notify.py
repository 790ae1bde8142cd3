"""Fault injection, the signals e-mail: a subscriptions file, a code or a name that would end a message's
header block or make a file name, and SMTP servers that never finish answering. Each case changes one thing
against a good data directory (January 2026, the 17 real EPD rows and NHS Digital's files) and checks the
exit status, the line the user reads and that the lake and warehouse are untouched (sha256); servers are
started on 127.0.0.1 by the tests."""

import email
import socket
import threading
import time
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.notify.message import compose
from pipelines.notify.subscriptions import ICB_CODE
from pipelines.outputs.wording import safe_code
from tests.fault_runs import copy_data, digests, good_month, month_inputs, one_line, run

GOOD_SUBSCRIPTIONS = "subscriptions:\n  - icb: QOP\n    to: [gm.medicines.safety@example.nhs.uk]\n"


@pytest.fixture(scope="module")
def good_data(tmp_path_factory):
    data = good_month(tmp_path_factory.mktemp("good_notify"))
    (data / "subscriptions.yaml").write_text(GOOD_SUBSCRIPTIONS)
    return data


def notify(data: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["notify", "--data-dir", str(data), *args], env=env)


# --- header injection and file names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, subscriptions, says",
    [
        (
            "an address written as a YAML block (it ends in a newline)",
            "subscriptions:\n  - icb: QOP\n    to:\n      - |\n        gm@example.nhs.uk\n",
            r"subscriptions.0.to: not an e-mail address: 'gm@example.nhs.uk\n'",
        ),
        (
            "two addresses, the first ending in a newline",
            'subscriptions:\n  - icb: QOP\n    to: ["gm@example.nhs.uk\\n", b@example.nhs.uk]\n',
            r"not an e-mail address: 'gm@example.nhs.uk\n'",
        ),
        (
            "an address with a header after it",
            'subscriptions:\n  - icb: QOP\n    to: ["gm@example.nhs.uk\\nBcc: x@evil.example"]\n',
            "not an e-mail address",
        ),
        (
            "an ICB code ending in a newline",
            'subscriptions:\n  - icb: "QOP\\n"\n    to: [gm@example.nhs.uk]\n',
            r"subscriptions.0.icb: 'QOP\n' is not an ICB code",
        ),
        (
            "an ICB code in neither reference list",
            "subscriptions:\n  - icb: QZZ\n    to: [gm@example.nhs.uk]\n",
            "subscriptions.0.icb: 'QZZ' is not an ICB in reference/icbs_2022_07_to_2026_03.csv or "
            "reference/icbs_from_2026_04.csv",
        ),
    ],
)
def test_a_subscription_that_would_end_the_headers_is_refused(good_data, tmp_path, case, subscriptions, says):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    (data / "subscriptions.yaml").write_text(subscriptions)
    result = notify(data, "--dry-run")
    output = one_line(result)
    assert result.exit_code == 1 and says in output, output
    assert "Traceback" not in result.output and not (data / "outbox").exists()
    assert digests(data) == before


def test_sending_without_smtp_settings_is_one_line_and_writes_nothing(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    result = notify(data, env={"MSI_SMTP_HOST": ""})
    assert result.exit_code == 1, result.output
    assert one_line(result) == (
        "msi notify: no channel to send through: for e-mail set MSI_SMTP_HOST and "
        "MSI_SMTP_FROM (README: 'The monthly signals e-mail'), or use --dry-run to write the "
        "messages without sending"
    )
    assert not (data / "outbox").exists() and digests(data) == before


def test_a_subscriber_who_gets_nothing_makes_notify_fail(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    (data / "subscriptions.yaml").write_text(GOOD_SUBSCRIPTIONS + "  - icb: QHG\n    to: [blmk@example.nhs.uk]\n")
    result = notify(data, "--dry-run")
    assert result.exit_code == 1 and "QHG: no rows for this ICB in 2026-01" in result.output, result.output
    assert (data / "outbox" / "2026-01" / "QOP.eml").is_file()  # the others are still written


def test_codes_with_a_line_end_make_no_file_name():
    """`$` matches before a trailing newline: every code that becomes a file name is matched whole."""
    assert safe_code("U85004") and not safe_code("U85004\n") and not safe_code("QOP\n")
    assert ICB_CODE.fullmatch("QOP") and not ICB_CODE.fullmatch("QOP\n")


def test_a_pcn_code_with_a_line_end_in_the_map_is_refused(tmp_path):
    """Quoted, a map field may hold a line end: the practice map's expectations refuse it, so it never reaches
    a report page's file name (pcn/U14327\\n.html)."""
    from tests.nhs_digital_fixtures import map_text

    bad = map_text().replace(",U14327,OLDHAM CENTRAL PCN,", ',"U14327\n",OLDHAM CENTRAL PCN,')
    result = run(*month_inputs(tmp_path, {"gp-reg-pat-prac-map.csv": bad.encode()}), tmp_path / "data")
    output = one_line(result)
    assert result.exit_code == 1 and "PCN_CODE is 'U' and five digits, 'U' (no PCN) or blank: 2 unexpected" in output
    assert not (tmp_path / "data" / "lake" / "practice_geography").exists()


def test_every_header_of_every_message_is_one_line(good_data, tmp_path):
    data = copy_data(good_data, tmp_path)
    (data / "subscriptions.yaml").write_text(
        "subscriptions:\n  - icb: QOP\n    to: [gm.medicines.safety@example.nhs.uk, gm.pharmacy@example.nhs.uk]\n"
        "  - icb: QOP\n    to: [second@example.nhs.uk]\n    indicators: [methotrexate_10mg_items]\n"
    )
    result = notify(data, "--dry-run")
    assert result.exit_code == 0, result.output
    files = sorted((data / "outbox" / "2026-01").glob("*.eml"))
    assert [f.name for f in files] == ["QOP-2.eml", "QOP.eml"]
    for path in files:
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
        message = email.message_from_bytes(raw, policy=policy.default)
        names = [k for k, _ in message.items()]
        assert names == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"], names
        for line in head.splitlines():
            assert line[:1] in (b" ", b"\t") or b":" in line  # a field, or the folded rest of one
        for name, value in message.items():
            assert "\n" not in str(value) and "\r" not in str(value), (name, value)


def test_a_name_with_a_line_end_cannot_add_a_header(tmp_path):
    message = compose(
        "msi@example.nhs.uk",
        ["a@example.nhs.uk"],
        "Medication safety: NHS X\r\nBcc: everyone@evil.example",
        "text",
        None,
    )
    raw = message.as_bytes(policy=policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Medication safety: NHS X Bcc: everyone@evil.example"


# --- SMTP servers that do not finish answering ---------------------------------------------------------------


class SlowServer:
    """A TCP server on 127.0.0.1 that accepts, then either says nothing or trickles a greeting a byte at a
    time (every `every` seconds), never finishing a line."""

    def __init__(self, every: float | None):
        self.every = every
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        with conn:
            for byte in b"220 slow.example ESMTP" * 100:
                if self.stop.wait(self.every if self.every else 60):
                    return
                if self.every:
                    try:
                        conn.send(bytes([byte]))
                    except OSError:
                        return

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize(
    "case, every, env, says, within",
    [
        (
            "a server that trickles its greeting a byte every 0.5 s",
            0.5,
            {"MSI_SMTP_TIMEOUT": "2", "MSI_SMTP_DEADLINE": "4"},
            "timed out sending to the SMTP server 127.0.0.1:{port}: the connection's 4 s deadline passed; "
            "0 of 1 messages sent",
            12,
        ),
        (
            "a server that accepts and says nothing",
            None,
            {"MSI_SMTP_TIMEOUT": "1"},
            "timed out sending to the SMTP server 127.0.0.1:{port}: no answer within 1 s; 0 of 1 messages sent",
            10,
        ),
    ],
)
def test_a_slow_server_is_a_timeout_in_one_line(good_data, tmp_path, case, every, env, says, within):
    data = copy_data(good_data, tmp_path)
    before = digests(data)
    server = SlowServer(every)
    try:
        started = time.monotonic()
        result = notify(
            data,
            env={
                "MSI_SMTP_HOST": "127.0.0.1",
                "MSI_SMTP_PORT": str(server.port),
                "MSI_SMTP_FROM": "msi@example.nhs.uk",
                "MSI_SMTP_STARTTLS": "false",
                **env,
            },
        )
        took = time.monotonic() - started
    finally:
        server.close()
    output = one_line(result)
    assert result.exit_code == 1 and says.format(port=server.port) in output, output
    assert took < within, f"{took:.1f} s"
    assert "Traceback" not in result.output
    assert (data / "outbox" / "2026-01" / "QOP.eml").is_file()  # the message waits in the outbox
    assert digests(data) == before
