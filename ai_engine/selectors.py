"""Reads for the AI engine: usage against the quota, requests per day, the prompt library,
generations and their quality."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from ai_engine.models import AIRequest, Generation, GenerationBatch, PromptLabel, PromptTemplate
from ai_engine.quota import quota_used
from billing.selectors import entitlements_for_tenant
from tenants.models import Tenant


def usage_summary(*, tenant: Tenant) -> dict[str, Any]:
    """This month's AI requests against the plan's quota (call inside the tenant's schema)."""
    now = timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = AIRequest.objects.filter(created_at__gte=start)
    totals = month.aggregate(cost=Sum("cost_usd_micros"), saved=Sum("cost_saved_usd_micros"))
    return {
        "used": quota_used(schema_name=tenant.schema_name, now=now),
        "limit": entitlements_for_tenant(tenant).ai_requests_per_month,
        "cost_usd_micros": int(totals["cost"] or 0),
        "saved_usd_micros": int(totals["saved"] or 0),
        "cache_hits": month.filter(cache_hit=True).count(),
    }


def requests_per_day(*, days: int = 30) -> list[tuple[date, int, int]]:
    """(day, requests, cost in micro-USD) for each of the last ``days`` days, oldest first, zeros included."""
    today = timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = (
        AIRequest.objects.filter(created_at__date__gte=first)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"), cost=Sum("cost_usd_micros"))
    )
    by_day = {row["day"]: (int(row["n"]), int(row["cost"] or 0)) for row in rows}
    return [(d, *by_day.get(d, (0, 0))) for d in (first + timedelta(days=i) for i in range(days))]


def templates_list() -> QuerySet[PromptTemplate]:
    """The workspace's prompt library with each template's labels (two queries in all)."""
    from ai_engine.services.prompts import prompt_library_ensure

    prompt_library_ensure()
    labels = PromptLabel.objects.select_related("version")
    return PromptTemplate.objects.prefetch_related(Prefetch("labels", queryset=labels)).order_by("name")


def generations_list(*, template: str | None = None, used: bool | None = None) -> QuerySet[Generation]:
    rows = Generation.objects.select_related("template", "version")
    if template:
        rows = rows.filter(template__key=template)
    if used is not None:
        rows = rows.filter(used_at__isnull=not used)
    return rows


def batches_list() -> QuerySet[GenerationBatch]:
    return GenerationBatch.objects.select_related("template")


def quality_report(*, days: int = 90, template: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Average automatic score, judge score and user rating by template, version and model over
    the last ``days`` days, and the weekly average automatic score per template (for the chart)."""
    since = timezone.now() - timedelta(days=days)
    rows = Generation.objects.filter(created_at__gte=since)
    if template:
        rows = rows.filter(template__key=template)
    grouped = (
        rows.values("template__key", "version__number", "model")
        .annotate(
            generations=Count("id"),
            avg_quality=Avg("quality_score"),
            avg_judge=Avg("judge_score"),
            avg_rating=Avg("rating"),
            rated=Count("rating"),
            used=Count("used_at"),
        )
        .order_by("template__key", "-version__number", "model")
    )
    weekly = (
        rows.annotate(week=TruncWeek("created_at"))
        .values("week", "template__key")
        .annotate(avg_quality=Avg("quality_score"), generations=Count("id"))
        .order_by("week", "template__key")
    )

    def _num(value: Any) -> float | None:
        return None if value is None else round(float(value), 2)

    return {
        "rows": [
            {
                "template": r["template__key"],
                "version": r["version__number"],
                "model": r["model"],
                "generations": r["generations"],
                "avg_quality": _num(r["avg_quality"]),
                "avg_judge": _num(r["avg_judge"]),
                "avg_rating": _num(r["avg_rating"]),
                "rated": r["rated"],
                "used": r["used"],
            }
            for r in grouped
        ],
        "weekly": [
            {
                "week": w["week"].date(),
                "template": w["template__key"],
                "avg_quality": _num(w["avg_quality"]),
                "generations": w["generations"],
            }
            for w in weekly
        ],
    }
