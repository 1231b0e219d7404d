"""Attribution page: conversions or revenue per channel under every model side by side (pygal
SVG), spend with ROI and ROAS, CSV export. Range, look-back, half-life and the charted metric live
in the URL; bad input is shown on the page and the defaults are used instead."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from billing.pages import feature_locked
from billing.selectors import FeatureNotInPlan, require_feature
from billing.services import rupees
from intelligence.engines import attribution
from intelligence.ranges import range_from
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_response
from suresh_ai.errors import ValidationFailed
from suresh_ai.tenancy import request_tenant
from tenants.models import Role
from tenants.views.auth import member_required

FEATURE = "attribution"
METRICS = {"conversions": "Conversions", "revenue": "Revenue (₹)"}
View = Callable[..., HttpResponse]


def attribution_page_view(view: View) -> View:
    """A viewer or above, on a plan with attribution (else, in the layout, what it does and which plans have it)."""

    @member_required(Role.VIEWER)
    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            require_feature(request_tenant(request), FEATURE)
        except FeatureNotInPlan:
            return feature_locked(request, FEATURE)
        return view(request, *args, **kwargs)

    return wrapper


def _chart(report: attribution.AttributionReport, metric: str) -> str:
    import pygal
    from pygal.style import DefaultStyle

    chart = pygal.Bar(
        title=f"{METRICS[metric]} per channel by model",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=360,
        x_label_rotation=20,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
    )
    chart.x_labels = [row.channel for row in report.channels]
    for model in attribution.MODELS:
        if metric == "revenue":
            values = [round(row.credits[model].revenue_paise / 100, 2) for row in report.channels]
        else:
            values = [row.credits[model].conversions for row in report.channels]
        chart.add(attribution.MODEL_LABELS[model], values)
    return chart_svg(chart)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@attribution_page_view
def attribution_page(request: HttpRequest) -> HttpResponse:
    error: str | None = None
    try:
        span = range_from(request.GET)
        params = attribution.attribution_params(request.GET)
    except ValidationFailed as exc:
        span, params, error = range_from({}), attribution.AttributionParams(), exc.message
    metric = request.GET.get("metric", "conversions")
    metric = metric if metric in METRICS else "conversions"
    report = attribution.attribution_report(span=span, params=params)
    rows = [
        {
            "channel": row.channel,
            "spend": rupees(row.spend_paise) if row.spend_paise else "—",
            "removal_effect": "—" if row.removal_effect is None else f"{row.removal_effect:.3f}",
            "cells": [
                {
                    "conversions": f"{row.credits[m].conversions:.2f}",
                    "revenue": rupees(round(row.credits[m].revenue_paise)),
                    "roas": _ratio(row.credits[m].roas),
                    "roi": _ratio(row.credits[m].roi),
                }
                for m in attribution.MODELS
            ],
            "has_spend": bool(row.spend_paise),
        }
        for row in report.channels
    ]
    context = {
        "span": span,
        "params": params,
        "metric": metric,
        "metrics": METRICS,
        "error": error,
        "report": report,
        "models": [attribution.MODEL_LABELS[m] for m in attribution.MODELS],
        "rows": rows,
        "spend_rows": [r for r in rows if r["has_spend"]],
        "chart": mark_safe(_chart(report, metric)) if report.channels else "",  # noqa: S308 - pygal SVG of our numbers
        "query": request.GET.urlencode(),
    }
    return render(request, "intelligence/attribution.html", context)


@attribution_page_view
def attribution_csv(request: HttpRequest) -> HttpResponse:
    span = range_from(request.GET)
    report = attribution.attribution_report(span=span, params=attribution.attribution_params(request.GET))
    return csv_response(attribution.attribution_csv(report), f"attribution-{span.first}-{span.last}.csv")
