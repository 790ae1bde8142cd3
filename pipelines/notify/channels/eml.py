"""The .eml channel: each message as an e-mail file in <data-dir>/outbox/<month>/<key>.eml. Written on every
run, sent or not: the archive of what went out, and the whole of a dry run (`msi notify --dry-run`)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from pathlib import Path

from pipelines.atomic import publish_file, scratch_name
from pipelines.layout import Layout
from pipelines.notify.message import Message, as_email


@dataclass(frozen=True)
class EmlChannel:
    layout: Layout
    outbox: Path
    name = "eml"
    record = ""  # every run writes every file again: nothing to record

    @classmethod
    def from_env(cls, env=None) -> None:
        return None  # not a sending channel: the outbox writes it itself

    def send(self, messages: dict[str, Message], sent: list[str], log=lambda _: None, **options) -> None:
        for key, message in messages.items():
            built = self.layout.tmp / scratch_name("eml", ".eml")
            built.parent.mkdir(parents=True, exist_ok=True)
            built.write_bytes(as_email(message).as_bytes(policy=policy.SMTP))
            publish_file(built, self.path(key))
            sent.append(key)

    def path(self, key: str) -> Path:
        return self.outbox / f"{key}.eml"


CHANNEL = EmlChannel
