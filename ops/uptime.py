"""Uptime from the stored health checks: the share of checks that were up, per component, over a
day, a week and a month, and per calendar day (UTC) for the status page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from ops.models import HealthCheck, Incident, UptimeTarget

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}

# What the public status page shows, by the names our users know. Internal components
# (migrations, disk, beat, backups) stay on the staff dashboard.
PUBLIC_NAMES = {
    "database": "Database",
    "redis": "Cache and rate limits",
    "broker": "Job queue",
    "workers": "Background jobs (imports, emails, AI batches)",
    "ai": "AI provider",
    "webhooks": "Payment webhooks (Razorpay)",
}
# A major outage: without these nothing works.
CORE = frozenset({"database", "redis"})


def uptime_shares(since: datetime, components: list[str] | None = None) -> dict[str, float]:
    rows = HealthCheck.objects.filter(checked_at__gte=since)
    if components is not None:
        rows = rows.filter(component__in=components)
    return {
        row["component"]: row["up"] / row["n"]
        for row in rows.values("component").annotate(n=Count("id"), up=Count("id", filter=Q(ok=True)))
    }


def uptime_by_period(now: datetime | None = None) -> dict[str, dict[str, float | None]]:
    """{component: {"day": share, "week": share, "month": share}} (None: no checks in the period)."""
    now = now or timezone.now()
    shares = {period: uptime_shares(now - span) for period, span in PERIODS.items()}
    components = sorted(set().union(*shares.values()))
    return {c: {p: (round(shares[p][c], 5) if c in shares[p] else None) for p in PERIODS} for c in components}


def uptime_daily(components: list[str], days: int, now: datetime | None = None) -> dict[str, dict[date, float]]:
    """{component: {day: share}} for the last ``days`` UTC days, today included."""
    now = now or timezone.now()
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        HealthCheck.objects.filter(checked_at__gte=start, component__in=components)
        .annotate(day=TruncDate("checked_at", tzinfo=UTC))
        .values("component", "day")
        .annotate(n=Count("id"), up=Count("id", filter=Q(ok=True)))
    )
    result: dict[str, dict[date, float]] = {c: {} for c in components}
    for row in rows:
        result[row["component"]][row["day"]] = row["up"] / row["n"]
    return result


def public_components() -> dict[str, str]:
    """{component: public name}: the fixed ones plus the public HTTP targets."""
    names = dict(PUBLIC_NAMES)
    for target in UptimeTarget.objects.filter(enabled=True, public=True):
        names[target.component] = target.name
    return names


def status_summary(days: int = 30) -> dict[str, object]:
    """The public status page's content: overall state, each public component's state and daily
    uptime, and recent incidents (component and times only: causes are internal)."""
    names = public_components()
    latest = {
        c.component: c
        for c in HealthCheck.objects.filter(component__in=list(names))
        .order_by("component", "-checked_at")
        .distinct("component")
    }
    down = {c for c, check in latest.items() if not check.ok}
    overall = "major_outage" if down & CORE else ("partial_outage" if down else "operational")
    now = timezone.now()
    daily = uptime_daily(list(latest), days, now)
    month = uptime_shares(now - timedelta(days=days), list(latest))
    today = now.date()
    components = [
        {
            "component": component,
            "name": names[component],
            "status": "down" if component in down else "operational",
            "uptime": round(month[component] * 100, 3) if component in month else None,
            "days": [
                (today - timedelta(days=offset), daily[component].get(today - timedelta(days=offset)))
                for offset in range(days - 1, -1, -1)
            ],
        }
        for component in sorted(latest, key=lambda c: names[c])
    ]
    incidents = Incident.objects.filter(component__in=list(names), started_at__gte=now - timedelta(days=14))[:50]
    return {
        "overall": overall,
        "components": components,
        "incidents": [{"name": names[i.component], "incident": i} for i in incidents],
        "checked_at": max((c.checked_at for c in latest.values()), default=None),
        "days": days,
    }
