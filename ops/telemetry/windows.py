"""Short windows of request figures across every process, read from the per-minute Redis hashes
that ``recorder.request_record`` writes (the alerting rules call ``request_window`` each minute)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ops.telemetry.recorder import BUCKET_COUNT, BUCKETS_MS, MINUTE_TTL_SECONDS, SEP, minute_key
from suresh_ai.redisclient import redis_client

MAX_WINDOW_MINUTES = MINUTE_TTL_SECONDS // 60 - 1


@dataclass(frozen=True)
class RequestWindow:
    """Every request of the platform over the last ``minutes`` minutes (the current minute included)."""

    requests: int
    server_errors: int  # 5xx
    error_rate: float  # server_errors / requests, 0..1
    p95_ms: float | None  # None without requests
    rate_limited: int  # 429s


@dataclass
class EndpointStats:
    endpoint: str
    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    rate_limited: int = 0
    duration_ms_sum: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * BUCKET_COUNT)

    def add(self, other: EndpointStats) -> None:
        self.requests += other.requests
        self.client_errors += other.client_errors
        self.server_errors += other.server_errors
        self.rate_limited += other.rate_limited
        self.duration_ms_sum += other.duration_ms_sum
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]

    @property
    def error_rate(self) -> float:
        return self.server_errors / self.requests if self.requests else 0.0

    def quantile_ms(self, q: float) -> float | None:
        return bucket_quantile(self.buckets, q)


def bucket_quantile(buckets: Sequence[int], q: float) -> float | None:
    """The q-quantile (0..1) of a latency histogram, interpolated linearly inside its bucket as
    Prometheus's histogram_quantile does; the unbounded last bucket answers its lower bound."""
    total = sum(buckets)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            lower = BUCKETS_MS[index - 1] if index > 0 else 0.0
            if index >= len(BUCKETS_MS):
                return float(lower)
            upper = BUCKETS_MS[index]
            return round(lower + (upper - lower) * max(rank - seen, 0) / count, 2)
        seen += count
    return float(BUCKETS_MS[-1])


def _parse_minute(raw: dict[bytes, bytes], into: dict[str, EndpointStats]) -> None:
    for key, value in raw.items():
        endpoint, _, name = key.decode().rpartition(SEP)
        stats = into.setdefault(endpoint, EndpointStats(endpoint))
        if name == "t":
            stats.duration_ms_sum += float(value)
            continue
        number = int(value)
        if name == "n":
            stats.requests += number
        elif name == "c":
            stats.client_errors += number
        elif name == "s":
            stats.server_errors += number
        elif name == "r":
            stats.rate_limited += number
        elif name.startswith("b"):
            stats.buckets[int(name[1:])] += number


def minutes_read(minutes: Iterable[int]) -> dict[int, dict[str, EndpointStats]]:
    """Per unix minute, per endpoint: the figures stored in Redis (one round trip)."""
    wanted = list(minutes)
    pipe = redis_client().pipeline(transaction=False)
    for minute in wanted:
        pipe.hgetall(minute_key(minute))
    result: dict[int, dict[str, EndpointStats]] = {}
    for minute, raw in zip(wanted, pipe.execute(), strict=True):
        per_endpoint: dict[str, EndpointStats] = {}
        _parse_minute(raw, per_endpoint)
        result[minute] = per_endpoint
    return result


def endpoint_window(minutes: int, *, now: float | None = None) -> dict[str, EndpointStats]:
    """Per endpoint, the last ``minutes`` minutes (the current one included)."""
    if not 1 <= minutes <= MAX_WINDOW_MINUTES:
        raise ValueError(f"minutes must be 1..{MAX_WINDOW_MINUTES}")
    current = int((time.time() if now is None else now) // 60)
    totals: dict[str, EndpointStats] = {}
    for per_endpoint in minutes_read(range(current - minutes + 1, current + 1)).values():
        for endpoint, stats in per_endpoint.items():
            totals.setdefault(endpoint, EndpointStats(endpoint)).add(stats)
    return totals


def request_window(minutes: int = 5) -> RequestWindow:
    """All requests of every web process over the last ``minutes`` minutes, the current minute
    included (so between minutes-1 and minutes of history): count, 5xx, 5xx share, p95, 429s."""
    total = EndpointStats("*")
    for stats in endpoint_window(minutes).values():
        total.add(stats)
    return RequestWindow(
        requests=total.requests,
        server_errors=total.server_errors,
        error_rate=total.error_rate,
        p95_ms=total.quantile_ms(0.95),
        rate_limited=total.rate_limited,
    )
