"""Webhooks from a workspace's own Razorpay account: ``payment.*``, ``order.paid``, ``refund.*``.

Each delivery is verified (HMAC-SHA256 of the raw body with the workspace's own secret), stored
once by its event id and applied in the same transaction, so a redelivery is a no-op. Arrival
order does not matter: a payment's state only moves forward (created < authorized < failed <
captured < refunded; within a state the later event wins), refunds that arrive before their
payment are linked when it comes, and an order is paid by whichever of its events arrives first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing.gateway import verify_webhook
from intelligence.models import Customer, DataSettings, Order, Payment, RazorpayEvent, Refund
from suresh_ai.errors import NotFound, ValidationFailed

logger = logging.getLogger(__name__)
RANK = {"created": 0, "authorized": 1, "failed": 2, "captured": 3, "refunded": 4}
HANDLED = ("payment.", "order.paid", "refund.")


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event: str
    duplicate: bool
    applied: bool


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any] | None:
    found = (payload.get("payload") or {}).get(name, {})
    entity = found.get("entity") if isinstance(found, dict) else None
    return entity if isinstance(entity, dict) else None


def webhook_receive(*, token: str, body: bytes, signature: str, event_id: str) -> Delivery:
    row = DataSettings.objects.filter(webhook_token=token).first()
    if row is None:
        raise NotFound("No such webhook.")
    if not row.razorpay_webhook_secret:
        raise ValidationFailed("Set this workspace's Razorpay webhook secret first.", code="webhook_secret_not_set")
    if not verify_webhook(body=body, signature=signature, secret=row.razorpay_webhook_secret):
        raise ValidationFailed("The webhook signature does not verify.", code="signature_invalid")
    if not event_id or len(event_id) > 64:
        raise ValidationFailed.for_field("X-Razorpay-Event-Id", "Required, at most 64 characters.")
    try:
        payload = json.loads(body.replace(b"\\u0000", b""))  # PostgreSQL cannot store NUL in text
        name = str(payload["event"])[:64]
        created_at = _when(payload["created_at"])
        if created_at is None:
            raise ValueError("created_at")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("The webhook body is not a Razorpay event.", code="parse_error") from exc
    entity = _entity(payload, "payment") or _entity(payload, "refund") or _entity(payload, "order") or {}
    try:
        with transaction.atomic():
            RazorpayEvent.objects.create(
                event_id=event_id,
                event=name,
                entity_id=str(entity.get("id", ""))[:64],
                created_at=created_at,
                payload=payload,
            )
            applied = name.startswith(HANDLED) and _apply(name, payload, created_at)
    except IntegrityError:  # stored already (a redelivery, or a concurrent one): its effect is there too
        return Delivery(event_id=event_id, event=name, duplicate=True, applied=False)
    logger.info("razorpay_tenant_event", extra={"event": name, "applied": applied})
    return Delivery(event_id=event_id, event=name, duplicate=False, applied=applied)


def _apply(name: str, payload: dict[str, Any], at: datetime) -> bool:
    payment = _entity(payload, "payment")
    applied = False
    if payment is not None:
        applied = _payment_apply(payment, at)
    if name == "order.paid":
        order = _entity(payload, "order") or {}
        applied = _order_paid(str(order.get("id") or (payment or {}).get("order_id") or ""), at) or applied
    if name.startswith("refund."):
        refund = _entity(payload, "refund")
        if refund is not None:
            applied = _refund_apply(refund, at) or applied
    return applied


def _payment_apply(entity: dict[str, Any], at: datetime) -> bool:
    pid = str(entity.get("id", ""))[:64]
    status = str(entity.get("status", ""))
    if not pid or status not in RANK:
        return False
    card = entity.get("card") if isinstance(entity.get("card"), dict) else {}
    fields = {
        "razorpay_order_id": str(entity.get("order_id") or "")[:64],
        "status": status,
        "method": str(entity.get("method") or "")[:20].lower(),
        "bank": str(entity.get("bank") or "")[:40],
        "wallet": str(entity.get("wallet") or "")[:40],
        "card_network": str((card or {}).get("network") or "")[:40],
        "error_code": str(entity.get("error_code") or "")[:64],
        "error_reason": str(entity.get("error_reason") or "")[:120],
        "error_description": str(entity.get("error_description") or "")[:500],
        "amount_paise": int(entity.get("amount") or 0),
        "fee_paise": int(entity.get("fee") or 0),
        "currency": str(entity.get("currency") or "INR")[:3],
        "created_at": _when(entity.get("created_at")) or at,
    }
    email = str(entity.get("email") or "").lower()
    payment, created = Payment.objects.select_for_update().get_or_create(
        razorpay_payment_id=pid, defaults={**fields, "state_as_of": at}
    )
    if status == "captured":  # the capture time is the captured event's, whenever it arrives
        payment.captured_at = min(payment.captured_at or at, at)
    if not created:
        newer = RANK[status] > RANK.get(payment.status, -1) or (
            RANK[status] == RANK.get(payment.status, -1) and (payment.state_as_of is None or at >= payment.state_as_of)
        )
        if newer:
            for name, value in fields.items():
                if name == "status" or value not in ("", 0, None):
                    setattr(payment, name, value)
            payment.state_as_of = at
    if payment.order_id is None and payment.razorpay_order_id:
        payment.order = Order.objects.filter(razorpay_order_id=payment.razorpay_order_id).first()
    if payment.customer_id is None and email:
        payment.customer = Customer.objects.filter(email=email).order_by("pk").first()
    payment.save()
    Refund.objects.filter(razorpay_payment_id=pid, payment__isnull=True).update(payment=payment)
    refund_totals(payment)
    if status == "captured" and payment.razorpay_order_id:
        _order_paid(payment.razorpay_order_id, at)
    return True


def _order_paid(razorpay_order_id: str, at: datetime) -> bool:
    if not razorpay_order_id:
        return False
    order = Order.objects.select_for_update().filter(razorpay_order_id=razorpay_order_id).first()
    if order is None:
        return False
    changed = False
    if order.paid_at is None or at < order.paid_at:  # the earliest paying event, whatever the arrival order
        order.paid_at, changed = at, True
    if order.status in (Order.Status.CREATED, Order.Status.CANCELLED):
        order.status, changed = Order.Status.PAID, True
    if changed:
        order.save(update_fields=["paid_at", "status", "updated_at"])
    Payment.objects.filter(razorpay_order_id=razorpay_order_id, order__isnull=True).update(order=order)
    return changed


def _refund_apply(entity: dict[str, Any], at: datetime) -> bool:
    rid = str(entity.get("id", ""))[:64]
    pid = str(entity.get("payment_id", ""))[:64]
    if not rid or not pid:
        return False
    payment = Payment.objects.select_for_update().filter(razorpay_payment_id=pid).first()
    refund, created = Refund.objects.get_or_create(
        razorpay_refund_id=rid,
        defaults={
            "razorpay_payment_id": pid,
            "payment": payment,
            "amount_paise": int(entity.get("amount") or 0),
            "status": str(entity.get("status") or "processed")[:20],
            "created_at": _when(entity.get("created_at")) or at,
        },
    )
    status = str(entity.get("status") or refund.status)
    if not created and status != refund.status and refund.status != "processed":  # processed is final
        refund.status = status[:20]
        refund.save(update_fields=["status", "updated_at"])
    if payment is not None:
        refund_totals(payment)
    return True


def refund_totals(payment: Payment) -> None:
    """A payment refunded in full is ``refunded``; its order is refunded or partly refunded."""
    refunded = Refund.objects.filter(payment=payment, status="processed").aggregate(s=Sum("amount_paise"))["s"] or 0
    if refunded and refunded >= payment.amount_paise and payment.status != "refunded":
        Payment.objects.filter(pk=payment.pk).update(status="refunded")
        payment.status = "refunded"
    if refunded and payment.order_id:
        order_status = Order.Status.REFUNDED if refunded >= payment.amount_paise else Order.Status.PARTIALLY_REFUNDED
        Order.objects.filter(pk=payment.order_id).exclude(status=order_status).update(status=order_status)
