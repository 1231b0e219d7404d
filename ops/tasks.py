"""Background jobs of operations (public schema, queue "ops")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(name="ops.health_check", time_limit=50, soft_time_limit=45, ignore_result=True)
def health_check() -> dict[str, Any]:
    """Every interval (beat): one monitor round, unless a worker's monitor thread just ran one."""
    from ops.monitor import monitor_round

    result = monitor_round()
    if result is None:
        return {"skipped": "a round already ran in this interval"}
    return {"score": result.score, "down": [s.name for s in result.statuses if not s.ok]}


@shared_task(name="ops.health_prune", time_limit=600, soft_time_limit=570, ignore_result=True)
def health_prune() -> dict[str, int]:
    """Daily (beat): drop health checks older than HEALTH_HISTORY_DAYS (incidents and alerts stay)."""
    from ops.models import HealthCheck

    cutoff = timezone.now() - timedelta(days=settings.HEALTH_HISTORY_DAYS)
    deleted, _ = HealthCheck.objects.filter(checked_at__lt=cutoff).delete()
    return {"deleted": deleted}
