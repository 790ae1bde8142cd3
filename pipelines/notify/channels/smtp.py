"""The e-mail channel: sending through SMTP, STARTTLS before anything else, credentials from the
environment, retries; what went out is recorded in the outbox's sent.json.

MSI_SMTP_HOST      the server (no host: nothing is sent; `msi notify --dry-run` still writes the .eml files)
MSI_SMTP_PORT      default 587 (submission)
MSI_SMTP_USER, MSI_SMTP_PASSWORD   optional login; the password is never logged or put in an error
MSI_SMTP_FROM      the sender address
MSI_SMTP_STARTTLS  unset: required, except to a relay on this machine (127.0.0.1/localhost/::1), where it is
                   used when offered (the message never leaves the machine in clear); true: required there
                   too; false: never (a relay on this machine only)
MSI_SMTP_CA_FILE   a CA bundle for a server whose certificate a private CA signed
MSI_SMTP_TIMEOUT   seconds to wait for any one answer (default 30)
MSI_SMTP_DEADLINE  seconds for the whole send, every attempt included (default 300); each connection also
                   ends after CONNECTION_SECONDS. A timeout only bounds one read: a server that trickles its
                   answer a byte at a time would otherwise hold the send for ever.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from pipelines.environment import SettingError, value
from pipelines.notify.channels import NotifyError
from pipelines.notify.message import Message, as_email
from pipelines.notify.subscriptions import ADDRESS

ATTEMPTS = 3
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # a relay here: the message does not cross a network in clear
CONNECTION_SECONDS = 180.0  # one connection: greeting, STARTTLS, login and every message


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: str = "required"  # required | if offered | off (LOOPBACK hosts only for the last two)
    ca_file: str = ""
    timeout: float = 30.0
    deadline: float = 300.0

    @classmethod
    def from_env(cls, env=None) -> SmtpSettings | None:
        """From the MSI_SMTP_* variables (pipelines/environment.py checks each); None without a host."""

        def get(name: str):
            try:
                return value(name, env)
            except SettingError as exc:
                raise NotifyError(str(exc)) from None

        host = get("MSI_SMTP_HOST")
        if not host:
            return None
        sender = get("MSI_SMTP_FROM")
        if not ADDRESS.fullmatch(sender):
            raise NotifyError(
                f"MSI_SMTP_FROM must be the sender's e-mail address (one address, like "
                f"msi@example.nhs.uk), not {sender!r}"
            )
        asked, local = get("MSI_SMTP_STARTTLS"), host in LOOPBACK
        if asked is False and not local:
            raise NotifyError(f"MSI_SMTP_STARTTLS=false is only allowed for a relay on this machine, not {host}")
        starttls = "required" if asked or (asked is None and not local) else "if offered" if asked is None else "off"
        return cls(
            host=host,
            sender=sender,
            user=get("MSI_SMTP_USER"),
            password=get("MSI_SMTP_PASSWORD"),
            starttls=starttls,
            ca_file=get("MSI_SMTP_CA_FILE"),
            port=get("MSI_SMTP_PORT"),
            timeout=get("MSI_SMTP_TIMEOUT"),
            deadline=get("MSI_SMTP_DEADLINE"),
        )


# Worth trying again: the server was not there or went away (a 4xx answer, "try later", is handled below).
# A server that accepted the connection and then said nothing in time is not tried again: it is reported.
TRANSIENT = (ConnectionError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


class _Deadline:
    """Ends a connection at a wall-clock deadline by shutting its socket down from a timer thread: the read
    waiting on it returns at once, and `passed` tells the sender why."""

    def __init__(self, smtp: smtplib.SMTP, seconds: float) -> None:
        self.smtp, self.passed = smtp, False
        self.timer = threading.Timer(max(seconds, 0.0), self._end)
        self.timer.daemon = True

    def _end(self) -> None:
        self.passed = True
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Deadline:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()


def send_all(
    settings: SmtpSettings,
    messages: dict[str, EmailMessage],
    sent: list[str],
    attempts: int = ATTEMPTS,
    wait: Callable[[int], float] = lambda k: 5.0 * k,
    log: Callable[[str], None] = lambda _: None,
) -> None:
    """Send every message (key -> message) over one connection, reconnecting up to `attempts` times while
    the server is unreachable, all within the settings' deadline. The key of each message the server
    accepted is appended to `sent` as it goes (so the caller knows, even when this raises); one already
    accepted is not sent again."""
    where = f"{settings.host}:{settings.port}"
    end = time.monotonic() + settings.deadline
    problem = "not tried"
    for attempt in range(1, attempts + 1):
        left = end - time.monotonic()
        if left <= 0:
            break
        # Made without a host so that the deadline's timer runs before the greeting is read; smtplib keeps
        # the host for STARTTLS's certificate check in _host, which only its constructor sets.
        smtp = smtplib.SMTP(timeout=min(settings.timeout, left))
        smtp._host = settings.host  # type: ignore[attr-defined]  # private, and what STARTTLS checks
        limit = min(CONNECTION_SECONDS, left)
        deadline = _Deadline(smtp, limit)
        try:
            with deadline, smtp:
                smtp.connect(settings.host, settings.port)
                smtp.ehlo()
                offered = smtp.has_extn("starttls")
                if settings.starttls == "required" and not offered:
                    raise NotifyError(
                        f"{where} offers no STARTTLS; msi will not send over a clear connection to another machine"
                    )
                if offered and settings.starttls != "off":
                    smtp.starttls(context=ssl.create_default_context(cafile=settings.ca_file or None))
                    smtp.ehlo()
                if settings.user:
                    smtp.login(settings.user, settings.password)
                for key, message in messages.items():
                    if key not in sent:
                        smtp.send_message(message)
                        sent.append(key)
            return
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifyError(
                f"{where} refused the login for MSI_SMTP_USER ({exc.smtp_code}); check the credentials"
            ) from None
        except TimeoutError as exc:
            raise _timed_out(where, f"no answer within {smtp.timeout:.0f} s", sent, messages) from exc
        except ssl.SSLError as exc:
            if deadline.passed:
                raise _timed_out(where, f"the connection's {limit:.0f} s deadline passed", sent, messages) from None
            raise NotifyError(
                f"{where}: TLS failed ({exc.reason or exc}); set MSI_SMTP_CA_FILE if a private CA "
                "signed the server's certificate"
            ) from None
        except TRANSIENT as exc:
            if deadline.passed:  # our timer closed the connection: the server was too slow, not gone
                raise _timed_out(where, f"the connection's {limit:.0f} s deadline passed", sent, messages) from None
            if "timed out" in str(exc):  # smtplib reports a read that timed out as the server going away
                raise _timed_out(where, f"no answer within {smtp.timeout:.0f} s", sent, messages) from None
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifyError(f"{where} refused the recipient(s) {', '.join(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            if not 400 <= exc.smtp_code < 500:
                raise NotifyError(
                    f"{where} refused a message ({exc.smtp_code} {_text(exc.smtp_error)[:120]})"
                ) from None
            problem = f"{exc.smtp_code} (try later)"
        log(f"attempt {attempt} of {attempts} to reach {where} failed: {problem}")
        if attempt < attempts:
            time.sleep(max(0.0, min(wait(attempt), end - time.monotonic())))
    if time.monotonic() >= end:
        raise _timed_out(
            where,
            f"the whole send's {settings.deadline:.0f} s deadline (MSI_SMTP_DEADLINE) passed ({problem})",
            sent,
            messages,
        )
    raise NotifyError(
        f"could not reach the SMTP server {where} after {attempts} attempts ({problem}); "
        f"{len(sent)} of {len(messages)} messages sent"
    )


def _timed_out(where: str, why: str, sent: list[str], messages: dict) -> NotifyError:
    return NotifyError(
        f"timed out sending to the SMTP server {where}: {why}; {len(sent)} of {len(messages)} "
        "messages sent (MSI_SMTP_TIMEOUT, MSI_SMTP_DEADLINE)"
    )


@dataclass(frozen=True)
class SmtpChannel:
    settings: SmtpSettings
    name = "smtp"
    record = "sent.json"

    @classmethod
    def from_env(cls, env=None) -> SmtpChannel | None:
        settings = SmtpSettings.from_env(env)
        return cls(settings) if settings else None

    @property
    def sender(self) -> str:
        return self.settings.sender

    def send(self, messages: dict[str, Message], sent: list[str], log=lambda _: None, **options) -> None:
        send_all(self.settings, {k: as_email(m) for k, m in messages.items()}, sent, log=log, **options)


CHANNEL = SmtpChannel


def _text(reply: bytes | str) -> str:
    """A server's reply as text (smtplib keeps it as bytes)."""
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
