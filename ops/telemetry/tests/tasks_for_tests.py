"""Celery tasks used only by the telemetry tests (registered when a test imports this module)."""

from __future__ import annotations

from celery import shared_task
from django.db import connection


@shared_task(name="ops.telemetry_test_fail")
def fail() -> None:
    raise ValueError("task broke for owner@alpha.in")


@shared_task(name="ops.telemetry_test_slow")
def slow(seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s), %s", [seconds, "secret@alpha.in"])
