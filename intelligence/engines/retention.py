"""Retention cohorts from stored orders and customers, computed in SQL (call inside the tenant's schema).

Definition (docs/intelligence/funnels-retention.md): a customer's cohort is the UTC week (Monday)
or month of their first paid order (basis ``first_purchase``) or of their ``signed_up_at``
(basis ``signup``). Period n of a cohort is the n-th week or month after the cohort's own; a customer
is retained in period n when they have a paid order in it (paid_at set, not cancelled), and that
order's total counts as the period's revenue. Period 0 is the cohort period itself. Cells whose
period has not started yet are ``None``, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from intelligence.ranges import MAX_DAYS, DateRange, range_from
from suresh_ai.csvfile import csv_text, rupees
from suresh_ai.errors import ValidationFailed

BASES = ("first_purchase", "signup")
PERIODS = ("week", "month")
DEFAULT_PERIODS = 12
MAX_PERIODS = 24


@dataclass(frozen=True)
class Cohort:
    start: date
    size: int
    customers: list[int | None]
    retention_rate: list[float | None]
    revenue_paise: list[int | None]
    revenue_per_customer_paise: list[int | None]
    revenue_retention_rate: list[float | None]


@dataclass(frozen=True)
class Retention:
    basis: str
    period: str
    start: date
    end: date  # included: the last day of the last cohort period
    periods: int
    cohorts: list[Cohort]
    average_retention_rate: list[float | None]


def choice_from(raw: str | None, *, field: str, choices: tuple[str, ...]) -> str:
    value = raw or choices[0]
    if value not in choices:
        raise ValidationFailed.for_field(field, f"Choose one of: {', '.join(choices)}.")
    return value


def periods_from(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_PERIODS
    text = str(raw)
    if not text.isdigit() or not 1 <= int(text) <= MAX_PERIODS:
        raise ValidationFailed.for_field("periods", f"A whole number from 1 to {MAX_PERIODS}.")
    return int(text)


def period_start(day: date, period: str) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def periods_between(earlier: date, later: date, period: str) -> int:
    """Whole periods from the period starting at ``earlier`` to the one containing ``later``."""
    if period == "week":
        return (period_start(later, period) - earlier).days // 7
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# Period numbers: whole weeks since Monday 1 January 1900, or year * 12 + month - 1, so that period n
# of a cohort is a subtraction of integers computed once per order and once per customer.
_NUMBER = {
    "week": "((({t}) AT TIME ZONE 'UTC')::date - DATE '1900-01-01') / 7",
    "month": "(date_part('year', ({t}) AT TIME ZONE 'UTC') * 12 "
    "+ date_part('month', ({t}) AT TIME ZONE 'UTC') - 1)::int",
}
_START = {
    "week": "DATE '1900-01-01' + 7 * c.cohort",
    "month": "make_date(c.cohort / 12, c.cohort %% 12 + 1, 1)",
}
# Each basis selects the cohort's customers with conditions on table columns (not on an aggregate),
# so the planner's estimates come from the tables' statistics and it picks hash joins and hash
# aggregates; an estimate of a few hundred rows for 100,000 customers led to nested loops and sorts.
_COHORT_CUSTOMERS = {
    "first_purchase": "SELECT o.customer_id, {first_purchase} AS cohort FROM paid o "
    "WHERE o.paid_at >= %(from)s AND o.paid_at < %(until)s AND NOT EXISTS "
    "(SELECT 1 FROM paid q WHERE q.customer_id = o.customer_id AND q.paid_at < %(from)s) GROUP BY o.customer_id",
    "signup": "SELECT id AS customer_id, {signup} AS cohort FROM intelligence_customer "
    "WHERE signed_up_at >= %(from)s AND signed_up_at < %(until)s",
}


def retention(
    *, basis: str, period: str, first: date, last: date, periods: int, today: date | None = None
) -> Retention:
    """Cohorts whose period overlaps [first, last], with periods 0..``periods`` (fewer when the oldest
    cohort is younger than that)."""
    today = today or datetime.now(UTC).date()
    cohort_from = period_start(first, period)
    cohort_until = _next_period(period_start(last, period), period)
    # "paid" is inlined wherever it is read, so the planner sees the table's statistics.
    cohort_customers = (
        _COHORT_CUSTOMERS[basis]
        .replace("{first_purchase}", _NUMBER[period].format(t="min(o.paid_at)"))
        .replace("{signup}", _NUMBER[period].format(t="signed_up_at"))
    )
    sql = f"""
        WITH paid AS NOT MATERIALIZED (
            SELECT customer_id, paid_at, total_paise, {_NUMBER[period].format(t="paid_at")} AS pn
            FROM intelligence_order WHERE paid_at IS NOT NULL AND status <> 'cancelled'
        ), c AS ({cohort_customers}),
        sizes AS (SELECT cohort, count(*) AS size FROM c GROUP BY cohort),
        per_customer AS (
            SELECT c.cohort, c.customer_id, p.pn - c.cohort AS n, sum(p.total_paise) AS revenue
            FROM c JOIN paid p ON p.customer_id = c.customer_id
            WHERE p.pn - c.cohort BETWEEN 0 AND %(periods)s GROUP BY 1, 2, 3
        ), cells AS (SELECT cohort, n, count(*) AS customers, sum(revenue) AS revenue FROM per_customer GROUP BY 1, 2)
        SELECT {_START[period]}, c.size, cells.n, cells.customers, cells.revenue
        FROM sizes c LEFT JOIN cells ON cells.cohort = c.cohort ORDER BY c.cohort, cells.n
    """  # noqa: S608 - basis and period come from the allow-lists above; values are parameters
    start_at = datetime.combine(cohort_from, datetime.min.time(), tzinfo=UTC)
    until_at = datetime.combine(cohort_until, datetime.min.time(), tzinfo=UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        # As for funnels: the estimates would switch on JIT compilation, which costs more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, {"from": start_at, "until": until_at, "periods": periods})
        rows = cursor.fetchall()
    sizes: dict[date, int] = {}
    cells: dict[tuple[date, int], tuple[int, int]] = {}
    for cohort, size, n, customers, revenue in rows:
        sizes[cohort] = int(size)
        if n is not None:
            cells[(cohort, int(n))] = (int(customers), int(revenue))
    columns = min(periods, max(0, periods_between(min(sizes), today, period))) if sizes else 0
    cohorts = [_cohort(start, size, cells, columns, period, today) for start, size in sizes.items()]
    average = []
    for n in range(columns + 1):
        seen = [c for c in cohorts if c.customers[n] is not None]
        average.append(_rate(sum(c.customers[n] or 0 for c in seen), sum(c.size for c in seen)))
    return Retention(
        basis=basis,
        period=period,
        start=cohort_from,
        end=cohort_until - timedelta(days=1),
        periods=columns,
        cohorts=cohorts,
        average_retention_rate=average,
    )


def _cohort(
    start: date, size: int, cells: dict[tuple[date, int], tuple[int, int]], columns: int, period: str, today: date
) -> Cohort:
    elapsed = periods_between(start, today, period)
    customers: list[int | None] = []
    revenue: list[int | None] = []
    for n in range(columns + 1):
        count, paise = cells.get((start, n), (0, 0))
        customers.append(count if n <= elapsed else None)
        revenue.append(paise if n <= elapsed else None)
    base = revenue[0] if revenue else None
    return Cohort(
        start=start,
        size=size,
        customers=customers,
        retention_rate=[None if c is None else _rate(c, size) for c in customers],
        revenue_paise=revenue,
        revenue_per_customer_paise=[None if r is None else round(r / size) for r in revenue],
        revenue_retention_rate=[None if r is None or not base else _rate(r, base) for r in revenue],
    )


def retention_csv(result: Retention) -> str:
    """Long form: one row per cohort and period (future periods left out)."""
    header = [
        "cohort_start",
        "cohort_size",
        "period",
        "customers",
        "retention_rate",
        "revenue_inr",
        "revenue_per_customer_inr",
        "revenue_retention_rate",
    ]
    rows = (
        (
            c.start,
            c.size,
            n,
            customers,
            c.retention_rate[n],
            rupees(c.revenue_paise[n] or 0),
            rupees(c.revenue_per_customer_paise[n] or 0),
            c.revenue_retention_rate[n],
        )
        for c in result.cohorts
        for n, customers in enumerate(c.customers)
        if customers is not None
    )
    return csv_text(header, rows)


def range_for(params: Any, *, period: str, periods: int) -> DateRange:
    """``start``/``end`` from the query; without ``start``, the cohorts of the last ``periods`` periods."""
    if params.get("start") in (None, ""):
        last = range_from({"end": params.get("end")}).last
        first = period_start(last, period)
        for _ in range(periods):
            earlier = period_start(first - timedelta(days=1), period)
            if (last - earlier).days >= MAX_DAYS:
                break
            first = earlier
        return range_from({"start": first.isoformat(), "end": last.isoformat()})
    return range_from(params)


def retention_from_query(params: Any) -> Retention:
    """The cohorts a query string asks for (``basis``, ``period``, ``periods``, ``start``, ``end``)."""
    basis = choice_from(params.get("basis"), field="basis", choices=BASES)
    period = choice_from(params.get("period"), field="period", choices=PERIODS)
    periods = periods_from(params.get("periods"))
    span = range_for(params, period=period, periods=periods)
    return retention(basis=basis, period=period, first=span.first, last=span.last, periods=periods)
