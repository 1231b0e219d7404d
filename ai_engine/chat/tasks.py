"""Background jobs for the chatbot (tenant-aware: each runs in the schema it was sent from)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ai_engine.chat import services
from suresh_ai.tenancy import db
from tenants.tasks import EMAIL_TASK_OPTIONS


@shared_task(name="ai_chat.handoff_notify", **EMAIL_TASK_OPTIONS)
def handoff_notify(*, conversation_id: int) -> dict[str, Any]:
    """Email the team that a customer is waiting for a person (once per hand-off)."""
    sent = services.conversation_handoff_email_send(conversation_id=conversation_id)
    return {"conversation_id": conversation_id, "sent": sent, "schema": db().schema_name}
