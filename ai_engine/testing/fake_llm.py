"""A local fake of an OpenAI-compatible chat-completions API (Groq's and OpenAI's shape).

Serves ``POST /openai/v1/chat/completions`` (where the ``groq`` SDK calls) and
``POST /v1/chat/completions`` (the ``openai`` SDK with a base URL ending in /v1), as JSON or as a
Server-Sent-Events stream, checks the Bearer key, and can be told to answer a model with 429 +
Retry-After, a 5xx, or slowly. Its replies are labelled as the fake's, so a test can never mistake
them for a model's. Tests start it and point the SDKs at it; nothing in our code is patched.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeLLM:
    api_key: str = "fake-llm-key"
    # model -> behaviours consumed one per call: "ok", "429", "500", "503", "400", "401", "slow",
    # "garbage" (a 200 that is not JSON), "cut" (a stream that stops part-way)
    script: dict[str, list[str]] = field(default_factory=dict)
    retry_after: str = "1"
    # model -> a fixed reply (tests that need a model to answer in a given format set it)
    replies: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 2.0
    # Time every answer takes before its first byte (seconds): a provider's think time.
    think_seconds: float = 0.0
    # Pause between streamed pieces (seconds); with it, a client that hangs up mid-answer is seen
    # as a broken connection and counted in ``hangups``.
    stream_pause: float = 0.0
    hangups: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_behaviour(self, model: str) -> str:
        with self._lock:
            self.calls[model] += 1
            queue = self.script.get(model) or []
            return queue.pop(0) if queue else "ok"

    @staticmethod
    def reply_text(model: str, messages: list[dict[str, Any]]) -> str:
        last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        return f"[fake {model}] reply to: {str(last)[:200]}"

    @staticmethod
    def tokens(text: str) -> int:
        return max(1, len(text.split()))


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            """The model list (GET /openai/v1/models), as the provider answers it: the health check's call."""
            if self.path.split("?")[0] not in ("/openai/v1/models", "/v1/models"):
                self._json(404, {"error": {"message": "Unknown path", "type": "invalid_request_error"}})
                return
            if not hmac.compare_digest(self.headers.get("Authorization", ""), f"Bearer {fake.api_key}"):
                self._json(401, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
                return
            models = sorted({"llama-3.1-8b-instant", "llama-3.3-70b-versatile", *fake.script, *fake.replies})
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in models]
            self._json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path.split("?")[0] not in ("/openai/v1/chat/completions", "/v1/chat/completions"):
                self._json(404, {"error": {"message": "Unknown path", "type": "invalid_request_error"}})
                return
            auth = self.headers.get("Authorization", "")
            if not hmac.compare_digest(auth, f"Bearer {fake.api_key}"):
                self._json(401, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
                return
            try:
                body = json.loads(raw)
                model, messages = str(body["model"]), list(body["messages"])
            except (ValueError, KeyError, TypeError):
                self._json(400, {"error": {"message": "Bad request", "type": "invalid_request_error"}})
                return
            with fake._lock:
                fake.requests.append(body)
            behaviour = fake.next_behaviour(model)
            if behaviour == "429":
                self._json(
                    429,
                    {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
                    {"Retry-After": fake.retry_after},
                )
                return
            if behaviour in ("500", "503"):
                self._json(int(behaviour), {"error": {"message": "Upstream error", "type": "server_error"}})
                return
            if behaviour == "400":
                self._json(400, {"error": {"message": "context_length_exceeded", "type": "invalid_request_error"}})
                return
            if behaviour == "401":
                self._json(401, {"error": {"message": "Invalid API Key", "type": "invalid_request_error"}})
                return
            if behaviour == "garbage":
                data = b"<html>not json</html>"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if behaviour == "slow":
                time.sleep(fake.slow_seconds)
            if fake.think_seconds:
                time.sleep(fake.think_seconds)
            text = fake.replies.get(model) or fake.reply_text(model, messages)
            prompt_tokens = sum(fake.tokens(str(m.get("content", ""))) for m in messages)
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": fake.tokens(text),
                "total_tokens": prompt_tokens + fake.tokens(text),
            }
            created = int(time.time())
            if body.get("stream"):
                self._stream(model, text, usage, created, cut=behaviour == "cut")
                return
            self._json(
                200,
                {
                    "id": f"chatcmpl-fake-{created}",
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                },
            )

        def _stream(self, model: str, text: str, usage: dict[str, int], created: int, cut: bool = False) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            words = text.split(" ")
            for i, word in enumerate(words):
                piece = word + (" " if i < len(words) - 1 else "")
                chunk = {
                    "id": f"chatcmpl-fake-{created}",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": piece},
                            "finish_reason": None,
                        }
                    ],
                }
                try:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    with fake._lock:
                        fake.hangups += 1
                    self.close_connection = True
                    return
                if fake.stream_pause:
                    time.sleep(fake.stream_pause)
                if cut and i == 1:  # the connection closes cleanly mid-answer, without finish_reason
                    self.wfile.flush()
                    self.close_connection = True
                    return
            final = {
                "id": f"chatcmpl-fake-{created}",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": usage,
                "x_groq": {"usage": usage},
            }
            self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_llm_server(fake: FakeLLM | None = None) -> Iterator[tuple[FakeLLM, str]]:
    """Serve a FakeLLM on 127.0.0.1 (a free port); yields (fake, base URL without a path)."""
    fake = fake or FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
