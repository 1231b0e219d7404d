"""Sentry: errors reach a (local) Sentry endpoint tagged with the tenant and without personal data."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import sentry_sdk

from suresh_ai.settings.sentry import init_sentry
from suresh_ai.testing import TenantFixture, login_client


class _Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def sentry_server() -> Iterator[str]:
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_port}/1"
    server.shutdown()
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a disabled client for the other tests


def test_sentry_off_without_dsn() -> None:
    assert init_sentry(dsn="", environment="test", release="x") is False


def test_error_is_reported_with_tenant_tag_and_no_pii(
    alpha: TenantFixture, sentry_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert init_sentry(dsn=sentry_server, environment="test", release="r1") is True

    def broken(**_kwargs: object) -> None:
        raise RuntimeError("selector exploded")

    monkeypatch.setattr("tenants.selectors.memberships_of", broken)
    client = login_client(alpha, alpha.owner)
    client.raise_request_exception = False
    sentry_sdk.get_isolation_scope().set_user(None)  # nothing left from an earlier request
    assert client.get("/api/v1/members/").status_code == 500
    sentry_sdk.flush(timeout=5)
    events = []
    for envelope in _Collector.received:
        for line in envelope.split(b"\n"):
            if line.startswith(b"{") and b'"exception"' in line:
                events.append(json.loads(line))
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["tenant"] == "t_alpha"
    assert event["environment"] == "test"
    assert event["release"] == "r1"
    assert event["user"] == {"id": str(alpha.owner.pk)}
    assert event["exception"]["values"][-1]["value"] == "selector exploded"
    assert "owner@alpha.in" not in json.dumps(event)
