"""History for the charts: the beat tasks (rollup, prune) and the hourly selectors."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from ops.telemetry.errors import error_record
from ops.telemetry.models import ErrorGroup, ErrorOccurrence, RequestMinute
from ops.telemetry.recorder import BUCKET_COUNT, bucket_index
from ops.telemetry.selectors import errors_per_hour, hourly_requests
from ops.telemetry.tasks import telemetry_prune, telemetry_rollup


def _minute(at, endpoint: str, requests: int, errors: int, latency_ms: float) -> None:  # type: ignore[no-untyped-def]
    buckets = [0] * BUCKET_COUNT
    buckets[bucket_index(latency_ms)] = requests
    RequestMinute.objects.create(
        minute=at,
        endpoint=endpoint,
        requests=requests,
        client_errors=0,
        server_errors=errors,
        rate_limited=0,
        duration_ms_sum=requests * latency_ms,
        buckets=buckets,
    )


def test_rollup_task_runs_through_celery(db: None, platform_client: Client) -> None:
    start = timezone.now().replace(second=5, microsecond=0)
    with time_machine.travel(start, tick=False):
        platform_client.get("/_test/ok/")
        platform_client.get("/_test/ok/")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        result = telemetry_rollup.apply()
    assert result.get() == {"rows": 1}
    row = RequestMinute.objects.get()
    assert (row.endpoint, row.requests, row.minute) == ("/_test/ok/", 2, start.replace(second=0))


def test_prune_drops_old_minutes_and_hours_only(db: None) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    _minute(now - timedelta(days=9), "/old/", 1, 0, 10)
    _minute(now - timedelta(days=1), "/new/", 1, 0, 10)
    try:
        raise KeyError("x")
    except KeyError as exc:
        error_record(exc=exc, at=now - timedelta(days=10))
        error_record(exc=exc, at=now)
    assert telemetry_prune.apply().get() == {"request_minutes": 1, "error_hours": 1}
    assert list(RequestMinute.objects.values_list("endpoint", flat=True)) == ["/new/"]
    assert ErrorGroup.objects.get().count == 2  # groups stay
    assert ErrorOccurrence.objects.count() == 1


def test_hourly_requests_fill_every_hour(db: None) -> None:
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    _minute(hour, "/a/", 90, 1, 40)  # (25, 50]
    _minute(hour + timedelta(minutes=1), "/b/", 10, 0, 900)  # (750, 1000]
    _minute(hour - timedelta(hours=2), "/a/", 5, 0, 7)
    points = hourly_requests(hours=4)
    assert [p.hour for p in points] == [hour - timedelta(hours=h) for h in (3, 2, 1, 0)]
    assert [(p.requests, p.server_errors) for p in points] == [(0, 0), (5, 0), (0, 0), (100, 1)]
    assert points[0].p95_ms is None
    assert points[3].p95_ms == 875.0  # the 95th of 100 is the 5th of 10 in (750, 1000]


def test_errors_per_hour_by_category(db: None) -> None:
    now = timezone.now()
    for exc, at in ((TimeoutError("t"), now), (TimeoutError("t"), now), (KeyError("k"), now - timedelta(hours=1))):
        try:
            raise exc
        except (TimeoutError, KeyError) as caught:
            error_record(exc=caught, at=at)
    labels, series = errors_per_hour(hours=3)
    assert len(labels) == 3
    assert series["timeout"] == [0, 0, 2]
    assert series["server"] == [0, 1, 0]
    assert series["database"] == series["provider"] == series["client"] == [0, 0, 0]
