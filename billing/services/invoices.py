"""GST tax invoices: numbered without gaps per Indian financial year, rendered to PDF, emailed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Adjustment, BillingProfile, Interval, Invoice, InvoiceSequence, Payment, Plan
from billing.money import gross_with_gst, gst_on_lines, gst_split
from billing.services.coupons import coupon_payments, redemption_in_force
from billing.services.referrals import credit_apply_to_invoice, referral_reward_for_invoice

logger = logging.getLogger(__name__)
IST = ZoneInfo("Asia/Kolkata")
NUMBER_PREFIX = "SAI"


def financial_year(moment: datetime) -> str:
    """The Indian financial year (1 April to 31 March, in IST) of ``moment``: '2026-27'."""
    local = moment.astimezone(IST)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def invoice_number(year: str, sequence: int) -> str:
    """'SAI/2627/000042': at most 16 characters, as GST rules require, unique per financial year."""
    return f"{NUMBER_PREFIX}/{year[2:4]}{year[5:7]}/{sequence:06d}"


def taxable_from_gross(gross_paise: int, *, rate_percent: int) -> int:
    """The taxable value inside a GST-inclusive amount, rounded half-up to the paisa."""
    value = Decimal(gross_paise) * 100 / (100 + rate_percent)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _buyer(payment: Payment) -> dict[str, str]:
    tenant = payment.tenant
    profile = BillingProfile.objects.filter(tenant=tenant).first()
    return {
        "name": (profile.legal_name if profile and profile.legal_name else tenant.name) if tenant else "",
        "gstin": profile.gstin if profile else "",
        "address": profile.address if profile else "",
        "state_code": (profile.state_code if profile and profile.state_code else settings.BILLING_SELLER_STATE_CODE),
        "email": profile.billing_email if profile else "",
    }


def _seller() -> dict[str, str]:
    return {
        "name": settings.BILLING_SELLER_NAME,
        "gstin": settings.BILLING_SELLER_GSTIN,
        "address": settings.BILLING_SELLER_ADDRESS,
        "state_code": settings.BILLING_SELLER_STATE_CODE,
    }


@dataclass(frozen=True)
class Charge:
    """What a payment paid for, as Razorpay said at the charge: plan version, interval, period."""

    plan: Plan
    interval: str
    period_start: datetime | None
    period_end: datetime | None


def invoice_issue_for_payment(*, payment: Payment, charge: Charge | None = None) -> Invoice | None:
    """Issue the tax invoice for a captured subscription charge, exactly once per payment.

    Only charges Razorpay billed against a subscription invoice are sales; the small mandate
    authorisation Razorpay refunds is not invoiced. Runs inside the caller's transaction: the
    number sequence row is locked until it commits, so numbers have no gaps.
    """
    if payment.status != "captured" or not payment.razorpay_invoice_id or payment.subscription_id is None:
        return None
    with transaction.atomic():
        return _invoice_issue(payment, charge)


def _invoice_issue(payment: Payment, charge: Charge | None) -> Invoice:
    existing = Invoice.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    subscription = payment.subscription
    assert subscription is not None  # noqa: S101 - checked above; narrows the type
    rate = settings.BILLING_GST_RATE_PERCENT
    charge = charge or Charge(
        subscription.plan, subscription.interval, subscription.current_period_start, subscription.current_period_end
    )
    plan, interval = charge.plan, charge.interval
    price = plan.price_monthly_paise if interval == Interval.MONTHLY else plan.price_yearly_paise
    adjustments = list(Adjustment.objects.select_for_update().filter(subscription=subscription, invoice__isnull=True))
    extra = sum(a.gross_paise for a in adjustments)
    redemption = redemption_in_force(subscription)
    lines: list[dict[str, Any]] = []
    discount = 0
    for candidate in ([redemption.discount_paise] if redemption else []) + [0]:
        if gross_with_gst(price - candidate, rate_percent=rate) + extra == payment.amount_paise:
            discount = candidate
            lines = [{"description": f"{plan.name} plan, {interval} subscription", "amount_paise": price}]
            if discount and redemption is not None:
                lines.append({"description": f"Discount ({redemption.coupon.code})", "amount_paise": -discount})
            lines += [{"description": a.description, "amount_paise": a.taxable_paise} for a in adjustments]
            break
    buyer, seller = _buyer(payment), _seller()
    intra_state = buyer["state_code"] == seller["state_code"]
    if not lines:  # anything else Razorpay charged (older prices, manual add-ons): the tax is inside the amount paid
        adjustments = []
        taxable = taxable_from_gross(payment.amount_paise, rate_percent=rate)
        lines = [{"description": f"{plan.name} plan subscription charges", "amount_paise": taxable}]
        gst = gst_split(payment.amount_paise - taxable, intra_state=intra_state)  # the total is what was paid
    else:
        taxed = [price - discount] + [a.taxable_paise for a in adjustments]
        gst = gst_on_lines(taxed, rate_percent=rate, intra_state=intra_state)
        taxable = sum(taxed)
    issued_at = payment.captured_at or timezone.now()
    year = financial_year(issued_at)
    with transaction.atomic():
        sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(financial_year=year)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        invoice = Invoice.objects.create(
            number=invoice_number(year, sequence.last_number),
            financial_year=year,
            sequence=sequence.last_number,
            tenant=subscription.tenant,
            subscription=subscription,
            payment=payment,
            issued_at=issued_at,
            period_start=charge.period_start,
            period_end=charge.period_end,
            seller=seller,
            buyer=buyer,
            place_of_supply=buyer["state_code"],
            sac_code=settings.BILLING_SAC_CODE,
            lines=lines,
            taxable_paise=taxable,
            cgst_paise=gst.cgst_paise,
            sgst_paise=gst.sgst_paise,
            igst_paise=gst.igst_paise,
            total_paise=taxable + gst.total_paise,
        )
        Adjustment.objects.filter(pk__in=[a.pk for a in adjustments]).update(invoice=invoice)
        if discount and redemption is not None:
            redemption.payments_discounted += 1
            redemption.save(update_fields=["payments_discounted"])
            limit = coupon_payments(redemption.coupon)
            if limit is not None and redemption.payments_discounted >= limit:
                subscription_pk = subscription.pk
                transaction.on_commit(lambda: _enqueue_full_price(subscription_pk))
    if invoice.total_paise != payment.amount_paise:
        logger.error("invoice_total_differs_from_payment", extra={"invoice": invoice.number})
    referral_reward_for_invoice(invoice=invoice)
    credit_apply_to_invoice(invoice=invoice)
    invoice_pk = invoice.pk
    transaction.on_commit(lambda: _enqueue_email(invoice_pk))
    logger.info("invoice_issued", extra={"invoice": invoice.number, "tenant": subscription.tenant.schema_name})
    return invoice


def _enqueue_full_price(subscription_pk: int) -> None:
    from billing.tasks import subscription_end_discount

    subscription_end_discount.delay(subscription_id=subscription_pk)


def _enqueue_email(invoice_pk: int) -> None:
    from billing.tasks import invoice_send_email

    invoice_send_email.delay(invoice_id=invoice_pk)


def invoice_email_send(*, invoice_id: int) -> bool:
    """Email the invoice PDF to the buyer (billing email, else the owners). Once: a second call is a no-op."""
    from tenants.emails import branded_email_send

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("tenant").filter(pk=invoice_id).first()
        if invoice is None or invoice.emailed_at is not None:
            return False
        recipients = [invoice.buyer["email"]] if invoice.buyer.get("email") else billing_recipients(invoice.tenant)
        pdf = invoice_pdf(invoice)
        for recipient in recipients:
            branded_email_send(
                tenant=invoice.tenant,
                to=recipient,
                subject=f"Invoice {invoice.number} for {rupees(invoice.total_paise)}",
                template="invoice",
                context={"invoice": invoice, "total": rupees(invoice.total_paise)},
                attachments=[(f"{invoice.number.replace('/', '-')}.pdf", pdf, "application/pdf")],
            )
        invoice.emailed_at = timezone.now()
        invoice.save(update_fields=["emailed_at"])
    return True


def billing_recipients(tenant: Any) -> list[str]:
    """Who gets billing emails: the billing email on the profile, else the workspace's owners."""
    from tenants.models import Membership, Role

    profile = BillingProfile.objects.filter(tenant=tenant).first()
    if profile is not None and profile.billing_email:
        return [profile.billing_email]
    return list(Membership.objects.filter(tenant=tenant, role=Role.OWNER).values_list("user__email", flat=True))


def rupees(paise: int) -> str:
    """Paise as rupees for people: 117882 -> '₹1,178.82'; -50 -> '-₹0.50'."""
    sign, paise = ("-", -paise) if paise < 0 else ("", paise)
    return f"{sign}₹{paise // 100:,}.{paise % 100:02d}"


def invoice_pdf(invoice: Invoice) -> bytes:
    from billing.pdf import render_invoice_pdf

    return render_invoice_pdf(invoice)
