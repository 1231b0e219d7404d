"""The demo data set: labelled, reproducible, and what the engines read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django_tenants.utils import schema_context

from intelligence import analytics
from intelligence.models import Customer, Event, Order, Payment, Product
from suresh_ai.testing import TenantFixture


def test_seed_demo_writes_a_labelled_reproducible_shop(alpha: TenantFixture) -> None:
    out, err = StringIO(), StringIO()
    args = ["--tenant", "alpha", "--customers", "200", "--days", "30", "--end", "2026-11-20", "--seed", "3"]
    call_command("seed_demo", *args, stdout=out, stderr=err)
    assert "Demo data (labelled demo) written to alpha" in out.getvalue()
    assert "records" in err.getvalue()  # the progress bars
    with schema_context(alpha.tenant.schema_name):
        counts = (Customer.objects.count(), Product.objects.count(), Order.objects.count(), Event.objects.count())
        assert counts[0] == 200
        assert counts[1] == 40
        assert counts[2] > 10
        assert counts[3] > 300
        assert all(name.endswith("(demo)") for name in Product.objects.values_list("name", flat=True))
        assert Payment.objects.filter(status="failed").exists()
        assert set(Event.objects.values_list("channel", flat=True)) >= {"direct", "email", "paid_search"}
        kpis = analytics.kpis_for(*_range(date(2026, 10, 22), date(2026, 11, 20)))
        assert kpis.orders == Order.objects.filter(paid_at__isnull=False).exclude(status="cancelled").count()
        assert 0 < kpis.visitors < kpis.sessions * 0.9  # visitors come back
    call_command("seed_demo", *args, stdout=StringIO(), stderr=StringIO())  # the same seed again
    with schema_context(alpha.tenant.schema_name):
        assert (
            Customer.objects.count(),
            Product.objects.count(),
            Order.objects.count(),
            Event.objects.count(),
        ) == counts


def _range(first: date, last: date):  # type: ignore[no-untyped-def]
    from intelligence.ranges import DateRange

    span = DateRange(first, last + timedelta(days=0))
    return span.start, span.end


def test_demo_payments_are_linked_to_their_orders_except_the_labelled_mismatches(alpha: TenantFixture) -> None:
    """Small batches, so payments fill a batch while their orders are still pending (as with
    make run's 2,000 customers and 1,000-record batches, where every payment came out unlinked)."""
    from intelligence.demo import generate
    from intelligence.engines.payments import reconciliation

    with schema_context(alpha.tenant.schema_name):
        written = generate(customers=300, days=40, end=date(2026, 11, 20), seed=5, batch_size=25)
        assert written["payments"] > 50
        report = reconciliation(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
        assert [row["order"] for row in report["paid_orders_without_payment"]] == [
            "demo-mismatch-no-payment-1",
            "demo-mismatch-no-payment-2",
        ]
        assert [row["payment"] for row in report["payments_without_order"]] == [
            "pay_demo_mismatch_no_order_1",
            "pay_demo_mismatch_no_order_2",
        ]
        assert [(row["order"], row["difference_paise"]) for row in report["amount_mismatches"]] == [
            ("demo-mismatch-amount-1", -5_000),
            ("demo-mismatch-amount-2", -5_000),
        ]
        unlinked = Payment.objects.filter(order__isnull=True).exclude(razorpay_payment_id__contains="mismatch")
        assert not unlinked.exists()
