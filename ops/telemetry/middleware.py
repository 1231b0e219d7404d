"""Per-request telemetry: latency, status class and 429s into Redis (one pipeline), and the
slow-query collector around the request's database work."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse

from ops.telemetry.context import current_request, endpoint_of
from ops.telemetry.recorder import request_record
from ops.telemetry.slowqueries import SlowQueryCollector, slow_query_threshold_ms

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Load-balancer probes and Prometheus scrapes: in the Prometheus counters, but not in the windows
# behind the alerts and the performance page (a failing /readyz is the health monitor's alert, and
# frequent probes would dilute the error rate of real traffic).
UNWINDOWED = frozenset({"/healthz", "/readyz", "/metrics"})


class TelemetryMiddleware:
    """Place it right after RequestIdMiddleware: everything inside it (tenant routing, rate limits,
    error pages, handler500) has run by the time it reads the status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        token = current_request.set(request)
        collector = SlowQueryCollector(slow_query_threshold_ms())
        try:
            with connections["default"].execute_wrapper(collector):
                response = self.get_response(request)
        finally:
            current_request.reset(token)
        duration_ms = (time.perf_counter() - started) * 1000
        endpoint = endpoint_of(request)
        method = request.method if request.method in _METHODS else "OTHER"
        request_record(
            endpoint=endpoint,
            method=method,
            status=response.status_code,
            duration_ms=duration_ms,
            windowed=endpoint not in UNWINDOWED,
        )
        if collector.pending:
            collector.flush(source=endpoint)
        return response
