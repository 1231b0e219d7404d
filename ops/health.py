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
    """Every migration applied in the public schema, and in the template and every tenant's schema
    (a deploy whose migrate_schemas stopped part-way leaves some workspaces on the old tables).
    Cached for a minute once true: the graph is costly to load."""
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    db().set_schema_to_public()
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(leaves)
    if plan:
        raise CheckFailed(f"{len(plan)} migrations not applied in the public schema")
    behind = _schemas_behind(leaves)
    if behind:
        shown = ", ".join(behind[:5]) + (f" and {len(behind) - 5} more" if len(behind) > 5 else "")
        raise CheckFailed(f"migrations not applied in {len(behind)} tenant schema(s): {shown}")
    _migrations_ok_until = time.monotonic() + 60


def _schemas_behind(leaves: list[tuple[str, str]]) -> list[str]:
    """Tenant schemas (and the template) whose django_migrations lacks one of the graph's leaves:
    one statement over every schema (migrate_schemas records every app's migrations in each)."""
    from tenants.models import Tenant

    connection = connections[DEFAULT_DB_ALIAS]
    schemas = sorted(
        Tenant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).values_list("schema_name", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'django_migrations'"
            " AND table_schema = ANY(%s)",
            [[*schemas, settings.TENANT_TEMPLATE_SCHEMA]],
        )
        present = {row[0] for row in cursor.fetchall()}
        missing_table = [s for s in schemas if s not in present]
        checked = sorted(present)
        if not checked:
            return missing_table
        # Schema names come from our tenant table and django-tenants' name rule, and are quoted.
        quote = connection.ops.quote_name
        union = " UNION ALL ".join(
            f"SELECT %s, count(*) FROM {quote(schema)}.django_migrations WHERE (app, name) IN %s"  # noqa: S608
            for schema in checked
        )
        params: list[str | tuple[tuple[str, str], ...]] = []
        for schema in checked:
            params += [schema, tuple(leaves)]
        cursor.execute(union, params)
        short = [schema for schema, count in cursor.fetchall() if count < len(leaves)]
    return sorted(missing_table + short)


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


class CheckFailed(Exception):
    """A check's own finding (its message is ours, safe to store and show to staff)."""


def _workers() -> None:
    """Each queue in HEALTH_WORKER_QUEUES has at least one live worker consuming it (the workers
    answer a broadcast over the broker within a second)."""
    from celery_app import app

    replies = app.control.inspect(timeout=1.0).active_queues() or {}
    consumed = {queue["name"] for queues in replies.values() for queue in queues}
    missing = [q for q in settings.HEALTH_WORKER_QUEUES if q not in consumed]
    if missing:
        raise CheckFailed(f"no live worker consumes queue {', '.join(missing)} ({len(replies)} workers answered)")


BEAT_TICK_KEY = "ops:beat:last_tick"


def _beat() -> None:
    """Beat ticked within HEALTH_BEAT_MAX_SILENCE_SECONDS (ops.beat.Scheduler stores each tick)."""
    from suresh_ai.redisclient import redis_client

    raw = redis_client().get(BEAT_TICK_KEY)
    if raw is None:
        raise CheckFailed("beat has never ticked")
    silence = time.time() - float(raw)
    if silence > settings.HEALTH_BEAT_MAX_SILENCE_SECONDS:
        raise CheckFailed(f"beat silent for {silence:.0f} s")


def _backups() -> None:
    from ops.backups.services import backup_check

    try:
        backup_check()
    except Exception as exc:  # its messages are written to be shown
        raise CheckFailed(str(exc)[:200]) from exc


def _ai() -> None:
    """The AI provider answers its model list (Groq, else the OpenAI-compatible server), on a new
    connection each time: the gateway's pooled keep-alive connection could outlive an outage."""
    import groq
    import openai

    timeout = min(5.0, settings.AI_TIMEOUT_SECONDS)
    client: groq.Groq | openai.OpenAI
    if settings.GROQ_API_KEY:
        client = groq.Groq(
            api_key=settings.GROQ_API_KEY, base_url=settings.GROQ_BASE_URL, timeout=timeout, max_retries=0
        )
    else:
        client = openai.OpenAI(
            api_key=settings.AI_OPENAI_API_KEY or "not-needed",
            base_url=settings.AI_OPENAI_BASE_URL,
            timeout=timeout,
            max_retries=0,
        )
    with client:
        client.models.list()


def _webhooks() -> None:
    """Razorpay's webhooks keep arriving: one within HEALTH_WEBHOOK_MAX_SILENCE_HOURS."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import WebhookEvent

    last = WebhookEvent.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    if last is None:
        raise CheckFailed("no Razorpay webhook received yet")
    silence = timezone.now() - last
    if silence > timedelta(hours=settings.HEALTH_WEBHOOK_MAX_SILENCE_HOURS):
        raise CheckFailed(f"no Razorpay webhook for {silence.total_seconds() / 3600:.1f} h")


def _http_check(url: str, expected: int, timeout: float) -> Callable[[], None]:
    """GET ``url`` from a vetted public address (ops.netguard). Failures read the same whatever
    went wrong ("no HTTP answer"): the error's type told staff which internal ports were open."""

    def check() -> None:
        import httpcore

        from ops.netguard import TargetRefused, public_http_status

        try:
            status = public_http_status(url, timeout)
        except TargetRefused as exc:
            raise CheckFailed("refused: the address is not public") from exc
        except (
            httpcore.NetworkError,
            httpcore.TimeoutException,
            httpcore.ProtocolError,
            httpcore.UnsupportedProtocol,
            OSError,
            ValueError,
        ) as exc:
            raise CheckFailed("no HTTP answer") from exc
        if status != expected:
            raise CheckFailed(f"HTTP {status}, expected {expected}")

    return check


def _configured() -> dict[str, Callable[[], None]]:
    """The checks this deployment runs (HEALTH_COMPONENTS, and only what is configured)."""
    wanted = set(settings.HEALTH_COMPONENTS)
    checks: dict[str, Callable[[], None]] = {name: check for name, check in CHECKS.items() if name in wanted}
    optional: dict[str, tuple[bool, Callable[[], None]]] = {
        "disk": (True, _disk),
        "workers": (True, _workers),
        "beat": (True, _beat),
        "backups": ("ops.backups" in settings.INSTALLED_APPS, _backups),
        "ai": (bool(settings.GROQ_API_KEY or settings.AI_OPENAI_BASE_URL), _ai),
        "webhooks": (bool(settings.RAZORPAY_WEBHOOK_SECRET), _webhooks),
    }
    for name, (configured, check) in optional.items():
        if name in wanted and configured:
            checks[name] = check
    if "http" in wanted:
        from ops.models import UptimeTarget

        for target in UptimeTarget.objects.filter(enabled=True):
            checks[target.component] = _http_check(target.url, target.expected_status, target.timeout_seconds)
    return checks


def _timed_safe(name: str, check: Callable[[], None]) -> ComponentStatus:
    """Like _timed, but a CheckFailed keeps its message (ours, with no secrets in it)."""
    started = time.perf_counter()
    try:
        check()
    except CheckFailed as exc:
        return ComponentStatus(name, False, round((time.perf_counter() - started) * 1000, 2), str(exc)[:200])
    except Exception as exc:  # noqa: BLE001 - any other failure: its type only
        return ComponentStatus(name, False, round((time.perf_counter() - started) * 1000, 2), type(exc).__name__)
    return ComponentStatus(name, True, round((time.perf_counter() - started) * 1000, 2))


# The health score: 100 x the weight of the components that are up / the total weight. The
# database carries the most (nothing works without it); Redis (cache, quotas, rate limits), the
# broker and the workers (background work) and disk (database growth, backups) next; the rest 1
# each, HTTP targets included.
WEIGHTS = {"database": 3, "redis": 2, "broker": 2, "workers": 2, "disk": 2}


def weight(component: str) -> int:
    return WEIGHTS.get(component, 1)


def health_score(statuses: list[ComponentStatus]) -> float:
    total = sum(weight(s.name) for s in statuses)
    up = sum(weight(s.name) for s in statuses if s.ok)
    return round(100 * up / total, 1) if total else 100.0


def health_statuses() -> list[ComponentStatus]:
    """Every configured check. HTTP targets run side by side (no database in them), so a round
    takes at most the longest target's timeout however many targets there are."""
    from concurrent.futures import ThreadPoolExecutor

    checks = _configured()
    http = {name: check for name, check in checks.items() if name.startswith("http:")}
    statuses = [_timed_safe(name, check) for name, check in checks.items() if name not in http]
    if http:
        with ThreadPoolExecutor(max_workers=min(8, len(http)), thread_name_prefix="uptime") as pool:
            statuses += list(pool.map(lambda item: _timed_safe(*item), http.items()))
    return statuses


def monitored_components() -> set[str]:
    """The components this deployment checks now (removed targets and components excluded)."""
    return set(_configured())


def health_record() -> tuple[list[ComponentStatus], float]:
    """Run every configured check, store each as history, return them with the score."""
    from ops.models import HealthCheck

    statuses = health_statuses()
    HealthCheck.objects.bulk_create(
        HealthCheck(component=s.name, ok=s.ok, latency_ms=s.latency_ms, error=s.error[:200]) for s in statuses
    )
    return statuses, health_score(statuses)


def latest_health() -> tuple[float | None, list[dict[str, object]]]:
    """The score and each component's latest stored check with its uptime over 24 hours (what the
    monitor last saw; nothing is checked here)."""
    from datetime import timedelta

    from django.utils import timezone

    from ops.models import HealthCheck
    from ops.uptime import uptime_shares

    checked = HealthCheck.objects.filter(component__in=monitored_components())
    latest = {c.component: c for c in checked.order_by("component", "-checked_at").distinct("component")}
    uptime = uptime_shares(timezone.now() - timedelta(hours=24))
    total = sum(weight(c) for c in latest)
    score = round(100 * sum(weight(c) for c, k in latest.items() if k.ok) / total, 1) if total else None
    components: list[dict[str, object]] = [
        {
            "component": c,
            "status": "ok" if k.ok else "down",
            "latency_ms": k.latency_ms,
            "error": k.error,
            "checked_at": k.checked_at,
            "uptime_24h": round(uptime[c], 4) if c in uptime else None,
        }
        for c, k in sorted(latest.items())
    ]
    return score, components
