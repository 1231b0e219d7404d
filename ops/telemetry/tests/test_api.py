"""Staff API shapes and access, the staff pages and the read-only admin."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from ops.telemetry.errors import error_record
from ops.telemetry.models import ErrorGroup, RequestMinute, SlowQuery
from ops.telemetry.recorder import BUCKET_COUNT, bucket_index
from ops.telemetry.slowqueries import slow_query_record
from suresh_ai.testing import TenantFixture, login_client, staff_client


def _error(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - any exception, recorded with its traceback
        error_record(exc=caught, request_id="req-1", endpoint="/api/v1/x/", tenant_schema="t_alpha")


def test_errors_api_lists_groups_newest_first_and_filters_by_category(db: None) -> None:
    _error(KeyError("a"))
    _error(TimeoutError("b"))
    _error(TimeoutError("b"))
    staff = staff_client("errors@platform.in")
    body = staff.get("/api/v1/platform/errors/").json()
    assert [(g["exception_type"], g["count"]) for g in body["results"]] == [
        ("builtins.TimeoutError", 2),
        ("builtins.KeyError", 1),
    ]
    first = body["results"][0]
    assert set(first) == {
        "id",
        "fingerprint",
        "exception_type",
        "location",
        "category",
        "message",
        "count",
        "first_seen",
        "last_seen",
        "last_request_id",
        "last_endpoint",
        "last_tenant_schema",
    }
    assert (first["category"], first["last_endpoint"], first["last_tenant_schema"]) == (
        "timeout",
        "/api/v1/x/",
        "t_alpha",
    )
    timeouts = staff.get("/api/v1/platform/errors/?category=server").json()["results"]
    assert [g["exception_type"] for g in timeouts] == ["builtins.KeyError"]
    bad = staff.get("/api/v1/platform/errors/?category=cosmic")
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    assert "category" in bad.json()["detail"]


def test_platform_api_is_staff_only(alpha: TenantFixture) -> None:
    _error(KeyError("a"))
    for path in ("/api/v1/platform/errors/", "/api/v1/platform/performance/", "/api/v1/platform/slow-queries/"):
        assert Client(HTTP_HOST="localhost").get(path).status_code == 401
        member = Client(HTTP_HOST="localhost")
        member.force_login(alpha.owner)
        assert member.get(path).status_code == 403
        # A tenant's own owner, key or session, on its domain: not found.
        assert alpha.key_client().get(path).status_code == 404
        assert login_client(alpha, alpha.owner).get(path).status_code == 404
        assert staff_client(f"s{len(path)}@platform.in").get(path).status_code == 200


def test_performance_api_live_window(db: None, platform_client: Client) -> None:
    for _ in range(3):
        platform_client.get("/_test/ok/")
    platform_client.get("/_test/boom/")
    staff = staff_client("perf@platform.in")
    body = staff.get("/api/v1/platform/performance/?window=5m").json()
    assert (body["window"], body["minutes"]) == ("5m", 5)
    rows = {row["endpoint"]: row for row in body["endpoints"]}
    ok = rows["/_test/ok/"]
    assert set(ok) == {
        "endpoint",
        "requests",
        "throughput_per_minute",
        "client_errors",
        "server_errors",
        "rate_limited",
        "error_rate",
        "mean_ms",
        "p50_ms",
        "p95_ms",
        "p99_ms",
    }
    assert (ok["requests"], ok["server_errors"], ok["error_rate"]) == (3, 0, 0.0)
    assert ok["throughput_per_minute"] == 0.6
    assert ok["p50_ms"] <= ok["p95_ms"] <= ok["p99_ms"]
    assert (rows["/_test/boom/"]["server_errors"], rows["/_test/boom/"]["error_rate"]) == (1, 1.0)


def test_performance_api_long_window_reads_history(db: None) -> None:
    buckets = [0] * BUCKET_COUNT
    buckets[bucket_index(40)] = 90  # (25, 50]
    buckets[bucket_index(900)] = 10  # (750, 1000]
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    RequestMinute.objects.create(
        minute=minute,
        endpoint="/api/v1/members/",
        requests=100,
        client_errors=3,
        server_errors=2,
        rate_limited=1,
        duration_ms_sum=12_600.0,
        buckets=buckets,
    )
    RequestMinute.objects.create(
        minute=minute - timedelta(days=2),  # outside 24 h
        endpoint="/api/v1/members/",
        requests=50,
        client_errors=0,
        server_errors=0,
        rate_limited=0,
        duration_ms_sum=500.0,
        buckets=[50] + [0] * (BUCKET_COUNT - 1),
    )
    body = staff_client("perf2@platform.in").get("/api/v1/platform/performance/?window=24h").json()
    [row] = body["endpoints"]
    assert row["requests"] == 100
    assert row["throughput_per_minute"] == round(100 / 1440, 3)
    assert (row["client_errors"], row["server_errors"], row["rate_limited"], row["error_rate"]) == (3, 2, 1, 0.02)
    assert row["mean_ms"] == 126.0
    assert row["p50_ms"] == round(25 + 25 * 50 / 90, 2)  # interpolated in (25, 50]
    assert row["p95_ms"] == 750 + 250 * 0.5
    week = staff_client("perf3@platform.in").get("/api/v1/platform/performance/?window=7d").json()
    assert week["endpoints"][0]["requests"] == 150


def test_performance_api_rejects_an_unknown_window(db: None) -> None:
    response = staff_client("perf4@platform.in").get("/api/v1/platform/performance/?window=3w")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"].startswith("window:")


def test_slow_queries_api_shape(db: None) -> None:
    slow_query_record(sql="SELECT pg_sleep(0.9)", duration_ms=900.0, source="/api/v1/x/")
    slow_query_record(sql="SELECT pg_sleep(0.7)", duration_ms=700.0, source="task:t")
    [row] = staff_client("sq@platform.in").get("/api/v1/platform/slow-queries/").json()["results"]
    assert row["sql"] == "SELECT pg_sleep(...)"
    assert (row["count"], row["max_ms"], row["mean_ms"], row["last_source"]) == (2, 900.0, 800.0, "task:t")
    assert set(row) == {
        "id",
        "fingerprint",
        "sql",
        "count",
        "mean_ms",
        "max_ms",
        "first_seen",
        "last_seen",
        "last_source",
    }


def test_staff_pages_render_charts_and_tables(db: None, platform_client: Client) -> None:
    platform_client.get("/_test/ok/")
    _error(TimeoutError("b"))
    slow_query_record(sql="SELECT pg_sleep(0.9)", duration_ms=900.0, source="/api/v1/x/")
    RequestMinute.objects.create(
        minute=timezone.now().replace(second=0, microsecond=0),
        endpoint="/api/v1/members/",
        requests=10,
        client_errors=0,
        server_errors=1,
        rate_limited=0,
        duration_ms_sum=100.0,
        buckets=[10] + [0] * (BUCKET_COUNT - 1),
    )
    staff = staff_client("pages@platform.in")
    errors = staff.get("/admin/errors/?range=7d&category=timeout")
    assert errors.status_code == 200
    html = errors.content.decode()
    assert "<svg" in html
    assert "Errors per hour by category" in html
    assert "builtins.TimeoutError" in html
    performance = staff.get("/admin/performance/?window=5m")
    assert performance.status_code == 200
    html = performance.content.decode()
    assert html.count("<svg") >= 2
    assert "/_test/ok/" in html
    assert "SELECT pg_sleep(...)" in html
    # Not staff: the admin's login, never the page.
    assert Client(HTTP_HOST="localhost").get("/admin/errors/").status_code == 302


def test_admin_is_read_only(db: None) -> None:
    _error(KeyError("a"))
    staff = staff_client("admin@platform.in")
    group = ErrorGroup.objects.get()
    assert staff.get("/admin/ops_telemetry/errorgroup/").status_code == 200
    assert staff.get(f"/admin/ops_telemetry/errorgroup/{group.pk}/change/").status_code == 200
    assert staff.get("/admin/ops_telemetry/errorgroup/add/").status_code == 403
    assert staff.post(f"/admin/ops_telemetry/errorgroup/{group.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ErrorGroup.objects.count() == 1
    assert staff.get("/admin/ops_telemetry/slowquery/").status_code == 200
    assert staff.get("/admin/ops_telemetry/requestminute/").status_code == 200
    assert SlowQuery.objects.count() == 0
