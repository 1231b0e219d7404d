"""Health history: every component checked and stored, a weighted score, uptime per component."""

from __future__ import annotations

import time
from typing import Any

from django.test import override_settings

from celery_app import app as celery_app
from ops.health import health_record
from ops.models import HealthCheck
from suresh_ai.testing import staff_client


def test_checks_are_stored_and_scored(db: None) -> None:
    statuses, score = health_record()
    assert {s.name for s in statuses} == {"database", "redis", "broker", "migrations", "disk"}
    assert score == 100.0
    assert HealthCheck.objects.count() == 5
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nothing listens on port 1
        statuses, score = health_record()
    assert [s.name for s in statuses if not s.ok] == ["redis"]
    assert score == 80.0  # Redis weighs 2 of 10
    with override_settings(HEALTH_DISK_MIN_FREE_RATIO=1.01):  # no disk is 101% free
        assert health_record()[1] == 80.0


def test_staff_see_the_latest_state_and_uptime(db: None) -> None:
    health_record()
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        health_record()
    body = staff_client("ops@platform.in").get("/api/v1/platform/health/").json()
    assert body["score"] == 80.0
    redis_row = next(c for c in body["components"] if c["component"] == "redis")
    assert (redis_row["status"], redis_row["uptime_24h"]) == ("down", 0.5)


def test_beat_checks_health_every_minute() -> None:
    entry = celery_app.conf.beat_schedule["ops-health-check"]
    assert (entry["task"], entry["schedule"]) == ("ops.health_check", 60.0)


def test_readyz_adds_the_monitors_view_for_staff_only(db: None) -> None:
    from django.test import Client

    with override_settings(HEALTH_DISK_MIN_FREE_RATIO=1.01):
        health_record()
    staff = staff_client("ops@platform.in").get("/readyz").json()
    assert staff["health"]["score"] == 80.0  # disk (2 of 10) down
    disk = next(c for c in staff["health"]["components"] if c["component"] == "disk")
    assert (disk["status"], disk["uptime_24h"]) == ("down", 0.0)
    anonymous = Client().get("/readyz").json()
    assert "health" not in anonymous
    assert set(anonymous["components"]) == {"database", "redis", "broker", "migrations"}


def test_the_web_fallback_starts_a_round_only_when_rounds_have_stalled(db: None, settings: Any) -> None:
    """(The fault drill runs it for real with every worker stopped.) A fresh round, or Redis being
    unreachable, starts nothing; a process looks at most twice an interval."""
    from ops import monitor
    from suresh_ai.redisclient import redis_client

    settings.HEALTH_CHECK_INTERVAL_SECONDS = 60
    store = redis_client()
    store.delete(monitor.LAST_ROUND_KEY)
    assert monitor._rounds_stalled()  # never ran
    store.set(monitor.LAST_ROUND_KEY, str(time.time() - 121))
    assert monitor._rounds_stalled()  # two intervals ago
    monitor.monitor_round(force=True)
    assert not monitor._rounds_stalled()  # a round records its start
    monitor._fallback_checked = 0.0
    assert monitor.monitor_fallback_maybe() is None
    assert monitor._fallback_checked > 0
    store.delete(monitor.LAST_ROUND_KEY)
    assert monitor.monitor_fallback_maybe() is None  # looked a moment ago: not again yet
    working = settings.REDIS_URL
    redis_client.cache_clear()
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    try:
        assert not monitor._rounds_stalled()  # cannot tell: the workers' threads run anyway
    finally:
        settings.REDIS_URL = working
        redis_client.cache_clear()
