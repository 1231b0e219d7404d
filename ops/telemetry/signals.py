"""Signal receivers: unhandled request and task errors into the error log, the slow-query
collector around each Celery task, and Sentry tags (tenant schema, user id) on tasks."""

from __future__ import annotations

import logging
import sys
from contextlib import ExitStack
from typing import Any

from django.db import connection, connections

from ops.telemetry.context import current_request, endpoint_of, tenant_schema_of, user_id_of
from ops.telemetry.errors import error_record
from ops.telemetry.slowqueries import SlowQueryCollector, slow_query_threshold_ms

logger = logging.getLogger(__name__)

USER_HEADER = "telemetry_user_id"
# Per task id: the execute-wrapper context and its collector (prerun and postrun run in the task's thread).
_task_wrappers: dict[str, tuple[ExitStack, SlowQueryCollector]] = {}


def request_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """django.core.signals.got_request_exception: sent inside the handler's ``except`` block."""
    exc_type, exc, tb = sys.exc_info()
    if exc is None or request is None:
        return
    try:
        error_record(
            exc=exc,
            tb=tb,
            request_id=getattr(request, "request_id", ""),
            endpoint=endpoint_of(request),
            tenant_schema=tenant_schema_of(request),
        )
    except Exception:  # recording must never replace the error being handled (Django uses send())
        logger.warning(
            "error_record_failed", extra={"exception_type": exc_type.__name__ if exc_type else ""}, exc_info=True
        )


def task_failure(
    sender: Any = None, task_id: str | None = None, exception: BaseException | None = None, **kwargs: Any
) -> None:
    """celery.signals.task_failure (sender is the task)."""
    if exception is None:
        return
    einfo = kwargs.get("einfo")
    tb = kwargs.get("traceback") or (einfo.tb if einfo is not None else None)
    try:
        error_record(
            exc=exception,
            tb=tb,
            request_id=task_id or "",
            endpoint=f"task:{getattr(sender, 'name', '?')}",
            tenant_schema=getattr(connection, "schema_name", "") or "",
        )
    except Exception:  # recording must never replace the task's own failure
        logger.warning("error_record_failed", extra={"task": getattr(sender, "name", "?")}, exc_info=True)


def task_prerun(sender: Any = None, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    task = task or sender
    _sentry_task_tags(task)
    # An eager task inside a request is already under the request's collector (no double count).
    if task_id is None or current_request.get() is not None:
        return
    stack = ExitStack()
    collector = SlowQueryCollector(slow_query_threshold_ms())
    stack.enter_context(connections["default"].execute_wrapper(collector))
    _task_wrappers[task_id] = (stack, collector)


def task_postrun(sender: Any = None, task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    entry = _task_wrappers.pop(task_id or "", None)
    if entry is None:
        return
    stack, collector = entry
    stack.close()  # the wrapper is gone before the log is written: no recursion
    if collector.pending:
        collector.flush(source=f"task:{getattr(task or sender, 'name', '?')}")


def before_task_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Carry the signed-in user's id (never their email or name) to the task, for Sentry's tag."""
    request = current_request.get()
    if headers is None or request is None:
        return
    user_id = user_id_of(request)
    if user_id is not None:
        headers.setdefault(USER_HEADER, str(user_id))


def _task_header(task: Any, name: str) -> Any:
    request = getattr(task, "request", None)
    if request is None:
        return None
    # Depending on the broker, custom headers are merged into task.request or kept apart.
    headers = getattr(request, "headers", None) or {}
    return headers.get(name) if name in headers else getattr(request, name, None)


def _sentry_task_tags(task: Any) -> None:
    import sentry_sdk

    if not sentry_sdk.get_client().is_active():
        return
    sentry_sdk.set_tag("tenant", getattr(connection, "schema_name", "") or "none")
    sentry_sdk.set_tag("task", getattr(task, "name", "?"))
    user_id = _task_header(task, USER_HEADER)
    if user_id:
        sentry_sdk.set_user({"id": str(user_id)})
        sentry_sdk.set_tag("user_id", str(user_id))


def connect() -> None:
    from celery import signals as celery_signals
    from django.core.signals import got_request_exception

    got_request_exception.connect(request_exception, weak=False, dispatch_uid="telemetry-request-exception")
    celery_signals.task_failure.connect(task_failure, weak=False, dispatch_uid="telemetry-task-failure")
    celery_signals.task_prerun.connect(task_prerun, weak=False, dispatch_uid="telemetry-task-prerun")
    celery_signals.task_postrun.connect(task_postrun, weak=False, dispatch_uid="telemetry-task-postrun")
    celery_signals.before_task_publish.connect(
        before_task_publish, weak=False, dispatch_uid="telemetry-before-task-publish"
    )
