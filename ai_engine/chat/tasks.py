"""Background jobs for the chatbot (tenant-aware: each runs in the schema it was sent from)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from ai_engine.chat import services
from suresh_ai.tenancy import db
from tenants.tasks import EMAIL_TASK_OPTIONS


@shared_task(name="ai_chat.handoff_notify", **EMAIL_TASK_OPTIONS)
def handoff_notify(*, conversation_id: int) -> dict[str, Any]:
    """Email the team that a customer is waiting for a person (once per hand-off)."""
    sent = services.conversation_handoff_email_send(conversation_id=conversation_id)
    return {"conversation_id": conversation_id, "sent": sent, "schema": db().schema_name}


@shared_task(
    name="ai_chat.document_extract",
    # The reading itself is bounded by CHAT_PDF_TIME_LIMIT_SECONDS (its child process is killed);
    # these bound the whole task, writing included. Not retried: a file that failed fails again.
    time_limit=int(settings.CHAT_PDF_TIME_LIMIT_SECONDS) + 60,
    soft_time_limit=int(settings.CHAT_PDF_TIME_LIMIT_SECONDS) + 45,
)
def document_extract(*, source_id: int) -> dict[str, Any]:
    """Read an uploaded PDF into passages (or mark it failed, saying why); again: no change."""
    source = services.knowledge_document_extract(source_id=source_id)
    return {"source_id": source_id, "status": source.status if source else None, "schema": db().schema_name}
