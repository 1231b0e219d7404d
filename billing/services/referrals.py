"""Referral codes, referral rewards (account credit, once) and applying credit to invoices."""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import CreditEntry, Invoice, Referral, ReferralCode, Refund
from billing.money import percent_of
from billing.selectors import credit_balance
from suresh_ai.errors import ValidationFailed
from tenants.models import Tenant

logger = logging.getLogger(__name__)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def referral_code_for(*, tenant: Tenant) -> str:
    """The tenant's referral code, made on first use."""
    existing = ReferralCode.objects.filter(tenant=tenant).first()
    if existing is not None:
        return existing.code
    for _ in range(5):
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(tenant=tenant, code=code).code
        except IntegrityError:
            existing = ReferralCode.objects.filter(tenant=tenant).first()
            if existing is not None:
                return existing.code
    raise RuntimeError("Could not make a unique referral code")


def referral_record(*, referred: Tenant, code: str | None) -> Referral | None:
    """At sign-up: remember who referred the new tenant. An unknown code is ignored (sign-up must not fail)."""
    if not code:
        return None
    owner = ReferralCode.objects.select_related("tenant").filter(code=code.strip().upper()[:12]).first()
    if owner is None or owner.tenant_id == referred.pk:
        logger.info("referral_code_unknown")
        return None
    return Referral.objects.create(referrer=owner.tenant, referred=referred, code=owner.code)


def referral_reward_for_invoice(*, invoice: Invoice) -> CreditEntry | None:
    """The referred tenant's first paid invoice credits its referrer once (a unique constraint on
    the referral makes a second reward impossible)."""
    referral = Referral.objects.select_for_update().filter(referred_id=invoice.tenant_id, rewarded_at=None).first()
    if referral is None or Invoice.objects.filter(tenant_id=invoice.tenant_id).exclude(pk=invoice.pk).exists():
        return None
    amount = percent_of(invoice.total_paise, settings.BILLING_REFERRAL_PERCENT)
    entry = CreditEntry.objects.create(
        tenant_id=referral.referrer_id,
        kind=CreditEntry.Kind.REFERRAL_REWARD,
        amount_paise=amount,
        referral=referral,
        note=f"{settings.BILLING_REFERRAL_PERCENT}% of {invoice.number}",
    )
    referral.rewarded_at = timezone.now()
    referral.save(update_fields=["rewarded_at"])
    return entry


def credit_apply_to_invoice(*, invoice: Invoice) -> CreditEntry | None:
    """Use the tenant's credit on this invoice: the amount is refunded to the payment method (in a
    task) and shown on the invoice. Leaves at least ₹1 charged, Razorpay's minimum."""
    balance = credit_balance(tenant=invoice.tenant)
    amount = min(balance, invoice.total_paise - 100)
    if amount < 100 or CreditEntry.objects.filter(invoice=invoice, kind=CreditEntry.Kind.APPLIED).exists():
        return None
    entry = CreditEntry.objects.create(
        tenant=invoice.tenant, kind=CreditEntry.Kind.APPLIED, amount_paise=-amount, invoice=invoice
    )
    invoice.credit_applied_paise = amount
    invoice.save(update_fields=["credit_applied_paise"])
    entry_pk = entry.pk
    transaction.on_commit(lambda: _enqueue_credit_refund(entry_pk))
    return entry


def _enqueue_credit_refund(entry_pk: int) -> None:
    from billing.tasks import credit_refund

    credit_refund.delay(credit_entry_id=entry_pk)


def credit_refund_send(*, credit_entry_id: int) -> bool:
    """Refund an applied credit to the invoice's payment (idempotent: one refund per entry)."""
    from billing.services.refunds import refund_create

    entry = CreditEntry.objects.select_related("invoice__payment").get(pk=credit_entry_id)
    if entry.kind != CreditEntry.Kind.APPLIED or entry.invoice is None:
        return False
    if CreditEntry.objects.filter(kind=CreditEntry.Kind.REVERSAL, note=f"reverses #{entry.pk}").exists():
        return False
    try:
        refund = refund_create(
            payment=entry.invoice.payment,
            amount_paise=-entry.amount_paise,
            idempotency_key=f"credit-{entry.pk}",
            reason=f"Account credit applied to {entry.invoice.number}",
            created_by="system",
        )
    except ValidationFailed as exc:  # e.g. staff refunded the payment meanwhile: give the credit back
        _reverse_entry(entry, reason=exc.message)
        return False
    CreditEntry.objects.filter(pk=entry.pk, refund__isnull=True).update(refund=refund)
    return True


def credit_reverse(*, refund: Refund, reason: str) -> None:
    """The refund carrying applied credit failed: the credit goes back to the balance, once."""
    entry = CreditEntry.objects.filter(kind=CreditEntry.Kind.APPLIED, refund=refund).first()
    entry_pk = _entry_pk_from_key(refund.idempotency_key)
    if entry is None and entry_pk is not None:
        entry = CreditEntry.objects.filter(kind=CreditEntry.Kind.APPLIED, pk=entry_pk).first()
    if entry is not None:
        _reverse_entry(entry, reason=reason)


def _entry_pk_from_key(key: str) -> int | None:
    prefix, _, number = key.partition("-")
    return int(number) if prefix == "credit" and number.isdigit() else None


def _reverse_entry(entry: CreditEntry, *, reason: str) -> None:
    with transaction.atomic():
        locked = CreditEntry.objects.select_for_update().get(pk=entry.pk)
        if CreditEntry.objects.filter(kind=CreditEntry.Kind.REVERSAL, note=f"reverses #{locked.pk}").exists():
            return
        CreditEntry.objects.create(
            tenant_id=locked.tenant_id,
            kind=CreditEntry.Kind.REVERSAL,
            amount_paise=-locked.amount_paise,
            invoice=locked.invoice,
            note=f"reverses #{locked.pk}",
        )
        if locked.invoice is not None:
            Invoice.objects.filter(pk=locked.invoice.pk).update(credit_applied_paise=0)
    logger.warning("credit_reversed", extra={"entry": entry.pk, "reason": reason[:200]})
