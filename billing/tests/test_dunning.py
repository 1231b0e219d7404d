"""Dunning: emails on days 0, 3 and 7 with a tracked pay-now link; grace, then restricted; recoveries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.core import mail
from django.utils import timezone

from billing.models import DunningNotice, DunningRecovery, Subscription
from billing.tasks import dunning_sweep
from billing.testing.fake_razorpay import MONTH, FakeRazorpay
from billing.tests.helpers import deliver_all
from suresh_ai.testing import TenantFixture
from tenants.models import Tenant

JSON = "application/json"


def _failed_renewal(alpha: TenantFixture, fake: FakeRazorpay, capture: Callable[..., Any]) -> tuple[str, Any]:
    t0 = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    client = alpha.key_client()
    with time_machine.travel(t0, tick=False):
        fake.clock = int(t0.timestamp())
        checkout = client.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON).json()
        sub_id = checkout["subscription_id"]
        payment_id, signature = fake.authorise(sub_id)
        body = {"razorpay_payment_id": payment_id, "razorpay_subscription_id": sub_id, "razorpay_signature": signature}
        with capture(execute=True):
            client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON)
        deliver_all(fake, capture)
    failed_at = t0 + timedelta(seconds=MONTH)
    with time_machine.travel(failed_at, tick=False):
        fake.clock = int(failed_at.timestamp())
        fake.charge(sub_id, success=False)
        mail.outbox.clear()
        deliver_all(fake, capture)
    return sub_id, failed_at


def test_dunning_emails_on_day_0_3_and_7_then_read_only(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    _, failed_at = _failed_renewal(alpha, razorpay, django_capture_on_commit_callbacks)
    dunning = [m for m in mail.outbox if m.subject.startswith("Payment failed")]
    assert len(dunning) == 1  # day 0, sent as the failure arrived
    assert "/billing/pay/" in dunning[0].body
    assert Subscription.objects.get(tenant=alpha.tenant).status == "past_due"
    for days, expected in ((1, 1), (3, 2), (4, 2), (7, 3), (8, 3)):
        with time_machine.travel(failed_at + timedelta(days=days, minutes=1), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                dunning_sweep.delay()
            assert len([m for m in mail.outbox if m.subject.startswith("Payment failed")]) == expected, days
    assert sorted(DunningNotice.objects.values_list("day", flat=True)) == [0, 3, 7]
    with time_machine.travel(failed_at + timedelta(days=6), tick=False):
        assert not Tenant.objects.get(pk=alpha.tenant.pk).is_restricted()  # in the 7-day grace period
    with time_machine.travel(failed_at + timedelta(days=7, seconds=1), tick=False):
        assert Tenant.objects.get(pk=alpha.tenant.pk).is_restricted()
        response = alpha.key_client().post(
            "/api/v1/invitations/", {"email": "x@alpha.in", "role": "viewer"}, content_type=JSON
        )
        assert response.status_code == 402
        assert "read-only" in mail.outbox[-1].body  # the day-7 email says so


def test_recovery_through_the_email_link_is_credited_to_it(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    sub_id, failed_at = _failed_renewal(alpha, razorpay, django_capture_on_commit_callbacks)
    notice = DunningNotice.objects.get(day=0)
    with time_machine.travel(failed_at + timedelta(days=1), tick=False):
        clicked = alpha.client().get(f"/billing/pay/{notice.token}/")  # no sign-in needed: the token is the key
        assert clicked.status_code == 302
        assert clicked["Location"] == "https://rzp.io/i/fake"  # Razorpay's page to pay or change the card
        assert alpha.client().get("/billing/pay/not-a-token/").status_code == 404
        razorpay.clock = int((failed_at + timedelta(days=1)).timestamp())
        razorpay.charge(sub_id)
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    recovery = DunningRecovery.objects.get()
    assert (recovery.channel, recovery.notices_sent) == ("email_link", 1)
    subscription = Subscription.objects.select_related("tenant").get(tenant=alpha.tenant)
    assert (subscription.status, subscription.past_due_since, subscription.tenant.restricted_after) == (
        "active",
        None,
        None,
    )


def test_recovery_without_a_click_is_the_automatic_retry(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    sub_id, failed_at = _failed_renewal(alpha, razorpay, django_capture_on_commit_callbacks)
    with time_machine.travel(failed_at + timedelta(days=2), tick=False):
        razorpay.clock = int((failed_at + timedelta(days=2)).timestamp())
        razorpay.charge(sub_id)
        deliver_all(razorpay, django_capture_on_commit_callbacks)
    assert DunningRecovery.objects.get().channel == "automatic_retry"
