"""Queueing a Celery task where the caller must learn at once that it could not be queued.

Celery's ``delay`` raises kombu's ``OperationalError`` once its publish retries are spent (about a
second with the defaults) when the broker is down. A service that stored a row for the task to work
on catches :class:`QueueUnavailable`, removes that row and lets the error answer the request with a
503, so no job waits in "queued" for a task that was never sent.
"""

from __future__ import annotations

import logging
from typing import Any

import kombu.exceptions
import redis.exceptions

from suresh_ai.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[Exception], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


class QueueUnavailable(ServiceUnavailable):
    """The task broker did not take the task."""


def task_enqueue(task: Any, *, message: str, **kwargs: Any) -> None:
    """``task.delay(**kwargs)``, turning a broker failure into :class:`QueueUnavailable` (``message``
    tells the user what did not happen)."""
    try:
        task.delay(**kwargs)
    except BROKER_ERRORS as exc:
        logger.warning("task not queued: broker unavailable", extra={"task": task.name, "error": type(exc).__name__})
        raise QueueUnavailable(message) from exc
