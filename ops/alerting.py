"""Alerting: rules evaluated after each health round, alerts grouped and de-duplicated, and one
message per channel per round (email, Slack, Discord, a signed webhook), with recovery messages.

Rules (docs/operations.md, "Alerts"):
- ``component_down``: a component down for ALERT_DOWN_CONSECUTIVE_CHECKS checks in a row (the
  ``backups`` component carries "missed", "failed" and "unverified" backups);
- ``error_rate``: the API's 5xx share over ALERT_WINDOW_MINUTES above ALERT_ERROR_RATE;
- ``latency_p95``: p95 over the window above ALERT_P95_MS;
- ``rate_limited``: 429 refusals in the window above ALERT_RATE_LIMITED_PER_WINDOW;
- ``rate_limits_off``: the API limiter cannot run its script in Redis, so it fails open and admits
  every request without a limit (suresh_ai.api.ratelimit);
- ``payment_failures``: a workspace's payment-failure spike insight (intelligence), for an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ops.health import ComponentStatus
from ops.models import Alert, AlertDelivery, HealthCheck

logger = logging.getLogger(__name__)

PRODUCT = "SURESH AI ORIGIN"
EVENTS_KEY = "ops:alert-events"


@dataclass(frozen=True)
class Firing:
    rule: str
    key: str
    summary: str
    severity: str = Alert.Severity.CRITICAL
    detail: dict[str, Any] = field(default_factory=dict)


# --- Rules -----------------------------------------------------------------------------------------


def _component_down(statuses: list[ComponentStatus]) -> list[Firing]:
    needed = max(1, settings.ALERT_DOWN_CONSECUTIVE_CHECKS)
    firing = []
    for status in statuses:
        if status.ok:
            continue
        if needed > 1:
            recent = list(
                HealthCheck.objects.filter(component=status.name)
                .order_by("-checked_at", "-id")
                .values_list("ok", flat=True)[:needed]
            )
            if len(recent) < needed or any(recent):
                continue
        firing.append(
            Firing(
                "component_down",
                status.name,
                f"{status.name} down: {status.error or 'failed'}"[:300],
                detail={"error": status.error, "latency_ms": status.latency_ms},
            )
        )
    return firing


def _request_rules() -> list[Firing] | None:
    """error_rate, latency_p95 and rate_limited from the platform-wide request window (None when
    request telemetry is not installed)."""
    if "ops.telemetry" not in settings.INSTALLED_APPS:
        return None
    from ops.telemetry.windows import request_window

    minutes = settings.ALERT_WINDOW_MINUTES
    window = request_window(minutes)
    firing = []
    detail = {
        "window_minutes": minutes,
        "requests": window.requests,
        "server_errors": window.server_errors,
        "error_rate": round(window.error_rate, 4),
        "p95_ms": window.p95_ms,
        "rate_limited": window.rate_limited,
    }
    enough = window.requests >= settings.ALERT_ERROR_MIN_REQUESTS
    if enough and window.error_rate > settings.ALERT_ERROR_RATE:
        firing.append(
            Firing(
                "error_rate",
                "api",
                f"API errors at {window.error_rate:.1%} over {minutes} min "
                f"({window.server_errors} of {window.requests} requests; threshold {settings.ALERT_ERROR_RATE:.0%})",
                detail=detail,
            )
        )
    if enough and window.p95_ms is not None and window.p95_ms > settings.ALERT_P95_MS:
        firing.append(
            Firing(
                "latency_p95",
                "api",
                f"API p95 latency {window.p95_ms:.0f} ms over {minutes} min (threshold {settings.ALERT_P95_MS:.0f} ms)",
                Alert.Severity.WARNING,
                detail,
            )
        )
    if window.rate_limited > settings.ALERT_RATE_LIMITED_PER_WINDOW:
        firing.append(
            Firing(
                "rate_limited",
                "api",
                f"{window.rate_limited} requests refused by rate limits in {minutes} min "
                f"(threshold {settings.ALERT_RATE_LIMITED_PER_WINDOW})",
                Alert.Severity.WARNING,
                detail,
            )
        )
    return firing


def _rate_limits_off() -> list[Firing]:
    """The limiter's own script on a probe bucket: failing, the API is admitted without limits."""
    from suresh_ai.api.ratelimit import limiter_problem

    if not settings.RATE_LIMIT_ENABLED:
        return []
    problem = limiter_problem()
    if problem is None:
        return []
    return [
        Firing(
            "rate_limits_off",
            "api",
            f"API rate limits are off: the limiter cannot reach Redis ({problem}), so every API request is "
            "admitted without a limit (fail-open) until Redis answers again",
            detail={"error": problem},
        )
    ]


def alert_event(rule: str, key: str, summary: str, *, for_seconds: int = 3600) -> None:
    """Raise a one-off alert from elsewhere (e.g. intelligence's payment-failure spike): it fires at
    the next round and resolves by itself ``for_seconds`` later."""
    from suresh_ai.redisclient import redis_client

    payload = json.dumps({"rule": rule, "key": key, "summary": summary[:300], "until": time.time() + for_seconds})
    redis_client().hset(EVENTS_KEY, f"{rule}|{key}", payload)


def _events() -> list[Firing]:
    from suresh_ai.redisclient import redis_client

    client = redis_client()
    firing, expired = [], []
    for name, raw in client.hgetall(EVENTS_KEY).items():
        event = json.loads(raw)
        if event["until"] < time.time():
            expired.append(name)
            continue
        firing.append(Firing(event["rule"], event["key"], event["summary"], Alert.Severity.WARNING))
    if expired:
        client.hdel(EVENTS_KEY, *expired)
    return firing


EVENT_RULES = frozenset({"payment_failures"})


def rules_evaluate(statuses: list[ComponentStatus]) -> tuple[list[Firing], set[str]]:
    """What fires now, and which rules were evaluated (only their alerts may resolve this round)."""
    firing = _component_down(statuses) + _rate_limits_off()
    evaluated = {"component_down", "rate_limits_off"}
    requests = _safely(_request_rules)
    if requests is not None:
        firing += requests
        evaluated |= {"error_rate", "latency_p95", "rate_limited"}
    events = _safely(_events)
    if events is not None:
        firing += events
        evaluated |= EVENT_RULES
    return firing, evaluated


def _safely(evaluate: Callable[[], list[Firing] | None]) -> list[Firing] | None:
    """A rule whose data source is down is skipped this round (its alerts stay as they are); the
    source's own component alert says why."""
    try:
        return evaluate()
    except Exception:
        logger.warning("alert_rule_skipped", extra={"rule": getattr(evaluate, "__name__", "?")}, exc_info=True)
        return None


# --- Grouping, de-duplication, cooldown ------------------------------------------------------------


@dataclass
class Changes:
    fired: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)


@transaction.atomic
def alerts_reconcile(firing: list[Firing], evaluated: set[str], checked: set[str] | None = None) -> Changes:
    """Bring the alert table in line with what fires now. Returns the alerts to announce: newly
    fired ones, and resolved ones that had been announced."""
    now = timezone.now()
    cooldown = timedelta(minutes=settings.ALERT_COOLDOWN_MINUTES)
    changes = Changes()
    open_alerts = {(a.rule, a.key): a for a in Alert.objects.select_for_update().filter(status=Alert.Status.FIRING)}
    seen = set()
    for item in firing:
        seen.add((item.rule, item.key))
        alert = open_alerts.get((item.rule, item.key))
        if alert is not None:
            alert.occurrences += 1
            alert.last_fired_at = now
            alert.summary, alert.detail = item.summary, item.detail
            alert.save(update_fields=["occurrences", "last_fired_at", "summary", "detail"])
            continue
        recent = (
            Alert.objects.select_for_update()
            .filter(rule=item.rule, key=item.key, status=Alert.Status.RESOLVED, resolved_at__gte=now - cooldown)
            .order_by("-resolved_at")
            .first()
        )
        if recent is not None:  # flapping: reopen the same alert without a second message
            recent.status, recent.resolved_at, recent.last_fired_at = Alert.Status.FIRING, None, now
            recent.occurrences += 1
            recent.reopened += 1
            recent.announced = False
            recent.summary, recent.detail = item.summary, item.detail
            recent.save()
            continue
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=item.rule,
                    key=item.key,
                    severity=item.severity,
                    summary=item.summary,
                    detail=item.detail,
                    first_fired_at=now,
                    last_fired_at=now,
                )
        except IntegrityError:
            continue  # another monitor process opened it this instant, and announces it
        changes.fired.append(alert)
    for (rule, key), alert in open_alerts.items():
        if (rule, key) in seen or rule not in evaluated:
            continue
        alert.status, alert.resolved_at = Alert.Status.RESOLVED, now
        # A component that is no longer checked has not recovered: closed without a message.
        gone = rule == "component_down" and checked is not None and key not in checked
        if gone:
            alert.detail = {**alert.detail, "closed": "no longer monitored"}
        alert.save(update_fields=["status", "resolved_at", "detail"])
        if alert.announced and not gone:
            changes.resolved.append(alert)
    return changes


# --- Channels --------------------------------------------------------------------------------------


def _utc(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else ""


def message_text(changes: Changes) -> tuple[str, str]:
    """(subject, body) for one round's changes."""
    lines = []
    for alert in changes.fired:
        lines.append(f"FIRING [{alert.severity}] {alert.summary} (since {_utc(alert.first_fired_at)})")
    for alert in changes.resolved:
        lasted = (alert.resolved_at - alert.first_fired_at).total_seconds() if alert.resolved_at else 0
        lines.append(f"RESOLVED {alert.rule} {alert.key} after {lasted:.0f} s: {alert.summary}")
    if changes.fired:
        subject = f"[{PRODUCT}] {len(changes.fired)} alert{'s' if len(changes.fired) > 1 else ''} firing: "
        subject += ", ".join(f"{a.key} {a.rule}" for a in changes.fired)
        if changes.resolved:
            subject += f"; {len(changes.resolved)} resolved"
    else:
        subject = f"[{PRODUCT}] RESOLVED: " + ", ".join(f"{a.key} {a.rule}" for a in changes.resolved)
    body = "\n".join(lines) + "\n\nAlert history: /admin/ops/alert/ on the platform domain.\n"
    return subject[:200], body


def _payload(changes: Changes, kind: str) -> dict[str, Any]:
    def one(alert: Alert, status: str) -> dict[str, Any]:
        return {
            "id": alert.pk,
            "rule": alert.rule,
            "key": alert.key,
            "status": status,
            "severity": alert.severity,
            "summary": alert.summary,
            "first_fired_at": alert.first_fired_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        }

    alerts = [one(a, "firing") for a in changes.fired] + [one(a, "resolved") for a in changes.resolved]
    return {"type": kind, "sent_at": timezone.now().isoformat(), "alerts": alerts}


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    import httpx

    response = httpx.post(
        url,
        content=body,
        headers={"Content-Type": "application/json", **headers},
        timeout=settings.ALERT_DELIVERY_TIMEOUT_SECONDS,
    )
    response.raise_for_status()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: the X-Suresh-Signature header's value after "sha256="."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _send_email(subject: str, text: str, payload: dict[str, Any]) -> None:
    send_mail(subject, text, None, settings.ALERT_EMAILS)


def _send_slack(subject: str, text: str, payload: dict[str, Any]) -> None:
    _post(settings.ALERT_SLACK_WEBHOOK_URL, json.dumps({"text": f"*{subject}*\n{text}"}).encode(), {})


def _send_discord(subject: str, text: str, payload: dict[str, Any]) -> None:
    content = f"**{subject}**\n{text}"[:2000]  # Discord's message limit
    _post(settings.ALERT_DISCORD_WEBHOOK_URL, json.dumps({"content": content}).encode(), {})


def _send_webhook(subject: str, text: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {}
    if settings.ALERT_WEBHOOK_SECRET:
        timestamp = str(int(time.time()))
        signature = webhook_signature(settings.ALERT_WEBHOOK_SECRET, timestamp, body)
        headers = {"X-Suresh-Timestamp": timestamp, "X-Suresh-Signature": f"sha256={signature}"}
    _post(settings.ALERT_WEBHOOK_URL, body, headers)


def _delivery_error(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


def channels() -> dict[str, Callable[[str, str, dict[str, Any]], None]]:
    """The configured channels (environment only)."""
    configured = {
        "email": (bool(settings.ALERT_EMAILS), _send_email),
        "slack": (bool(settings.ALERT_SLACK_WEBHOOK_URL), _send_slack),
        "discord": (bool(settings.ALERT_DISCORD_WEBHOOK_URL), _send_discord),
        "webhook": (bool(settings.ALERT_WEBHOOK_URL), _send_webhook),
    }
    return {name: send for name, (on, send) in configured.items() if on}


def _attempt(
    send: Callable[[str, str, dict[str, Any]], None], subject: str, text: str, payload: dict[str, Any]
) -> tuple[str, float]:
    """Send on one channel, two tries: (error or "", milliseconds taken)."""
    started = time.perf_counter()
    error = ""
    for attempt in range(2):
        try:
            send(subject, text, payload)
            error = ""
            break
        except Exception as exc:  # noqa: BLE001 - recorded (type and status only: URLs carry secrets), logged
            error = _delivery_error(exc)
            if attempt == 0:
                time.sleep(0.5)
    return error, round((time.perf_counter() - started) * 1000, 1)


def deliver(changes: Changes, *, kind: str | None = None) -> list[AlertDelivery]:
    """One message per channel for this round's changes (two tries each), every try's outcome kept.

    The channels are sent side by side, so a slow or unreachable one (up to two timeouts) does not
    hold back the others; the delivery rows are written here, on this thread's connection."""
    if not changes.fired and not changes.resolved and kind != AlertDelivery.Kind.TEST:
        return []
    kind = kind or (AlertDelivery.Kind.FIRING if changes.fired else AlertDelivery.Kind.RESOLVED)
    if kind == AlertDelivery.Kind.TEST:
        subject, text = f"[{PRODUCT}] test alert", "A test message: this channel receives the platform's alerts.\n"
    else:
        subject, text = message_text(changes)
    payload = _payload(changes, "test" if kind == AlertDelivery.Kind.TEST else "alerts")
    configured = channels()
    if not configured:
        return []
    with ThreadPoolExecutor(max_workers=len(configured), thread_name_prefix="alert-delivery") as pool:
        futures = {name: pool.submit(_attempt, send, subject, text, payload) for name, send in configured.items()}
        outcomes = {name: future.result() for name, future in futures.items()}
    deliveries = []
    for name, (error, latency_ms) in outcomes.items():
        delivery = AlertDelivery.objects.create(
            channel=name, kind=kind, ok=not error, error=error, latency_ms=latency_ms
        )
        delivery.alerts.set([*changes.fired, *changes.resolved])
        if error:
            logger.error("alert_delivery_failed", extra={"channel": name, "error": error})
        deliveries.append(delivery)
    return deliveries


def alerts_process(statuses: list[ComponentStatus]) -> tuple[Changes, list[AlertDelivery]]:
    firing, evaluated = rules_evaluate(statuses)
    changes = alerts_reconcile(firing, evaluated, {s.name for s in statuses})
    return changes, deliver(changes)
