"""Revenue metrics for platform staff (read-only selectors), replayed from the subscription audit
trail and the payment records. Definitions are in docs/billing.md, "Revenue metrics".

MRR is plan MRR: the list price of each paying subscription's plan version, per month (yearly / 12),
before GST and coupons. A subscription pays while it is active or past due (in the grace period);
trials, authorised-but-not-yet-charged mandates, paused, halted and ended subscriptions do not.
Cash collected is what Razorpay actually took (GST included) less refunds, which differs from MRR
through coupons, proration, GST, yearly prepayment and failed payments; staff need both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from billing.models import Interval, Invoice, Payment, Plan, Refund, Subscription, SubscriptionChange
from suresh_ai.charts import chart_svg
from suresh_ai.csvfile import csv_text

PAYING = {Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE}


@dataclass(frozen=True)
class MonthMetrics:
    month: str  # "2026-11"
    mrr_paise: int
    arr_paise: int
    customers: int
    new_paise: int
    expansion_paise: int
    contraction_paise: int
    churned_paise: int
    reactivation_paise: int
    churned_customers: int
    customer_churn_percent: Decimal | None
    revenue_churn_percent: Decimal | None
    arpa_paise: int | None
    ltv_paise: int | None
    trials_started: int
    trials_converted: int
    trial_conversion_percent: Decimal | None
    cash_collected_paise: int  # GST included, refunds deducted
    invoiced_ex_gst_paise: int


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def months_ending(today: date, count: int) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(out))


def _mrr(plan: Plan, interval: str) -> int:
    if interval == Interval.YEARLY:
        return int((Decimal(plan.price_yearly_paise) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return plan.price_monthly_paise


def _percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def revenue_metrics(*, months: int = 12, today: date | None = None) -> list[MonthMetrics]:
    """One row per calendar month (UTC), oldest first, ending with the current month."""
    today = today or datetime.now(tz=UTC).date()
    periods = months_ending(today, months)
    plans = {p.pk: p for p in Plan.objects.all()}
    history: dict[int, list[tuple[datetime, str, int, str]]] = defaultdict(list)
    for change in SubscriptionChange.objects.order_by("at", "id").values_list(
        "subscription_id", "at", "to_status", "to_plan_id", "to_interval"
    ):
        history[change[0]].append(change[1:])

    def mrr_at(subscription_id: int, moment: datetime) -> int:
        state = None
        for at, status, plan_id, interval in history[subscription_id]:
            if at >= moment:
                break
            state = (status, plan_id, interval)
        if state is None or state[0] not in PAYING:
            return 0
        return _mrr(plans[state[1]], state[2])

    first_paid: dict[int, datetime] = {}
    for subscription_id, changes in history.items():
        for at, status, _, _ in changes:
            if status in PAYING:
                first_paid[subscription_id] = at
                break
    rows = []
    for year, month in periods:
        start = _month_start(year, month)
        end = _month_start(*_next(year, month))
        new = expansion = contraction = churned = reactivation = churned_customers = 0
        mrr_end = customers_start = customers_end = mrr_start = 0
        for subscription_id in history:
            before, after = mrr_at(subscription_id, start), mrr_at(subscription_id, end)
            mrr_start += before
            mrr_end += after
            customers_start += before > 0
            customers_end += after > 0
            if before == 0 and after > 0:
                if first_paid.get(subscription_id, end) >= start:
                    new += after
                else:
                    reactivation += after
            elif before > 0 and after == 0:
                churned += before
                churned_customers += 1
            elif after > before:
                expansion += after - before
            elif after < before:
                contraction += before - after
        customer_churn = _percent(churned_customers, customers_start)
        revenue_churn = _percent(churned + contraction, mrr_start)
        arpa = mrr_end // customers_end if customers_end else None
        ltv = None
        if arpa is not None and revenue_churn:
            ltv = int((Decimal(arpa) * 100 / revenue_churn).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        trials = Subscription.objects.filter(created_at__gte=start, created_at__lt=end)
        converted = trials.filter(invoices__isnull=False).distinct().count()
        started = trials.count()
        captured = Payment.objects.filter(
            status__in=("captured", "refunded"), captured_at__gte=start, captured_at__lt=end, invoice__isnull=False
        ).aggregate(t=Sum("amount_paise"))["t"]
        refunded = Refund.objects.filter(
            status=Refund.Status.PROCESSED, processed_at__gte=start, processed_at__lt=end
        ).aggregate(t=Sum("amount_paise"))["t"]
        invoiced = Invoice.objects.filter(issued_at__gte=start, issued_at__lt=end).aggregate(t=Sum("taxable_paise"))[
            "t"
        ]
        rows.append(
            MonthMetrics(
                month=f"{year}-{month:02d}",
                mrr_paise=mrr_end,
                arr_paise=mrr_end * 12,
                customers=customers_end,
                new_paise=new,
                expansion_paise=expansion,
                contraction_paise=contraction,
                churned_paise=churned,
                reactivation_paise=reactivation,
                churned_customers=churned_customers,
                customer_churn_percent=customer_churn,
                revenue_churn_percent=revenue_churn,
                arpa_paise=arpa,
                ltv_paise=ltv,
                trials_started=started,
                trials_converted=converted,
                trial_conversion_percent=_percent(converted, started),
                cash_collected_paise=int(captured or 0) - int(refunded or 0),
                invoiced_ex_gst_paise=int(invoiced or 0),
            )
        )
    return rows


def revenue_metrics_csv(rows: list[MonthMetrics]) -> str:
    fields = list(MonthMetrics.__dataclass_fields__)
    return csv_text(fields, (asdict(row).values() for row in rows))


def revenue_charts(rows: list[MonthMetrics]) -> dict[str, str]:
    """Inline SVG charts (pygal, no JavaScript, nothing loaded from elsewhere), amounts in rupees."""
    import pygal
    from pygal.style import DefaultStyle

    labels = [row.month for row in rows]

    def rupees(paise: int) -> float:
        return paise / 100

    options = {
        "style": DefaultStyle,
        "js": [],
        "disable_xml_declaration": True,
        "height": 320,
        "x_label_rotation": 30,
        "legend_at_bottom": True,
        "value_formatter": lambda v: f"₹{v:,.0f}",
    }
    mrr = pygal.Line(title="MRR (₹, before GST)", **options)
    mrr.x_labels = labels
    mrr.add("MRR", [rupees(r.mrr_paise) for r in rows])
    bridge = pygal.StackedBar(title="MRR bridge (₹ per month)", **options)
    bridge.x_labels = labels
    bridge.add("New", [rupees(r.new_paise) for r in rows])
    bridge.add("Expansion", [rupees(r.expansion_paise) for r in rows])
    bridge.add("Reactivation", [rupees(r.reactivation_paise) for r in rows])
    bridge.add("Contraction", [-rupees(r.contraction_paise) for r in rows])
    bridge.add("Churned", [-rupees(r.churned_paise) for r in rows])
    cash = pygal.Bar(title="Cash collected vs MRR (₹)", **options)
    cash.x_labels = labels
    cash.add("Cash collected (GST incl., less refunds)", [rupees(r.cash_collected_paise) for r in rows])
    cash.add("Invoiced before GST", [rupees(r.invoiced_ex_gst_paise) for r in rows])
    cash.add("MRR", [rupees(r.mrr_paise) for r in rows])
    return {name: chart_svg(chart) for name, chart in (("mrr", mrr), ("bridge", bridge), ("cash", cash))}
