"""The Segments page: RFM segment sizes (chart and table) on a snapshot day, movement from an
earlier day, optional k-means with its silhouette score, CSV exports of the summary and of each
segment's customers. The days and k live in the URL (?day=&from=&k=)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from intelligence.api.v1.segments import members_csv
from intelligence.engines import segments
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_response, csv_text, rupees
from suresh_ai.errors import ValidationFailed
from tenants.models import ROLE_RANK, Role
from tenants.views.auth import member_required

LABELS = {s.key: s.label for s in segments.SEGMENTS}


def _date(request: HttpRequest, name: str) -> date | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed.for_field(name, "A date like 2026-11-01.") from exc


def _chart(summary: segments.SegmentSummary) -> str:
    import pygal
    from pygal.style import DefaultStyle

    chart = pygal.HorizontalBar(
        title="Customers per segment",
        style=DefaultStyle,
        js=[],
        disable_xml_declaration=True,
        height=360,
        show_legend=False,
    )
    # pygal draws the first label at the bottom; reversed keeps Champions on top.
    rows = list(reversed(summary.segments))
    chart.x_labels = [r.label for r in rows]
    chart.add("Customers", [r.customers for r in rows])
    return chart_svg(chart)


def _movement_table(movement: segments.Movement) -> dict[str, Any]:
    """Rows: from-segments (and "no order yet"); columns: to-segments; only the non-empty ones."""
    counts = {(c.from_segment, c.to_segment): c.customers for c in movement.cells}
    keys: list[str | None] = [*segments.SEGMENT_KEYS, None]
    froms = [k for k in keys if any(f == k for f, _ in counts)]
    tos = [k for k in keys if any(t == k for _, t in counts)]
    return {
        "columns": [LABELS.get(t or "", "(none)") for t in tos],
        "rows": [
            {
                "label": LABELS.get(f or "", "(no order yet)"),
                "cells": [{"n": counts.get((f, t), 0), "same": f is not None and f == t} for t in tos],
            }
            for f in froms
        ],
    }


@member_required(Role.VIEWER)
@require_GET
def segments_page(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    try:
        day = segments.snapshot_day(_date(request, "day"))
    except ValidationFailed as exc:
        day, errors = segments.latest_day(), [*errors, exc.message]
    summary = segments.segments_summary(day=day)
    try:
        movement = segments.segments_movement(from_day=_date(request, "from"), to_day=day)
    except ValidationFailed as exc:
        movement, errors = segments.segments_movement(to_day=day), [*errors, exc.message]
    clusters, cluster_error = None, None
    k = request.GET.get("k", "")
    if k and day is not None:
        try:
            if not k.isdigit():
                raise ValidationFailed.for_field("k", "A whole number from 2 to 8.")
            clusters = segments.segments_clusters(k=int(k), day=day)
        except ValidationFailed as exc:
            cluster_error = exc.message
    context = {
        "summary": summary,
        "days": segments.snapshot_days(),
        "movement": movement,
        "movement_table": _movement_table(movement),
        "clusters": clusters,
        "cluster_labels": LABELS,
        "k": k,
        "errors": errors,
        "cluster_error": cluster_error,
        "grid": [(fm, [LABELS[key] for key in segments.GRID[fm]]) for fm in sorted(segments.GRID, reverse=True)],
        "chart": mark_safe(_chart(summary)) if summary.customers else "",  # noqa: S308 - pygal SVG of our numbers
        "can_compute": ROLE_RANK[Role(request.membership.role)] >= ROLE_RANK[Role.ANALYST],  # type: ignore[attr-defined]
        "today": timezone.now().date(),
    }
    return render(request, "intelligence/segments.html", context)


@member_required(Role.ANALYST)
@require_POST
def segments_compute(request: HttpRequest) -> HttpResponse:
    result = segments.segments_snapshot(day=timezone.now().date())
    messages.success(request, f"Snapshot of {result.day:%d %b %Y} stored: {result.customers:,} customers.")
    return redirect("analytics-segments")


def _day_or_400(request: HttpRequest) -> date | HttpResponse | None:
    try:
        return segments.snapshot_day(_date(request, "day"))
    except ValidationFailed as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")


@member_required(Role.VIEWER)
@require_GET
def segments_csv(request: HttpRequest) -> HttpResponse:
    day = _day_or_400(request)
    if isinstance(day, HttpResponse):
        return day
    summary = segments.segments_summary(day=day)
    header = [
        *("segment", "label", "customers", "share", "avg_recency_days", "avg_frequency", "avg_monetary_inr"),
        *("avg_r_score", "avg_f_score", "avg_m_score"),
    ]
    return csv_response(
        csv_text(
            header,
            (
                (
                    *(r.key, r.label, r.customers, r.share, r.avg_recency_days, r.avg_frequency),
                    None if r.avg_monetary_paise is None else rupees(r.avg_monetary_paise),
                    *(r.avg_r_score, r.avg_f_score, r.avg_m_score),
                )
                for r in summary.segments
            ),
        ),
        f"segments-{summary.day or 'none'}.csv",
    )


@member_required(Role.VIEWER)
@require_GET
def segment_members_csv(request: HttpRequest, segment: str) -> HttpResponse:
    if segment not in segments.SEGMENT_BY_KEY:
        raise Http404("No such segment.")
    day = _day_or_400(request)
    if isinstance(day, HttpResponse):
        return day
    # Streamed (a segment can hold 100,000 customers); member_required is typed for HttpResponse only.
    return members_csv(segment, day)  # type: ignore[return-value]
