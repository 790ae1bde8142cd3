"""Sending through SMTP: STARTTLS before anything else, credentials from the environment, retries.

MSI_SMTP_HOST      the server (no host: nothing is sent; `msi notify --dry-run` still writes the .eml files)
MSI_SMTP_PORT      default 587 (submission)
MSI_SMTP_USER, MSI_SMTP_PASSWORD   optional login; the password is never logged or put in an error
MSI_SMTP_FROM      the sender address
MSI_SMTP_STARTTLS  default true; false only for a relay on this machine (127.0.0.1/localhost)
MSI_SMTP_CA_FILE   a CA bundle for a server whose certificate a private CA signed
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

ATTEMPTS = 3


class NotifyError(RuntimeError):
    """Messages could not be sent; the message says why and what to do (never a credential)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    ca_file: str = ""
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env=None) -> "SmtpSettings | None":
        env = os.environ if env is None else env
        host = env.get("MSI_SMTP_HOST", "").strip()
        if not host:
            return None
        sender = env.get("MSI_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise NotifyError("MSI_SMTP_FROM must be the sender's e-mail address")
        starttls = env.get("MSI_SMTP_STARTTLS", "true").strip().lower() not in ("false", "0", "no")
        if not starttls and host not in ("127.0.0.1", "localhost", "::1"):
            raise NotifyError(f"MSI_SMTP_STARTTLS=false is only allowed for a relay on this machine, not {host}")
        try:
            port = int(env.get("MSI_SMTP_PORT", "587"))
        except ValueError:
            raise NotifyError("MSI_SMTP_PORT must be a number") from None
        return cls(host=host, sender=sender, port=port, user=env.get("MSI_SMTP_USER", ""),
                   password=env.get("MSI_SMTP_PASSWORD", ""), starttls=starttls,
                   ca_file=env.get("MSI_SMTP_CA_FILE", ""))


# Worth trying again: the server was not there, went away, or answered 4xx (try later).
TRANSIENT = (ConnectionError, socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


def send_all(settings: SmtpSettings, messages: dict[str, EmailMessage], sent: list[str], attempts: int = ATTEMPTS,
             wait: Callable[[int], float] = lambda k: 5.0 * k, log: Callable[[str], None] = lambda _: None) -> None:
    """Send every message (key -> message) over one connection, reconnecting up to `attempts` times while
    the server is unreachable. The key of each message the server accepted is appended to `sent` as it
    goes (so the caller knows, even when this raises); one already accepted is not sent again."""
    where = f"{settings.host}:{settings.port}"
    for attempt in range(1, attempts + 1):
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                smtp.ehlo()
                if settings.starttls:
                    if not smtp.has_extn("starttls"):
                        raise NotifyError(f"{where} offers no STARTTLS; msi will not send over a clear connection")
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
            raise NotifyError(f"{where} refused the login for MSI_SMTP_USER ({exc.smtp_code}); check the credentials") from None
        except ssl.SSLError as exc:
            raise NotifyError(f"{where}: TLS failed ({exc.reason or exc}); set MSI_SMTP_CA_FILE if a private CA "
                              "signed the server's certificate") from None
        except TRANSIENT as exc:
            problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifyError(f"{where} refused the recipient(s) {', '.join(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            if not 400 <= exc.smtp_code < 500:
                raise NotifyError(f"{where} refused a message ({exc.smtp_code} "
                                  f"{exc.smtp_error.decode(errors='replace')[:120]})") from None
            problem = f"{exc.smtp_code} (try later)"
        log(f"attempt {attempt} of {attempts} to reach {where} failed: {problem}")
        if attempt < attempts:
            time.sleep(wait(attempt))
    raise NotifyError(f"could not reach the SMTP server {where} after {attempts} attempts ({problem}); "
                      f"{len(sent)} of {len(messages)} messages sent")
