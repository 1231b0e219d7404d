"""Background jobs for billing (public schema: platform billing of tenants)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from billing import services
from suresh_ai.errors import ServiceUnavailable
from tenants.tasks import EMAIL_TASK_OPTIONS


@shared_task(
    name="billing.webhook_process",
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(services.WebhookProcessingError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 6},
)
def webhook_process(*, event_pk: int) -> dict[str, Any]:
    event = services.webhook_process(event_pk=event_pk)
    return {"event_id": event.event_id, "status": event.status}


@shared_task(name="billing.invoice_send_email", **EMAIL_TASK_OPTIONS)
def invoice_send_email(*, invoice_id: int) -> dict[str, Any]:
    """Email one invoice; sending again after success is a no-op."""
    return {"invoice_id": invoice_id, "sent": services.invoice_email_send(invoice_id=invoice_id)}


@shared_task(
    name="billing.subscription_end_discount",
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(ServiceUnavailable,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def subscription_end_discount(*, subscription_id: int) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "changed": services.subscription_end_discount(subscription_id=subscription_id),
    }


@shared_task(
    name="billing.credit_refund",
    time_limit=60,
    soft_time_limit=45,
    autoretry_for=(ServiceUnavailable,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def credit_refund(*, credit_entry_id: int) -> dict[str, Any]:
    """Refund account credit applied to an invoice to its payment (once per credit entry)."""
    return {"credit_entry_id": credit_entry_id, "sent": services.credit_refund_send(credit_entry_id=credit_entry_id)}


@shared_task(name="billing.dunning_send", **EMAIL_TASK_OPTIONS)
def dunning_send(*, subscription_id: int) -> dict[str, Any]:
    """Send the payment-failed email now due for one subscription (once per day of the episode)."""
    return {"subscription_id": subscription_id, "day": services.dunning_send_due(subscription_id=subscription_id)}


@shared_task(name="billing.dunning_sweep", time_limit=300, soft_time_limit=270)
def dunning_sweep() -> dict[str, Any]:
    """Hourly (beat): fan out one dunning_send per past-due subscription."""
    ids = services.dunning_past_due_ids()
    for subscription_id in ids:
        dunning_send.delay(subscription_id=subscription_id)
    return {"past_due": len(ids)}
