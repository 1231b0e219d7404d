"""Upgrades (now, prorated to the paisa), downgrades (at period end), cancel, pause and resume."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from billing.models import Adjustment, Invoice, Subscription
from billing.testing.fake_razorpay import FakeRazorpay
from billing.tests.helpers import checkout_and_pay, deliver_all
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant

JSON = "application/json"
DAY = 86400


def _paid(alpha: TenantFixture, fake: FakeRazorpay, capture: Callable[..., Any], plan: str, t0: datetime) -> str:
    """After the trial: checkout and the first charge at once; period [t0, t0 + 30 days]."""
    with time_machine.travel(t0, tick=False):
        fake.clock = int(t0.timestamp())
        sub_id, _ = checkout_and_pay(alpha.key_client(), fake, capture, {"plan": plan})
        assert Subscription.objects.get(tenant=alpha.tenant).status == "active"
        deliver_all(fake, capture)
    return sub_id


def test_upgrade_mid_period_prorates_to_the_paisa(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    sub_id = _paid(alpha, razorpay, django_capture_on_commit_callbacks, "pro", t0)
    client = alpha.key_client()
    with time_machine.travel(t0 + timedelta(days=10), tick=False):
        quote = client.get("/api/v1/billing/subscription/change-quote/?plan=premium").json()
        # Premium - Pro = ₹500.00 a month; 20 of 30 days left: 50,000 x 20/30 = 33,333.33 -> 33,333 paise;
        # GST 18% = 5,999.94 -> 6,000; added to the next payment: 39,333; next renewal 117,882 + 39,333.
        assert (quote["kind"], quote["effective"]) == ("upgrade", "now")
        assert (quote["proration_taxable_paise"], quote["proration_gst_paise"], quote["proration_total_paise"]) == (
            33_333,
            6_000,
            39_333,
        )
        assert quote["next_payment_total_paise"] == 157_215
        changed = client.post("/api/v1/billing/subscription/change/", {"plan": "premium"}, content_type=JSON)
        assert changed.status_code == 200, changed.content
        assert changed.json()["quote"] == quote  # charged exactly what was shown
        assert Tenant.objects.get(pk=alpha.tenant.pk).plan == "premium"  # entitlements follow at once
        assert [a["item"]["amount"] for a in razorpay.addons.values()] == [39_333]
        assert Adjustment.objects.get().taxable_paise == 33_333
        again = client.post("/api/v1/billing/subscription/change/", {"plan": "premium"}, content_type=JSON)
        assert again.status_code == 409  # a double click changes nothing more
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    t2 = t0 + timedelta(days=30)
    with time_machine.travel(t2, tick=False):
        razorpay.clock = int(t2.timestamp())
        payment = razorpay.charge(sub_id)
        assert payment["amount"] == 157_215
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(payment__razorpay_payment_id=payment["id"])
    assert [line["amount_paise"] for line in invoice.lines] == [99_900, 33_333]
    # GST per line as charged: 17,982 + 6,000 = 23,982, split 11,991 + 11,991 (seller and buyer in Karnataka).
    assert (invoice.taxable_paise, invoice.cgst_paise, invoice.sgst_paise, invoice.igst_paise, invoice.total_paise) == (
        133_233,
        11_991,
        11_991,
        0,
        157_215,
    )
    assert Adjustment.objects.get().invoice == invoice
    assert Subscription.objects.get(tenant=alpha.tenant).plan.code == "premium"


def test_downgrade_waits_for_the_period_end(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    sub_id = _paid(alpha, razorpay, django_capture_on_commit_callbacks, "premium", t0)
    client = alpha.key_client()
    with time_machine.travel(t0 + timedelta(days=5), tick=False):
        quote = client.get("/api/v1/billing/subscription/change-quote/?plan=starter").json()
        assert (quote["kind"], quote["proration_total_paise"], quote["next_payment_total_paise"]) == (
            "downgrade",
            0,
            11_682,  # ₹99 + 18%
        )
        assert (
            client.post("/api/v1/billing/subscription/change/", {"plan": "starter"}, content_type=JSON).status_code
            == 200
        )
        assert Tenant.objects.get(pk=alpha.tenant.pk).plan == "premium"  # paid for until the period ends
        assert Subscription.objects.get(tenant=alpha.tenant).scheduled_plan.code == "starter"
    t1 = t0 + timedelta(days=30)
    with time_machine.travel(t1, tick=False):
        razorpay.clock = int(t1.timestamp())
        assert razorpay.charge(sub_id)["amount"] == 11_682
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    subscription = Subscription.objects.select_related("tenant").get(tenant=alpha.tenant)
    assert (subscription.plan.code, subscription.scheduled_plan, subscription.tenant.plan) == (
        "starter",
        None,
        "starter",
    )


def test_cancel_keeps_access_until_the_period_ends(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    sub_id = _paid(alpha, razorpay, django_capture_on_commit_callbacks, "pro", t0)
    client = alpha.key_client()
    with time_machine.travel(t0 + timedelta(days=3), tick=False):
        data = client.post("/api/v1/billing/subscription/cancel/", content_type=JSON).json()
        assert (data["status"], data["cancel_at_period_end"], data["restricted"]) == ("active", True, False)
        assert client.post("/api/v1/billing/subscription/cancel/", content_type=JSON).status_code == 200  # idempotent
    end = t0 + timedelta(days=30)
    with time_machine.travel(end, tick=False):
        razorpay.clock = int(end.timestamp())
        razorpay.end_cycle(sub_id)
        deliver_all(razorpay, django_capture_on_commit_callbacks)
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
        assert Subscription.objects.get(tenant=alpha.tenant).status == "cancelled"
        assert tenant.restricted_after == end
        assert tenant.is_restricted()


def test_pause_makes_read_only_and_resume_restores(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    _paid(alpha, razorpay, django_capture_on_commit_callbacks, "pro", t0)
    client = alpha.key_client()
    invite = {"email": "p@alpha.in", "role": "viewer"}
    with time_machine.travel(t0 + timedelta(days=2), tick=False):
        assert client.post("/api/v1/billing/subscription/pause/", content_type=JSON).json()["status"] == "paused"
        assert client.post("/api/v1/invitations/", invite, content_type=JSON).status_code == 402
        assert client.get("/api/v1/members/").status_code == 200
        assert client.post("/api/v1/billing/subscription/pause/", content_type=JSON).status_code == 409
        assert client.post("/api/v1/billing/subscription/resume/", content_type=JSON).json()["status"] == "active"
        assert client.post("/api/v1/invitations/", invite, content_type=JSON).status_code == 201


def test_plan_change_refuses_bad_input_and_trials(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    client = alpha.key_client()
    trial = client.post("/api/v1/billing/subscription/change/", {"plan": "premium"}, content_type=JSON)
    assert (trial.status_code, trial.json()["code"]) == (409, "no_paid_subscription")
    unknown = client.get("/api/v1/billing/subscription/change-quote/?plan=gold")
    assert unknown.status_code == 409  # still in the trial: nothing to change
    for body in ({"plan": "pro", "amount": 1}, {}, {"plan": "pro", "interval": "daily"}):
        response = client.post("/api/v1/billing/subscription/change/", body, content_type=JSON)
        assert response.status_code == 400, body
    assert razorpay.requests == []


def test_choosing_the_current_plan_calls_off_a_scheduled_downgrade(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    sub_id = _paid(alpha, razorpay, django_capture_on_commit_callbacks, "premium", t0)
    client = alpha.key_client()
    with time_machine.travel(t0 + timedelta(days=5), tick=False):
        client.post("/api/v1/billing/subscription/change/", {"plan": "starter"}, content_type=JSON)
        assert razorpay.subscriptions[sub_id]["scheduled_plan_id"]
        quote = client.get("/api/v1/billing/subscription/change-quote/?plan=premium").json()
        assert (quote["kind"], quote["proration_total_paise"], quote["next_payment_total_paise"]) == (
            "keep",
            0,
            117_882,
        )
        kept = client.post("/api/v1/billing/subscription/change/", {"plan": "premium"}, content_type=JSON)
        assert kept.status_code == 200
        assert Subscription.objects.get(tenant=alpha.tenant).scheduled_plan is None
        assert "scheduled_plan_id" not in razorpay.subscriptions[sub_id]
    t1 = t0 + timedelta(days=30)
    with time_machine.travel(t1, tick=False):
        razorpay.clock = int(t1.timestamp())
        assert razorpay.charge(sub_id)["amount"] == 117_882  # still Premium
