"""Beat's heartbeat: the database scheduler, storing the time of each tick in Redis.

Beat ticks at least every few seconds (its max interval), so the monitor's "beat" component sees
beat itself, not a task it sent (which a stopped worker would also hold back)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


class Scheduler(DatabaseScheduler):  # type: ignore[misc]
    def tick(self, *args: Any, **kwargs: Any) -> float:
        from ops.health import BEAT_TICK_KEY
        from suresh_ai.redisclient import redis_client

        try:
            redis_client().set(BEAT_TICK_KEY, f"{time.time():.3f}", ex=24 * 60 * 60)
        except Exception:
            logger.warning("beat_tick_not_stored", exc_info=True)
        return float(super().tick(*args, **kwargs))
