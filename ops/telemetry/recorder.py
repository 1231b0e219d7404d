"""Request figures in Redis, shared by every web worker.

Two kinds of keys, neither holding tenant data (platform-wide counts per route pattern):

- cumulative counters for Prometheus (``tm:c:requests``, ``tm:c:latency``, ``tm:c:latency_sum``,
  ``tm:c:rate_limited``): hashes that only grow, as Prometheus counters must;
- one hash per minute (``tm:m:<unix minute>``) for short windows (``windows.request_window``) and
  for the per-minute rollup into ``RequestMinute``; it expires after ``MINUTE_TTL_SECONDS``.

Each process adds its requests up in memory and a background thread writes the sums in one
pipeline every ``TELEMETRY_FLUSH_SECONDS`` (1 s by default), instead of eight commands per
request (a third of a light API read's CPU). So the windows and the Prometheus counters lag the
requests by at most that interval plus a flush, and a process killed with SIGKILL loses at most
that interval's counts (a normal exit flushes). ``TELEMETRY_FLUSH_SECONDS=0`` writes each request
at once (the tests use it).

Redis failures never fail a request: recording is skipped (and logged at most once per
``_BACKOFF_SECONDS``) until Redis answers again.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import os
import threading
import time
from collections import defaultdict

import redis
from django.conf import settings

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


class _Pending:
    """Increments not yet written: (key, field) -> amount, and the minute keys to expire."""

    def __init__(self) -> None:
        self.counts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.sums: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.minute_keys: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.counts or self.sums)


_lock = threading.Lock()
_pending = _Pending()
_flusher: threading.Thread | None = None


def _after_fork_in_child() -> None:
    """gunicorn forks its workers: a child starts with nothing pending and no flusher of its own."""
    global _lock, _pending, _flusher
    _lock, _pending, _flusher = threading.Lock(), _Pending(), None


os.register_at_fork(after_in_child=_after_fork_in_child)


def minute_key(minute: int) -> str:
    return f"{PREFIX}:m:{minute}"


def bucket_index(duration_ms: float) -> int:
    return bisect.bisect_left(BUCKETS_MS, duration_ms)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def _add(
    pending: _Pending, *, endpoint: str, method: str, status: int, duration_ms: float, windowed: bool, now: float
) -> None:
    bucket = bucket_index(duration_ms)
    counts, sums = pending.counts, pending.sums
    counts[REQUESTS_KEY, f"{endpoint}{SEP}{method}{SEP}{status_class(status)}"] += 1
    counts[LATENCY_KEY, f"{endpoint}{SEP}{method}{SEP}{bucket}"] += 1
    sums[LATENCY_SUM_KEY, f"{endpoint}{SEP}{method}"] += duration_ms / 1000
    if status == 429:
        counts[RATE_LIMITED_KEY, endpoint] += 1
    if windowed:
        # Per minute, per endpoint: n (requests), c (4xx), s (5xx), r (429), t (ms), b<i> (bucket).
        key = minute_key(int(now // 60))
        pending.minute_keys.add(key)
        counts[key, f"{endpoint}{SEP}n"] += 1
        counts[key, f"{endpoint}{SEP}b{bucket}"] += 1
        if 400 <= status < 500:
            counts[key, f"{endpoint}{SEP}c"] += 1
        elif status >= 500:
            counts[key, f"{endpoint}{SEP}s"] += 1
        if status == 429:
            counts[key, f"{endpoint}{SEP}r"] += 1
        sums[key, f"{endpoint}{SEP}t"] += duration_ms


def _write(pending: _Pending, now: float) -> bool:
    """One pipeline for everything pending; on a Redis error, back off and drop it."""
    global _down_until
    pipe = redis_client().pipeline(transaction=False)
    for (key, name), amount in pending.counts.items():
        pipe.hincrby(key, name, amount)
    for (key, name), total in pending.sums.items():
        pipe.hincrbyfloat(key, name, total)
    for key in pending.minute_keys:
        pipe.expire(key, MINUTE_TTL_SECONDS)
    try:
        pipe.execute()
    except redis.RedisError:
        _down_until = now + _BACKOFF_SECONDS
        logger.warning("telemetry_redis_unavailable", extra={"backoff_seconds": _BACKOFF_SECONDS})
        return False
    return True


def flush() -> bool:
    """Write what this process has added up so far (the flusher thread calls it; so does exit)."""
    global _pending
    with _lock:
        pending, _pending = _pending, _Pending()
    return _write(pending, time.time()) if pending else True


def _flush_forever() -> None:
    while True:
        interval = settings.TELEMETRY_FLUSH_SECONDS
        time.sleep(interval if interval > 0 else 1.0)
        try:
            flush()
        except Exception:  # the thread must outlive any one failure; a request never sees it
            logger.exception("telemetry_flush_failed")


def _ensure_flusher() -> None:
    global _flusher
    if _flusher is not None:
        return
    with _lock:
        if _flusher is None:
            _flusher = threading.Thread(target=_flush_forever, name="telemetry-flush", daemon=True)
            _flusher.start()


atexit.register(flush)


def request_record(
    *, endpoint: str, method: str, status: int, duration_ms: float, windowed: bool = True, now: float | None = None
) -> bool:
    """Count one finished request; False when Redis was unavailable (nothing is raised).
    ``windowed=False`` counts it for Prometheus only, not in the per-minute windows (probes).
    Buffered in the process unless ``TELEMETRY_FLUSH_SECONDS`` is 0 (see the module docstring)."""
    now = time.time() if now is None else now
    if now < _down_until:
        return False
    if settings.TELEMETRY_FLUSH_SECONDS <= 0:
        one = _Pending()
        _add(one, endpoint=endpoint, method=method, status=status, duration_ms=duration_ms, windowed=windowed, now=now)
        return _write(one, now)
    with _lock:
        _add(
            _pending,
            endpoint=endpoint,
            method=method,
            status=status,
            duration_ms=duration_ms,
            windowed=windowed,
            now=now,
        )
    _ensure_flusher()
    return True
