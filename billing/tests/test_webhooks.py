"""Razorpay webhooks: signature over the raw body, dedupe by event id, any order of arrival."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client

from billing.models import Invoice, Payment, Subscription, WebhookEvent
from billing.testing.fake_razorpay import MONTH, Delivery, FakeRazorpay
from billing.tests.helpers import deliver
from suresh_ai.testing import TenantFixture, staff_client
from tenants.models import Tenant

JSON = "application/json"


def paid_up_lifecycle(alpha: TenantFixture, fake: FakeRazorpay) -> list[Delivery]:
    """Checkout in the trial, first charge at the trial's end, a failed renewal, then recovery."""
    client = alpha.key_client()
    checkout = client.post("/api/v1/billing/checkout/", {"plan": "pro"}, content_type=JSON).json()
    sub_id = checkout["subscription_id"]
    payment_id, signature = fake.authorise(sub_id)
    body = {"razorpay_payment_id": payment_id, "razorpay_subscription_id": sub_id, "razorpay_signature": signature}
    assert client.post("/api/v1/billing/checkout/complete/", body, content_type=JSON).status_code == 200
    fake.clock = fake.subscriptions[sub_id]["start_at"]
    fake.charge(sub_id)
    fake.clock += MONTH
    fake.charge(sub_id, success=False)
    fake.clock += 2 * 24 * 3600
    fake.charge(sub_id)
    return fake.take_outbox()


def state(tenant: Tenant) -> dict[str, Any]:
    sub = Subscription.objects.select_related("plan", "tenant").get(tenant=tenant)
    return {
        "subscription": (
            sub.status,
            sub.plan.code,
            sub.current_period_start,
            sub.current_period_end,
            sub.past_due_since,
            sub.state_as_of,
        ),
        "tenant": (sub.tenant.plan, sub.tenant.plan_version, sub.tenant.restricted_after),
        "payments": sorted(Payment.objects.values_list("razorpay_payment_id", "status", "amount_paise")),
        "events": sorted(WebhookEvent.objects.values_list("event_id", "status")),
        # Numbers follow the order invoices are issued in; which payment gets which may differ.
        "invoices": sorted(
            Invoice.objects.values_list(
                "payment__razorpay_payment_id", "taxable_paise", "cgst_paise", "sgst_paise", "total_paise"
            )
        ),
        "invoice_numbers": sorted(Invoice.objects.values_list("sequence", flat=True)),
        "emailed": Invoice.objects.filter(emailed_at__isnull=False).count(),
    }


def test_triple_shuffled_delivery_ends_where_one_in_order_delivery_does(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    deliveries = paid_up_lifecycle(alpha, razorpay)
    assert [d.event for d in deliveries] == [
        "subscription.authenticated",
        "payment.captured",
        "subscription.activated",
        "subscription.charged",
        "invoice.paid",
        "payment.failed",
        "subscription.pending",
        "payment.captured",
        "subscription.charged",
        "invoice.paid",
    ]
    with transaction.atomic():
        for delivery in deliveries:
            assert deliver(delivery, django_capture_on_commit_callbacks) == 200
        in_order = state(alpha.tenant)
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    assert in_order["subscription"][0] == "active"
    assert in_order["tenant"][2] is None  # paid up: not restricted
    assert len(in_order["payments"]) == 4  # the ₹5 authorisation, two captured charges, one failure
    assert {status for _, status in in_order["events"]} == {"processed"}
    # Two captured charges, two invoices (the ₹5 mandate authorisation is not a sale), each emailed.
    assert [row[1:] for row in in_order["invoices"]] == [(49_900, 4_491, 4_491, 58_882)] * 2
    assert (in_order["invoice_numbers"], in_order["emailed"]) == ([1, 2], 2)
    mail.outbox.clear()

    shuffled = deliveries * 3
    random.Random(20261125).shuffle(shuffled)
    for delivery in shuffled:
        assert deliver(delivery, django_capture_on_commit_callbacks) == 200
    assert state(alpha.tenant) == in_order
    assert WebhookEvent.objects.count() == len(deliveries)
    invoice_mails = [m for m in mail.outbox if m.subject.startswith("Invoice")]
    assert len(invoice_mails) == 2  # one email per invoice, however often its events arrived
    assert {m.attachments[0][2] for m in invoice_mails} == {"application/pdf"}
    # At most one payment-failed email for the one failed renewal (none if its recovery was known first).
    assert len([m for m in mail.outbox if m.subject.startswith("Payment failed")]) <= 1


def test_a_failed_renewal_gives_grace_then_restricts(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    deliveries = paid_up_lifecycle(alpha, razorpay)[:7]  # up to subscription.pending
    for delivery in deliveries:
        deliver(delivery, django_capture_on_commit_callbacks)
    sub = Subscription.objects.select_related("tenant").get(tenant=alpha.tenant)
    assert sub.status == "past_due"
    assert sub.tenant.restricted_after is not None
    assert (sub.tenant.restricted_after - sub.past_due_since).days == 7  # BILLING_GRACE_DAYS


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda d: {**d.headers, "HTTP_X_RAZORPAY_SIGNATURE": "0" * 64}, "signature_invalid"),
        (lambda d: {k: v for k, v in d.headers.items() if k != "HTTP_X_RAZORPAY_SIGNATURE"}, "signature_invalid"),
        (lambda d: {k: v for k, v in d.headers.items() if k != "HTTP_X_RAZORPAY_EVENT_ID"}, "validation_error"),
    ],
)
def test_forged_or_incomplete_webhooks_are_refused_and_stored_nowhere(
    alpha: TenantFixture, razorpay: FakeRazorpay, mangle: Callable[[Delivery], dict[str, str]], code: str
) -> None:
    delivery = paid_up_lifecycle(alpha, razorpay)[0]
    response = Client(HTTP_HOST="localhost").post(
        "/billing/razorpay/webhook/", delivery.body, content_type=JSON, **mangle(delivery)
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert WebhookEvent.objects.count() == 0


def test_body_changed_after_signing_is_refused(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    delivery = paid_up_lifecycle(alpha, razorpay)[0]
    tampered = delivery.body.replace(b'"authenticated"', b'"active"')
    response = Client(HTTP_HOST="localhost").post(
        "/billing/razorpay/webhook/", tampered, content_type=JSON, **delivery.headers
    )
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_unknown_events_are_stored_and_ignored(razorpay: FakeRazorpay, db: None) -> None:
    razorpay._emit("settlement.processed", settlement={"id": "setl_1", "amount": 100})
    delivery = razorpay.take_outbox()[0]
    status = (
        Client(HTTP_HOST="localhost")
        .post("/billing/razorpay/webhook/", delivery.body, content_type=JSON, **delivery.headers)
        .status_code
    )
    assert status == 200
    from billing.services import webhook_process

    event = webhook_process(event_pk=WebhookEvent.objects.get().pk)
    assert (event.event, event.status, event.processed_at is not None) == ("settlement.processed", "ignored", True)


def test_webhooks_are_only_on_the_platform_domain(alpha: TenantFixture, razorpay: FakeRazorpay) -> None:
    delivery = paid_up_lifecycle(alpha, razorpay)[0]
    response = alpha.client().post("/billing/razorpay/webhook/", delivery.body, content_type=JSON, **delivery.headers)
    assert response.status_code in (403, 404)
    assert WebhookEvent.objects.count() == 0


def test_admin_replay_reapplies_without_repeating_effects(
    alpha: TenantFixture, razorpay: FakeRazorpay, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    for delivery in paid_up_lifecycle(alpha, razorpay):
        deliver(delivery, django_capture_on_commit_callbacks)
    before = state(alpha.tenant)
    client = staff_client()
    pks = list(WebhookEvent.objects.values_list("pk", flat=True))
    response = client.post("/admin/billing/webhookevent/", {"action": "replay", "_selected_action": pks}, follow=True)
    assert response.status_code == 200
    assert f"Replayed {len(pks)} event(s); 0 failed" in response.content.decode()
    assert WebhookEvent.objects.filter(attempts=2).count() == len(pks)
    after = state(alpha.tenant)
    assert after == before
