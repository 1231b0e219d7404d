"""Celery application: Redis broker, tenant-aware tasks (each runs in the schema it was sent from)."""

import logging
import os

from celery.signals import setup_logging, task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suresh_ai.settings.dev")

app = CeleryApp("suresh_ai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@setup_logging.connect
def _use_django_logging(**_kwargs: object) -> None:
    """Workers log through Django's LOGGING dict, so their lines are JSON like the web's."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _bind_task_context(task_id: str | None = None, task: object = None, **_kwargs: object) -> None:
    import structlog
    from django.db import connection

    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task_id=task_id, task=getattr(task, "name", None), tenant=getattr(connection, "schema_name", None)
    )
