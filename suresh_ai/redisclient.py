"""One Redis client per process for our own atomic scripts (rate limits, AI quotas)."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    # Short timeouts: callers fail open or closed on their own terms rather than hang a request.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
