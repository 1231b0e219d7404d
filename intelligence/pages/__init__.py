"""Analytics pages (one module per view; this one is the overview): KPIs against the previous
period, a series chart, top lists, CSV export. The date range and grain live in the URL
(?start=&end=&grain=), so a view can be bookmarked."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from intelligence import analytics
from intelligence.ranges import range_from
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_response, csv_text, rupees
from suresh_ai.errors import ValidationFailed
from tenants.models import Role
from tenants.views.auth import member_required

KPI_LABELS = [
    ("visitors", "Visitors", "count"),
    ("sessions", "Sessions", "count"),
    ("orders", "Orders", "count"),
    ("revenue_paise", "Revenue", "paise"),
    ("aov_paise", "Average order value", "paise"),
    ("conversion_rate", "Conversion rate (orders / sessions)", "rate"),
    ("new_customers", "New customers", "count"),
    ("returning_customers", "Returning customers", "count"),
]


def _change(now: Any, before: Any) -> float | None:
    if now is None or before in (None, 0):
        return None
    return round((now - before) / before * 100, 1)


def _pct(value: Any) -> float | None:
    return None if value is None or isinstance(value, int) else round(float(value) * 100, 1)


def _grain(request: HttpRequest, days: int) -> str:
    grain = request.GET.get("grain") or ("hour" if days <= 2 else "day" if days <= 92 else "week")
    return grain if grain in analytics.GRAINS and not (grain == "hour" and days > 31) else "day"


def _chart(points: list[dict[str, Any]], grain: str) -> str:
    import pygal
    from pygal.style import DefaultStyle

    chart = pygal.Line(
        title="Visitors and paid orders",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=300,
        x_label_rotation=30,
        show_minor_x_labels=False,
        dots_size=2,
        formatter=lambda value: f"{value:,.0f}",  # whole visitors and orders on both axes
    )
    fmt = "%d %b %H:00" if grain == "hour" else "%d %b"
    chart.x_labels = [p["bucket"].strftime(fmt) for p in points]
    chart.x_labels_major = chart.x_labels[:: max(1, len(points) // 10)]
    chart.add("Visitors", [p["visitors"] for p in points])
    chart.add("Orders", [p["orders"] for p in points])  # one axis: a secondary one labels 0.7692307692
    return chart_svg(chart)


@member_required(Role.VIEWER)
@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    error: str | None = None
    try:
        span = range_from(request.GET)
    except ValidationFailed as exc:
        span, error = range_from({}), exc.message
    days = (span.last - span.first).days + 1
    grain = _grain(request, days)
    report = analytics.kpis_compared(span.start, span.end)
    points = analytics.series(span.start, span.end, grain=grain)
    cards = [
        {
            "label": label,
            "kind": kind,
            "now": report["current"][key],
            "before": report["previous"][key],
            "change": _change(report["current"][key], report["previous"][key]),
            "now_pct": _pct(report["current"][key]),
            "before_pct": _pct(report["previous"][key]),
        }
        for key, label, kind in KPI_LABELS
    ]
    context = {
        "span": span,
        "grain": grain,
        "grains": list(analytics.GRAINS),
        "error": error,
        "cards": cards,
        "live": analytics.live_visitors(),
        "previous_start": report["previous_start"],
        "chart": mark_safe(_chart(points, grain)),  # noqa: S308 - pygal SVG of our numbers
        "top": analytics.top(span.start, span.end),
        "query": request.GET.urlencode(),
    }
    return render(request, "intelligence/analytics.html", context)


@member_required(Role.VIEWER)
@require_GET
def analytics_csv(request: HttpRequest) -> HttpResponse:
    span = range_from(request.GET)
    grain = _grain(request, (span.last - span.first).days + 1)
    rows = (
        (p["bucket"].isoformat(), p["visitors"], p["orders"], rupees(p["revenue_paise"]))
        for p in analytics.series(span.start, span.end, grain=grain)
    )
    return csv_response(
        csv_text(["bucket_utc", "visitors", "orders", "revenue_inr"], rows),
        f"analytics-{span.first}-{span.last}-{grain}.csv",
    )
