"""Refunds through Razorpay, once per idempotency key."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.gateway import call, client
from billing.models import Payment, Refund
from suresh_ai.errors import ValidationFailed

logger = logging.getLogger(__name__)


def refundable_paise(payment: Payment) -> int:
    taken = Refund.objects.filter(payment=payment).exclude(status=Refund.Status.FAILED).aggregate(t=Sum("amount_paise"))
    return payment.amount_paise - int(taken["t"] or 0)


def refund_create(
    *, payment: Payment, amount_paise: Any, idempotency_key: str, reason: str = "", created_by: str = ""
) -> Refund:
    """Refund ``amount_paise`` of a captured payment. The same key returns the same refund: a
    double click or a retried task refunds once. The refund row is locked while Razorpay is asked."""
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValidationFailed.for_field("idempotency_key", "Required, at most 64 characters.")
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.razorpay_refund_id:
        return existing
    if not isinstance(amount_paise, int) or isinstance(amount_paise, bool) or amount_paise < 100:
        raise ValidationFailed.for_field("amount_paise", "Must be a whole number of paise, at least 100 (₹1).")
    gateway = client()
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in ("captured", "refunded"):
            raise ValidationFailed.for_field("payment", "Only captured payments can be refunded.")
        try:
            with transaction.atomic():
                refund, created = Refund.objects.get_or_create(
                    idempotency_key=idempotency_key,
                    defaults={
                        "payment": payment,
                        "amount_paise": amount_paise,
                        "reason": reason[:200],
                        "created_by": created_by[:254],
                    },
                )
        except IntegrityError as exc:
            raise ValidationFailed.for_field("amount_paise", "Not a valid refund.") from exc
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.razorpay_refund_id:
            return refund
        if created and refundable_paise(payment) < 0:
            raise ValidationFailed.for_field(
                "amount_paise", f"At most {refundable_paise(payment) + amount_paise} paise can still be refunded."
            )
        answer = call(
            "payment.refund",
            gateway.payment.refund,
            payment.razorpay_payment_id,
            {"amount": refund.amount_paise, "notes": {"idempotency_key": idempotency_key, "reason": reason[:200]}},
        )
        refund.razorpay_refund_id = str(answer["id"])[:40]
        refund_status_apply(refund=refund, status=str(answer.get("status") or ""))
    logger.info("refund_created", extra={"payment": payment.razorpay_payment_id, "amount": refund.amount_paise})
    return refund


def refund_status_apply(*, refund: Refund, status: str) -> None:
    """Razorpay's refund status (from the API answer or a refund.* webhook); processed is final."""
    if status == "processed":
        refund.status, refund.processed_at = Refund.Status.PROCESSED, refund.processed_at or timezone.now()
    elif status == "failed" and refund.status != Refund.Status.PROCESSED:
        refund.status = Refund.Status.FAILED
    refund.save()
    payment = refund.payment
    if refundable_paise(payment) == 0 and payment.status == "captured":
        payment.status = "refunded"
        payment.save(update_fields=["status", "updated_at"])


def refund_from_webhook(*, entity: dict[str, Any], processed: bool) -> str:
    """refund.processed / refund.failed: find our refund by Razorpay id, else by our idempotency key
    (the webhook can arrive before our API call's answer was stored)."""
    notes = entity.get("notes") if isinstance(entity.get("notes"), dict) else {}
    refund = (
        Refund.objects.select_for_update().filter(razorpay_refund_id=str(entity.get("id"))).first()
        or Refund.objects.select_for_update().filter(idempotency_key=str((notes or {}).get("idempotency_key"))).first()
    )
    if refund is None:
        return "not a refund made here"
    refund.razorpay_refund_id = refund.razorpay_refund_id or str(entity.get("id"))[:40]
    refund_status_apply(refund=refund, status="processed" if processed else "failed")
    return ""
