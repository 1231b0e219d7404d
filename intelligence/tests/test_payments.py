"""Payment intelligence on small hand-computed data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from intelligence.engines import payments
from intelligence.models import Insight
from intelligence.services import records_ingest
from suresh_ai.testing import TenantFixture, login_client

T = datetime(2026, 11, 10, 12, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def shop(alpha: TenantFixture) -> TenantFixture:
    """o1 paid by card (p1, later refunded in full); o2: UPI cancelled (p2) then paid by UPI (p3)
    for Rs 290 against a Rs 300 total; o3: netbanking failed for lack of funds (p4), never paid;
    o4 marked paid with no payment; p5 a card payment with no order."""
    with schema_context(alpha.tenant.schema_name):
        records_ingest(
            kind="orders",
            records=[
                {
                    "external_id": "o1",
                    "customer_id": "c1",
                    "status": "paid",
                    "total_paise": 50_000,
                    "razorpay_order_id": "order_1",
                    "created_at": _at(0),
                    "paid_at": _at(30),
                },
                {
                    "external_id": "o2",
                    "customer_id": "c2",
                    "status": "paid",
                    "total_paise": 30_000,
                    "razorpay_order_id": "order_2",
                    "created_at": _at(0),
                    "paid_at": _at(200),
                },
                {
                    "external_id": "o3",
                    "customer_id": "c3",
                    "total_paise": 20_000,
                    "razorpay_order_id": "order_3",
                    "created_at": _at(0),
                },
                {
                    "external_id": "o4",
                    "customer_id": "c4",
                    "status": "paid",
                    "total_paise": 5_000,
                    "created_at": _at(0),
                    "paid_at": _at(10),
                },
            ],
        )
        records_ingest(
            kind="payments",
            records=[
                {
                    "razorpay_payment_id": "p1",
                    "razorpay_order_id": "order_1",
                    "status": "refunded",
                    "method": "card",
                    "card_network": "Visa",
                    "amount_paise": 50_000,
                    "created_at": _at(0),
                    "captured_at": _at(30),
                },
                {
                    "razorpay_payment_id": "p2",
                    "razorpay_order_id": "order_2",
                    "status": "failed",
                    "method": "upi",
                    "error_code": "BAD_REQUEST_ERROR",
                    "error_reason": "payment_cancelled",
                    "amount_paise": 30_000,
                    "created_at": _at(60),
                },
                {
                    "razorpay_payment_id": "p3",
                    "razorpay_order_id": "order_2",
                    "status": "captured",
                    "method": "upi",
                    "amount_paise": 29_000,
                    "created_at": _at(100),
                    "captured_at": _at(190),
                },
                {
                    "razorpay_payment_id": "p4",
                    "razorpay_order_id": "order_3",
                    "status": "failed",
                    "method": "netbanking",
                    "bank": "HDFC",
                    "error_reason": "insufficient_funds",
                    "amount_paise": 20_000,
                    "created_at": _at(120),
                },
                {
                    "razorpay_payment_id": "p5",
                    "status": "captured",
                    "method": "card",
                    "card_network": "RuPay",
                    "amount_paise": 10_000,
                    "created_at": _at(300),
                    "captured_at": _at(360),
                },
            ],
        )
        records_ingest(
            kind="refunds",
            records=[
                {
                    "razorpay_refund_id": "r1",
                    "razorpay_payment_id": "p1",
                    "amount_paise": 50_000,
                    "created_at": _at(900),
                }
            ],
        )
    return alpha


def test_summary_rates_and_reconciliation(shop: TenantFixture) -> None:
    start, end = T - timedelta(days=1), T + timedelta(days=1)
    with schema_context(shop.tenant.schema_name):
        assert payments.summary(start, end) == {
            "attempts": 5,
            "succeeded": 3,  # p1 (refunded later), p3, p5
            "failed": 2,
            "success_rate": 0.6,
            "captured_paise": 89_000,  # 50,000 + 29,000 + 10,000
            "refunded_paise": 50_000,
            "refund_rate": 0.5618,  # 50,000 / 89,000
            "capture_seconds_p50": 60.0,  # of 30, 90, 60 s
            "capture_seconds_p90": 84.0,  # 60 + 0.8 x (90 - 60)
            "orders_with_failure": 2,  # o2, o3
            "recovered_orders": 1,  # o2, by p3 after p2 failed
            "recovery_rate": 0.5,
        }
        assert payments.rates_by(start, end, "method") == [
            {"key": "card", "attempts": 2, "succeeded": 2, "failed": 0, "success_rate": 1.0},
            {"key": "upi", "attempts": 2, "succeeded": 1, "failed": 1, "success_rate": 0.5},
            {"key": "netbanking", "attempts": 1, "succeeded": 0, "failed": 1, "success_rate": 0.0},
        ]
        assert payments.rates_by(start, end, "failure_group") == [
            {"key": "customer_cancelled", "failures": 1, "share": 0.5},
            {"key": "funds_or_limits", "failures": 1, "share": 0.5},
        ]
        report = payments.reconciliation(start, end)
    assert [o["order"] for o in report["paid_orders_without_payment"]] == ["o4"]
    assert [p["payment"] for p in report["payments_without_order"]] == ["p5"]
    assert report["amount_mismatches"] == [
        {"order": "o2", "total_paise": 30_000, "captured_paise": 29_000, "difference_paise": -1_000}
    ]


def test_a_failure_spike_is_stored_once(alpha: TenantFixture) -> None:
    now = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    hour = now.replace(minute=0) - timedelta(hours=1)
    records = [
        {
            "razorpay_payment_id": f"w{i}",
            "status": "failed" if i < 10 else "captured",
            "amount_paise": 100,
            "created_at": (hour - timedelta(hours=i + 1)).isoformat(),
        }
        for i in range(100)
    ] + [
        {
            "razorpay_payment_id": f"h{i}",
            "status": "failed" if i < 20 else "captured",
            "amount_paise": 100,
            "created_at": (hour + timedelta(minutes=i)).isoformat(),
        }
        for i in range(25)
    ]
    with schema_context(alpha.tenant.schema_name):
        records_ingest(kind="payments", records=records)
        insight = payments.failure_spike_check(now=now)
        assert insight is not None
        assert insight.detail["failure_rate"] == 0.8  # 20 of 25, against 10 of 100 in the week before
        assert insight.detail["baseline_rate"] == 0.1
        assert payments.failure_spike_check(now=now) is None  # once per hour
        assert Insight.objects.count() == 1
    # Platform staff hear of it at the next monitor round (ops alert "payment_failures", once).
    from ops.models import Alert
    from ops.monitor import monitor_round

    monitor_round(force=True)
    monitor_round(force=True)
    alert = Alert.objects.get(rule="payment_failures")
    assert (alert.key, alert.status, alert.occurrences) == ("t_alpha", "firing", 2)
    assert alert.summary == "t_alpha: " + insight.title


def test_payments_api_and_page(shop: TenantFixture) -> None:
    body = shop.key_client().get("/api/v1/analytics/payments/?start=2026-11-09&end=2026-11-11").json()
    assert body["summary"]["success_rate"] == 0.6
    assert [r["key"] for r in body["by_card_network"]] == ["(none)", "RuPay", "Visa"]
    html = login_client(shop, shop.owner).get("/analytics/payments/?start=2026-11-09&end=2026-11-11").content.decode()
    assert "60%" in html
    assert "Order o2: total ₹300.00, captured ₹290.00" in html


def test_a_full_refund_sent_by_api_marks_the_payment_and_order_refunded(alpha: TenantFixture) -> None:
    from intelligence.models import Order, Payment

    with schema_context(alpha.tenant.schema_name):
        records_ingest(
            kind="orders",
            records=[
                {
                    "external_id": "o9",
                    "customer_id": "c9",
                    "status": "paid",
                    "total_paise": 900,
                    "razorpay_order_id": "order_9",
                    "created_at": _at(0),
                    "paid_at": _at(5),
                }
            ],
        )
        records_ingest(
            kind="payments",
            records=[
                {
                    "razorpay_payment_id": "p9",
                    "razorpay_order_id": "order_9",
                    "status": "captured",
                    "amount_paise": 900,
                    "created_at": _at(0),
                    "captured_at": _at(5),
                }
            ],
        )
        records_ingest(
            kind="refunds",
            records=[
                {"razorpay_refund_id": "r9", "razorpay_payment_id": "p9", "amount_paise": 900, "created_at": _at(60)}
            ],
        )
        assert Payment.objects.get(razorpay_payment_id="p9").status == "refunded"  # as the webhook path does
        assert Order.objects.get(external_id="o9").status == "refunded"


def test_the_hourly_spike_check_runs_in_every_workspace(alpha: TenantFixture, eager_tasks: None) -> None:
    from celery_app import app as celery_app
    from intelligence.ingest.tasks import payments_spike_check_all

    schemas = payments_spike_check_all.apply().get()["schemas"]
    assert {alpha.tenant.schema_name, "t_beta"} <= set(schemas)
    assert (
        celery_app.conf.beat_schedule["intelligence-payment-spikes"]["task"] == "intelligence.payments_spike_check_all"
    )
