"""Per-request overhead of ops.telemetry's middleware: median and p99 in microseconds.

    .venv/bin/python benchmarks/telemetry_overhead.py                    # 5000 requests per case
    .venv/bin/python benchmarks/telemetry_overhead.py --requests 20000 --redis-url redis://127.0.0.1:6379/12

In one process, with a trivial view (no database work), it times each call of the view alone and
of TelemetryMiddleware around it, and reports the difference: the cost the middleware adds to every
request (the Redis pipeline of ``request_record``, the execute-wrapper install, the route lookup).
Cases: Redis up (the normal path), and Redis down (the circuit breaker open: CPU cost only).
It writes its counters under the ``tm:`` prefix of the Redis database given (default 13) and
deletes them afterwards. Speed is measured here, never asserted in tests (docs/operations/monitoring.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _time_calls(call: Callable[[], object], n: int, label: str) -> list[float]:
    from tqdm import tqdm

    timings = []
    for _ in tqdm(range(n), desc=label, unit="req", leave=False):
        started = time.perf_counter_ns()
        call()
        timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "suresh_ai.settings.test"
    os.environ["TEST_REDIS_URL"] = args.redis_url
    import django

    django.setup()
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory
    from django.urls import ResolverMatch

    from ops.telemetry import recorder
    from ops.telemetry.middleware import TelemetryMiddleware
    from suresh_ai.redisclient import redis_client

    def view(request: HttpRequest) -> HttpResponse:
        # What URL resolution leaves on the request (the middleware reads the route pattern).
        request.resolver_match = ResolverMatch(view, (), {"pk": 1}, route="api/v1/members/<int:pk>/")
        return HttpResponse(b"{}", content_type="application/json")

    request = RequestFactory().get("/api/v1/members/1/")
    middleware = TelemetryMiddleware(view)
    client = redis_client()
    client.ping()

    n = args.requests
    _time_calls(lambda: middleware(request), min(n, 500), "warm-up")
    baseline = _time_calls(lambda: view(request), n, "view alone")
    with_redis = _time_calls(lambda: middleware(request), n, "middleware, Redis up")
    recorder._down_until = float("inf")  # the circuit breaker open: Redis is skipped
    try:
        without_redis = _time_calls(lambda: middleware(request), n, "middleware, Redis down")
    finally:
        recorder._down_until = 0.0
    for pattern in ("tm:c:*", "tm:m:*"):
        keys = list(client.scan_iter(pattern))
        if keys:
            client.delete(*keys)

    base_median = statistics.median(baseline)
    print(f"telemetry middleware overhead, {n} requests per case (µs; view alone median {base_median:.1f} µs)")
    print(f"{'case':<28}{'median':>10}{'p99':>10}")
    for label, timings in (("Redis up (one pipeline)", with_redis), ("Redis down (breaker open)", without_redis)):
        extra = [t - base_median for t in timings]
        print(f"{label:<28}{statistics.median(extra):>10.1f}{_percentile(extra, 0.99):>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
