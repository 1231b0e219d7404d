"""Shared steps of the billing tests: deliver Razorpay's webhooks, pay through Checkout, a captured charge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.test import Client
from django.utils import timezone

from billing.models import Payment, Subscription
from billing.testing.fake_razorpay import Delivery, FakeRazorpay
from tenants.models import Tenant

JSON = "application/json"
Capture = Callable[..., Any]


def deliver(delivery: Delivery, capture: Capture) -> int:
    """POST one webhook as Razorpay would, running what it queues on commit (tasks run eagerly)."""
    with capture(execute=True):
        response = Client(HTTP_HOST="localhost").post(
            "/billing/razorpay/webhook/", delivery.body, content_type=JSON, **delivery.headers
        )
    return response.status_code


def deliver_all(fake: FakeRazorpay, capture: Capture) -> None:
    """Deliver everything Razorpay has sent since the last call, in order; each must be accepted."""
    for delivery in fake.take_outbox():
        assert deliver(delivery, capture) == 200


def checkout_and_pay(client: Client, fake: FakeRazorpay, capture: Capture, body: dict[str, str]) -> tuple[str, str]:
    """Checkout, the customer authorising in Razorpay Checkout, and the verified callback.
    Returns (Razorpay subscription id, payment id); the webhooks stay in the fake's outbox."""
    response = client.post("/api/v1/billing/checkout/", body, content_type=JSON)
    assert response.status_code == 201, response.content
    sub_id = response.json()["subscription_id"]
    payment_id, signature = fake.authorise(sub_id)
    done = {"razorpay_payment_id": payment_id, "razorpay_subscription_id": sub_id, "razorpay_signature": signature}
    with capture(execute=True):
        completed = client.post("/api/v1/billing/checkout/complete/", done, content_type=JSON)
    assert completed.status_code == 200, completed.content
    return sub_id, payment_id


def captured_payment(
    tenant: Tenant,
    *,
    pid: str,
    amount: int = 58_882,
    invoiced: bool = True,
    at: datetime | None = None,
    status: str = "captured",
) -> Payment:
    """A subscription charge as Razorpay reports it (``invoiced``: billed against a Razorpay invoice)."""
    moment = at or timezone.now()
    return Payment.objects.create(
        razorpay_payment_id=pid,
        subscription=Subscription.objects.get(tenant=tenant),
        tenant=tenant,
        amount_paise=amount,
        status=status,
        razorpay_invoice_id=f"inv_{pid}" if invoiced else "",
        created_at=moment,
        captured_at=moment if status == "captured" else None,
    )
