"""A real SMTP server for the tests (aiosmtpd on a free local port, 127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import email
import socket
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "mailer", "p@ss word"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None, "the message has no plain-text part"
        return body.get_content()


class Inbox:
    """The aiosmtpd handler: keeps every accepted message; can refuse chosen recipients."""

    def __init__(self):
        self.messages: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 No such user"
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An SMTP server on 127.0.0.1 that requires a login, and can be stopped and started again."""

    def __init__(self, **options):
        self.port = free_port()
        self.inbox = Inbox()
        self.options = options
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{SMTP_USER}:p%40ss%20word@127.0.0.1:{self.port}"

    def start(self) -> None:
        options = {"authenticator": _authenticator, "auth_required": True, "auth_require_tls": False, **self.options}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
