"""Referral credit (once, however often webhooks arrive), credit applied to the next invoice as a
refund, and staff refunds with an idempotency key."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import CreditEntry, Invoice, Payment, Referral, Refund
from billing.services import credit_balance, referral_code_for, refund_create
from billing.testing.fake_razorpay import FakeRazorpay
from billing.tests.helpers import captured_payment, checkout_and_pay, deliver
from suresh_ai.errors import ValidationFailed
from suresh_ai.testing import PASSWORD, TenantFixture, staff_client
from tenants import services as tenant_services

JSON = "application/json"


def test_referral_rewards_once_and_the_credit_pays_part_of_the_next_invoice(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    code = referral_code_for(tenant=alpha.tenant)
    assert alpha.key_client().get("/api/v1/billing/referral/").json()["code"] == code
    connection.set_schema_to_public()
    gamma = tenant_services.tenant_create(
        name="Gamma", slug="gamma", owner_email="o@gamma.in", owner_password=PASSWORD, referral_code=code.lower()
    ).tenant
    assert Referral.objects.get(referred=gamma).referrer == alpha.tenant
    gamma_key = tenant_services.api_key_create(tenant=gamma, name="k", scopes=["admin"], created_by=None).raw_key
    gamma_client = Client(HTTP_HOST="gamma.localhost", HTTP_AUTHORIZATION=f"Bearer {gamma_key}")
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)  # trials over: charged at once
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        checkout_and_pay(gamma_client, razorpay, django_capture_on_commit_callbacks, {"plan": "pro"})
        deliveries = razorpay.take_outbox() * 3
        random.Random(7).shuffle(deliveries)
        for delivery in deliveries:
            assert deliver(delivery, django_capture_on_commit_callbacks) == 200
    gamma_invoice = Invoice.objects.get(tenant=gamma)
    reward = CreditEntry.objects.get(tenant=alpha.tenant)
    assert reward.amount_paise == 11_776  # 20% of 58,882 = 11,776.4 -> 11,776
    assert credit_balance(tenant=alpha.tenant) == 11_776
    assert Referral.objects.get(referred=gamma).rewarded_at is not None
    assert gamma_invoice.credit_applied_paise == 0
    with time_machine.travel(t0 + timedelta(hours=1), tick=False):
        razorpay.clock = int((t0 + timedelta(hours=1)).timestamp())
        _, payment_id = checkout_and_pay(
            alpha.key_client(), razorpay, django_capture_on_commit_callbacks, {"plan": "pro"}
        )
        for delivery in razorpay.take_outbox():
            assert deliver(delivery, django_capture_on_commit_callbacks) == 200
    alpha_invoice = Invoice.objects.get(tenant=alpha.tenant)
    assert (alpha_invoice.total_paise, alpha_invoice.credit_applied_paise) == (58_882, 11_776)
    refund = Refund.objects.get(payment__razorpay_payment_id=payment_id)
    assert (refund.amount_paise, refund.status) == (11_776, "processed")
    assert [r["amount"] for r in razorpay.refunds.values()] == [11_776]
    assert credit_balance(tenant=alpha.tenant) == 0
    summary = alpha.key_client().get("/api/v1/billing/referral/").json()
    assert (summary["referred"], summary["rewarded"], summary["credit_balance_paise"]) == (1, 1, 0)


def test_an_unknown_referral_code_does_not_block_sign_up(db: None) -> None:
    connection.set_schema_to_public()
    created = tenant_services.tenant_create(
        name="Delta", slug="delta", owner_email="o@delta.in", owner_password=PASSWORD, referral_code="NOSUCH"
    )
    assert not Referral.objects.filter(referred=created.tenant).exists()


def _captured_payment(alpha: TenantFixture, razorpay: FakeRazorpay) -> Payment:
    fake = {"id": "pay_refundme", "entity": "payment", "amount": 58_882, "status": "captured", "amount_refunded": 0}
    razorpay.payments["pay_refundme"] = fake
    return captured_payment(alpha.tenant, pid="pay_refundme", invoiced=False)


def test_refunds_are_idempotent_and_bounded(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    payment = _captured_payment(alpha, razorpay)
    first = refund_create(payment=payment, amount_paise=10_000, idempotency_key="k1", reason="goodwill")
    again = refund_create(payment=payment, amount_paise=10_000, idempotency_key="k1", reason="goodwill")
    assert first.pk == again.pk
    assert len(razorpay.refunds) == 1
    for amount in (-5, 0, 99, 48_883, "100", 1.5):
        with pytest.raises(ValidationFailed) as excinfo:
            refund_create(payment=payment, amount_paise=amount, idempotency_key=f"bad-{amount}")
        assert "amount_paise" in excinfo.value.detail, amount
    assert len(razorpay.refunds) == 1
    refund_create(payment=payment, amount_paise=48_882, idempotency_key="k2")
    payment.refresh_from_db()
    assert payment.status == "refunded"


def test_staff_refund_from_the_admin_refunds_once_on_double_submit(
    alpha: TenantFixture, razorpay: FakeRazorpay
) -> None:
    payment = _captured_payment(alpha, razorpay)
    client = staff_client()
    url = f"/admin/billing/payment/{payment.pk}/refund/"
    form = client.get(url)
    assert form.status_code == 200
    key = form.context["form"].initial["idempotency_key"]
    body = {"amount": "100.50", "reason": "double charge", "idempotency_key": key}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302  # the double click
    assert [r["amount"] for r in razorpay.refunds.values()] == [10_050]
    assert Refund.objects.get().created_by == "staff@platform.in"
    too_much = client.post(url, {"amount": "999.00", "idempotency_key": "admin-other"})
    assert "can still be refunded" in too_much.content.decode()
    assert len(razorpay.refunds) == 1
    # Tenant owners on their own domain cannot reach it.
    owner = alpha.client()
    owner.force_login(alpha.owner)
    assert owner.get(url).status_code in (302, 403, 404)
