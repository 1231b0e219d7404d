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
    double click or a retried task refunds once.

    Two steps: the PENDING refund row is committed first (it reserves the amount), then Razorpay is
    asked under that row's lock. If the answer is lost (a timeout after Razorpay refunded), a retry
    finds the refund at Razorpay by our key in its notes instead of refunding again.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValidationFailed.for_field("idempotency_key", "Required, at most 64 characters.")
    existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None and existing.razorpay_refund_id:
        return existing
    if existing is None:
        if not isinstance(amount_paise, int) or isinstance(amount_paise, bool) or amount_paise < 100:
            raise ValidationFailed.for_field("amount_paise", "Must be a whole number of paise, at least 100 (₹1).")
        _reserve(payment, amount_paise, idempotency_key, reason=reason, created_by=created_by)
    gateway = client()
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(idempotency_key=idempotency_key)
        if refund.razorpay_refund_id or refund.status == Refund.Status.FAILED:
            return refund
        answer = _refund_at_razorpay(gateway, refund)
        refund.razorpay_refund_id = str(answer["id"])[:40]
        refund_status_apply(refund=refund, status=str(answer.get("status") or ""))
    logger.info("refund_created", extra={"payment": refund.payment.razorpay_payment_id, "amount": refund.amount_paise})
    return refund


def _reserve(payment: Payment, amount_paise: int, key: str, *, reason: str, created_by: str) -> None:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in ("captured", "refunded"):
            raise ValidationFailed.for_field("payment", "Only captured payments can be refunded.")
        left = refundable_paise(payment)
        if amount_paise > left:
            raise ValidationFailed.for_field("amount_paise", f"At most {left} paise can still be refunded.")
        try:
            with transaction.atomic():
                Refund.objects.create(
                    payment=payment,
                    amount_paise=amount_paise,
                    idempotency_key=key,
                    reason=reason[:200],
                    created_by=created_by[:254],
                )
        except IntegrityError:
            pass  # the same key at the same moment: the other request reserved it


def _refund_at_razorpay(gateway: Any, refund: Refund) -> dict[str, Any]:
    """The refund at Razorpay for this key: found among the payment's refunds, else made now."""
    payment_id = refund.payment.razorpay_payment_id
    listed = call("payment.fetch_multiple_refund", gateway.payment.fetch_multiple_refund, payment_id)
    for item in listed.get("items", []):
        notes = item.get("notes") if isinstance(item.get("notes"), dict) else {}
        if notes.get("idempotency_key") == refund.idempotency_key:
            return dict(item)
    return dict(
        call(
            "payment.refund",
            gateway.payment.refund,
            payment_id,
            {
                "amount": refund.amount_paise,
                "notes": {"idempotency_key": refund.idempotency_key, "reason": refund.reason},
            },
        )
    )


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
    if not processed:
        from billing.services.referrals import credit_reverse

        credit_reverse(refund=refund, reason="the refund of applied credit failed")
    return ""
