"""Readiness checks: each component answers with its status and latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection

from suresh_ai.tenancy import db

_migrations_ok_until = 0.0


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    ok: bool
    latency_ms: float
    error: str = ""

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"status": "ok" if self.ok else "down", "latency_ms": self.latency_ms}
        if self.error:
            data["error"] = self.error
        return data


def _timed(name: str, check: Callable[[], None]) -> ComponentStatus:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - a readiness probe reports any failure as "down"
        # Only the exception type: messages can carry hosts or credentials from connection URLs.
        return ComponentStatus(name, False, round((time.perf_counter() - started) * 1000, 2), type(exc).__name__)
    return ComponentStatus(name, True, round((time.perf_counter() - started) * 1000, 2))


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()


def _broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


def _migrations() -> None:
    """Public-schema migrations all applied (cached for a minute once true: the graph is costly to load)."""
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    db().set_schema_to_public()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migrations not applied")
    _migrations_ok_until = time.monotonic() + 60


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "redis": _redis,
    "broker": _broker,
    "migrations": _migrations,
}


def readiness() -> list[ComponentStatus]:
    return [_timed(name, check) for name, check in CHECKS.items()]


def _disk() -> None:
    """Down when the data volume has less than HEALTH_DISK_MIN_FREE_RATIO of its space free."""
    import shutil

    usage = shutil.disk_usage(settings.HEALTH_DISK_PATH)
    if usage.free / usage.total < settings.HEALTH_DISK_MIN_FREE_RATIO:
        raise OSError(f"{usage.free / usage.total:.0%} free")


# The health score: 100 x the weight of the components that are up / the total weight. The
# database carries the most (nothing works without it); Redis (cache, quotas, rate limits), the
# broker (background work) and disk (database growth, backups) next; migrations least.
WEIGHTS = {"database": 3, "redis": 2, "broker": 2, "disk": 2, "migrations": 1}


def health_score(statuses: list[ComponentStatus]) -> float:
    total = sum(WEIGHTS.get(s.name, 1) for s in statuses)
    up = sum(WEIGHTS.get(s.name, 1) for s in statuses if s.ok)
    return round(100 * up / total, 1) if total else 100.0


def health_record() -> tuple[list[ComponentStatus], float]:
    """Run every check (readiness plus disk), store each as history, return them with the score."""
    from ops.models import HealthCheck

    statuses = [*readiness(), _timed("disk", _disk)]
    HealthCheck.objects.bulk_create(
        HealthCheck(component=s.name, ok=s.ok, latency_ms=s.latency_ms, error=s.error[:200]) for s in statuses
    )
    return statuses, health_score(statuses)
