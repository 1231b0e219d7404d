"""A real SMTP server for tests: aiosmtpd on a free local port, keeping every message it receives.

with SmtpServer() as smtp:
    ...  # point EMAIL_URL at smtp.url
    [message] = smtp.wait_for(1, timeout=10)
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as it arrived: the SMTP envelope and the parsed RFC 5322 message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    def body(self, subtype: str) -> str:
        """The decoded ``text/<subtype>`` part ("plain" or "html"); empty when there is none."""
        part = self.message.get_body(preferencelist=(subtype,))
        return "" if part is None else str(part.get_content())

    @property
    def text(self) -> str:
        return self.body("plain")

    @property
    def html(self) -> str:
        return self.body("html")


class _Collector:
    """aiosmtpd handler: parses each message and appends it under a lock, waking any waiter."""

    def __init__(self) -> None:
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        received = ReceivedMessage(mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos), message=parsed)
        with self._changed:
            self._messages.append(received)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[ReceivedMessage]:
        with self._changed:
            return list(self._messages)

    def clear(self) -> None:
        with self._changed:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} email(s) within {timeout}s, got {len(self._messages)}: "
                        f"{[m.message['Subject'] for m in self._messages]}"
                    )
                self._changed.wait(remaining)
            return list(self._messages)

    def wait_for_match(self, matches: Callable[[ReceivedMessage], bool], timeout: float) -> ReceivedMessage:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self._messages if matches(m)]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching email within {timeout}s")
                self._changed.wait(remaining)


class _FreePortController(Controller):
    """Binds port 0 (the OS picks a free port, no race) and learns the port before self-testing."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A local SMTP server (no TLS, no auth) in a background thread. Use as a context manager."""

    def __init__(self, hostname: str = "127.0.0.1", port: int = 0) -> None:
        self._collector = _Collector()
        self._controller = _FreePortController(self._collector, hostname=hostname, port=port)

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """An EMAIL_URL (django-environ) that points Django's SMTP backend here."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A copy of what has arrived so far, oldest first."""
        return self._collector.snapshot()

    def clear(self) -> None:
        self._collector.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages have arrived; TimeoutError after ``timeout`` seconds."""
        return self._collector.wait_for(count, timeout)

    def mail_to(self, address: str, timeout: float = 30.0) -> str:
        """The text of the latest message to ``address``, waiting for one to arrive."""
        return self._collector.wait_for_match(lambda m: address in m.rcpt_tos, timeout).text

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop(no_assert=True)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
