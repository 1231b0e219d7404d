"""Regressions for the billing review: each test failed before its fix."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from billing.models import (
    Adjustment,
    Coupon,
    CreditEntry,
    Invoice,
    Payment,
    Refund,
    Subscription,
    WebhookEvent,
)
from billing.services import invoice_issue_for_payment, refund_create
from billing.testing.fake_razorpay import FakeRazorpay
from billing.tests.helpers import captured_payment, checkout_and_pay, deliver_all
from suresh_ai.errors import ServiceUnavailable
from suresh_ai.testing import PASSWORD, TenantFixture, login_client, make_member, otp_client, staff_client
from tenants.models import Role, User

JSON = "application/json"


def test_h1_starting_checkout_grants_nothing(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    client = alpha.key_client()
    assert client.post("/api/v1/billing/checkout/", {"plan": "platinum"}, content_type=JSON).status_code == 201
    entitlements = client.get("/api/v1/billing/entitlements/").json()
    assert (entitlements["plan_code"], entitlements["rate_limit_bypass"]) == ("pro", False)  # still the trial


def test_h2_a_second_checkout_adopts_an_authorised_first_one(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = alpha.key_client()
    first = client.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON).json()["subscription_id"]
    razorpay.authorise(first)  # the success callback is lost
    second = client.post("/api/v1/billing/checkout/", {"plan": "premium"}, content_type=JSON)
    assert (second.status_code, second.json()["code"]) == (409, "subscription_exists")
    subscription = Subscription.objects.get(tenant=alpha.tenant)
    assert (subscription.razorpay_subscription_id, subscription.status) == (first, "authenticated")
    assert len(razorpay.subscriptions) == 1


def test_h2_an_unpaid_first_checkout_is_cancelled_at_razorpay(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    client = alpha.key_client()
    first = client.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON).json()["subscription_id"]
    second = client.post("/api/v1/billing/checkout/", {"plan": "premium"}, content_type=JSON).json()["subscription_id"]
    assert first != second
    assert razorpay.subscriptions[first]["status"] == "cancelled"  # it can never charge


def test_h2_money_for_an_unknown_subscription_fails_loudly(
    razorpay: FakeRazorpay, db: None, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    razorpay._emit("subscription.charged", subscription={"id": "sub_stranger", "status": "active"})
    razorpay._emit("subscription.cancelled", subscription={"id": "sub_stranger", "status": "cancelled"})
    for delivery in razorpay.take_outbox():
        try:
            with django_capture_on_commit_callbacks(execute=True):
                Client(HTTP_HOST="localhost").post(
                    "/billing/razorpay/webhook/", delivery.body, content_type=JSON, **delivery.headers
                )
        except Exception:  # noqa: BLE001, S110 - the eager task re-raises its retry; the event's status is the point
            pass
    assert dict(WebhookEvent.objects.values_list("event", "status")) == {
        "subscription.charged": "failed",
        "subscription.cancelled": "ignored",
    }


def test_h3_a_failed_upgrade_takes_its_add_on_back(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    client = alpha.key_client()
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        sub_id, _ = checkout_and_pay(client, razorpay, django_capture_on_commit_callbacks, {"plan": "pro"})
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    razorpay.fail_paths = [r"PATCH /v1/subscriptions/\w+"]
    with time_machine.travel(t0 + timedelta(days=10), tick=False):
        response = client.post("/api/v1/billing/subscription/change/", {"plan": "premium"}, content_type=JSON)
    assert response.status_code == 503
    assert razorpay.addons == {}  # created, then deleted again
    assert Adjustment.objects.count() == 0
    assert Subscription.objects.get(tenant=alpha.tenant).plan.code == "pro"
    razorpay.fail_paths = []
    assert razorpay.plans[razorpay.subscriptions[sub_id]["plan_id"]]["item"]["amount"] == 58_882  # still Pro


def test_h4_a_once_coupon_retried_on_another_plan_ends_after_one_payment(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    Coupon.objects.create(code="WELCOME20", kind="percent", percent_off=Decimal(20), duration="once")
    client = alpha.key_client()
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        client.post("/api/v1/billing/checkout/", {"plan": "pro", "coupon": "welcome20"}, content_type=JSON)
        sub_id, _ = checkout_and_pay(
            client, razorpay, django_capture_on_commit_callbacks, {"plan": "premium", "coupon": "welcome20"}
        )
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    first = Invoice.objects.get(tenant=alpha.tenant)
    assert [line["amount_paise"] for line in first.lines] == [99_900, -19_980]  # 20% of Premium
    t1 = t0 + timedelta(days=30)
    with time_machine.travel(t1, tick=False):
        razorpay.clock = int(t1.timestamp())
        assert razorpay.charge(sub_id)["amount"] == 117_882  # full price from the second payment
        deliver_all(razorpay, django_capture_on_commit_callbacks)


def test_m1_a_lost_refund_answer_does_not_refund_twice(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    payment = captured_payment(alpha.tenant, pid="pay_lost", invoiced=False)
    razorpay.payments["pay_lost"] = {"id": "pay_lost", "amount": 58_882, "status": "captured", "amount_refunded": 0}
    razorpay.time_out_after = [r"POST /v1/payments/pay_lost/refund"]
    with pytest.raises(ServiceUnavailable):  # the lost answer surfaces as a 503 to the caller
        refund_create(payment=payment, amount_paise=10_000, idempotency_key="lost-1")
    assert Refund.objects.get(idempotency_key="lost-1").status == "pending"  # the reservation survived
    razorpay.time_out_after = []
    refund = refund_create(payment=payment, amount_paise=10_000, idempotency_key="lost-1")
    assert (refund.status, len(razorpay.refunds)) == ("processed", 1)  # found at Razorpay, not made again


def test_m2_a_renewal_after_a_downgrade_is_invoiced_for_the_new_plan_and_period(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = alpha.key_client()
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        sub_id, _ = checkout_and_pay(client, razorpay, django_capture_on_commit_callbacks, {"plan": "premium"})
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    with time_machine.travel(t0 + timedelta(days=5), tick=False):
        client.post("/api/v1/billing/subscription/change/", {"plan": "starter"}, content_type=JSON)
    t1 = t0 + timedelta(days=30)
    with time_machine.travel(t1, tick=False):
        razorpay.clock = int(t1.timestamp())
        payment = razorpay.charge(sub_id)
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(payment__razorpay_payment_id=payment["id"])
    assert invoice.lines == [{"description": "Starter plan, monthly subscription", "amount_paise": 9_900}]
    assert invoice.period_start == t1


def test_m3_an_unmatched_amount_still_totals_what_was_paid(alpha: TenantFixture) -> None:
    for amount in (102, 108, 115, 12_345):
        payment = captured_payment(alpha.tenant, pid=f"pay_odd_{amount}", amount=amount)
        invoice = invoice_issue_for_payment(payment=payment)
        assert invoice is not None
        assert invoice.total_paise == amount


def test_m4_credit_comes_back_when_its_refund_fails(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    from billing.services import credit_refund_send

    CreditEntry.objects.create(tenant=alpha.tenant, kind="referral_reward", amount_paise=5_000)
    payment = captured_payment(alpha.tenant, pid="pay_credit")
    invoice = invoice_issue_for_payment(payment=payment)
    assert invoice is not None
    assert invoice.credit_applied_paise == 5_000
    applied = CreditEntry.objects.get(kind="applied")
    Payment.objects.filter(pk=payment.pk).update(status="failed")  # no longer refundable
    assert credit_refund_send(credit_entry_id=applied.pk) is False
    assert sum(CreditEntry.objects.filter(tenant=alpha.tenant).values_list("amount_paise", flat=True)) == 5_000
    invoice.refresh_from_db()
    assert invoice.credit_applied_paise == 0
    assert credit_refund_send(credit_entry_id=applied.pk) is False  # reversed once only
    assert CreditEntry.objects.filter(kind="reversal").count() == 1


def test_lows_refunded_stays_refunded_metrics_input_refund_rights_and_pay_links(
    alpha: TenantFixture, beta: TenantFixture, razorpay: FakeRazorpay
) -> None:
    from billing.services import payment_record

    subscription = Subscription.objects.get(tenant=alpha.tenant)
    payment_record(payment={"id": "pay_r", "amount": 500, "status": "refunded"}, subscription=subscription)
    assert (
        payment_record(payment={"id": "pay_r", "amount": 500, "status": "captured"}, subscription=subscription).status
        == "refunded"
    )
    from django.contrib.auth.models import Permission

    staff = User.objects.create_user(email="viewer@platform.in", password=PASSWORD, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_payment", content_type__app_label="billing"))
    client = otp_client(staff)
    pk = Payment.objects.get(razorpay_payment_id="pay_r").pk
    assert client.get(f"/admin/billing/payment/{pk}/refund/").status_code == 403  # view-only staff
    client = staff_client("su@platform.in")
    assert client.get("/api/v1/platform/billing/metrics/?months=%C2%B2").status_code == 400  # "²"
    from billing.models import DunningNotice

    notice = DunningNotice.objects.create(
        subscription=subscription, episode_start=timezone.now(), day=0, token="t" * 43
    )
    other = login_client(beta, make_member(beta.tenant, Role.VIEWER))
    assert other.get(f"/billing/pay/{notice.token}/").status_code == 404  # only on its own workspace
    assert DunningNotice.objects.get(pk=notice.pk).clicked_at is None
