"""A per-process cache for hot lookups that rarely change (host → tenant, key prefix → API key).

Every API request needs both lookups; doing them in SQL was half of a request's CPU time. Entries
live in this process for up to ``max_age`` seconds, and the whole cache empties as soon as a
shared version number in Redis moves: ``bump()`` (called on any write to the cached models) bumps
it, and each process reads it at most once every ``version_check_interval`` seconds. So a change
reaches every process within that interval (1 s by default) and reaches the writing process at once.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


class VersionedLocalCache:
    def __init__(self, name: str, *, max_age: float = 60.0, version_check_interval: float = 1.0, maxsize: int = 10_000):
        self.name = name
        self.max_age = max_age
        self.version_check_interval = version_check_interval
        self.maxsize = maxsize
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._version: Any = None
        self._version_checked_at = 0.0

    @property
    def _version_key(self) -> str:
        return f"{settings.CACHE_KEY_PREFIX}:localcache:{self.name}:version"

    def _fresh(self, now: float) -> bool:
        """Empty the cache if the shared version moved; False when Redis cannot tell us."""
        if now - self._version_checked_at < self.version_check_interval:
            return True
        try:
            version = _redis().get(self._version_key)
        except redis.RedisError:
            logger.warning("localcache_version_unavailable", extra={"cache": self.name})
            self.clear()
            return False
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._version_checked_at = now
        return True

    def get(self, key: Any) -> Any | None:
        now = time.monotonic()
        if not self._fresh(now):
            return None
        entry = self._entries.get(key)
        if entry is None or now - entry[0] > self.max_age:
            return None
        return entry[1]

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._entries) >= self.maxsize:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version_checked_at = 0.0

    def bump(self) -> None:
        """Invalidate this cache in every process (within version_check_interval) and here at once."""
        self.clear()
        try:
            _redis().incr(self._version_key)
        except redis.RedisError:
            logger.warning("localcache_bump_failed", extra={"cache": self.name})
