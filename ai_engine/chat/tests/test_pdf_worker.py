"""A real Celery worker reads uploaded PDFs in the schema they were uploaded in; a hostile one is
stopped at the time limit and fails alone, and the next upload in the queue is read as usual.

As in tests/test_celery_worker.py, everything the worker must see is committed (autocommit through
``django_db_blocker.unblock()``) and deleted afterwards; the upload's on_commit fires at once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import schema_context

from ai_engine.chat import services
from ai_engine.chat.models import KnowledgeSource
from ai_engine.chat.tests.test_pdf_limits import nested_forms_pdf, text_pdf
from tests.workers import worker_env, worker_start, worker_stop

pytestmark = pytest.mark.slow


def _eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def test_the_worker_stops_a_hostile_pdf_and_reads_the_next_one(
    django_db_setup: None, django_db_blocker: Any, tmp_path: Any
) -> None:
    env = worker_env("smtp://127.0.0.1:1", CHAT_PDF_TIME_LIMIT_SECONDS="2")
    worker = worker_start(f"pdf-{uuid.uuid4().hex[:8]}@localhost", "default", env, tmp_path / "worker.log")
    try:
        with django_db_blocker.unblock(), schema_context("t_alpha"):
            hostile = services.knowledge_document_create(
                filename="worker-hostile.pdf", content_type="application/pdf", data=nested_forms_pdf(pages=20)
            )
            menu = services.knowledge_document_create(
                filename="worker-menu.pdf", content_type="application/pdf", data=text_pdf(["Thali at Rs 250."])
            )
            started = time.monotonic()

            def both_read() -> bool:
                return not KnowledgeSource.objects.filter(
                    pk__in=[hostile.pk, menu.pk], status=KnowledgeSource.Status.PROCESSING
                ).exists()

            assert _eventually(both_read), worker.output()
            took = time.monotonic() - started
            hostile.refresh_from_db()
            menu.refresh_from_db()
            assert hostile.status == "failed"
            assert hostile.failure.startswith("Reading the PDF took longer than 2 seconds and was stopped")
            assert (menu.status, [c.text for c in menu.chunks.all()]) == ("ready", ["Thali at Rs 250."])
            assert took < 30, took  # 20 pages at ~17 s each would have held the worker for minutes
    finally:
        worker_stop(worker.process)
        with django_db_blocker.unblock(), schema_context("t_alpha"):
            KnowledgeSource.objects.filter(filename__startswith="worker-").delete()
