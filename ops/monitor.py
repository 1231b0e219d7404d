"""The monitor round: check every component, keep incidents, evaluate alert rules, deliver.

One round per HEALTH_CHECK_INTERVAL_SECONDS platform-wide, whoever starts it: beat's
``ops.health_check`` task, or the monitor thread each Celery worker runs (so a stopped beat, or the
loss of any one worker, is still noticed). A Redis lock lets only the first of them in each interval
run; if Redis itself is down every caller runs, and the unique constraints on open incidents and
firing alerts keep that from producing duplicates.

When every worker and beat are gone, no round runs: the web processes then start one in a
background thread (``MonitorFallbackMiddleware``), so that outage is detected and alerted too,
as long as the site serves requests (a load balancer's health checks are enough)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ops.alerting import Changes, alerts_process
from ops.health import ComponentStatus, health_record
from ops.models import AlertDelivery, Incident

logger = logging.getLogger(__name__)

ROUND_LOCK_KEY = "ops:monitor:round"
LAST_ROUND_KEY = "ops:monitor:last_round"


@dataclass
class RoundResult:
    statuses: list[ComponentStatus]
    score: float
    changes: Changes
    deliveries: list[AlertDelivery]


def incidents_update(statuses: list[ComponentStatus]) -> None:
    """Open an incident at a component's first failed check, count its failed checks, close it at
    the first good one."""
    now = timezone.now()
    # A component no longer checked (a removed uptime target) ends its incident now.
    Incident.objects.filter(ended_at=None).exclude(component__in=[s.name for s in statuses]).update(ended_at=now)
    for status in statuses:
        if status.ok:
            Incident.objects.filter(component=status.name, ended_at=None).update(ended_at=now)
            continue
        if Incident.objects.filter(component=status.name, ended_at=None).update(failed_checks=F("failed_checks") + 1):
            continue
        try:
            with transaction.atomic():
                Incident.objects.create(component=status.name, cause=status.error[:200], started_at=now)
        except IntegrityError:
            pass  # opened by a concurrent round


def _round_claimed() -> bool:
    from suresh_ai.redisclient import redis_client

    lock_ms = max(500, int(settings.HEALTH_CHECK_INTERVAL_SECONDS * 900))  # 90% of the interval
    try:
        return bool(redis_client().set(ROUND_LOCK_KEY, "1", nx=True, px=lock_ms))
    except Exception:  # noqa: BLE001 - Redis down: run anyway (the round reports Redis down)
        return True


def _round_started() -> None:
    from suresh_ai.redisclient import redis_client

    try:
        redis_client().set(
            LAST_ROUND_KEY, str(time.time()), ex=max(60, int(settings.HEALTH_CHECK_INTERVAL_SECONDS * 10))
        )
    except Exception:  # noqa: BLE001 - Redis down: the round reports it
        logger.debug("monitor_last_round_not_stored")


def monitor_round(*, force: bool = False) -> RoundResult | None:
    """Run one round unless another process ran one within this interval (``force``: run anyway)."""
    if not force and not _round_claimed():
        return None
    _round_started()
    statuses, score = health_record()
    incidents_update(statuses)
    changes, deliveries = alerts_process(statuses)
    logger.info(
        "monitor_round",
        extra={
            "score": score,
            "down": [s.name for s in statuses if not s.ok],
            "fired": [f"{a.rule}:{a.key}" for a in changes.fired],
            "resolved": [f"{a.rule}:{a.key}" for a in changes.resolved],
        },
    )
    return RoundResult(statuses, score, changes, deliveries)


class MonitorThread(threading.Thread):
    """Runs in each Celery worker's main process (started on worker_ready)."""

    def __init__(self) -> None:
        super().__init__(name="ops-monitor", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = settings.HEALTH_CHECK_INTERVAL_SECONDS
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                monitor_round()
            except Exception:  # keep monitoring; the failure is logged (and sent to Sentry)
                logger.exception("monitor_round_failed")
            finally:
                # No connection stays open between rounds: a prefork pool forks children from this
                # process, and a child tearing down an inherited connection would break ours.
                connections.close_all()
            self.stopping.wait(max(0.1, interval - (time.monotonic() - started)))


_thread: MonitorThread | None = None


def monitor_thread_start(**_: Any) -> None:
    global _thread
    if not settings.OPS_MONITOR_IN_WORKERS or _thread is not None:
        return
    _thread = MonitorThread()
    _thread.start()


def monitor_thread_stop(**_: Any) -> None:
    if _thread is not None:
        _thread.stopping.set()


# --- The web fallback ------------------------------------------------------------------------------

_fallback_lock = threading.Lock()
_fallback_checked = 0.0  # time.monotonic() of this process's last look at LAST_ROUND_KEY
_fallback_thread: threading.Thread | None = None


def _rounds_stalled() -> bool:
    """No round started for two intervals (beat's task and every worker's thread are gone). Redis
    down: cannot tell, so no (the workers' threads run regardless then)."""
    from suresh_ai.redisclient import redis_client

    try:
        raw = redis_client().get(LAST_ROUND_KEY)
    except Exception:  # noqa: BLE001
        return False
    return raw is None or time.time() - float(raw) > 2 * settings.HEALTH_CHECK_INTERVAL_SECONDS


def _fallback_run() -> None:
    try:
        monitor_round()
    except Exception:
        logger.exception("monitor_round_failed")
    finally:
        connections.close_all()  # this thread's own connections


def monitor_fallback_maybe() -> threading.Thread | None:
    """Start a round in a background thread if rounds have stalled. Looks at Redis at most twice an
    interval per process, and runs one thread at a time; returns the thread it started."""
    global _fallback_checked, _fallback_thread
    now = time.monotonic()
    if now - _fallback_checked < settings.HEALTH_CHECK_INTERVAL_SECONDS / 2:
        return None
    with _fallback_lock:
        if now - _fallback_checked < settings.HEALTH_CHECK_INTERVAL_SECONDS / 2:
            return None
        _fallback_checked = now
        if _fallback_thread is not None and _fallback_thread.is_alive():
            return None
        if not _rounds_stalled():
            return None
        logger.warning("monitor_fallback_round", extra={"reason": "no monitor round for two intervals"})
        _fallback_thread = threading.Thread(target=_fallback_run, name="ops-monitor-fallback", daemon=True)
        _fallback_thread.start()
        return _fallback_thread


class MonitorFallbackMiddleware:
    """After each response, ``monitor_fallback_maybe`` (a local clock comparison on most requests)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = settings.OPS_MONITOR_WEB_FALLBACK

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.enabled:
            monitor_fallback_maybe()
        return response
