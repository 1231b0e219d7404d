"""Request figures in Redis, shared by every web worker: one pipeline per request.

Two kinds of keys, neither holding tenant data (platform-wide counts per route pattern):

- cumulative counters for Prometheus (``tm:c:requests``, ``tm:c:latency``, ``tm:c:latency_sum``,
  ``tm:c:rate_limited``): hashes that only grow, as Prometheus counters must;
- one hash per minute (``tm:m:<unix minute>``) for short windows (``windows.request_window``) and
  for the per-minute rollup into ``RequestMinute``; it expires after ``MINUTE_TTL_SECONDS``.

Redis failures never fail a request: recording is skipped (and logged at most once per
``_BACKOFF_SECONDS``) until Redis answers again.
"""

from __future__ import annotations

import bisect
import logging
import time

import redis

from suresh_ai.redisclient import redis_client

logger = logging.getLogger(__name__)

# Upper bounds of the latency buckets in milliseconds; a last, unbounded bucket follows.
BUCKETS_MS: tuple[float, ...] = (
    5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
)  # fmt: skip
BUCKET_COUNT = len(BUCKETS_MS) + 1

PREFIX = "tm"
REQUESTS_KEY = f"{PREFIX}:c:requests"  # field: endpoint \t method \t status class
LATENCY_KEY = f"{PREFIX}:c:latency"  # field: endpoint \t method \t bucket index
LATENCY_SUM_KEY = f"{PREFIX}:c:latency_sum"  # field: endpoint \t method (seconds)
RATE_LIMITED_KEY = f"{PREFIX}:c:rate_limited"  # field: endpoint
MINUTE_TTL_SECONDS = 3 * 60 * 60
SEP = "\t"
UNMATCHED = "<unmatched>"

_BACKOFF_SECONDS = 5.0
_down_until = 0.0


def minute_key(minute: int) -> str:
    return f"{PREFIX}:m:{minute}"


def bucket_index(duration_ms: float) -> int:
    return bisect.bisect_left(BUCKETS_MS, duration_ms)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def request_record(
    *, endpoint: str, method: str, status: int, duration_ms: float, windowed: bool = True, now: float | None = None
) -> bool:
    """Count one finished request; False when Redis was unavailable (nothing is raised).
    ``windowed=False`` counts it for Prometheus only, not in the per-minute windows (probes)."""
    global _down_until
    now = time.time() if now is None else now
    if now < _down_until:
        return False
    bucket = bucket_index(duration_ms)
    klass = status_class(status)
    key = minute_key(int(now // 60))
    pipe = redis_client().pipeline(transaction=False)
    pipe.hincrby(REQUESTS_KEY, f"{endpoint}{SEP}{method}{SEP}{klass}", 1)
    pipe.hincrby(LATENCY_KEY, f"{endpoint}{SEP}{method}{SEP}{bucket}", 1)
    pipe.hincrbyfloat(LATENCY_SUM_KEY, f"{endpoint}{SEP}{method}", duration_ms / 1000)
    if status == 429:
        pipe.hincrby(RATE_LIMITED_KEY, endpoint, 1)
    if windowed:
        # Per minute, per endpoint: n (requests), c (4xx), s (5xx), r (429), t (ms), b<i> (bucket).
        fields = ["n", f"b{bucket}"]
        if 400 <= status < 500:
            fields.append("c")
        elif status >= 500:
            fields.append("s")
        if status == 429:
            fields.append("r")
        for name in fields:
            pipe.hincrby(key, f"{endpoint}{SEP}{name}", 1)
        pipe.hincrbyfloat(key, f"{endpoint}{SEP}t", duration_ms)
        pipe.expire(key, MINUTE_TTL_SECONDS)
    try:
        pipe.execute()
    except redis.RedisError:
        _down_until = now + _BACKOFF_SECONDS
        logger.warning("telemetry_redis_unavailable", extra={"backoff_seconds": _BACKOFF_SECONDS})
        return False
    return True
