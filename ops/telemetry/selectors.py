"""Reads for the performance and errors pages and the staff API.

Windows up to LIVE_WINDOW_MINUTES come live from Redis (the current minute included); longer
ones from the per-minute rows rolled up into RequestMinute (finished minutes only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ops.telemetry.models import ErrorCategory, ErrorGroup, ErrorOccurrence, RequestMinute, SlowQuery
from ops.telemetry.recorder import BUCKET_COUNT
from ops.telemetry.windows import EndpointStats, bucket_quantile, endpoint_window

LIVE_WINDOW_MINUTES = 60
# The performance API's and page's windows, by name.
WINDOWS = {"5m": 5, "15m": 15, "1h": 60, "6h": 360, "24h": 1440, "7d": 10080}


@dataclass(frozen=True)
class EndpointPerformance:
    endpoint: str
    requests: int
    throughput_per_minute: float
    client_errors: int
    server_errors: int
    rate_limited: int
    error_rate: float
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


def _stored_window(minutes: int) -> dict[str, EndpointStats]:
    since = timezone.now() - timedelta(minutes=minutes)
    table = RequestMinute._meta.db_table
    stats: dict[str, EndpointStats] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT endpoint, SUM(requests), SUM(client_errors), SUM(server_errors), SUM(rate_limited), "  # noqa: S608 - our table
            f"SUM(duration_ms_sum) FROM {table} WHERE minute >= %s GROUP BY endpoint",
            [since],
        )
        for endpoint, requests, client, server, limited, duration in cursor.fetchall():
            stats[endpoint] = EndpointStats(endpoint, int(requests), int(client), int(server), int(limited), duration)
        cursor.execute(
            f"SELECT endpoint, u.i, SUM(u.b) FROM {table}, unnest(buckets) WITH ORDINALITY AS u(b, i) "  # noqa: S608
            "WHERE minute >= %s GROUP BY endpoint, u.i",
            [since],
        )
        for endpoint, index, count in cursor.fetchall():
            if endpoint in stats and 1 <= index <= BUCKET_COUNT:
                stats[endpoint].buckets[index - 1] = int(count)
    return stats


def endpoint_performance(*, minutes: int) -> list[EndpointPerformance]:
    """Per endpoint over the last ``minutes``: throughput, errors, p50/p95/p99; busiest first."""
    stats = endpoint_window(minutes) if minutes <= LIVE_WINDOW_MINUTES else _stored_window(minutes)
    rows = [
        EndpointPerformance(
            endpoint=s.endpoint,
            requests=s.requests,
            throughput_per_minute=round(s.requests / minutes, 3),
            client_errors=s.client_errors,
            server_errors=s.server_errors,
            rate_limited=s.rate_limited,
            error_rate=round(s.error_rate, 4),
            mean_ms=round(s.duration_ms_sum / s.requests, 2) if s.requests else None,
            p50_ms=s.quantile_ms(0.50),
            p95_ms=s.quantile_ms(0.95),
            p99_ms=s.quantile_ms(0.99),
        )
        for s in stats.values()
        if s.requests
    ]
    return sorted(rows, key=lambda r: (-r.requests, r.endpoint))


@dataclass(frozen=True)
class HourPoint:
    hour: datetime
    requests: int
    server_errors: int
    p95_ms: float | None


def hourly_requests(*, hours: int) -> list[HourPoint]:
    """Every hour of the last ``hours`` (oldest first, empty hours included) from RequestMinute."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    since = now - timedelta(hours=hours - 1)
    table = RequestMinute._meta.db_table
    buckets: dict[datetime, list[int]] = defaultdict(lambda: [0] * BUCKET_COUNT)
    totals: dict[datetime, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('hour', minute), SUM(requests), SUM(server_errors) FROM {table} "  # noqa: S608
            "WHERE minute >= %s GROUP BY 1",
            [since],
        )
        for hour, requests, errors in cursor.fetchall():
            totals[hour] = (int(requests), int(errors))
        cursor.execute(
            f"SELECT date_trunc('hour', minute), u.i, SUM(u.b) FROM {table}, "  # noqa: S608
            "unnest(buckets) WITH ORDINALITY AS u(b, i) WHERE minute >= %s GROUP BY 1, 2",
            [since],
        )
        for hour, index, count in cursor.fetchall():
            if 1 <= index <= BUCKET_COUNT:
                buckets[hour][index - 1] = int(count)
    points = []
    for step in range(hours):
        hour = since + timedelta(hours=step)
        requests, errors = totals.get(hour, (0, 0))
        points.append(HourPoint(hour, requests, errors, bucket_quantile(buckets[hour], 0.95)))
    return points


def errors_per_hour(*, hours: int) -> tuple[list[datetime], dict[str, list[int]]]:
    """Occurrences per hour of the last ``hours`` (oldest first) by category, every category listed."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    since = now - timedelta(hours=hours - 1)
    labels = [since + timedelta(hours=step) for step in range(hours)]
    index = {hour: i for i, hour in enumerate(labels)}
    series = {category.value: [0] * hours for category in ErrorCategory}
    rows = ErrorOccurrence.objects.filter(hour__gte=since).values_list("hour", "group__category", "count").order_by()
    for hour, category, count in rows:
        if hour in index and category in series:
            series[category][index[hour]] += count
    return labels, series


def error_groups(*, category: str | None = None) -> QuerySet[ErrorGroup]:
    groups = ErrorGroup.objects.order_by("-last_seen", "-id")
    return groups.filter(category=category) if category else groups


def slow_queries() -> QuerySet[SlowQuery]:
    return SlowQuery.objects.order_by("-last_seen", "-id")
