"""Request metrics through the real middleware: the short window, the Prometheus output, 429s,
the rollup into the database, and the /metrics endpoint's access rules."""

from __future__ import annotations

import time

import pytest
import redis
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from ops.telemetry import recorder
from ops.telemetry.models import RequestMinute
from ops.telemetry.services import requests_rollup
from ops.telemetry.windows import bucket_quantile, endpoint_window, request_window
from suresh_ai.testing import TenantFixture, login_client, staff_client

TOKEN = "scrape-token-for-tests-0123456789"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return _samples(response.content.decode())


def test_requests_are_counted_in_the_window_and_in_prometheus(db: None, platform_client: Client) -> None:
    for _ in range(3):
        assert platform_client.get("/_test/ok/").status_code == 200
    assert platform_client.get("/_test/status/404/").status_code == 404
    assert platform_client.get("/_test/boom/").status_code == 500
    assert platform_client.post("/_test/status/503/").status_code == 503

    window = request_window(5)
    assert window.requests == 6
    assert window.server_errors == 2
    assert window.error_rate == pytest.approx(2 / 6)
    assert window.rate_limited == 0
    assert window.p95_ms is not None
    assert window.p95_ms > 0

    per_endpoint = endpoint_window(5)
    assert per_endpoint["/_test/ok/"].requests == 3
    # Route patterns, never raw paths with ids.
    assert per_endpoint["/_test/status/<int:code>/"].requests == 2
    assert per_endpoint["/_test/status/<int:code>/"].client_errors == 1
    assert not any("404" in endpoint or "503" in endpoint for endpoint in per_endpoint)

    samples = _scrape()
    ok = (("endpoint", "/_test/ok/"), ("method", "GET"))
    assert samples[("suresh_http_requests_total", (*ok, ("status", "2xx")))] == 3
    assert samples[("suresh_http_request_duration_seconds_count", ok)] == 3
    assert samples[("suresh_http_request_duration_seconds_bucket", tuple(sorted((*ok, ("le", "+Inf")))))] == 3
    assert samples[("suresh_http_request_duration_seconds_sum", ok)] > 0
    status = (("endpoint", "/_test/status/<int:code>/"),)
    assert samples[("suresh_http_requests_total", (*status, ("method", "GET"), ("status", "4xx")))] == 1
    assert samples[("suresh_http_requests_total", (*status, ("method", "POST"), ("status", "5xx")))] == 1
    boom = (("endpoint", "/_test/boom/"), ("method", "GET"), ("status", "5xx"))
    assert samples[("suresh_http_requests_total", boom)] == 1


def test_injected_500s_above_one_percent_make_the_error_rate_fire_once(db: None, platform_client: Client) -> None:
    """How the lead's acceptance test injects 500s: the test-only URLconf, through every middleware."""
    from ops.alerting import _request_rules

    for i in range(200):
        path = "/_test/boom/" if i % 40 == 0 else "/_test/ok/"
        platform_client.get(path)
    window = request_window(5)
    assert (window.requests, window.server_errors) == (200, 5)
    assert window.error_rate == 0.025
    firing = _request_rules()
    assert firing is not None
    assert [f.rule for f in firing] == ["error_rate"]


def test_rate_limited_requests_are_counted(db: None) -> None:
    client = Client(HTTP_HOST="localhost")
    statuses = [client.get("/api/v1/platform/health/").status_code for _ in range(40)]
    refused = statuses.count(429)
    assert refused > 0  # anonymous burst is 30
    assert set(statuses) == {401, 429}
    assert request_window(5).rate_limited == refused
    samples = _scrape()
    assert samples[("suresh_http_rate_limited_total", (("endpoint", "/api/v1/platform/health/"),))] == refused


def test_unmatched_paths_share_one_label(db: None) -> None:
    client = Client(HTTP_HOST="localhost")
    client.get("/no/such/page/4711/")
    client.get("/no/such/page/4712/")
    assert endpoint_window(5)[recorder.UNMATCHED].requests == 2


def test_redis_outage_never_fails_a_request(db: None, platform_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_timeout=0.2, socket_connect_timeout=0.2)
    monkeypatch.setattr(recorder, "redis_client", lambda: dead)
    monkeypatch.setattr(recorder, "_down_until", 0.0)
    assert platform_client.get("/_test/ok/").status_code == 200
    assert recorder._down_until > time.time()  # backs off instead of paying the timeout per request
    assert platform_client.get("/_test/ok/").status_code == 200


def test_buffered_requests_are_added_up_and_written_in_one_pipeline(
    db: None, platform_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production buffers: no Redis round trip per request, one pipeline per flush with the sums."""
    monkeypatch.setattr(recorder, "_ensure_flusher", lambda: None)  # this test flushes by hand
    pipelines: list[int] = []
    real_execute = redis.client.Pipeline.execute

    def counting_execute(pipe: redis.client.Pipeline, raise_on_error: bool = True) -> list[object]:
        pipelines.append(len(pipe.command_stack))
        return real_execute(pipe, raise_on_error)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting_execute)
    with override_settings(TELEMETRY_FLUSH_SECONDS=60):
        for _ in range(5):
            assert platform_client.get("/_test/ok/").status_code == 200
        assert platform_client.get("/_test/boom/").status_code == 500
    assert pipelines == []
    assert request_window(5).requests == 0  # not written yet

    pipelines.clear()  # (reading the window used one)
    assert recorder.flush() is True
    assert recorder.flush() is True  # nothing pending: no pipeline at all
    assert len(pipelines) == 1
    window = request_window(5)
    assert (window.requests, window.server_errors) == (6, 1)
    assert endpoint_window(5)["/_test/ok/"].requests == 5
    samples = _scrape()
    ok = (("endpoint", "/_test/ok/"), ("method", "GET"))
    assert samples[("suresh_http_requests_total", (*ok, ("status", "2xx")))] == 5
    assert samples[("suresh_http_request_duration_seconds_count", ok)] == 5


def test_the_flush_thread_writes_buffered_requests_within_the_interval(db: None, platform_client: Client) -> None:
    with override_settings(TELEMETRY_FLUSH_SECONDS=0.05):
        for _ in range(3):
            assert platform_client.get("/_test/ok/").status_code == 200
        deadline = time.monotonic() + 10
        while request_window(5).requests < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert request_window(5).requests == 3
    assert recorder._flusher is not None
    assert recorder._flusher.is_alive()


def test_rollup_copies_finished_minutes_idempotently(db: None, platform_client: Client) -> None:
    now = time.time()
    for _ in range(4):
        platform_client.get("/_test/ok/")
    platform_client.get("/_test/boom/")
    assert requests_rollup(now=now) == 0  # the current minute is not finished yet
    assert requests_rollup(now=now + 60) == 2
    assert requests_rollup(now=now + 60) == 2  # rerun: same rows, same figures
    rows = {row.endpoint: row for row in RequestMinute.objects.all()}
    assert set(rows) == {"/_test/ok/", "/_test/boom/"}
    assert (rows["/_test/ok/"].requests, rows["/_test/ok/"].server_errors) == (4, 0)
    assert (rows["/_test/boom/"].requests, rows["/_test/boom/"].server_errors) == (1, 1)
    assert sum(rows["/_test/ok/"].buckets) == 4
    assert rows["/_test/ok/"].minute.timestamp() == int(now // 60) * 60


def test_bucket_quantile_interpolates_like_prometheus() -> None:
    buckets = [0] * recorder.BUCKET_COUNT
    assert bucket_quantile(buckets, 0.95) is None
    buckets[recorder.bucket_index(7)] = 10  # (5, 10] ms
    assert bucket_quantile(buckets, 0.5) == 7.5
    buckets[recorder.bucket_index(40_000)] = 10  # the unbounded bucket answers its lower bound
    assert bucket_quantile(buckets, 0.99) == 30000.0
    assert recorder.bucket_index(5) == 0
    assert recorder.bucket_index(5.01) == 1


def test_metrics_endpoint_refuses_anonymous_and_tenant_members_accepts_staff_and_token(
    alpha: TenantFixture,
) -> None:
    with override_settings(METRICS_TOKEN=TOKEN):
        anonymous = Client(HTTP_HOST="localhost").get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous["WWW-Authenticate"].startswith("Bearer")
        assert Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 401
        member = Client(HTTP_HOST="localhost")
        member.force_login(alpha.owner)
        assert member.get("/metrics").status_code == 403
        # On a tenant's domain there is no such page, for anyone.
        assert login_client(alpha, alpha.owner).get("/metrics").status_code == 404
        assert alpha.client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
        assert staff_client("metrics@platform.in").get("/metrics").status_code == 200
        ok = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").get("/metrics")
        assert ok.status_code == 200
        assert b"suresh_http_requests_total" in ok.content
    with override_settings(METRICS_TOKEN=""):  # no token configured: no token is accepted
        assert Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer ").get("/metrics").status_code == 401


def test_staff_without_second_factor_is_refused(db: None) -> None:
    from tenants.models import User

    staff = User.objects.create_user(email="nootp@platform.in", password="a-long-test-passphrase-42", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    assert client.get("/metrics").status_code == 403


def test_probes_and_scrapes_are_in_prometheus_but_not_in_the_window(db: None) -> None:
    client = Client(HTTP_HOST="localhost")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert request_window(5).requests == 0
    samples = _scrape()
    probes = (("endpoint", "/healthz"), ("method", "GET"), ("status", "2xx"))
    assert samples[("suresh_http_requests_total", probes)] == 3
    assert request_window(5).requests == 0  # the scrape itself neither
