"""Writes of the telemetry app: the per-minute rollup from Redis into RequestMinute, and pruning."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ops.telemetry.models import ErrorOccurrence, RequestMinute
from ops.telemetry.windows import minutes_read

logger = logging.getLogger(__name__)

# Each run rewrites the last few finished minutes: a missed or late run (or a request that finished
# after its minute was first rolled up) is caught up, and rerunning changes nothing (idempotent).
ROLLUP_LOOKBACK_MINUTES = 10


def requests_rollup(*, now: float | None = None, lookback: int = ROLLUP_LOOKBACK_MINUTES) -> int:
    """Copy the finished minutes of the last ``lookback`` from Redis into RequestMinute (upsert);
    returns the number of rows written."""
    current = int((time.time() if now is None else now) // 60)
    rows = [
        RequestMinute(
            minute=datetime.fromtimestamp(minute * 60, tz=UTC),
            endpoint=stats.endpoint[:300],
            requests=stats.requests,
            client_errors=stats.client_errors,
            server_errors=stats.server_errors,
            rate_limited=stats.rate_limited,
            duration_ms_sum=stats.duration_ms_sum,
            buckets=stats.buckets,
        )
        for minute, per_endpoint in minutes_read(range(current - lookback, current)).items()
        for stats in per_endpoint.values()
        if stats.requests
    ]
    if rows:
        with transaction.atomic():
            RequestMinute.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["minute", "endpoint"],
                update_fields=[
                    "requests",
                    "client_errors",
                    "server_errors",
                    "rate_limited",
                    "duration_ms_sum",
                    "buckets",
                ],
            )
    return len(rows)


def telemetry_prune(*, days: int | None = None) -> dict[str, int]:
    """Drop per-minute request rows and error-hour counts older than TELEMETRY_HISTORY_DAYS
    (error groups and slow queries stay: they are small and their first_seen matters)."""
    cutoff = timezone.now() - timedelta(days=days if days is not None else settings.TELEMETRY_HISTORY_DAYS)
    with transaction.atomic():
        minutes, _ = RequestMinute.objects.filter(minute__lt=cutoff).delete()
        hours, _ = ErrorOccurrence.objects.filter(hour__lt=cutoff).delete()
    logger.info("telemetry_pruned", extra={"request_minutes": minutes, "error_hours": hours})
    return {"request_minutes": minutes, "error_hours": hours}
