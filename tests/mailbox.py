"""A real SMTP server for tests (aiosmtpd), and a bounded wait for what arrives."""

from __future__ import annotations

import time
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.live import free_port


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    """Poll until ``condition()`` is truthy; fail after ``timeout`` seconds (a bound, not a speed test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Inbox:
    """An aiosmtpd handler that keeps what it receives and the logins it saw."""

    def __init__(self, login: bytes = b"", password: bytes = b"") -> None:
        self.envelopes: list = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.login, self.password = login, password

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (self.login, self.password))

    def messages(self):
        return [BytesParser(policy=policy.default).parsebytes(e.original_content.replace(b"\r\n", b"\n"))
                for e in self.envelopes]


@contextmanager
def smtp_server(inbox: Inbox, with_auth: bool = False):
    kwargs = {"authenticator": inbox.authenticate, "auth_require_tls": False} if with_auth else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=30, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


