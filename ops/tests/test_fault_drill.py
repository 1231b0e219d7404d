"""Fault drill against real processes: two Celery workers (queues "ops" and "default") on the test
database, each running the monitor thread every 2 seconds. Stopping the default worker must take
the workers component down within one check interval and deliver the alert to a local webhook
receiver and a local SMTP server within 60 seconds; starting it again must send a recovery message.

Targets (issue 6): detection within one check interval, delivery within 60 s of detection. The
measured figures are printed (pytest -s) and asserted against the targets."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from ops.models import Alert, AlertDelivery, HealthCheck, Incident
from tests.smtp import SmtpServer
from tests.webhook_receiver import WebhookReceiver
from tests.workers import Worker, worker_env, worker_start, worker_stop

pytestmark = pytest.mark.slow

INTERVAL = 2.0
# One interval to notice, plus the worker broadcast's own second and a scheduling margin.
DETECTION_TARGET = INTERVAL + 3.0
DELIVERY_TARGET = 60.0


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """Replaces conftest's per-test FLUSHDB: the workers' broker is that Redis database (see
    tests/test_celery_worker.py); the drill flushes before starting and after stopping them."""


def _wipe(django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        AlertDelivery.objects.all().delete()
        Alert.objects.all().delete()
        Incident.objects.all().delete()
        HealthCheck.objects.all().delete()


@pytest.fixture
def drill(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebhookReceiver, SmtpServer, dict[str, str], Any]]:
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.flushdb()
    _wipe(django_db_blocker)
    with WebhookReceiver() as hooks, SmtpServer() as smtp:
        env = worker_env(
            smtp.url,
            HEALTH_COMPONENTS="database,redis,broker,workers",
            HEALTH_WORKER_QUEUES="default,ops",
            HEALTH_CHECK_INTERVAL_SECONDS=str(INTERVAL),
            OPS_MONITOR_IN_WORKERS="true",
            ALERT_EMAILS="oncall@platform.in",
            ALERT_WEBHOOK_URL=f"{hooks.url}/hook",
            ALERT_WEBHOOK_SECRET="drill-secret",
        )
        yield hooks, smtp, env, tmp_path_factory.mktemp("drill")
    broker.flushdb()
    _wipe(django_db_blocker)


def _latest_workers_ok(django_db_blocker: Any) -> bool | None:
    with django_db_blocker.unblock():
        return (
            HealthCheck.objects.filter(component="workers")
            .order_by("-checked_at", "-id")
            .values_list("ok", flat=True)
            .first()
        )


def _wait(check: Any, timeout: float, what: str, logs: list[Worker]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout}s; worker logs:\n" + "\n".join(w.output() for w in logs))


def test_stopping_a_worker_alerts_by_webhook_and_email_then_recovers(drill: Any, django_db_blocker: Any) -> None:
    hooks, smtp, env, logs = drill
    suffix = uuid.uuid4().hex[:6]
    # The default worker first, without a monitor thread of its own, so that the first round (the
    # ops worker's) already sees both queues consumed and nothing fires before the drill.
    quiet = {**env, "OPS_MONITOR_IN_WORKERS": "false"}
    default_worker = worker_start(f"default-{suffix}@localhost", "default", quiet, logs / "default.log")
    ops_worker = worker_start(f"ops-{suffix}@localhost", "ops", env, logs / "ops.log")
    workers = [ops_worker, default_worker]
    try:
        _wait(lambda: _latest_workers_ok(django_db_blocker), 30, "workers component up", workers)
        assert hooks.received == []

        worker_stop(default_worker.process)
        stopped_at = time.time()
        [hook] = _wait(lambda: hooks.received[:1], DETECTION_TARGET + DELIVERY_TARGET, "alert webhook", workers)
        with django_db_blocker.unblock():
            incident = Incident.objects.get(component="workers", ended_at=None)
            alert = Alert.objects.get(rule="component_down", key="workers", status="firing")
        detected_after = incident.started_at.timestamp() - stopped_at
        delivered_after = hook.received_at - incident.started_at.timestamp()
        [email] = smtp.wait_for(1, timeout=DELIVERY_TARGET)
        emailed_after = time.time() - incident.started_at.timestamp()
        print(  # noqa: T201 - the drill's measured figures (pytest -s)
            f"\nfault drill: detected {detected_after:.2f} s after the stop (target {DETECTION_TARGET:.0f} s); "
            f"webhook {delivered_after:.2f} s and email <= {emailed_after:.2f} s after detection "
            f"(target {DELIVERY_TARGET:.0f} s)"
        )
        assert detected_after <= DETECTION_TARGET
        assert delivered_after <= DELIVERY_TARGET
        assert emailed_after <= DELIVERY_TARGET
        [fired] = hook.json()["alerts"]
        assert (fired["id"], fired["status"], fired["key"]) == (alert.pk, "firing", "workers")
        assert "no live worker consumes queue default" in fired["summary"]
        assert hook.headers["x-suresh-signature"].startswith("sha256=")
        assert email.rcpt_tos == ("oncall@platform.in",)
        assert "workers component_down" in email.message["Subject"]
        assert "no live worker consumes queue default" in email.text

        time.sleep(3 * INTERVAL)
        assert len(hooks.received) == 1  # still down: no repeat
        restarted = worker_start(f"default2-{suffix}@localhost", "default", quiet, logs / "default2.log")
        workers.append(restarted)
        recovery = _wait(lambda: hooks.received[1:2], 30, "recovery webhook", workers)[0].json()["alerts"]
        assert [(a["key"], a["status"]) for a in recovery] == [("workers", "resolved")]
        assert "RESOLVED" in smtp.wait_for(2, timeout=30)[1].message["Subject"]
        with django_db_blocker.unblock():
            assert Incident.objects.get(component="workers").ended_at is not None
    finally:
        for worker in workers:
            worker_stop(worker.process)


def test_with_every_worker_gone_the_web_processes_monitor_and_alert(drill: Any, django_db_blocker: Any) -> None:
    """No worker and no beat: no monitor round runs, so requests to the web (this process, served
    through the middleware stack) start one after two intervals; it finds the workers down and the
    alert goes out."""
    from django.core import mail
    from django.test import Client, override_settings

    from ops import monitor

    hooks, _smtp, env, logs = drill
    suffix = uuid.uuid4().hex[:6]
    workers = [worker_start(f"all-{suffix}@localhost", "default,ops", env, logs / "all.log")]
    try:
        _wait(lambda: _latest_workers_ok(django_db_blocker), 30, "workers component up", workers)
        worker_stop(workers[0].process)
        stopped_at = time.time()
        web = {
            "HEALTH_COMPONENTS": ["database", "redis", "broker", "workers"],
            "HEALTH_CHECK_INTERVAL_SECONDS": INTERVAL,
            "OPS_MONITOR_WEB_FALLBACK": True,
            "ALERT_WEBHOOK_URL": f"{hooks.url}/hook",
            "ALERT_EMAILS": ["oncall@platform.in"],
        }
        monitor._fallback_checked = 0.0
        with override_settings(**web), django_db_blocker.unblock():
            client = Client(HTTP_HOST="localhost")

            def served_and_alerted() -> Any:
                assert client.get("/healthz").status_code == 200
                return hooks.received[:1]

            [hook] = _wait(served_and_alerted, 6 * INTERVAL + DELIVERY_TARGET, "alert from the web fallback", workers)
            if monitor._fallback_thread is not None:
                monitor._fallback_thread.join(30)
        alerted_after = hook.received_at - stopped_at
        print(f"\nweb fallback: alerted {alerted_after:.2f} s after the last worker stopped")  # noqa: T201
        assert alerted_after <= 2 * INTERVAL + DETECTION_TARGET + DELIVERY_TARGET
        [fired] = hook.json()["alerts"]
        assert (fired["key"], fired["status"]) == ("workers", "firing")
        assert "no live worker consumes queue default, ops" in fired["summary"]
        assert "workers component_down" in mail.outbox[0].subject
    finally:
        for worker in workers:
            worker_stop(worker.process)


def test_ops_tasks_have_their_own_queue_and_beat_stores_its_ticks(db: None) -> None:
    """(Also makes pytest-django set the test database up when this file runs alone: it only does
    so for the databases the collected tests ask for, and the drill above asks for none.)"""
    from celery_app import app

    assert app.amqp.router.route({}, "ops.health_check")["queue"].name == "ops"
    assert app.amqp.router.route({}, "tenants.invitation_send_email")["queue"].name == "default"
    assert settings.CELERY_BEAT_SCHEDULER == "ops.beat:Scheduler"


def test_a_running_beat_stores_its_ticks(django_db_setup: None, tmp_path: Any) -> None:
    """A real beat process (ops.beat.Scheduler on the test database) keeps the tick the "beat"
    component reads fresh."""
    import subprocess
    import sys

    from ops.health import BEAT_TICK_KEY
    from tests.workers import BASE_DIR

    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete(BEAT_TICK_KEY)
    log = tmp_path / "beat.log"
    command = [sys.executable, "-m", "celery", "-A", "celery_app", "beat", "-l", "WARNING", "-s", str(tmp_path / "s")]
    with log.open("wb") as sink:
        beat = subprocess.Popen(command, cwd=BASE_DIR, env=worker_env(""), stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while broker.get(BEAT_TICK_KEY) is None and time.monotonic() < deadline and beat.poll() is None:
            time.sleep(0.2)
        tick = broker.get(BEAT_TICK_KEY)
        assert tick is not None, log.read_text()[-3000:]
        assert abs(time.time() - float(tick)) < 30
    finally:
        worker_stop(beat)
        broker.flushdb()
