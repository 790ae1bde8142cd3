"""A third channel, whole in this one file: each message as a JSON line in the file MSI_RECORD_CHANNEL_FILE
names (standing in for a Teams webhook). tests/notify/test_notify.py drops it into the channels package."""

import json
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordChannel:
    path: str
    name = "record"
    variables = ("MSI_RECORD_CHANNEL_FILE",)
    record = "sent-record.json"

    @classmethod
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        return cls(env["MSI_RECORD_CHANNEL_FILE"]) if env.get("MSI_RECORD_CHANNEL_FILE") else None

    def send(self, messages, sent, log=lambda _: None, **options):
        with open(self.path, "a", encoding="utf-8") as fh:
            for key, message in messages.items():
                fh.write(
                    json.dumps(
                        {"key": key, "icb": message.icb, "subject": message.subject, "lines": message.text.count("\n")}
                    )
                    + "\n"
                )
                sent.append(key)


CHANNEL = RecordChannel
