"""API rate limits: the GCRA bucket itself, the HTTP contract, and 1,000 concurrent requests on gunicorn.

Acceptance (issue): 1,000 concurrent requests on one key admit no more than burst + rate x elapsed;
headers are present; the premium bypass works.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from django.test import Client
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from billing.models import Plan
from billing.selectors import Entitlements, entitlements_for
from suresh_ai.api import ratelimit
from suresh_ai.api.ratelimit import rate_limit_hit, refusals_count
from suresh_ai.redisclient import redis_client
from suresh_ai.testing import TenantFixture, key_with
from tenants.models import Tenant
from tenants.selectors import tenancy_cache
from tests.live import committed_api_key, committed_tenant_fields, gunicorn_server
from tests.redis_process import RedisProcess, redis_process

RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
ME = "/api/v1/me/"


def _plan_of_alpha() -> Entitlements:
    return entitlements_for(plan_code=Tenant.objects.get(slug="alpha").plan)


def _make_plan(code: str, *, per_minute: int, burst: int) -> Plan:
    return Plan.objects.create(
        code=code,
        name=code,
        price_monthly_paise=0,
        price_yearly_paise=0,
        ai_requests_per_month=1,
        seats=10,
        api_rate_per_minute=per_minute,
        api_burst=burst,
    )


def _use_limits(fixture: TenantFixture, *, per_minute: int, burst: int) -> int:
    """Put the tenant on a plan with these API limits (inside the test's transaction), with a full
    workspace bucket (as after a quiet spell: the earlier requests of the test are forgotten)."""
    code = f"test-{per_minute}-{burst}"
    _make_plan(code, per_minute=per_minute, burst=burst)
    Tenant.objects.filter(pk=fixture.tenant.pk).update(plan=code)
    tenancy_cache.clear()
    redis_client().delete(ratelimit._bucket_key(fixture.tenant.schema_name, ratelimit.WORKSPACE))
    return burst


def _hits(n: int, **kwargs: Any) -> list[ratelimit.RateLimitResult]:
    return [rate_limit_hit(**kwargs) for _ in range(n)]


def _assert_throttled(response: Any, *, limit: int) -> None:
    """A refusal: 429 in our error shape, Retry-After, and the RateLimit headers."""
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == "throttled"
    assert body["detail"]["retry_after_seconds"] >= 1
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Reset"]) >= 1


# --- The GCRA bucket, straight against Redis ----------------------------------------------------


def test_exactly_burst_admitted_back_to_back_then_refused() -> None:
    # One request a minute: nothing refills during the test, so the count is exact.
    results = _hits(11, schema_name="t_alpha", identity="key:1", per_minute=1, burst=10)
    assert [r.allowed for r in results] == [True] * 10 + [False]
    assert [r.remaining for r in results] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    refused = results[-1]
    assert refused.limit == 10
    assert 59 <= refused.retry_after_seconds <= 60
    assert refused.headers()["Retry-After"] == str(refused.retry_after_seconds)
    assert all(r.retry_after_seconds == 0 and "Retry-After" not in r.headers() for r in results[:10])
    # At the default rate (one a second) a refusal asks to come back in at least a second.
    default = _hits(6, schema_name="t_alpha", identity="key:2", per_minute=60, burst=5)
    assert [r.allowed for r in default] == [True] * 5 + [False]
    assert default[-1].retry_after_seconds == 1


def test_bucket_refills_at_the_rate() -> None:
    interval = 0.1  # 600 a minute
    kwargs: dict[str, Any] = {"schema_name": "t_alpha", "identity": "key:refill", "per_minute": 600, "burst": 3}
    started = time.monotonic()
    assert [r.allowed for r in _hits(4, **kwargs)] == [True, True, True, False]
    exhausted = time.monotonic()
    time.sleep(0.25)
    refill_started = time.monotonic()
    admitted = 0
    while rate_limit_hit(**kwargs).allowed:
        admitted += 1
    finished = time.monotonic()
    # floor(time since the bucket was exhausted / interval) new requests, within clock slack.
    assert min(3, math.floor((refill_started - exhausted) / interval)) <= admitted
    assert admitted <= min(3, math.floor((finished - started) / interval))


def test_refusals_are_counted_per_tenant() -> None:
    assert refusals_count(schema_name="t_alpha") == 0
    results = _hits(8, schema_name="t_alpha", identity="key:1", per_minute=1, burst=5)
    assert sum(not r.allowed for r in results) == 3
    assert refusals_count(schema_name="t_alpha") == 3
    assert refusals_count(schema_name="t_beta") == 0


def test_identities_and_tenants_have_independent_buckets() -> None:
    limits: dict[str, Any] = {"per_minute": 1, "burst": 2}
    assert [r.allowed for r in _hits(3, schema_name="t_alpha", identity="key:1", **limits)] == [True, True, False]
    # Another caller in the same tenant, and the same identity string in another tenant, start full.
    assert [r.allowed for r in _hits(3, schema_name="t_alpha", identity="key:2", **limits)] == [True, True, False]
    assert [r.allowed for r in _hits(3, schema_name="t_beta", identity="key:1", **limits)] == [True, True, False]
    assert refusals_count(schema_name="t_alpha") == 2
    assert refusals_count(schema_name="t_beta") == 1


# --- The HTTP contract, through the Django test client -------------------------------------------


def test_key_gets_burst_then_429_with_headers(alpha: TenantFixture, beta: TenantFixture, settings: Any) -> None:
    burst = _use_limits(alpha, per_minute=1, burst=100)  # no refill during the test: exactly `burst`
    client = alpha.key_client()
    remaining = []
    for _ in range(burst):
        response = client.get(ME)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == str(burst)
        assert "Retry-After" not in response.headers
        remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert int(response.headers["RateLimit-Reset"]) >= 1
    assert remaining == list(range(burst - 1, -1, -1))
    _assert_throttled(client.get(ME), limit=burst)
    # Another key of the same workspace shares its workspace-wide bucket, now empty too; another
    # workspace is unaffected.
    _assert_throttled(alpha.key_client(key_with(alpha.tenant, ["read"])).get(ME), limit=burst)
    assert beta.key_client().get(ME).status_code == 200


def test_a_second_key_does_not_double_a_workspaces_throughput(alpha: TenantFixture, beta: TenantFixture) -> None:
    """Security item 10: limits per workspace, not only per key. Two keys of one workspace, used
    in turn, get the plan's burst between them, not twice it."""
    burst = _use_limits(alpha, per_minute=1, burst=10)  # no refill during the test
    first = alpha.key_client(key_with(alpha.tenant, ["read"]))
    second = alpha.key_client(key_with(alpha.tenant, ["read"]))
    responses = [(first if i % 2 else second).get(ME) for i in range(2 * burst)]
    statuses = [response.status_code for response in responses]
    assert statuses == [200] * burst + [429] * burst
    # The headers follow the workspace bucket, the tighter one: it counts both keys' requests.
    assert [int(r.headers["RateLimit-Remaining"]) for r in responses[:burst]] == list(range(burst - 1, -1, -1))
    assert all(r.headers["RateLimit-Limit"] == str(burst) for r in responses)
    _assert_throttled(responses[-1], limit=burst)
    assert refusals_count(schema_name=alpha.tenant.schema_name) == burst
    # A third key minted now is refused as well; another workspace has its own bucket.
    _assert_throttled(alpha.key_client(key_with(alpha.tenant, ["read"])).get(ME), limit=burst)
    assert beta.key_client().get(ME).status_code == 200


def test_the_tighter_bucket_decides_and_is_reported() -> None:
    """The caller's and the workspace's buckets in one script: a request passes only if both
    admit it, a refusal charges neither, and the headers describe the tighter one."""
    tight_workspace = _hits(
        4, schema_name="t_alpha", identity="key:1", per_minute=1, burst=5, workspace=ratelimit.Limit(1, 3)
    )
    assert [r.allowed for r in tight_workspace] == [True, True, True, False]
    assert [(r.bucket, r.limit, r.remaining) for r in tight_workspace] == [
        ("workspace", 3, 2),
        ("workspace", 3, 1),
        ("workspace", 3, 0),
        ("workspace", 3, 0),
    ]
    # The refused request did not charge the key's bucket: it has 5 - 3 = 2 left in another workspace.
    other = _hits(3, schema_name="t_beta", identity="key:1", per_minute=1, burst=5, workspace=ratelimit.Limit(1, 9))
    assert [(r.allowed, r.bucket, r.remaining) for r in other] == [
        (True, "key:1", 4),
        (True, "key:1", 3),
        (True, "key:1", 2),
    ]
    tight_key = _hits(
        3, schema_name="t_gamma", identity="key:7", per_minute=1, burst=2, workspace=ratelimit.Limit(1, 10)
    )
    assert [(r.allowed, r.bucket, r.limit, r.remaining) for r in tight_key] == [
        (True, "key:7", 2, 1),
        (True, "key:7", 2, 0),
        (False, "key:7", 2, 0),
    ]
    assert 59 <= tight_key[-1].retry_after_seconds <= 60
    # The key's refusal left the workspace bucket as it was: 10 - 2 used.
    assert (
        rate_limit_hit(
            schema_name="t_gamma", identity="key:8", per_minute=1, burst=10, workspace=ratelimit.Limit(1, 10)
        ).remaining
        == 7
    )


def test_anonymous_and_failed_keys_share_the_per_ip_anon_limit(alpha: TenantFixture, settings: Any) -> None:
    settings.RATE_LIMIT_ANON_PER_MINUTE = 1  # no refill during the test
    anon_burst = settings.RATE_LIMIT_ANON_BURST
    assert anon_burst != _plan_of_alpha().api_burst  # so the header shows which limit applied
    anonymous = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.0.0.1")
    bad_key = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.0.0.1", HTTP_AUTHORIZATION="Bearer sai_00000000_wrong")
    for i in range(anon_burst):
        response = (anonymous if i % 2 else bad_key).get(ME)
        assert response.status_code == 401, response.content
        assert response.json()["code"] == ("not_authenticated" if i % 2 else "invalid_api_key")
        assert response.headers["RateLimit-Limit"] == str(anon_burst)
        assert response.headers["RateLimit-Remaining"] == str(anon_burst - 1 - i)
    # The IP's bucket is empty: both kinds are now refused before authentication is even reported.
    _assert_throttled(bad_key.get(ME), limit=anon_burst)
    _assert_throttled(anonymous.get(ME), limit=anon_burst)
    # Another IP has its own bucket, and a valid key from the same IP is limited by its key, not the IP.
    assert Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.0.0.2").get(ME).status_code == 401
    valid = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.0.0.1", HTTP_AUTHORIZATION=f"Bearer {alpha.admin_key}")
    response = valid.get(ME)
    assert response.status_code == 200
    assert response.headers["RateLimit-Limit"] == str(_plan_of_alpha().api_burst)
    assert refusals_count(schema_name=alpha.tenant.schema_name) == 2


def test_anonymous_limit_cannot_be_dodged_with_x_forwarded_for(alpha: TenantFixture, settings: Any) -> None:
    # With no trusted proxy (NUM_PROXIES=0) a forged X-Forwarded-For must not buy a fresh bucket.
    settings.RATE_LIMIT_ANON_PER_MINUTE = 1
    client = Client(HTTP_HOST=alpha.host, REMOTE_ADDR="10.0.0.3", HTTP_AUTHORIZATION="Bearer sai_00000000_wrong")
    burst = settings.RATE_LIMIT_ANON_BURST
    statuses = [client.get(ME, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(burst + 1)]
    assert statuses == [401] * burst + [429]


def test_plan_limits_apply(alpha: TenantFixture) -> None:
    client = alpha.key_client()
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="starter")
    tenancy_cache.clear()
    starter = entitlements_for(plan_code="starter")
    assert (starter.api_rate_per_minute, starter.api_burst) == (60, 100)  # the default
    assert client.get(ME).headers["RateLimit-Limit"] == "100"
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="pro")
    tenancy_cache.clear()
    pro = entitlements_for(plan_code="pro")
    response = client.get(ME)
    assert response.headers["RateLimit-Limit"] == str(pro.api_burst)
    assert (
        response.headers["RateLimit-Policy"]
        == f"{pro.api_burst};w={math.ceil(pro.api_burst * 60 / pro.api_rate_per_minute)}"
    )
    # A plan's numbers are really enforced, not just reported.
    _use_limits(alpha, per_minute=1, burst=2)
    tiny = alpha.key_client(key_with(alpha.tenant, ["read"]))
    assert [tiny.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    # Premium plans bypass limits.
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="premium")
    tenancy_cache.clear()
    assert {tiny.get(ME).status_code for _ in range(5)} == {200}


def test_bypass_and_disabled_limits_admit_everything(alpha: TenantFixture, settings: Any) -> None:
    _use_limits(alpha, per_minute=1, burst=3)
    client = alpha.key_client()
    assert [client.get(ME).status_code for _ in range(4)] == [200, 200, 200, 429]  # control
    Tenant.objects.filter(pk=alpha.tenant.pk).update(rate_limit_bypass=True)
    tenancy_cache.clear()
    assert {client.get(ME).status_code for _ in range(10)} == {200}
    Tenant.objects.filter(pk=alpha.tenant.pk).update(rate_limit_bypass=False)
    tenancy_cache.clear()
    assert client.get(ME).status_code == 429
    settings.RATE_LIMIT_ENABLED = False
    assert {client.get(ME).status_code for _ in range(10)} == {200}


def test_unreachable_redis_fails_open(alpha: TenantFixture, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    redis_client.cache_clear()
    try:
        response = alpha.key_client().get(ME)
    finally:
        redis_client.cache_clear()
        ratelimit._down_until = 0.0
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


@pytest.fixture
def own_redis(settings: Any) -> Iterator[RedisProcess]:
    """The limiter (and everything else on REDIS_URL) on a Redis of this test's own."""
    with redis_process() as server:
        settings.REDIS_URL = server.url
        redis_client.cache_clear()
        try:
            yield server
        finally:
            redis_client.cache_clear()


def _firing(rule: str) -> bool:
    from ops.models import Alert

    return Alert.objects.filter(rule=rule, status=Alert.Status.FIRING).exists()


def test_limiter_fails_open_with_an_alert_and_readyz_detail_while_redis_is_stopped(
    alpha: TenantFixture, own_redis: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Security item 8: with Redis stopped, keys keep working without limits (documented fail-open),
    the ops alert fires and /readyz says so; when Redis is back, limits and the all-clear return."""
    from ops.monitor import monitor_round

    monkeypatch.setattr(ratelimit, "_RETRY_SECONDS", 0.2)  # ask Redis again soon after it is back
    client = alpha.key_client()
    probe = Client(HTTP_HOST="10.1.2.3")
    assert RATE_HEADERS[0] in client.get(ME).headers  # positive control: limited while Redis is up
    assert probe.get("/readyz").json()["rate_limits"] == {"status": "enforced"}
    monitor_round(force=True)
    assert not _firing("rate_limits_off")

    own_redis.stop()
    responses = [client.get(ME) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert not any(RATE_HEADERS[0] in r.headers for r in responses)
    ready = probe.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["components"]["redis"]["status"] == "down"
    state = ready.json()["rate_limits"]
    assert state["status"] == "off"
    assert "without rate limits (fail-open)" in state["detail"]
    assert "127.0.0.1" not in state["detail"]  # the error type only, never the connection's address
    monitor_round(force=True)
    assert _firing("rate_limits_off")

    own_redis.start()
    deadline = time.monotonic() + 10
    while RATE_HEADERS[0] not in client.get(ME).headers:  # back after the 0.2 s fail-open pause
        assert time.monotonic() < deadline, "the limiter did not come back with Redis"
        time.sleep(0.05)
    assert probe.get("/readyz").json()["rate_limits"] == {"status": "enforced"}
    monitor_round(force=True)
    assert not _firing("rate_limits_off")


def test_readyz_says_when_rate_limits_are_disabled(db: None, settings: Any) -> None:
    settings.RATE_LIMIT_ENABLED = False
    state = Client(HTTP_HOST="10.1.2.3").get("/readyz").json()["rate_limits"]
    assert state["status"] == "disabled"


# --- 1,000 concurrent requests on a real gunicorn -----------------------------------------------


@pytest.fixture(scope="module")
def live_url(django_db_setup: None) -> Iterator[str]:
    with gunicorn_server(workers=2, threads=8) as url:
        yield url


@dataclass
class Burst:
    responses: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    elapsed: float = 0.0

    def statuses(self) -> list[int]:
        return [status for status, _, _ in self.responses]


def _fire(base_url: str, key: str, total: int, threads: int = 50) -> Burst:
    """``total`` GETs of /api/v1/me/ from ``threads`` threads, one requests.Session per thread."""
    local = threading.local()
    sessions: list[requests.Session] = []
    lock = threading.Lock()
    headers = {"Host": "alpha.localhost", "Authorization": f"Bearer {key}"}

    def one(_: int) -> tuple[float, float, int, dict[str, str], bytes]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            # gunicorn closes a keep-alive connection idle past its keep-alive time; a GET sent on it
            # just then finds it gone (RemoteDisconnected) before the server read it: send it again.
            retry = Retry(total=3, connect=3, read=3, status=0, allowed_methods={"GET"}, raise_on_status=False)
            session.mount("http://", HTTPAdapter(max_retries=retry))
            with lock:
                sessions.append(session)
        sent = time.monotonic()
        response = session.get(base_url + ME, headers=headers, timeout=30)
        return sent, time.monotonic(), response.status_code, dict(response.headers), response.content

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(one, range(total)))
    finally:
        for session in sessions:
            session.close()
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    return Burst(responses=[(status, h, body) for _, _, status, h, body in results], elapsed=elapsed)


def test_1000_concurrent_requests_admit_at_most_burst_plus_rate_times_elapsed(
    live_url: str, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        plan = _plan_of_alpha()
    burst, per_minute = plan.api_burst, plan.api_rate_per_minute
    with committed_api_key(django_db_blocker, slug="alpha", name="acceptance: 1000 concurrent") as key:
        result = _fire(live_url, key, total=1000, threads=50)
    statuses = result.statuses()
    admitted, refused = statuses.count(200), statuses.count(429)
    ceiling = burst + per_minute / 60 * result.elapsed
    summary = f"{admitted} admitted, {refused} refused in {result.elapsed:.2f} s; ceiling {ceiling:.1f}"
    assert admitted + refused == 1000, f"unexpected statuses {sorted(set(statuses))}: {summary}"
    assert burst <= admitted <= ceiling, summary
    for status, headers, body in result.responses:
        assert all(name in headers for name in RATE_HEADERS), (status, headers)
        assert headers["RateLimit-Limit"] == str(burst)
        assert int(headers["RateLimit-Remaining"]) >= 0
        assert int(headers["RateLimit-Reset"]) >= 0
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
            assert headers["RateLimit-Remaining"] == "0"
            problem = json.loads(body)
            assert set(problem) == {"code", "message", "detail"}
            assert problem["code"] == "throttled"
            assert problem["detail"]["retry_after_seconds"] >= 1
    # Every worker counted its refusals into the same per-tenant counter.
    assert refusals_count(schema_name="t_alpha") == refused


def test_premium_bypass_admits_every_rapid_request(live_url: str, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        burst = _plan_of_alpha().api_burst
    with (
        committed_tenant_fields(django_db_blocker, slug="alpha", rate_limit_bypass=True),
        committed_api_key(django_db_blocker, slug="alpha", name="acceptance: premium bypass") as key,
    ):
        result = _fire(live_url, key, total=3 * burst, threads=50)
    assert result.statuses() == [200] * (3 * burst)
    assert refusals_count(schema_name="t_alpha") == 0


def test_out_of_range_limits_are_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        ratelimit.rate_limit_hit(schema_name="t_alpha", identity="key:x", per_minute=0, burst=10)
    with pytest.raises(ImproperlyConfigured):
        ratelimit.rate_limit_hit(schema_name="t_alpha", identity="key:x", per_minute=60, burst=0)


def test_plans_cannot_hold_out_of_range_limits(db: None) -> None:
    from django.db import IntegrityError, transaction

    for per_minute, burst in [(0, 10), (60, 0), (60_000_001, 10)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            _make_plan(f"bad-{per_minute}-{burst}", per_minute=per_minute, burst=burst)
