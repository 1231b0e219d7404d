"""Platform staff pages (admin views): the errors dashboard and the performance page, pygal charts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from ops.telemetry.models import ErrorCategory
from ops.telemetry.selectors import (
    WINDOWS,
    endpoint_performance,
    error_groups,
    errors_per_hour,
    hourly_requests,
    slow_queries,
)
from suresh_ai.admin_site import admin_site
from suresh_ai.charts import chart_svg

RANGES = {"24h": 24, "7d": 168}


def _chart_options() -> dict[str, Any]:
    from pygal.style import DefaultStyle

    return {
        "style": DefaultStyle,
        "js": [],
        "disable_xml_declaration": True,
        "height": 320,
        "x_label_rotation": 30,
        "legend_at_bottom": True,
        "show_minor_x_labels": False,
    }


def _labels(hours: list[datetime]) -> tuple[list[str], list[str]]:
    labels = [f"{h:%d %b %H}:00" for h in hours]
    step = max(1, len(labels) // 12)
    return labels, labels[::step]


def errors_chart(hours: list[datetime], series: dict[str, list[int]]) -> str:
    import pygal

    chart = pygal.StackedBar(title="Errors per hour by category", **_chart_options())
    chart.x_labels, chart.x_labels_major = _labels(hours)
    for category in ErrorCategory:
        chart.add(category.label, series[category.value])
    return chart_svg(chart)


def performance_charts(points: list[Any]) -> dict[str, str]:
    import pygal

    hours = [p.hour for p in points]
    latency = pygal.Line(title="p95 latency per hour (ms)", **_chart_options())
    latency.x_labels, latency.x_labels_major = _labels(hours)
    latency.add("p95", [p.p95_ms for p in points])
    traffic = pygal.Bar(title="Requests and 5xx per hour", **_chart_options())
    traffic.x_labels, traffic.x_labels_major = _labels(hours)
    traffic.add("Requests", [p.requests for p in points])
    traffic.add("5xx", [p.server_errors for p in points])
    return {"latency": chart_svg(latency), "traffic": chart_svg(traffic)}


def _range(request: HttpRequest) -> str:
    chosen = request.GET.get("range", "24h")
    return chosen if chosen in RANGES else "24h"


def errors_dashboard(request: HttpRequest) -> HttpResponse:
    if not getattr(request.user, "is_staff", False):
        raise Http404
    chosen = _range(request)
    category = request.GET.get("category", "")
    if category not in ErrorCategory.values:
        category = ""
    hours, series = errors_per_hour(hours=RANGES[chosen])
    context = {
        **admin_site.each_context(request),
        "title": "Errors",
        "groups": list(error_groups(category=category or None)[:200]),
        "categories": ErrorCategory.choices,
        "category": category,
        "range": chosen,
        "chart": mark_safe(errors_chart(hours, series)),  # noqa: S308 - pygal output
    }
    return render(request, "admin/ops/errors.html", context)


def performance_dashboard(request: HttpRequest) -> HttpResponse:
    if not getattr(request.user, "is_staff", False):
        raise Http404
    chosen = _range(request)
    window = request.GET.get("window", "1h")
    if window not in WINDOWS:
        window = "1h"
    rows = endpoint_performance(minutes=WINDOWS[window])
    by_p95 = sorted((r for r in rows if r.p95_ms is not None), key=lambda r: -(r.p95_ms or 0))[:15]
    by_errors = sorted((r for r in rows if r.server_errors), key=lambda r: (-r.error_rate, -r.requests))[:15]
    context = {
        **admin_site.each_context(request),
        "title": "Performance",
        "range": chosen,
        "window": window,
        "windows": list(WINDOWS),
        "by_p95": by_p95,
        "by_errors": by_errors,
        "slow_queries": list(slow_queries()[:50]),
        "charts": {
            name: mark_safe(svg)  # noqa: S308 - pygal output
            for name, svg in performance_charts(hourly_requests(hours=RANGES[chosen])).items()
        },
    }
    return render(request, "admin/ops/performance.html", context)
