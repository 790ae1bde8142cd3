"""The monthly signals e-mail: one message per subscribed ICB listing the month's new concerning signals.

subscriptions.py  who gets what (a YAML file, validated at load)
signals.py        which signals are worth an e-mail (the alert rules, against alert fatigue)
message.py        the message: text grouped by indicator then practice, report link, workbook attached
smtp.py           sending through SMTP with STARTTLS and retries; settings from the environment
outbox.py         one month's run: .eml files in the outbox, then (unless a dry run) sent and recorded
"""
