"""Funnel and retention pages: server-side SVG charts (pygal), a retention heat map, CSV export.
Every control (range, steps, window, basis, period) lives in the URL, so a view can be bookmarked;
bad input is shown on the page and the defaults are used instead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from intelligence.engines import funnels, retention
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_response
from suresh_ai.errors import ValidationFailed
from tenants.models import Role
from tenants.views.auth import member_required

WINDOW_CHOICES = [(1, "1 hour"), (24, "1 day"), (72, "3 days"), (168, "7 days"), (720, "30 days"), (2160, "90 days")]
CHART_COHORTS = 12


def _chart_options() -> dict[str, Any]:
    from pygal.style import DefaultStyle

    return {"style": DefaultStyle, "js": [], "disable_xml_declaration": True, "height": 320}


def _funnel_chart(result: funnels.Funnel) -> str:
    import pygal

    chart = pygal.Bar(title="Visitors per step", print_values=True, show_legend=False, **_chart_options())
    chart.x_labels = [f"{s.step}. {s.name}{'@' + s.path if s.path else ''}" for s in result.total.steps]
    chart.add("Visitors", [s.visitors for s in result.total.steps])
    return chart_svg(chart)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@member_required(Role.VIEWER)
@require_GET
def funnels_page(request: HttpRequest) -> HttpResponse:
    error: str | None = None
    try:
        result = funnels.funnel_from_query(request.GET)
    except ValidationFailed as exc:
        error = exc.message
        result = funnels.funnel_from_query({})
    steps_text = ",".join(f"{s.name}{'@' + s.path if s.path else ''}" for s in result.total.steps)
    segments = [
        {
            "segment": segment,
            "rate": _percent(segment.conversion_rate),
            "to_convert": _duration(segment.median_seconds_to_convert),
            "steps": [
                {
                    "step": step,
                    "from_previous": _percent(step.conversion_from_previous),
                    "from_start": _percent(step.conversion_from_start),
                    "drop_off": _percent(step.drop_off_rate),
                    "time_from_previous": _duration(step.median_seconds_from_previous),
                    "time_from_start": _duration(step.median_seconds_from_start),
                }
                for step in segment.steps
            ],
        }
        for segment in [result.total, *result.channels]
    ]
    context = {
        "error": error,
        "result": result,
        "first": result.start.date(),
        "last": (result.end - timedelta(days=1)).date(),
        "steps_text": steps_text,
        "windows": WINDOW_CHOICES,
        "segments": segments,
        "chart": mark_safe(_funnel_chart(result)),  # noqa: S308 - pygal SVG of our numbers
        "query": request.GET.urlencode(),
    }
    return render(request, "intelligence/funnels.html", context)


@member_required(Role.VIEWER)
@require_GET
def funnels_csv(request: HttpRequest) -> HttpResponse:
    try:
        result = funnels.funnel_from_query(request.GET)
    except ValidationFailed as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    return csv_response(funnels.funnel_csv(result), f"funnel-{result.start:%Y-%m-%d}.csv")


def _cell_style(rate: float | None) -> str:
    """A blue background whose strength follows the rate; the value is always printed in the cell."""
    if rate is None:
        return ""
    return f"background-color: rgba(37, 99, 235, {0.08 + 0.52 * min(rate, 1.0):.2f})"


def _retention_chart(result: retention.Retention) -> str:
    import pygal

    chart = pygal.Line(
        title=f"Customers retained, % of cohort, by {result.period} since the first",
        x_title=f"{result.period.title()}s since the cohort's first",
        dots_size=2,
        legend_at_bottom=True,
        **_chart_options(),
    )
    chart.x_labels = [str(n) for n in range(result.periods + 1)]
    for cohort in result.cohorts[-CHART_COHORTS:]:
        chart.add(str(cohort.start), [None if r is None else round(r * 100, 1) for r in cohort.retention_rate])
    chart.add("Average", [None if r is None else round(r * 100, 1) for r in result.average_retention_rate])
    return chart_svg(chart)


def _matrix(result: retention.Retention) -> list[dict[str, Any]]:
    rows = []
    for c in result.cohorts:
        cells = []
        for n in range(result.periods + 1):
            rate = c.retention_rate[n]
            cells.append(
                {
                    "customers": c.customers[n],
                    "percent": None if rate is None else round(rate * 100, 1),
                    "style": _cell_style(rate),
                    "revenue_paise": c.revenue_paise[n],
                    "per_customer_paise": c.revenue_per_customer_paise[n],
                    "revenue_style": _cell_style(c.revenue_retention_rate[n]),
                }
            )
        rows.append({"start": c.start, "size": c.size, "cells": cells})
    return rows


@member_required(Role.VIEWER)
@require_GET
def retention_page(request: HttpRequest) -> HttpResponse:
    error: str | None = None
    try:
        result = retention.retention_from_query(request.GET)
    except ValidationFailed as exc:
        error = exc.message
        result = retention.retention_from_query({})
    context = {
        "error": error,
        "result": result,
        "bases": retention.BASES,
        "periods_choices": retention.PERIODS,
        "matrix": _matrix(result),
        "columns": list(range(result.periods + 1)),
        "average": [None if r is None else round(r * 100, 1) for r in result.average_retention_rate],
        "chart": mark_safe(_retention_chart(result)),  # noqa: S308 - pygal SVG of our numbers
        "query": request.GET.urlencode(),
    }
    return render(request, "intelligence/retention.html", context)


@member_required(Role.VIEWER)
@require_GET
def retention_csv(request: HttpRequest) -> HttpResponse:
    try:
        result = retention.retention_from_query(request.GET)
    except ValidationFailed as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    return csv_response(retention.retention_csv(result), f"retention-{result.basis}-{result.period}-{result.start}.csv")
