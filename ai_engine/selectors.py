"""Reads for the AI engine: usage against the quota, and requests per day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ai_engine.models import AIRequest
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
