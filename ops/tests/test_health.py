"""Liveness and readiness probes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from ops import health
from suresh_ai.testing import TenantFixture


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


def test_migrations_check_detects_unapplied(alpha: TenantFixture) -> None:
    """Every schema counts: a tenant schema a deploy's migrate_schemas did not reach is named."""
    health._migrations_ok_until = 0.0
    fine = health._timed_safe("migrations", health._migrations)
    assert (fine.ok, fine.error) == (True, "")
    health._migrations_ok_until = 0.0
    schema = alpha.tenant.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {schema}.django_migrations WHERE id = (SELECT max(id) FROM {schema}.django_migrations)"  # noqa: S608 - a test's own schema
        )
    try:
        down = health._timed_safe("migrations", health._migrations)
        assert (down.ok, down.error) == (False, f"migrations not applied in 1 tenant schema(s): {schema}")
        assert not health._timed("migrations", health._migrations).ok  # /readyz too
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM public.django_migrations WHERE id = (SELECT max(id) FROM public.django_migrations)"
            )
        assert health._timed_safe("migrations", health._migrations).error == (
            "1 migrations not applied in the public schema"
        )
    finally:
        health._migrations_ok_until = 0.0
