"""The payments page: success rates by method, bank, network and failure group; time to capture;
recovery and refunds; reconciliation; failure-spike insights. Range in the URL; CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from intelligence.api.v1.views import payments_report
from intelligence.ranges import range_from
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_response, csv_text
from suresh_ai.errors import ValidationFailed
from tenants.models import Role
from tenants.views.auth import member_required


def _chart(rows: list[dict[str, object]]) -> str:
    import pygal
    from pygal.style import DefaultStyle

    chart = pygal.HorizontalBar(
        title="Success rate by payment method (%)",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=260,
        range=(0, 100),
    )
    for row in rows:
        rate = row["success_rate"]
        chart.add(f"{row['key']} ({row['attempts']})", [round(float(rate) * 100, 1) if rate is not None else None])  # type: ignore[arg-type]
    return chart_svg(chart)


@member_required(Role.VIEWER)
@require_GET
def payments_page(request: HttpRequest) -> HttpResponse:
    error: str | None = None
    try:
        span = range_from(request.GET)
    except ValidationFailed as exc:
        span, error = range_from({}), exc.message
    report = payments_report(span.start, span.end)
    chart = mark_safe(_chart(report["by_method"])) if report["by_method"] else ""  # noqa: S308 - pygal SVG of our numbers
    context = {"span": span, "error": error, "report": report, "chart": chart, "query": request.GET.urlencode()}
    return render(request, "intelligence/payments.html", context)


@member_required(Role.VIEWER)
@require_GET
def payments_csv(request: HttpRequest) -> HttpResponse:
    span = range_from(request.GET)
    report = payments_report(span.start, span.end)
    header = ["dimension", "key", "attempts", "succeeded", "failed", "success_rate"]
    rows = (
        (dimension, row["key"], row["attempts"], row["succeeded"], row["failed"], row["success_rate"])
        for dimension in ("method", "bank", "card_network")
        for row in report[f"by_{dimension}"]
    )
    return csv_response(csv_text(header, rows), f"payments-{span.first}-{span.last}.csv")
