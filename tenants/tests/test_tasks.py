"""Task wiring: tasks bind to our Celery app (Redis broker), never to a default AMQP app."""

from __future__ import annotations

from django.conf import settings

from celery_app import app
from tenants.tasks import invitation_send_email


def test_tasks_use_the_project_celery_app() -> None:
    assert invitation_send_email.app is app
    assert invitation_send_email.app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.amqp.router.route({}, invitation_send_email.name)["queue"].name == "default"
