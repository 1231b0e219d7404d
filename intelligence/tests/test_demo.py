"""The demo data set: labelled, reproducible, and what the engines read."""

from __future__ import annotations

from datetime import date, timedelta
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
