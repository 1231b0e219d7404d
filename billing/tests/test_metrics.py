"""Revenue metrics replayed from a known history, checked against hand-computed figures."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from django.test import Client

from billing.metrics import revenue_metrics
from billing.models import Payment, Plan, Subscription, SubscriptionChange
from billing.services import invoice_issue_for_payment
from suresh_ai.testing import staff_client
from tenants.models import Tenant


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def _history() -> None:
    plans = {code: Plan.objects.get(code=code, is_current=True) for code in ("starter", "pro", "premium")}

    def subscription(slug: str, created: datetime, interval: str = "monthly") -> Subscription:
        tenant = Tenant.objects.create(name=slug, slug=slug, schema_name=f"t_{slug}")
        return Subscription.objects.create(
            tenant=tenant, plan=plans["pro"], interval=interval, status="trialing", created_at=created
        )

    def change(sub: Subscription, when: datetime, status: str, plan: str, interval: str = "monthly") -> None:
        SubscriptionChange.objects.create(
            subscription=sub, at=when, source="webhook", to_status=status, to_plan=plans[plan], to_interval=interval
        )

    s1 = subscription("m-one", at(9, 1))
    change(s1, at(9, 1), "trialing", "pro")
    change(s1, at(9, 10), "active", "pro")  # new in September
    change(s1, at(10, 15), "active", "premium")  # expansion in October
    change(s1, at(11, 5), "cancelled", "premium")  # churned in November
    s2 = subscription("m-two", at(10, 3), "yearly")
    change(s2, at(10, 3), "active", "starter", "yearly")  # ₹990 a year = 8,250 paise a month
    s3 = subscription("m-three", at(8, 1))
    change(s3, at(8, 20), "active", "pro")
    change(s3, at(9, 12), "paused", "pro")  # churned in September
    change(s3, at(11, 2), "active", "pro")  # reactivated in November
    subscription("m-four", at(10, 10))  # a trial that never paid
    payment = Payment.objects.create(
        razorpay_payment_id="pay_m1",
        subscription=s1,
        tenant=s1.tenant,
        amount_paise=58_882,
        status="captured",
        razorpay_invoice_id="inv_m1",
        created_at=at(9, 10),
        captured_at=at(9, 10),
    )
    invoice_issue_for_payment(payment=payment)


def test_mrr_bridge_churn_arpa_ltv_and_cash_by_hand(db: None) -> None:
    _history()
    sep, oct_, nov = revenue_metrics(months=3, today=date(2026, 11, 25))
    assert (sep.month, oct_.month, nov.month) == ("2026-09", "2026-10", "2026-11")
    # September: starts with s3 (49,900); s1 new, s3 paused.
    assert (sep.mrr_paise, sep.new_paise, sep.churned_paise, sep.customers) == (49_900, 49_900, 49_900, 1)
    assert (sep.customer_churn_percent, sep.revenue_churn_percent) == (Decimal("100.00"), Decimal("100.00"))
    assert (sep.trials_started, sep.trials_converted, sep.trial_conversion_percent) == (1, 1, Decimal("100.00"))
    assert (sep.cash_collected_paise, sep.invoiced_ex_gst_paise) == (58_882, 49_900)
    # October: s1 Pro -> Premium (+50,000), s2 new on yearly Starter (99,000 / 12 = 8,250).
    assert (oct_.mrr_paise, oct_.expansion_paise, oct_.new_paise, oct_.churned_paise) == (108_150, 50_000, 8_250, 0)
    assert (oct_.arpa_paise, oct_.ltv_paise, oct_.revenue_churn_percent) == (54_075, None, Decimal("0.00"))
    assert (oct_.trials_started, oct_.trials_converted) == (2, 0)
    assert oct_.arr_paise == 108_150 * 12
    # November: s1 cancelled (-99,900), s3 back (+49,900 reactivation).
    assert (nov.mrr_paise, nov.churned_paise, nov.reactivation_paise, nov.customers) == (58_150, 99_900, 49_900, 2)
    assert nov.customer_churn_percent == Decimal("50.00")
    assert nov.revenue_churn_percent == Decimal("92.37")  # 99,900 / 108,150
    assert nov.arpa_paise == 29_075
    assert nov.ltv_paise == 31_477  # 29,075 / 92.37%
    for row, previous in ((oct_, sep), (nov, oct_)):  # the bridge adds up
        moved = row.new_paise + row.expansion_paise + row.reactivation_paise - row.contraction_paise - row.churned_paise
        assert previous.mrr_paise + moved == row.mrr_paise


def test_metrics_api_csv_and_dashboard_for_staff_only(db: None) -> None:
    _history()
    client = staff_client()
    rows = client.get("/api/v1/platform/billing/metrics/?months=24").json()
    assert len(rows) == 24
    assert {"month", "mrr_paise", "new_paise", "cash_collected_paise"} <= set(rows[-1])
    assert client.get("/api/v1/platform/billing/metrics/?months=0").status_code == 400
    exported = client.get("/api/v1/platform/billing/metrics.csv?months=6")
    assert exported["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(table) == 6
    page = client.get("/admin/revenue/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("pygal-chart") >= 3  # MRR, bridge, cash charts
    assert "MRR bridge" in html
    assert "kozea.github.io" not in html  # nothing loaded from the internet
    anonymous = Client(HTTP_HOST="localhost")
    assert anonymous.get("/api/v1/platform/billing/metrics/").status_code == 401
    assert anonymous.get("/admin/revenue/").status_code == 302  # to the admin login
