"""Real-time analytics from stored events and orders (call inside the tenant's schema).

Definitions (docs/intelligence.md):
- visitor: an event's ``visitor_id`` (the anonymous id, else the customer), counted over the visits
  that started in the range; live = an event in the last 5 minutes; session = a visit: a distinct
  ``session_id``, or for events without one the visitor's UTC day (``Visit``, kept at ingestion);
- orders and revenue: orders with ``paid_at`` in the range (not cancelled), revenue = their totals;
  AOV = revenue / orders; conversion rate = orders / sessions;
- new customers: customers whose first paid order is in the range; returning: customers with a
  paid order in the range and another before it.
Every figure comes with the same figure for the period of equal length just before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

LIVE_WINDOW = timedelta(minutes=5)
GRAINS = {"hour": "hour", "day": "day", "week": "week"}


@dataclass(frozen=True)
class Kpis:
    visitors: int
    sessions: int
    orders: int
    revenue_paise: int
    aov_paise: int | None
    conversion_rate: float | None
    new_customers: int
    returning_customers: int


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def live_visitors(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return int(
        _rows(
            "SELECT COUNT(DISTINCT visitor_id) FROM intelligence_event WHERE occurred_at > %s AND occurred_at <= %s",
            [now - LIVE_WINDOW, now],
        )[0][0]
    )


def kpis_for(start: datetime, end: datetime) -> Kpis:
    """KPIs for [start, end)."""
    # From the visits table (one row per visit, written at ingestion), not from every event.
    visitors, sessions = _rows(
        "SELECT (SELECT COUNT(*) FROM (SELECT DISTINCT visitor_id FROM intelligence_visit "
        "WHERE started_at >= %s AND started_at < %s) v), "
        "(SELECT COUNT(*) FROM intelligence_visit WHERE started_at >= %s AND started_at < %s)",
        [start, end, start, end],
    )[0]
    orders, revenue, new, returning = _rows(
        """
        WITH paid AS (
            SELECT customer_id, total_paise FROM intelligence_order
            WHERE paid_at >= %s AND paid_at < %s AND status <> 'cancelled'
        ), buyers AS (SELECT DISTINCT customer_id FROM paid),
        earlier AS (
            SELECT DISTINCT o.customer_id FROM intelligence_order o JOIN buyers b ON b.customer_id = o.customer_id
            WHERE o.paid_at < %s AND o.status <> 'cancelled'
        )
        SELECT (SELECT COUNT(*) FROM paid), (SELECT COALESCE(SUM(total_paise), 0) FROM paid),
               (SELECT COUNT(*) FROM buyers) - (SELECT COUNT(*) FROM earlier), (SELECT COUNT(*) FROM earlier)
        """,
        [start, end, start],
    )[0]
    return Kpis(
        visitors=int(visitors),
        sessions=int(sessions),
        orders=int(orders),
        revenue_paise=int(revenue),
        aov_paise=round(int(revenue) / int(orders)) if orders else None,
        conversion_rate=round(int(orders) / int(sessions), 4) if sessions else None,
        new_customers=int(new),
        returning_customers=int(returning),
    )


def kpis_compared(start: datetime, end: datetime) -> dict[str, Any]:
    length = end - start
    return {
        "start": start,
        "end": end,
        "current": asdict(kpis_for(start, end)),
        "previous": asdict(kpis_for(start - length, start)),
        "previous_start": start - length,
    }


def top(start: datetime, end: datetime, *, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Top pages (page views), and visitors by the source (UTM source, else referrer host) and the
    channel of their visits' first events."""
    pages = _rows(
        "SELECT path, COUNT(*) AS views, COUNT(DISTINCT visitor_id) FROM intelligence_event "
        "WHERE occurred_at >= %s AND occurred_at < %s AND name = 'page_view' AND path <> '' "
        "GROUP BY path ORDER BY views DESC, path LIMIT %s",
        [start, end, limit],
    )
    # One source and one channel per visit, from how it arrived (its first event), so a shop's own
    # pages linking to each other never count as a source.
    sources = _rows(
        "SELECT source, COUNT(DISTINCT visitor_id) AS visitors FROM intelligence_visit "
        "WHERE started_at >= %s AND started_at < %s GROUP BY source ORDER BY visitors DESC, source LIMIT %s",
        [start, end, limit],
    )
    channels = _rows(
        "SELECT channel, COUNT(DISTINCT visitor_id) AS visitors FROM intelligence_visit "
        "WHERE started_at >= %s AND started_at < %s GROUP BY channel ORDER BY visitors DESC, channel",
        [start, end],
    )
    return {
        "pages": [{"path": p, "views": v, "visitors": u} for p, v, u in pages],
        "sources": [{"source": s, "visitors": v} for s, v in sources],
        "channels": [{"channel": c or "direct", "visitors": v} for c, v in channels],
    }


def series(start: datetime, end: datetime, *, grain: str) -> list[dict[str, Any]]:
    """Visitors, orders and revenue per hour, day or week (UTC buckets), empty buckets included."""
    unit = GRAINS[grain]
    step = {"hour": "1 hour", "day": "1 day", "week": "1 week"}[unit]
    rows = _rows(
        f"""
        WITH buckets AS (
            SELECT generate_series(
                date_trunc('{unit}', %s::timestamptz AT TIME ZONE 'UTC'),
                date_trunc('{unit}', (%s::timestamptz - interval '1 microsecond') AT TIME ZONE 'UTC'),
                interval '{step}') AS bucket
        ), v AS (
            SELECT date_trunc('{unit}', occurred_at AT TIME ZONE 'UTC') AS bucket, COUNT(DISTINCT visitor_id) AS n
            FROM intelligence_event WHERE occurred_at >= %s AND occurred_at < %s GROUP BY 1
        ), o AS (
            SELECT date_trunc('{unit}', paid_at AT TIME ZONE 'UTC') AS bucket, COUNT(*) AS n, SUM(total_paise) AS r
            FROM intelligence_order WHERE paid_at >= %s AND paid_at < %s AND status <> 'cancelled' GROUP BY 1
        )
        SELECT b.bucket, COALESCE(v.n, 0), COALESCE(o.n, 0), COALESCE(o.r, 0)
        FROM buckets b LEFT JOIN v ON v.bucket = b.bucket LEFT JOIN o ON o.bucket = b.bucket ORDER BY b.bucket
        """,  # noqa: S608 - unit and step come from the GRAINS allow-list above
        [start, end, start, end, start, end],
    )
    return [
        {"bucket": b.replace(tzinfo=UTC), "visitors": int(v), "orders": int(n), "revenue_paise": int(r)}
        for b, v, n, r in rows
    ]
