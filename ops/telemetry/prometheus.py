"""Prometheus exposition of the platform-wide request counters kept in Redis.

prometheus_client renders the text format; the numbers come from Redis, which every gunicorn worker
and Celery process writes to, so one scrape of any web worker sees the whole platform (see
docs/operations/monitoring.md for why this beats the client's multiprocess mode here)."""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from ops.telemetry.recorder import (
    BUCKET_COUNT,
    BUCKETS_MS,
    LATENCY_KEY,
    LATENCY_SUM_KEY,
    RATE_LIMITED_KEY,
    REQUESTS_KEY,
    SEP,
)
from suresh_ai.redisclient import redis_client
from suresh_ai.tenancy import is_verified

NAMESPACE = "suresh"


class RedisRequestCollector(Collector):
    """Reads the cumulative hashes at scrape time (one Redis round trip)."""

    def collect(self) -> Iterator[Metric]:
        pipe = redis_client().pipeline(transaction=False)
        for key in (REQUESTS_KEY, LATENCY_KEY, LATENCY_SUM_KEY, RATE_LIMITED_KEY):
            pipe.hgetall(key)
        requests, latency, latency_sum, rate_limited = pipe.execute()

        total = CounterMetricFamily(
            f"{NAMESPACE}_http_requests",
            "HTTP requests by route pattern, method and status class, across every web process.",
            labels=["endpoint", "method", "status"],
        )
        for field, value in sorted(requests.items()):
            endpoint, method, klass = field.decode().split(SEP)
            total.add_metric([endpoint, method, klass], int(value))
        yield total

        refused = CounterMetricFamily(
            f"{NAMESPACE}_http_rate_limited",
            "Requests refused with 429 by the rate limiter, by route pattern.",
            labels=["endpoint"],
        )
        for field, value in sorted(rate_limited.items()):
            refused.add_metric([field.decode()], int(value))
        yield refused

        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * BUCKET_COUNT)
        for field, value in latency.items():
            endpoint, method, index = field.decode().split(SEP)
            counts[(endpoint, method)][int(index)] += int(value)
        histogram = HistogramMetricFamily(
            f"{NAMESPACE}_http_request_duration_seconds",
            "Request latency (seconds) by route pattern and method, measured by the telemetry middleware.",
            labels=["endpoint", "method"],
        )
        bounds = [*(f"{ms / 1000:g}" for ms in BUCKETS_MS), "+Inf"]
        for (endpoint, method), per_bucket in sorted(counts.items()):
            cumulative, running = [], 0
            for bound, count in zip(bounds, per_bucket, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            seconds = float(latency_sum.get(f"{endpoint}{SEP}{method}".encode(), 0))
            histogram.add_metric([endpoint, method], cumulative, seconds)
        yield histogram


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisRequestCollector())
    return generate_latest(registry)


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), expected.encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint (platform domain): ``Authorization: Bearer $METRICS_TOKEN``, or a
    platform staff session with its second factor. 401 without either, 403 for other users."""
    if not _token_ok(request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            refused = HttpResponse("Authentication required.\n", status=401, content_type="text/plain")
            refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return refused
        if not (user.is_staff and is_verified(user)):
            return HttpResponse("Platform staff only.\n", status=403, content_type="text/plain")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
