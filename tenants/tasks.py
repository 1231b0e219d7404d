"""Background jobs for tenancy. Tenant-aware: each runs in the schema it was sent from."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from celery import shared_task

from suresh_ai.tenancy import db
from tenants import services

logger = logging.getLogger(__name__)

# Every email task: bounded run time; retried with back-off only on errors worth retrying (the
# mail server or network), never on bad data.
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "time_limit": 60,
    "soft_time_limit": 45,
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(
    name="tenants.invitation_send_email",
    **EMAIL_TASK_OPTIONS,
)
def invitation_send_email(*, invitation_id: int) -> dict[str, Any]:
    """Send one invitation email; sending again after success is a no-op."""
    sent = services.invitation_email_send(invitation_id=invitation_id)
    return {"invitation_id": invitation_id, "sent": sent, "schema": db().schema_name}


@shared_task(
    name="tenants.password_reset_send_email",
    **EMAIL_TASK_OPTIONS,
)
def password_reset_send_email(*, user_id: int, host: str, scheme: str) -> dict[str, Any]:
    """Email a password-reset link for the site at ``host`` (in the schema the request came from)."""
    sent = services.password_reset_email_send(user_id=user_id, host=host, scheme=scheme)
    return {"user_id": user_id, "sent": sent, "schema": db().schema_name}


@shared_task(
    name="tenants.workspaces_send_email",
    **EMAIL_TASK_OPTIONS,
)
def workspaces_send_email(*, user_id: int) -> dict[str, Any]:
    """Email someone the sign-in links of every workspace they belong to."""
    return {"user_id": user_id, "sent": services.workspaces_email_send(user_id=user_id)}


@shared_task(
    name="tenants.signup_send_email",
    **EMAIL_TASK_OPTIONS,
)
def signup_send_email(*, token: str) -> dict[str, Any]:
    """Email the link that continues a sign-up (the worker, not the page, looks the address up)."""
    return {"sent": services.signup_email_send(token=token)}
