"""API rate limits: GCRA (generic cell rate algorithm) in one Lua script, atomic across workers.

Each caller (API key, signed-in user, or anonymous IP) gets ``per_minute`` requests a minute with
bursts of up to ``burst``. The script reads Redis's own clock, so every web worker agrees on time,
and counts refusals per tenant per minute for alerting. We wrote the ~20 lines of GCRA rather than
add a library: ``limits`` (the usual choice) offers fixed and sliding windows but no burst, and
``redis-cell`` needs a Redis module we cannot assume.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from billing.selectors import entitlements_for_tenant
from suresh_ai.redisclient import redis_client

logger = logging.getLogger(__name__)
ViewFunc = Callable[..., HttpResponseBase]

# KEYS[1] bucket, KEYS[2] refusal counter prefix (the minute is appended); ARGV: emission interval (µs), burst.
# Returns {allowed, remaining, reset_us, retry_after_us}.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  local counter = KEYS[2] .. ':' .. math.floor(now / 60000000)
  redis.call('INCR', counter)
  redis.call('EXPIRE', counter, 172800)
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), new_tat - now, 0}
"""


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    per_minute: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={math.ceil(self.limit * 60 / self.per_minute)}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds)
        return headers


@lru_cache(maxsize=1)
def _script() -> Any:
    return redis_client().register_script(GCRA_LUA)


def refusal_counter_key(schema_name: str, minute: int) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:rl:refused:{schema_name}:{minute}"


def rate_limit_hit(*, schema_name: str, identity: str, per_minute: int, burst: int) -> RateLimitResult:
    """Count one request for ``identity`` in ``schema_name``; atomic however many workers call it."""
    if not (1 <= per_minute <= 60_000_000) or burst < 1:
        raise ImproperlyConfigured(f"Rate limit {per_minute}/min with burst {burst} is out of range.")
    interval_us = 60_000_000 // per_minute
    bucket = f"{settings.CACHE_KEY_PREFIX}:rl:{schema_name}:{identity}"
    counter_prefix = f"{settings.CACHE_KEY_PREFIX}:rl:refused:{schema_name}"
    allowed, remaining, reset_us, retry_us = _script()(keys=[bucket, counter_prefix], args=[interval_us, burst])
    return RateLimitResult(
        allowed=bool(allowed),
        limit=burst,
        per_minute=per_minute,
        remaining=max(int(remaining), 0),
        reset_seconds=math.ceil(int(reset_us) / 1_000_000),
        retry_after_seconds=max(math.ceil(int(retry_us) / 1_000_000), 1) if not allowed else 0,
    )


def refusals_count(*, schema_name: str, minutes: int = 5) -> int:
    """Requests refused for ``schema_name`` over the last ``minutes`` whole minutes (for alerting)."""
    now_minute = int(redis_client().time()[0]) // 60
    keys = [refusal_counter_key(schema_name, m) for m in range(now_minute - minutes + 1, now_minute + 1)]
    return sum(int(v) for v in redis_client().mget(keys) if v is not None)


def limits_for(request: Request) -> tuple[int, int] | None:
    """(per_minute, burst) for this request, or None when the tenant's plan (or its premium flag)
    bypasses limits. Signed-in callers and keys get their plan's limits; anonymous callers the
    per-IP anonymous limits."""
    tenant = getattr(request, "tenant", None)
    if request.auth is None and request.user is None:
        return settings.RATE_LIMIT_ANON_PER_MINUTE, settings.RATE_LIMIT_ANON_BURST
    if tenant is None or tenant.schema_name == "public":
        return settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST
    entitlements = entitlements_for_tenant(tenant)
    if tenant.rate_limit_bypass or entitlements.rate_limit_bypass:
        return None
    return entitlements.api_rate_per_minute, entitlements.api_burst


class GcraThrottle(BaseThrottle):
    """DRF throttle over rate_limit_hit; RateLimitHeadersMiddleware copies the result to headers."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self._result: RateLimitResult | None = None
        if not settings.RATE_LIMIT_ENABLED:
            return True
        limits = limits_for(request)
        if limits is None:
            return True
        if request.auth is not None and hasattr(request.auth, "prefix"):
            identity = f"key:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            identity = f"user:{request.user.pk}"
        else:
            identity = f"ip:{self.get_ident(request)}"
        schema_name = getattr(getattr(request, "tenant", None), "schema_name", "public")
        try:
            result = rate_limit_hit(schema_name=schema_name, identity=identity, per_minute=limits[0], burst=limits[1])
        except redis.RedisError:
            # Fail open: an unreachable Redis must not take the whole API down; /readyz reports it.
            logger.warning("rate_limit_unavailable", exc_info=True)
            return True
        self._result = result
        request._request.rate_limit = result  # type: ignore[attr-defined]
        return result.allowed

    def wait(self) -> float | None:
        return float(self._result.retry_after_seconds) if self._result else None


def client_ip(request: HttpRequest) -> str:
    """The caller's IP as DRF's throttles see it: X-Forwarded-For only behind NUM_PROXIES proxies."""
    remote = request.META.get("REMOTE_ADDR", "unknown")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.NUM_PROXIES and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(settings.NUM_PROXIES, len(hops))]
    return remote


def limit_posts_per_ip(scope: str, *, per_minute: int, burst: int) -> Callable[[ViewFunc], ViewFunc]:
    """Page decorator: the same GCRA limiter for form POSTs that send mail or create things
    (sign-up, password reset, find-my-workspace), per client IP and tenant. 429 page when refused."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and settings.RATE_LIMIT_ENABLED:
                schema_name = getattr(getattr(request, "tenant", None), "schema_name", "public")
                ip = client_ip(request)
                try:
                    result = rate_limit_hit(
                        schema_name=schema_name, identity=f"form:{scope}:{ip}", per_minute=per_minute, burst=burst
                    )
                except redis.RedisError:
                    logger.warning("rate_limit_unavailable", exc_info=True)
                else:
                    if not result.allowed:
                        response = render(
                            request, "errors/429.html", {"retry_after": result.retry_after_seconds}, status=429
                        )
                        response["Retry-After"] = str(result.retry_after_seconds)
                        return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
