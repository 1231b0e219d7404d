"""The operations dashboard for platform staff: health score over time, uptime, incidents, alerts,
queue depth and workers, with the error rate, latency and backups from ops.telemetry and
ops.backups."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models.functions import TruncMinute
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from kombu.exceptions import ChannelError

from ops.health import weight
from ops.models import Alert, AlertDelivery, HealthCheck, Incident
from ops.uptime import uptime_by_period
from suresh_ai.admin_site import admin_site
from suresh_ai.charts import chart_svg

logger = logging.getLogger(__name__)


def score_series(since: datetime) -> list[tuple[datetime, float]]:
    """The health score of each stored round (checks grouped by minute), oldest first."""
    rounds: dict[datetime, list[tuple[str, bool]]] = defaultdict(list)
    rows = (
        HealthCheck.objects.filter(checked_at__gte=since)
        .annotate(minute=TruncMinute("checked_at"))
        .values_list("minute", "component", "ok")
    )
    for minute, component, ok in rows:
        rounds[minute].append((component, ok))
    series = []
    for minute in sorted(rounds):
        checks = rounds[minute]
        total = sum(weight(c) for c, _ in checks)
        series.append((minute, round(100 * sum(weight(c) for c, ok in checks if ok) / total, 1)))
    return series


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each monitored queue (None when the broker cannot be asked)."""
    from celery_app import app

    depths: dict[str, int | None] = {}
    try:
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            for queue in settings.HEALTH_WORKER_QUEUES:
                try:
                    depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
                except ChannelError:
                    # Redis keeps a queue only while it holds messages: not found means empty.
                    depths[queue] = 0
    except Exception:  # broker down: the components table says so
        logger.warning("queue_depth_unavailable", exc_info=True)
        return dict.fromkeys(settings.HEALTH_WORKER_QUEUES)
    return depths


def workers() -> list[dict[str, Any]]:
    """Live workers and the queues each consumes (a broadcast answered within a second)."""
    from celery_app import app

    try:
        replies = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception:  # noqa: BLE001 - broker down
        return []
    return [{"name": name, "queues": sorted(q["name"] for q in queues)} for name, queues in sorted(replies.items())]


def _charts(scores: list[tuple[datetime, float]], incidents_by_day: list[tuple[str, int]]) -> dict[str, str]:
    import pygal
    from pygal.style import DefaultStyle

    options: dict[str, Any] = {
        "style": DefaultStyle,
        "js": [],
        "disable_xml_declaration": True,
        "height": 280,
        "legend_at_bottom": True,
        "show_legend": False,
    }
    score = pygal.DateTimeLine(
        title="Health score, last 24 hours",
        x_value_formatter=lambda moment: moment.strftime("%H:%M"),
        range=(0, 100),
        show_dots=False,
        **options,
    )
    score.add("Score", scores)
    incidents = pygal.Bar(title="Incidents opened per day, last 30 days", truncate_label=-1, **options)
    incidents.x_labels = [datetime.fromisoformat(day).strftime("%d %b") for day, _ in incidents_by_day]
    most = max((n for _, n in incidents_by_day), default=0)
    incidents.y_labels = list(range(0, most + 1, max(1, most // 5)))  # whole incidents, not 0.1 steps
    incidents.x_labels_major_every = 5
    incidents.show_minor_x_labels = False
    incidents.add("Incidents", [n for _, n in incidents_by_day])
    return {"score": chart_svg(score), "incidents": chart_svg(incidents)}


def _incidents_by_day(now: datetime) -> list[tuple[str, int]]:
    start = (now - timedelta(days=29)).date()
    counts: dict[str, int] = defaultdict(int)
    for started in Incident.objects.filter(started_at__date__gte=start).values_list("started_at", flat=True):
        counts[started.date().isoformat()] += 1
    days = [(start + timedelta(days=i)).isoformat() for i in range(30)]
    return [(day, counts[day]) for day in days]


def _request_charts() -> dict[str, str]:
    from ops.telemetry.pages import performance_charts
    from ops.telemetry.selectors import hourly_requests

    return performance_charts(hourly_requests(hours=24))


def _requests_and_errors() -> dict[str, Any]:
    """The alert rules' request window (the last ALERT_WINDOW_MINUTES) and the latest error groups."""
    from ops.telemetry.models import ErrorGroup
    from ops.telemetry.windows import request_window

    try:
        window = request_window(settings.ALERT_WINDOW_MINUTES)
    except Exception:  # noqa: BLE001 - Redis down: the components table says so
        window = None
    return {
        "window": window,
        "error_percent": round(window.error_rate * 100, 2) if window else None,
        "window_minutes": settings.ALERT_WINDOW_MINUTES,
        "error_groups": ErrorGroup.objects.order_by("-last_seen")[:8],
    }


def _backups() -> dict[str, Any]:
    from ops.backups.exceptions import BackupUnhealthy
    from ops.backups.models import Backup
    from ops.backups.services import backup_check, backup_notice

    try:
        backup_check()
        problem = ""
    except BackupUnhealthy as exc:
        problem = str(exc)
    notice = "" if problem else backup_notice()
    return {"backups": Backup.objects.order_by("-created_at")[:5], "backup_problem": problem, "backup_notice": notice}


def dashboard_context() -> dict[str, Any]:
    from ops.health import latest_health

    now = timezone.now()
    scores = score_series(now - timedelta(hours=24))
    score, components = latest_health()
    uptime = uptime_by_period(now)
    for component in components:
        component["uptime"] = uptime.get(str(component["component"]), {})
    charts = _charts(scores, _incidents_by_day(now))
    charts.update(_request_charts())
    return {
        **_requests_and_errors(),
        **_backups(),
        "score": score,
        "components": components,
        "open_incidents": Incident.objects.filter(ended_at=None).order_by("-started_at"),
        "incidents": Incident.objects.order_by("-started_at")[:15],
        "firing": Alert.objects.filter(status=Alert.Status.FIRING).order_by("-first_fired_at"),
        "alerts": Alert.objects.order_by("-first_fired_at")[:15],
        "failed_deliveries": AlertDelivery.objects.filter(ok=False, sent_at__gte=now - timedelta(days=1)).count(),
        "queues": queue_depths(),
        "workers": workers(),
        "charts": {name: mark_safe(svg) for name, svg in charts.items()},  # noqa: S308 - pygal's own SVG
    }


def ops_dashboard(request: HttpRequest) -> HttpResponse:
    """Platform staff (through the admin's login and 2FA)."""
    if not getattr(request.user, "is_staff", False):
        raise Http404
    context = {**admin_site.each_context(request), "title": "Operations", **dashboard_context()}
    return render(request, "admin/ops/dashboard.html", context)
