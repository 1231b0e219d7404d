"""Razorpay webhooks: receive (verify, store once), then process (exactly once, in event-time order)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing.gateway import verify_webhook
from billing.models import (
    Payment,
    Subscription,
    SubscriptionChange,
    WebhookEvent,
)
from billing.services.refunds import refund_from_webhook
from billing.services.subscriptions import payment_record, payment_settle, subscription_apply
from suresh_ai.errors import ValidationFailed

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookReceipt:
    event: WebhookEvent
    created: bool


def webhook_receive(*, body: bytes, signature: str, event_id: str) -> WebhookReceipt:
    """Verify and store one webhook delivery. A redelivery of a stored event id is a no-op.

    Raises ValidationFailed (400) on a bad signature or body: nothing is stored then.
    """
    if not verify_webhook(body=body, signature=signature):
        raise ValidationFailed("The webhook signature does not verify.", code="signature_invalid")
    if not event_id or len(event_id) > 64:
        raise ValidationFailed.for_field("X-Razorpay-Event-Id", "This header is required.")
    try:
        payload = json.loads(body)
        event_name = str(payload["event"])[:64]
        created_at = datetime.fromtimestamp(int(payload["created_at"]), tz=UTC)
        if not isinstance(payload.get("payload", {}), dict):
            raise TypeError("payload")
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise ValidationFailed("The webhook body is not a Razorpay event.", code="parse_error") from exc
    event, created = WebhookEvent.objects.get_or_create(
        event_id=event_id, defaults={"event": event_name, "created_at": created_at, "payload": payload}
    )
    return WebhookReceipt(event=event, created=created)


def _entity(event: WebhookEvent, name: str) -> dict[str, Any] | None:
    wrapped = (event.payload.get("payload") or {}).get(name)
    entity = wrapped.get("entity") if isinstance(wrapped, dict) else None
    return entity if isinstance(entity, dict) and entity.get("id") else None


def _locked_subscription(razorpay_subscription_id: Any) -> Subscription | None:
    if not razorpay_subscription_id:
        return None
    return (
        Subscription.objects.select_for_update()
        .select_related("plan", "tenant")
        .filter(razorpay_subscription_id=str(razorpay_subscription_id))
        .first()
    )


def _handle_subscription_event(event: WebhookEvent) -> str:
    entity = _entity(event, "subscription")
    subscription = _locked_subscription(entity and entity["id"])
    if entity is None or subscription is None:
        if event.event in MONEY_EVENTS:
            # A subscription we do not know is authorised or charging: money may be taken without
            # a record here. Fail loudly (retried, then left FAILED in the admin for staff).
            logger.error("webhook_unknown_subscription", extra={"event": event.event, "event_id": event.event_id})
            raise UnknownSubscription(str(entity and entity.get("id")))
        raise EventIgnored("a subscription that is not (or no longer) a workspace's")
    event.subscription = subscription
    payment = _entity(event, "payment")
    if payment is not None:  # subscription.charged: the entity is the subscription right after this charge
        payment_settle(payment=payment, subscription=subscription, entity=entity)
    applied = subscription_apply(
        subscription=subscription,
        entity=entity,
        as_of=event.created_at,
        source=SubscriptionChange.Source.WEBHOOK,
        event_id=event.event_id,
    )
    return "" if applied else "older than the state already applied"


def _handle_payment_event(event: WebhookEvent) -> str:
    payment = _entity(event, "payment")
    if payment is None:
        raise EventIgnored("no payment entity")
    known = Payment.objects.filter(razorpay_payment_id=str(payment["id"])).select_related("subscription").first()
    notes: dict[str, Any] = payment["notes"] if isinstance(payment.get("notes"), dict) else {}
    subscription = (known.subscription if known else None) or _locked_subscription(notes.get("subscription_id"))
    if subscription is not None:
        event.subscription = subscription
    payment_record(payment=payment, subscription=subscription)
    return ""


def _handle_invoice_paid(event: WebhookEvent) -> str:
    """Records the payment; the tax invoice comes from subscription.charged, whose subscription
    entity says which plan and period the charge paid for (so it never depends on arrival order)."""
    invoice, payment = _entity(event, "invoice"), _entity(event, "payment")
    subscription = _locked_subscription(invoice and invoice.get("subscription_id"))
    if subscription is None or payment is None:
        raise EventIgnored("not a subscription invoice of ours")
    event.subscription = subscription
    payment_record(payment=payment, subscription=subscription)
    return ""


def _handle_refund_event(event: WebhookEvent) -> str:
    refund = _entity(event, "refund")
    if refund is None:
        raise EventIgnored("no refund entity")
    return refund_from_webhook(entity=refund, processed=event.event == "refund.processed")


WEBHOOK_HANDLERS = {
    **{
        f"subscription.{name}": _handle_subscription_event
        for name in (
            "authenticated",
            "activated",
            "charged",
            "pending",
            "halted",
            "cancelled",
            "completed",
            "paused",
            "resumed",
            "updated",
        )
    },
    "payment.authorized": _handle_payment_event,
    "payment.captured": _handle_payment_event,
    "payment.failed": _handle_payment_event,
    "invoice.paid": _handle_invoice_paid,
    "refund.processed": _handle_refund_event,
    "refund.failed": _handle_refund_event,
}


MONEY_EVENTS = frozenset({"subscription.authenticated", "subscription.activated", "subscription.charged"})


class EventIgnored(Exception):
    """Stored and recognised, but nothing of ours to change."""


class UnknownSubscription(Exception):
    """A money event for a Razorpay subscription no workspace has."""


class WebhookProcessingError(Exception):
    """A stored webhook whose effect failed; the task retries it and staff can replay it."""


def webhook_process(*, event_pk: int, replay: bool = False) -> WebhookEvent:
    """Apply one stored webhook's effect exactly once: under the event's row lock, the effect and
    ``processed_at`` commit together. ``replay`` re-applies a processed event (effects are
    idempotent, so replaying changes nothing that already happened)."""
    failure: Exception | None = None
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.processed_at is not None and not replay:
            return event
        event.attempts += 1
        handler = WEBHOOK_HANDLERS.get(event.event)
        if handler is None:
            event.status, event.error = WebhookEvent.Status.IGNORED, "not an event billing acts on"
        else:
            try:
                with transaction.atomic():
                    note = handler(event)
                event.status, event.error = WebhookEvent.Status.PROCESSED, note
            except EventIgnored as ignored:
                event.status, event.error = WebhookEvent.Status.IGNORED, str(ignored)
            except Exception as exc:  # noqa: BLE001 - recorded on the event, then re-raised for the retry
                failure = exc
                event.status, event.error = WebhookEvent.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        event.processed_at = timezone.now() if failure is None else None
        event.save()
    if failure is not None:
        logger.error("webhook_failed", extra={"event": event.event, "event_id": event.event_id})
        raise WebhookProcessingError(event.event_id) from failure
    return event
