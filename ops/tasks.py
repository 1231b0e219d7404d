"""Background jobs of operations (public schema)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ops.health import health_record


@shared_task(name="ops.health_check", time_limit=50, soft_time_limit=45, ignore_result=True)
def health_check() -> dict[str, Any]:
    """Every minute (beat): check each component and store the results as history."""
    statuses, score = health_record()
    return {"score": score, "down": [s.name for s in statuses if not s.ok]}
