"""The workspace's own Razorpay webhooks: verified, stored once, one effect in any arrival order."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from intelligence import services
from intelligence.models import Order, Payment, RazorpayEvent, Refund
from suresh_ai.testing import TenantFixture

SECRET = "tenant-webhook-secret"
T = 1_795_000_000  # a Razorpay timestamp (seconds)


def _setup(fixture: TenantFixture) -> str:
    with schema_context(fixture.tenant.schema_name):
        services.records_ingest(
            kind="orders",
            records=[
                {
                    "external_id": "ord-9",
                    "customer_id": "c-9",
                    "total_paise": 49_900,
                    "razorpay_order_id": "order_R9",
                    "created_at": "2026-11-01T10:00:00Z",
                }
            ],
        )
        return services.data_settings_update(data={"razorpay_webhook_secret": SECRET}).webhook_token


def _payment(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "pay_R9",
        "order_id": "order_R9",
        "amount": 49_900,
        "currency": "INR",
        "status": status,
        "method": "card",
        "card": {"network": "Visa"},
        "fee": 1_178,
        "created_at": T,
        **extra,
    }


EVENTS = [
    (
        "evt_1",
        {"event": "payment.captured", "created_at": T + 10, "payload": {"payment": {"entity": _payment("captured")}}},
    ),
    (
        "evt_2",
        {
            "event": "order.paid",
            "created_at": T + 11,
            "payload": {
                "order": {"entity": {"id": "order_R9", "amount_paid": 49_900, "status": "paid"}},
                "payment": {"entity": _payment("captured")},
            },
        },
    ),
    (
        "evt_3",
        {
            "event": "refund.processed",
            "created_at": T + 500,
            "payload": {
                "refund": {
                    "entity": {
                        "id": "rfnd_1",
                        "payment_id": "pay_R9",
                        "amount": 49_900,
                        "status": "processed",
                        "created_at": T + 400,
                    }
                },
                "payment": {"entity": _payment("refunded")},
            },
        },
    ),
]


def _deliver(fixture: TenantFixture, token: str, event_id: str, payload: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client(HTTP_HOST=fixture.host).post(
        f"/api/v1/public/razorpay/{token}/",
        body,
        content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=signature,
        HTTP_X_RAZORPAY_EVENT_ID=event_id,
    )


def _state(fixture: TenantFixture) -> tuple[Any, ...]:
    with schema_context(fixture.tenant.schema_name):
        payment = Payment.objects.get()
        order = Order.objects.get()
        return (
            payment.status,
            payment.captured_at,
            payment.card_network,
            payment.order_id == order.pk,
            order.status,
            order.paid_at,
            list(Refund.objects.values_list("razorpay_refund_id", "payment__razorpay_payment_id", "amount_paise")),
            RazorpayEvent.objects.count(),
        )


def test_three_events_delivered_three_times_shuffled_have_one_effect(alpha: TenantFixture) -> None:
    from django.db import transaction

    token = _setup(alpha)
    expected = None
    for order in itertools.permutations(EVENTS):
        sid = transaction.savepoint()
        deliveries = [event for event in order for _ in range(3)]
        random.Random(len(deliveries)).shuffle(deliveries)
        for event_id, payload in deliveries:
            response = _deliver(alpha, token, event_id, payload)
            assert response.status_code == 200, response.content
        state = _state(alpha)
        expected = expected or state
        assert state == expected, order
        transaction.savepoint_rollback(sid)
    assert expected is not None
    status, captured_at, network, linked, order_status, paid_at, refunds, stored = expected
    assert (status, network, linked, order_status, stored) == ("refunded", "Visa", True, "refunded", 3)
    assert (int(captured_at.timestamp()), int(paid_at.timestamp())) == (T + 10, T + 10)
    assert refunds == [("rfnd_1", "pay_R9", 49_900)]


def test_a_redelivery_says_duplicate_and_bad_signatures_are_refused(alpha: TenantFixture, beta: TenantFixture) -> None:
    token = _setup(alpha)
    event_id, payload = EVENTS[0]
    assert _deliver(alpha, token, event_id, payload).json() == {"status": "accepted", "duplicate": False}
    assert _deliver(alpha, token, event_id, payload).json() == {"status": "accepted", "duplicate": True}
    forged = _deliver(alpha, token, "evt_x", payload, secret="not-the-secret")
    assert (forged.status_code, forged.json()["code"]) == (400, "signature_invalid")
    assert _deliver(alpha, "no-such-token", "evt_y", payload).status_code == 404
    assert _deliver(beta, token, "evt_z", payload).status_code == 404  # alpha's URL on beta's domain
    with schema_context(alpha.tenant.schema_name):
        assert RazorpayEvent.objects.count() == 1
