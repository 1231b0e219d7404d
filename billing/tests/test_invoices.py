"""GST invoices: amounts to the paisa, numbering per financial year without gaps, PDF, email."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from django.db import DataError, connection
from django.test import override_settings

from billing.models import BillingProfile, Invoice, InvoiceSequence, Payment, Plan, Subscription
from billing.money import gst_for, percent_of, prorate
from billing.services import (
    financial_year,
    invoice_email_send,
    invoice_issue_for_payment,
    invoice_number,
    invoice_pdf,
    taxable_from_gross,
)
from billing.tests.helpers import captured_payment
from suresh_ai.testing import TenantFixture


def test_gst_split_and_rounding_to_the_paisa() -> None:
    # Pro monthly: ₹499.00 taxable; 18% = ₹89.82; within Karnataka 9% + 9%.
    assert gst_for(49_900, rate_percent=18, intra_state=True) == (4_491, 4_491, 0)
    assert gst_for(49_900, rate_percent=18, intra_state=False) == (0, 0, 8_982)
    # 12,350 paise: 18% = 2,223.0 exactly; the odd paisa goes to CGST so the total never depends on the state.
    assert gst_for(12_350, rate_percent=18, intra_state=True) == (1_112, 1_111, 0)
    # 12,345 paise: 18% = 2,222.1 -> 2,222 (half-up rounding), split 1,111 + 1,111.
    assert gst_for(12_345, rate_percent=18, intra_state=True) == (1_111, 1_111, 0)
    assert percent_of(25, 50) == 13  # 12.5 rounds half-up
    assert taxable_from_gross(58_882, rate_percent=18) == 49_900
    assert taxable_from_gross(100, rate_percent=18) == 85  # 84.75 -> 85
    # Proration: 10 of 30 days of ₹500 (49,900 - 99,900 difference) = 16,666.67 -> 16,667.
    assert prorate(50_000, remaining_seconds=10 * 86400, period_seconds=30 * 86400) == 16_667
    with pytest.raises(ValueError):
        percent_of(-1, 18)


@pytest.mark.parametrize(
    ("moment", "year", "number"),
    [
        (datetime(2026, 3, 31, 18, 29, tzinfo=UTC), "2025-26", "SAI/2526/000007"),  # 23:59 IST on 31 March
        (datetime(2026, 3, 31, 18, 30, tzinfo=UTC), "2026-27", "SAI/2627/000007"),  # midnight IST: new year
        (datetime(2027, 1, 15, tzinfo=UTC), "2026-27", "SAI/2627/000007"),
    ],
)
def test_financial_year_is_april_to_march_in_ist(moment: datetime, year: str, number: str) -> None:
    assert financial_year(moment) == year
    assert invoice_number(year, 7) == number
    assert len(number) <= 16  # GST's limit on invoice numbers


def _captured(alpha: TenantFixture, amount: int = 58_882, pid: str = "pay_1") -> Payment:
    subscription = Subscription.objects.get(tenant=alpha.tenant)
    subscription.status = "active"
    subscription.save()
    return captured_payment(alpha.tenant, pid=pid, amount=amount, at=datetime(2026, 11, 25, tzinfo=UTC))


def test_interstate_buyer_with_gstin_gets_igst(alpha: TenantFixture) -> None:
    BillingProfile.objects.create(
        tenant=alpha.tenant, legal_name="Alpha Traders LLP", gstin="27AAPFU0939F1ZV", state_code="27"
    )
    invoice = invoice_issue_for_payment(payment=_captured(alpha))
    assert invoice is not None
    assert (invoice.taxable_paise, invoice.cgst_paise, invoice.sgst_paise, invoice.igst_paise, invoice.total_paise) == (
        49_900,
        0,
        0,
        8_982,
        58_882,
    )
    assert (invoice.place_of_supply, invoice.buyer["gstin"], invoice.sac_code) == ("27", "27AAPFU0939F1ZV", "998315")
    assert invoice.number == "SAI/2627/000001"
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    assert invoice_issue_for_payment(payment=invoice.payment) == invoice  # once per payment


def test_numbers_have_no_gaps_when_an_issue_fails(alpha: TenantFixture) -> None:
    first = invoice_issue_for_payment(payment=_captured(alpha, pid="pay_a"))
    bad = _captured(alpha, pid="pay_b")
    with override_settings(BILLING_SAC_CODE="123456789"), pytest.raises(DataError):  # too long for the column
        invoice_issue_for_payment(payment=bad)
    connection.set_schema_to_public()
    second = invoice_issue_for_payment(payment=_captured(alpha, pid="pay_c"))
    assert first is not None
    assert second is not None
    assert (first.sequence, second.sequence) == (1, 2)
    assert InvoiceSequence.objects.get(financial_year="2026-27").last_number == 2


def test_odd_amounts_carry_the_tax_inside_the_amount_paid(alpha: TenantFixture) -> None:
    invoice = invoice_issue_for_payment(payment=_captured(alpha, amount=12_345, pid="pay_odd"))
    assert invoice is not None
    assert (invoice.taxable_paise, invoice.cgst_paise + invoice.sgst_paise, invoice.total_paise) == (
        10_462,  # 12,345 x 100/118 = 10,461.86 -> 10,462
        1_883,  # 18% of 10,462 = 1,883.16 -> 1,883
        12_345,
    )


def test_invoice_email_goes_once_with_the_pdf(alpha: TenantFixture) -> None:
    invoice = invoice_issue_for_payment(payment=_captured(alpha))
    assert invoice is not None
    assert invoice_email_send(invoice_id=invoice.pk) is True
    assert invoice_email_send(invoice_id=invoice.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alpha.owner.email]
    assert "SAI/2627/000001" in message.subject
    assert "₹588.82" in message.subject
    assert message.attachments[0][0] == "SAI-2627-000001.pdf"
    assert Invoice.objects.get(pk=invoice.pk).emailed_at is not None


def test_services_own_their_transaction_outside_any_request(django_db_setup: None, django_db_blocker: Any) -> None:
    """Called in autocommit (a shell, a script): row locks need a transaction the service opens itself."""
    from billing.services import payment_record
    from tenants.models import Tenant

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        plan = Plan.objects.get(code="pro", is_current=True)
        tenant = Tenant.objects.create(name="Autocommit", slug="autocommit", schema_name="t_autocommit")
        subscription = Subscription.objects.create(tenant=tenant, plan=plan, status="active")
        try:
            payment = payment_record(
                payment={"id": "pay_auto", "amount": 58_882, "status": "captured", "invoice_id": "inv_auto"},
                subscription=subscription,
            )
            invoice = invoice_issue_for_payment(payment=payment)
            assert invoice is not None
            assert invoice.total_paise == 58_882
        finally:
            Invoice.objects.filter(tenant=tenant).delete()
            InvoiceSequence.objects.all().delete()
            Payment.objects.filter(tenant=tenant).delete()
            Subscription.objects.filter(tenant=tenant).delete()
            Tenant.objects.filter(pk=tenant.pk).delete()
