"""SURESH AI ORIGIN project package: settings, URL routing and cross-cutting web plumbing."""

# Load the Celery app whenever Django starts, so shared_task binds to it (and its Redis broker)
# in web processes too, not to a default app pointing at amqp://localhost.
from celery_app import app as celery_app

__all__ = ["celery_app"]
