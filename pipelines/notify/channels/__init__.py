"""Where a month's messages go. A channel is one module of this package that defines CHANNEL, a class with

    name          what the CLI and the log call it
    record        the outbox file recording what it delivered (so a message never goes twice)
    from_env(env) the channel as the environment configures it, or None when it is not configured
    send(messages, sent, log, **options)
                  deliver every message (key -> Message), appending each key to `sent` as it goes, so
                  that what went out is recorded even when the rest fails (raise NotifyError, one line)

The .eml files are always written to the outbox (eml.py: the archive and the dry run); a real run also
sends through every configured channel (smtp.py when MSI_SMTP_HOST is set). A new channel (a Teams
webhook, say) is one new file here: it is found by its module, configured by its own variables.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Protocol


class NotifyError(RuntimeError):
    """Messages could not be sent; the message says why and what to do (never a credential)."""


class Channel(Protocol):
    name: str
    record: str

    @classmethod
    def from_env(cls, env=None) -> Channel | None: ...

    def send(self, messages: dict, sent: list[str], log=lambda _: None, **options) -> None: ...


def available() -> dict[str, type[Channel]]:
    """Every channel module of this package, by name (eml first: it is the archive, never configured)."""
    found: dict[str, type[Channel]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: (m.name != "eml", m.name)):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "CHANNEL"):
            found[module.CHANNEL.name] = module.CHANNEL
    return found


def plugged_in_variables() -> tuple[str, ...]:
    """The MSI_* variables channels outside pipelines/environment.py read (a channel may list its own in a
    `variables` attribute), so that `msi` does not call them misspelt."""
    return tuple(name for cls in available().values() for name in getattr(cls, "variables", ()))


def configured(env=None) -> list[Channel]:
    """The sending channels the environment configures (none: nothing can be sent)."""
    env = os.environ if env is None else env
    return [c for c in (cls.from_env(env) for cls in available().values()) if c is not None]
