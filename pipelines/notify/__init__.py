"""The monthly signals messages: signals -> message -> channel, one message per subscribed ICB listing the
month's new concerning signals.

subscriptions.py  who gets what (a YAML file, validated at load)
message.py        the message: text grouped by indicator then practice, report link, workbook attached
channels/         where messages go: eml.py (the outbox's .eml files, always), smtp.py (e-mail through
                  SMTP with STARTTLS and retries); a new channel is one module there
outbox.py         one month's run: messages written to the outbox, then sent by each configured channel
                  and recorded, so nothing goes twice
(The signals themselves come from the one signal model, pipelines/outputs/signals.py.)
"""
