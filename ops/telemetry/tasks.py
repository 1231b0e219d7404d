"""Telemetry jobs (public schema, queue "ops"): the per-minute rollup and the daily prune."""

from __future__ import annotations

import redis
from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="ops.telemetry_rollup",
    time_limit=50,
    soft_time_limit=45,
    ignore_result=True,
    autoretry_for=(redis.ConnectionError, redis.TimeoutError, OperationalError),
    max_retries=2,
    retry_backoff=5,
)
def telemetry_rollup() -> dict[str, int]:
    """Every minute (beat): the last finished minutes' request figures from Redis into the database."""
    from ops.telemetry.services import requests_rollup

    return {"rows": requests_rollup()}


@shared_task(name="ops.telemetry_prune", time_limit=600, soft_time_limit=570, ignore_result=True)
def telemetry_prune() -> dict[str, int]:
    """Daily (beat): drop request minutes and error hours older than TELEMETRY_HISTORY_DAYS."""
    from ops.telemetry.services import telemetry_prune as prune

    return prune()
