"""A real HTTP server for tests that receives webhooks (alerts to Slack, Discord or our signed
webhook): a ThreadingHTTPServer on a free local port, keeping each POST with its arrival time.

with WebhookReceiver() as hooks:
    ...  # point a webhook URL at hooks.url
    [hook] = hooks.wait_for(1, timeout=10)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class ReceivedHook:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.time()

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """``hold={"/a": "/b"}``: a POST to /a gets its answer only once a POST to /b has arrived (or
    after 3 s); ``released["/a"]`` then says whether /b came while /a was waiting."""

    def __init__(self, status: int = 204, hold: dict[str, str] | None = None) -> None:
        self.status = status
        self.received: list[ReceivedHook] = []
        self.gets = 0  # GETs answered (uptime checks)
        self.released: dict[str, bool] = {}
        self._lock = threading.Condition()
        receiver = self
        holds = hold or {}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook = ReceivedHook(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver._lock:
                    receiver.received.append(hook)
                    receiver._lock.notify_all()
                    if self.path in holds:
                        receiver.released[self.path] = receiver._lock.wait_for(
                            lambda: any(h.path == holds[self.path] for h in receiver.received), timeout=3
                        )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # an uptime target: answers with the receiver's status
                with receiver._lock:
                    receiver.gets += 1
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 10.0, path: str | None = None) -> list[ReceivedHook]:
        """The first ``count`` hooks (to ``path`` when given); fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                hooks = [h for h in self.received if path is None or h.path == path]
                if len(hooks) >= count:
                    return hooks[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhooks to {path or 'any path'}, got {len(hooks)}")
                self._lock.wait(left)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
