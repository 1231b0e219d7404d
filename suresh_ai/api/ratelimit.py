"""API rate limits: GCRA (generic cell rate algorithm) in one Lua script, atomic across workers.

Each caller (API key, signed-in user, or anonymous IP) gets ``per_minute`` requests a minute with
bursts of up to ``burst``, and so does each workspace as a whole (every key and member of it
together), so minting more keys does not buy more throughput. One script checks both buckets in
one round trip: a request passes only if both admit it, and a refused request charges neither.
The script reads Redis's own clock, so every web worker agrees on time, and counts refusals per
tenant per minute for alerting. We wrote the ~30 lines of GCRA rather than add a library:
``limits`` (the usual choice) offers fixed and sliding windows but no burst, and ``redis-cell``
needs a Redis module we cannot assume.

When Redis cannot be reached the limiter fails open (requests are admitted without limits, so an
outage of the limiter is not an outage of the API), stops asking Redis for
``_RETRY_SECONDS`` per process, logs ``rate_limit_fail_open``, and says so where operators look:
the ``rate_limits_off`` alert (ops.alerting) and ``rate_limits`` in ``/readyz``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
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

# KEYS[1] refusal counter prefix (the minute is appended), KEYS[2..] one bucket each;
# ARGV: emission interval (µs) and burst of each bucket, in the order of its key.
# Returns {allowed, then per bucket: remaining, reset_us, retry_after_us}.
GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed = 1
local out = {0}
local new_tats = {}
for i = 2, #KEYS do
  local interval = tonumber(ARGV[2 * i - 3])
  local burst = tonumber(ARGV[2 * i - 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - burst * interval
  if now < allow_at then
    allowed = 0
    table.insert(out, 0)
    table.insert(out, tat - now)
    table.insert(out, allow_at - now)
  else
    new_tats[i] = new_tat
    table.insert(out, math.floor((now - allow_at) / interval))
    table.insert(out, new_tat - now)
    table.insert(out, 0)
  end
end
out[1] = allowed
if allowed == 0 then
  local counter = KEYS[1] .. ':' .. math.floor(now / 60000000)
  redis.call('INCR', counter)
  redis.call('EXPIRE', counter, 172800)
  return out
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], new_tats[i], 'PX', math.ceil((new_tats[i] - now) / 1000))
end
return out
"""
_SHA = hashlib.sha1(GCRA_LUA.encode(), usedforsecurity=False).hexdigest()
WORKSPACE = "workspace"  # the identity of the workspace-wide bucket

# After a Redis error, requests pass unlimited for this long before the limiter asks Redis again:
# an unreachable Redis then costs nothing per request (not a connect timeout each time).
_RETRY_SECONDS = 5.0
_down_until = 0.0


@dataclass(frozen=True)
class Limit:
    per_minute: int
    burst: int


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    per_minute: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int
    bucket: str = ""  # which bucket these figures are from: the caller's identity or WORKSPACE

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


def _command(*parts: str | int) -> bytes:
    """One command in Redis's wire format (RESP)."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _run_script(keys: list[str], args: list[int]) -> list[int]:
    """EVALSHA on a pooled connection, the command packed here: the limiter runs on every API
    request, and redis-py's generic command path (argument encoding, retries, response callbacks)
    cost more CPU than the script itself. Loads the script once when Redis does not know it."""
    client = redis_client()
    pool = client.connection_pool
    packed = _command("EVALSHA", _SHA, len(keys), *keys, *args)
    connection = pool.get_connection()
    try:
        try:
            connection.send_packed_command([packed])
            return connection.read_response()  # type: ignore[no-any-return]
        except redis.exceptions.NoScriptError:  # a restarted or flushed Redis
            client.script_load(GCRA_LUA)
            connection.send_packed_command([packed])
            return connection.read_response()  # type: ignore[no-any-return]
    finally:
        pool.release(connection)


def _bucket_key(schema_name: str, identity: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:rl:{schema_name}:{identity}"


def refusal_counter_key(schema_name: str, minute: int) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:rl:refused:{schema_name}:{minute}"


def _check(limit: Limit) -> None:
    if not (1 <= limit.per_minute <= 60_000_000) or limit.burst < 1:
        raise ImproperlyConfigured(f"Rate limit {limit.per_minute}/min with burst {limit.burst} is out of range.")


def rate_limit_hit(
    *, schema_name: str, identity: str, per_minute: int, burst: int, workspace: Limit | None = None
) -> RateLimitResult:
    """Count one request for ``identity`` in ``schema_name`` (and, with ``workspace``, for the
    workspace as a whole); atomic however many workers call it. The result describes the tighter
    bucket: the refusing one (the longest wait) or, when admitted, the one with fewer left."""
    buckets = [(identity, Limit(per_minute, burst))]
    if workspace is not None:
        buckets.append((WORKSPACE, workspace))
    keys = [f"{settings.CACHE_KEY_PREFIX}:rl:refused:{schema_name}"]
    args: list[int] = []
    for name, limit in buckets:
        _check(limit)
        keys.append(_bucket_key(schema_name, name))
        args += [60_000_000 // limit.per_minute, limit.burst]
    reply = _run_script(keys, args)
    allowed = bool(reply[0])
    figures = [
        (name, limit, int(reply[1 + 3 * i]), int(reply[2 + 3 * i]), int(reply[3 + 3 * i]))
        for i, (name, limit) in enumerate(buckets)
    ]
    if allowed:
        name, limit, remaining, reset_us, retry_us = min(figures, key=lambda f: (f[2], -f[3]))
    else:
        name, limit, remaining, reset_us, retry_us = max(figures, key=lambda f: f[4])
    return RateLimitResult(
        allowed=allowed,
        limit=limit.burst,
        per_minute=limit.per_minute,
        remaining=max(remaining, 0),
        reset_seconds=math.ceil(reset_us / 1_000_000),
        retry_after_seconds=max(math.ceil(retry_us / 1_000_000), 1) if not allowed else 0,
        bucket=name,
    )


def _limiter_reachable() -> bool:
    return time.monotonic() >= _down_until


def _limiter_failed(error: redis.RedisError) -> None:
    """Fail open for _RETRY_SECONDS: one log line per process per period, not one per request."""
    global _down_until
    _down_until = time.monotonic() + _RETRY_SECONDS
    logger.error("rate_limit_fail_open", extra={"error": type(error).__name__, "retry_seconds": _RETRY_SECONDS})


def limiter_problem() -> str | None:
    """None when the limiter's script runs in Redis now; otherwise what stops it (an exception
    type, never a message: those can carry hosts from the URL). Runs the real script on a probe
    bucket that never refuses, for the alert rule and /readyz."""
    try:
        _run_script(
            [f"{settings.CACHE_KEY_PREFIX}:rl:refused:probe", _bucket_key("public", "probe")], [1, 1_000_000_000]
        )
    except redis.RedisError as exc:
        return type(exc).__name__
    return None


def rate_limits_state() -> dict[str, str]:
    """What /readyz says about rate limiting: enforced, disabled by configuration, or off because
    the limiter's Redis fails (requests are then admitted without limits)."""
    if not settings.RATE_LIMIT_ENABLED:
        return {"status": "disabled", "detail": "RATE_LIMIT_ENABLED is off: requests are not limited."}
    problem = limiter_problem()
    if problem is None:
        return {"status": "enforced"}
    return {
        "status": "off",
        "detail": f"The limiter cannot reach Redis ({problem}): API requests are admitted without rate "
        "limits (fail-open) until it answers again.",
    }


def refusals_count(*, schema_name: str, minutes: int = 5) -> int:
    """Requests refused for ``schema_name`` over the last ``minutes`` whole minutes (for alerting)."""
    now_minute = int(redis_client().time()[0]) // 60
    keys = [refusal_counter_key(schema_name, m) for m in range(now_minute - minutes + 1, now_minute + 1)]
    return sum(int(v) for v in redis_client().mget(keys) if v is not None)


def limits_for(request: Request) -> tuple[Limit, Limit | None] | None:
    """The caller's limit and the workspace-wide one for this request, or None when the tenant's
    plan (or its premium flag) bypasses limits. Keys and signed-in members get their plan's
    limits, each and for the workspace as a whole; anonymous callers the per-IP anonymous limits
    (their requests do not count against the workspace, so strangers cannot use up its budget)."""
    tenant = getattr(request, "tenant", None)
    if request.auth is None and request.user is None:
        return Limit(settings.RATE_LIMIT_ANON_PER_MINUTE, settings.RATE_LIMIT_ANON_BURST), None
    if tenant is None or tenant.schema_name == "public":
        return Limit(settings.RATE_LIMIT_PER_MINUTE, settings.RATE_LIMIT_BURST), None
    entitlements = entitlements_for_tenant(tenant)
    if tenant.rate_limit_bypass or entitlements.rate_limit_bypass:
        return None
    plan = Limit(entitlements.api_rate_per_minute, entitlements.api_burst)
    return plan, plan


class GcraThrottle(BaseThrottle):
    """DRF throttle over rate_limit_hit; RateLimitHeadersMiddleware copies the result to headers."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self._result: RateLimitResult | None = None
        if not settings.RATE_LIMIT_ENABLED:
            return True
        limits = limits_for(request)
        if limits is None or not _limiter_reachable():
            return True
        caller, workspace = limits
        if request.auth is not None and hasattr(request.auth, "prefix"):
            identity = f"key:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            identity = f"user:{request.user.pk}"
        else:
            identity = f"ip:{self.get_ident(request)}"
        schema_name = getattr(getattr(request, "tenant", None), "schema_name", "public")
        try:
            result = rate_limit_hit(
                schema_name=schema_name,
                identity=identity,
                per_minute=caller.per_minute,
                burst=caller.burst,
                workspace=workspace,
            )
        except redis.RedisError as exc:
            # Fail open: an unreachable Redis must not take the whole API down (module docstring).
            _limiter_failed(exc)
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
            if request.method == "POST" and settings.RATE_LIMIT_ENABLED and _limiter_reachable():
                schema_name = getattr(getattr(request, "tenant", None), "schema_name", "public")
                ip = client_ip(request)
                try:
                    result = rate_limit_hit(
                        schema_name=schema_name, identity=f"form:{scope}:{ip}", per_minute=per_minute, burst=burst
                    )
                except redis.RedisError as exc:
                    _limiter_failed(exc)
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
