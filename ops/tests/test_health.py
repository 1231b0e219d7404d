"""Liveness and readiness probes."""

from __future__ import annotations

import pytest
from django.test import Client

from ops import health


def test_healthz_answers_on_any_host(db: None) -> None:
    response = Client(HTTP_HOST="10.1.2.3").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_component(db: None) -> None:
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "redis", "broker", "migrations"}
    for component in body["components"].values():
        assert component["status"] == "ok"
        assert component["latency_ms"] >= 0


def test_readyz_is_503_when_redis_is_unreachable(db: None, settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # A real connection attempt to a closed port: no patching of the check itself.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client(HTTP_HOST="10.1.2.3").get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["redis"]["status"] == "down"
    assert body["components"]["broker"]["status"] == "down"
    assert body["components"]["database"]["status"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # no connection details leak


def test_migrations_check_detects_unapplied(db: None) -> None:
    health._migrations_ok_until = 0.0
    assert health._timed("migrations", health._migrations).ok
