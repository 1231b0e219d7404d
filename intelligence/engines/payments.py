"""Payment intelligence from stored payments, orders and refunds (call inside the tenant's schema).

- success rate = captured (or later refunded) / attempts that ended (captured, refunded, failed),
  by method, bank, card network and failure group;
- failure groups: Razorpay's ``error_reason`` mapped by ``FAILURE_GROUPS`` (the taxonomy in
  docs/intelligence/payments.md); unknown reasons are "other";
- time to capture: median and p90 of captured_at - created_at;
- recovery: orders with a failed payment that later got a captured one, over orders with a failure;
- refund rate: refunded amount / captured amount;
- reconciliation: paid orders without a captured payment, captured payments without an order,
  and orders whose captured total differs from the order total;
- spike insight: the last hour's failure rate above ``SPIKE_MULTIPLE`` x the trailing 7-day rate,
  with at least ``SPIKE_MIN_ATTEMPTS`` attempts in the hour, stored once per hour as an Insight.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from intelligence.models import Insight
from suresh_ai.tenancy import db

logger = logging.getLogger(__name__)

FAILURE_GROUPS: dict[str, str] = {
    "payment_cancelled": "customer_cancelled",
    "payment_timed_out": "customer_cancelled",
    "authentication_failed": "authentication",
    "incorrect_otp": "authentication",
    "incorrect_pin": "authentication",
    "otp_expired": "authentication",
    "insufficient_funds": "funds_or_limits",
    "amount_exceeds_limit": "funds_or_limits",
    "transaction_limit_exceeded": "funds_or_limits",
    "card_declined": "issuer_declined",
    "payment_declined": "issuer_declined",
    "bank_technical_error": "bank_or_network",
    "gateway_technical_error": "bank_or_network",
    "server_error": "bank_or_network",
    "network_error": "bank_or_network",
    "payment_risk_check_failed": "risk",
    "international_transaction_not_allowed": "card_not_enabled",
    "card_not_enabled": "card_not_enabled",
    "invalid_card_number": "invalid_details",
    "invalid_vpa": "invalid_details",
    "card_expired": "invalid_details",
    "input_validation_failed": "invalid_details",
    "payment_failed": "unspecified",
}
SPIKE_MULTIPLE = 2.0
SPIKE_MIN_ATTEMPTS = 20
ENDED = ("captured", "refunded", "failed")


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _group_case() -> tuple[str, list[str]]:
    cases = " ".join("WHEN %s THEN %s" for _ in FAILURE_GROUPS)
    params = [v for pair in FAILURE_GROUPS.items() for v in pair]
    return f"CASE error_reason {cases} ELSE 'other' END", params


def rates_by(start: datetime, end: datetime, dimension: str) -> list[dict[str, Any]]:
    """Attempts, successes, failures and success rate per method, bank, card network or failure group."""
    columns = {"method": "method", "bank": "bank", "card_network": "card_network"}
    if dimension == "failure_group":
        expression, params = _group_case()
        rows = _rows(
            f"SELECT {expression} AS g, COUNT(*) FROM intelligence_payment "  # noqa: S608 - CASE built from our constant table
            "WHERE status = 'failed' AND created_at >= %s AND created_at < %s GROUP BY g ORDER BY 2 DESC, g",
            [*params, start, end],
        )
        total = sum(n for _, n in rows)
        return [{"key": g, "failures": n, "share": round(n / total, 4) if total else None} for g, n in rows]
    column = columns[dimension]
    rows = _rows(
        f"SELECT COALESCE(NULLIF({column}, ''), '(none)') AS k, COUNT(*), "  # noqa: S608 - column from the allow-list above
        "COUNT(*) FILTER (WHERE status IN ('captured', 'refunded')), COUNT(*) FILTER (WHERE status = 'failed') "
        "FROM intelligence_payment WHERE status IN %s AND created_at >= %s AND created_at < %s "
        "GROUP BY k ORDER BY 2 DESC, k",
        [ENDED, start, end],
    )
    return [
        {"key": k, "attempts": n, "succeeded": ok, "failed": bad, "success_rate": round(ok / n, 4) if n else None}
        for k, n, ok, bad in rows
    ]


def summary(start: datetime, end: datetime) -> dict[str, Any]:
    (attempts, succeeded, failed, captured_amount, p50, p90) = _rows(
        """
        SELECT COUNT(*) FILTER (WHERE status IN ('captured', 'refunded', 'failed')),
               COUNT(*) FILTER (WHERE status IN ('captured', 'refunded')),
               COUNT(*) FILTER (WHERE status = 'failed'),
               COALESCE(SUM(amount_paise) FILTER (WHERE status IN ('captured', 'refunded')), 0),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM captured_at - created_at))
                   FILTER (WHERE captured_at IS NOT NULL),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM captured_at - created_at))
                   FILTER (WHERE captured_at IS NOT NULL)
        FROM intelligence_payment WHERE created_at >= %s AND created_at < %s
        """,
        [start, end],
    )[0]
    refunded = _rows(
        "SELECT COALESCE(SUM(r.amount_paise), 0) FROM intelligence_refund r JOIN intelligence_payment p "
        "ON p.id = r.payment_id WHERE r.status = 'processed' AND p.created_at >= %s AND p.created_at < %s",
        [start, end],
    )[0][0]
    with_failure, recovered = _rows(
        """
        WITH f AS (SELECT order_id, MIN(created_at) AS first_fail FROM intelligence_payment
                   WHERE status = 'failed' AND order_id IS NOT NULL AND created_at >= %s AND created_at < %s
                   GROUP BY order_id)
        SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM intelligence_payment p WHERE p.order_id = f.order_id
            AND p.status IN ('captured', 'refunded') AND p.created_at > f.first_fail))
        FROM f
        """,
        [start, end],
    )[0]
    return {
        "attempts": int(attempts),
        "succeeded": int(succeeded),
        "failed": int(failed),
        "success_rate": round(succeeded / attempts, 4) if attempts else None,
        "captured_paise": int(captured_amount),
        "refunded_paise": int(refunded),
        "refund_rate": round(int(refunded) / int(captured_amount), 4) if captured_amount else None,
        "capture_seconds_p50": round(float(p50), 1) if p50 is not None else None,
        "capture_seconds_p90": round(float(p90), 1) if p90 is not None else None,
        "orders_with_failure": int(with_failure),
        "recovered_orders": int(recovered),
        "recovery_rate": round(recovered / with_failure, 4) if with_failure else None,
    }


def reconciliation(start: datetime, end: datetime, *, limit: int = 100) -> dict[str, list[dict[str, Any]]]:
    paid_without_payment = _rows(
        """
        SELECT o.external_id, o.total_paise, o.paid_at FROM intelligence_order o
        WHERE o.paid_at >= %s AND o.paid_at < %s AND o.status <> 'cancelled' AND NOT EXISTS (
            SELECT 1 FROM intelligence_payment p WHERE p.order_id = o.id AND p.status IN ('captured', 'refunded'))
        ORDER BY o.paid_at LIMIT %s
        """,
        [start, end, limit],
    )
    payment_without_order = _rows(
        "SELECT razorpay_payment_id, amount_paise, created_at FROM intelligence_payment "
        "WHERE status IN ('captured', 'refunded') AND order_id IS NULL AND created_at >= %s AND created_at < %s "
        "ORDER BY created_at LIMIT %s",
        [start, end, limit],
    )
    mismatches = _rows(
        """
        SELECT o.external_id, o.total_paise, SUM(p.amount_paise) AS captured FROM intelligence_order o
        JOIN intelligence_payment p ON p.order_id = o.id AND p.status IN ('captured', 'refunded')
        WHERE o.paid_at >= %s AND o.paid_at < %s GROUP BY o.id HAVING SUM(p.amount_paise) <> o.total_paise
        ORDER BY o.external_id LIMIT %s
        """,
        [start, end, limit],
    )
    return {
        "paid_orders_without_payment": [
            {"order": e, "total_paise": t, "paid_at": at} for e, t, at in paid_without_payment
        ],
        "payments_without_order": [
            {"payment": p, "amount_paise": a, "created_at": at} for p, a, at in payment_without_order
        ],
        "amount_mismatches": [
            {"order": e, "total_paise": t, "captured_paise": int(c), "difference_paise": int(c) - t}
            for e, t, c in mismatches
        ],
    }


def failure_spike_check(*, now: datetime | None = None) -> Insight | None:
    """Store an insight when the last hour's failure rate is a spike against the trailing week
    (once per hour; a rerun finds it already stored)."""
    now = now or timezone.now()
    hour_end = now.replace(minute=0, second=0, microsecond=0)
    hour_start = hour_end - timedelta(hours=1)
    week_start = hour_start - timedelta(days=7)
    (n_hour, failed_hour, n_week, failed_week) = _rows(
        """
        SELECT COUNT(*) FILTER (WHERE created_at >= %s), COUNT(*) FILTER (WHERE created_at >= %s AND status = 'failed'),
               COUNT(*) FILTER (WHERE created_at < %s), COUNT(*) FILTER (WHERE created_at < %s AND status = 'failed')
        FROM intelligence_payment WHERE status IN %s AND created_at >= %s AND created_at < %s
        """,
        [hour_start, hour_start, hour_start, hour_start, ENDED, week_start, hour_end],
    )[0]
    if n_hour < SPIKE_MIN_ATTEMPTS or not n_week:
        return None
    rate, baseline = failed_hour / n_hour, failed_week / n_week
    if rate <= SPIKE_MULTIPLE * max(baseline, 0.01):
        return None
    try:
        with transaction.atomic():
            insight = Insight.objects.create(
                kind=Insight.Kind.PAYMENT_FAILURE_SPIKE,
                key=f"{hour_start:%Y-%m-%dT%H}",
                title=(
                    f"Payment failures at {rate:.0%} in the hour from {hour_start:%H:%M} UTC (usually {baseline:.0%})"
                ),
                detail={
                    "hour_start": hour_start.isoformat(),
                    "attempts": n_hour,
                    "failed": failed_hour,
                    "failure_rate": round(rate, 4),
                    "baseline_rate": round(baseline, 4),
                    "multiple": SPIKE_MULTIPLE,
                },
            )
    except IntegrityError:
        return None  # stored by an earlier run for this hour
    _alert_platform(insight)
    return insight


def _alert_platform(insight: Insight) -> None:
    """Platform staff hear of it too (ops alert "payment_failures", for an hour): many workspaces
    at once points at Razorpay or at us. Only the workspace's schema and the rates go out."""
    from ops.alerting import alert_event

    try:
        schema = db().schema_name
        alert_event("payment_failures", schema, f"{schema}: {insight.title}")
    except Exception:  # the insight is stored; the alert is best effort (Redis down)
        logger.warning("payment_alert_not_raised", exc_info=True)
