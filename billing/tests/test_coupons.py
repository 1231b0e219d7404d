"""Coupons: atomic redemption under concurrency, validation, and the discount on invoices."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import time_machine
from django.db import connection, connections
from django.utils import timezone

from billing.models import Coupon, CouponRedemption, Invoice, Plan, Subscription
from billing.services import coupon_redeem
from billing.testing.fake_razorpay import FakeRazorpay
from billing.tests.helpers import deliver_all
from suresh_ai.errors import ApplicationError
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant

JSON = "application/json"


def test_200_concurrent_redemptions_of_a_50_coupon_admit_exactly_50(
    django_db_setup: None, django_db_blocker: Any
) -> None:
    """Real concurrency: committed rows, 60 threads with their own connections (PostgreSQL here
    allows 100), 200 redemptions released together by a barrier-like start event."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        plan = Plan.objects.get(code="pro", is_current=True)
        coupon = Coupon.objects.create(code="RACE50", kind="percent", percent_off=Decimal(10), max_redemptions=50)
        tenants = Tenant.objects.bulk_create(
            [Tenant(name=f"Coupon {i}", slug=f"cpn-{i}", schema_name=f"t_cpn_{i}") for i in range(200)]
        )
        subscriptions = Subscription.objects.bulk_create(
            [Subscription(tenant=t, plan=plan, status="trialing") for t in tenants]
        )
        start = threading.Event()
        outcomes: list[str] = []

        def redeem(subscription: Subscription) -> None:
            start.wait()
            try:
                coupon_redeem(
                    coupon=coupon,
                    tenant=subscription.tenant,
                    subscription=subscription,
                    discount_paise=4_990,
                    now=timezone.now(),
                )
                outcomes.append("redeemed")
            except ApplicationError as exc:
                outcomes.append(exc.code)
            finally:
                connections.close_all()

        try:
            with ThreadPoolExecutor(max_workers=60) as pool:
                futures = [pool.submit(redeem, s) for s in subscriptions]
                start.set()
                for future in futures:
                    future.result(timeout=60)
            assert outcomes.count("redeemed") == 50
            assert outcomes.count("coupon_exhausted") == 150
            coupon.refresh_from_db()
            assert coupon.times_redeemed == 50
            assert CouponRedemption.objects.filter(coupon=coupon).count() == 50
        finally:
            CouponRedemption.objects.filter(coupon=coupon).delete()
            Subscription.objects.filter(tenant__slug__startswith="cpn-").delete()
            Tenant.objects.filter(slug__startswith="cpn-").delete()
            coupon.delete()


def test_a_once_coupon_discounts_the_first_payment_then_full_price(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    Coupon.objects.create(code="WELCOME20", kind="percent", percent_off=Decimal(20), duration="once")
    client = alpha.key_client()
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)  # after the trial: charged at once
    with time_machine.travel(t0, tick=False):
        razorpay.clock = int(t0.timestamp())
        checkout = client.post(
            "/api/v1/billing/checkout/", {"plan": "pro", "coupon": "welcome20"}, content_type=JSON
        ).json()
        # 20% of ₹499.00 = ₹99.80 off; taxable 39,920; GST 7,185.6 -> 7,186; charged 47,106.
        assert (checkout["discount_paise"], checkout["amount_paise"], checkout["coupon"]) == (
            9_980,
            47_106,
            "WELCOME20",
        )
        sub_id = checkout["subscription_id"]
        payment_id, signature = razorpay.authorise(sub_id)
        body = {"razorpay_payment_id": payment_id, "razorpay_subscription_id": sub_id, "razorpay_signature": signature}
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON).status_code == 200
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    first = Invoice.objects.get(payment__razorpay_payment_id=payment_id)
    assert [line["amount_paise"] for line in first.lines] == [49_900, -9_980]
    assert (first.taxable_paise, first.cgst_paise, first.sgst_paise, first.total_paise) == (
        39_920,
        3_593,
        3_593,
        47_106,
    )
    assert razorpay.subscriptions[sub_id].get("scheduled_plan_id")  # back to full price from the next period
    t1 = t0 + timedelta(days=30)
    with time_machine.travel(t1, tick=False):
        razorpay.clock = int(t1.timestamp())
        second_payment = razorpay.charge(sub_id)
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    assert second_payment["amount"] == 58_882
    second = Invoice.objects.get(payment__razorpay_payment_id=second_payment["id"])
    assert [line["amount_paise"] for line in second.lines] == [49_900]
    assert CouponRedemption.objects.get(tenant=alpha.tenant).payments_discounted == 1


def test_coupon_rules_give_clear_errors_and_change_nothing(
    alpha: TenantFixture, beta: TenantFixture, razorpay: FakeRazorpay
) -> None:
    now = timezone.now()
    Coupon.objects.create(code="OLD", kind="fixed", amount_off_paise=1_000, expires_at=now - timedelta(days=1))
    Coupon.objects.create(code="PREMIUMONLY", kind="percent", percent_off=Decimal(50), plans=["premium"])
    Coupon.objects.create(code="GONE", kind="percent", percent_off=Decimal(5), max_redemptions=1, times_redeemed=1)
    Coupon.objects.create(code="ONE", kind="fixed", amount_off_paise=2_000)
    client = alpha.key_client()
    for code, status in (("NOPE", 400), ("OLD", 400), ("PREMIUMONLY", 400), ("GONE", 409)):
        response = client.post("/api/v1/billing/checkout/", {"plan": "pro", "coupon": code}, content_type=JSON)
        assert response.status_code == status, code
        assert "coupon" in response.json()["detail"], code
    assert razorpay.subscriptions == {}
    assert Subscription.objects.get(tenant=alpha.tenant).status == "trialing"
    ok = client.post("/api/v1/billing/checkout/", {"plan": "pro", "coupon": "ONE"}, content_type=JSON)
    assert ok.status_code == 201
    assert (
        client.post("/api/v1/billing/checkout/", {"plan": "pro", "coupon": "ONE"}, content_type=JSON).status_code == 201
    )
    assert Coupon.objects.get(code="ONE").times_redeemed == 1  # a retried checkout keeps its one redemption
    other = beta.key_client().post("/api/v1/billing/checkout/", {"plan": "pro", "coupon": "ONE"}, content_type=JSON)
    assert other.status_code == 201
    assert Coupon.objects.get(code="ONE").times_redeemed == 2
