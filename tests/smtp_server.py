"""A local SMTP server's pieces for the e-mail tests: an inbox that keeps what it is sent, and a free port
on 127.0.0.1 to run it on (aiosmtpd's Controller starts the server)."""

import socket


class Inbox:
    """An aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
