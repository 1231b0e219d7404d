"""The monthly AI-request quota, reserved atomically in Redis before a provider is called.

One Lua script checks and increments, so however many workers and threads ask at once, no more
than the plan's quota is ever reserved; a request whose every attempt failed gives its
reservation back. A cache hit does not use the quota (it costs nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings

from suresh_ai.redisclient import redis_client

RESERVE_LUA = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  return {0, used}
end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {1, used}
"""
RELEASE_LUA = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


@lru_cache(maxsize=1)
def _scripts() -> tuple[Any, Any]:
    client = redis_client()
    return client.register_script(RESERVE_LUA), client.register_script(RELEASE_LUA)


@dataclass(frozen=True)
class QuotaResult:
    allowed: bool
    used: int
    limit: int
    resets_at: datetime


def _period(now: datetime) -> tuple[str, datetime]:
    start_next = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return f"{now.year}{now.month:02d}", start_next


def quota_key(schema_name: str, now: datetime) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:ai-quota:{schema_name}:{_period(now)[0]}"


def quota_reserve(*, schema_name: str, limit: int, now: datetime) -> QuotaResult:
    _, resets_at = _period(now)
    ttl = int((resets_at - now).total_seconds()) + 86_400
    allowed, used = _scripts()[0](keys=[quota_key(schema_name, now)], args=[limit, ttl])
    return QuotaResult(bool(allowed), int(used), limit, resets_at)


def quota_release(*, schema_name: str, now: datetime) -> None:
    _scripts()[1](keys=[quota_key(schema_name, now)])


def quota_used(*, schema_name: str, now: datetime) -> int:
    return int(redis_client().get(quota_key(schema_name, now)) or 0)
